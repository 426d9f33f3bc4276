// C++ side of the cosim bridge: owns one VerilatedContext, one model (of one
// of the variants built by build.rs) and an optional FST writer. See
// src/bridge.rs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rust/cxx.h"

class VerilatedContext;
class VerilatedFstC;

namespace cosim {

struct RtlEvent;  // shared with Rust, defined by the generated bridge header

struct PendingEvent {
    uint8_t kind;
    std::string file;
    int32_t line;
    std::string hier;
    std::string msg;
};

// Flags returned by Model::eval.
constexpr uint32_t EVAL_EVENTS = 1;  // a $finish/$stop/$fatal/assertion was recorded
constexpr uint32_t EVAL_OUTPUT = 2;  // $display/printf text is waiting

// One verilated model class behind a virtual interface (TopImpl<V> in shim.cc).
class Top {
public:
    virtual ~Top() = default;
    virtual void eval() = 0;
    // One rising clock edge with a single eval (clk_i stays 1): the root's
    // previous-clock value is set to 0 first, so the eval sees a posedge.
    virtual void rise() = 0;
    virtual void set_clk(bool v) = 0;
    virtual void trace(VerilatedFstC* fst, int levels) = 0;
    virtual void final_() = 0;
    virtual void port_addrs(rust::Vec<size_t>& v) = 0;
};

class Model {
public:
    Model(rust::Str name, uint8_t variant);
    ~Model();
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    rust::Vec<size_t> port_addrs();
    uint32_t eval();
    uint32_t cycle();
    rust::String take_output();
    rust::Vec<RtlEvent> take_events();
    void trace_open(rust::Str path);
    void trace_close();
    bool trace_is_open() const;
    uint64_t time() const;
    void finish_model();

    // Used by the hooks (shim.cc) while this model is the thread's current one.
    void record(uint8_t kind, const char* file, int line, const char* hier, const char* msg);
    void append_output(const char* text, size_t len);

private:
    // EVAL_* bits for what the last eval left waiting.
    uint32_t flags() const;

    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Top> top_;
    std::unique_ptr<VerilatedFstC> fst_;
    std::string out_;
    std::vector<PendingEvent> events_;
    bool finished_ = false;
};

// Throws std::invalid_argument for an unknown variant index.
std::unique_ptr<Model> new_model(rust::Str name, uint8_t variant);

}  // namespace cosim
