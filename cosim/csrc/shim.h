// C++ side of the cosim bridge: owns one VerilatedContext, one model and an
// optional FST writer. See src/bridge.rs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rust/cxx.h"

class VerilatedContext;
class VerilatedFstC;
class Vtb_top;

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

class Model {
public:
    explicit Model(rust::Str name);
    ~Model();
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    rust::Vec<size_t> port_addrs();
    uint32_t eval();
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
    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Vtb_top> top_;
    std::unique_ptr<VerilatedFstC> fst_;
    std::string out_;
    std::vector<PendingEvent> events_;
    bool finished_ = false;
};

std::unique_ptr<Model> new_model(rust::Str name);

}  // namespace cosim
