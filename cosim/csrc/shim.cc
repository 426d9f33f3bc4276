// C++ side of the cosim bridge. One VerilatedContext per model, made the
// thread's current context before every call into the model, so models on
// different threads never share $time or $finish state. Verilator's
// finish/stop/fatal handlers and printf are replaced (-DVL_USER_FINISH,
// -DVL_USER_STOP, -DVL_USER_FATAL, -DVL_PRINTF=cosim_vl_printf) so that a
// model never exits or aborts the process: everything is recorded on the
// thread's current model and handed to Rust after the eval.
#include "shim.h"

#include <cstdarg>
#include <cstdio>
#include <stdexcept>

#include "cosim/src/bridge.rs.h"
#include "ports_inc.h"
#include "variants_inc.h"
#include "verilated.h"
#include "verilated_fst_c.h"

namespace cosim {
namespace {

thread_local Model* tl_current = nullptr;

// Makes `m` the current model (and its context the thread's Verilator
// context) for the lifetime of the guard.
class Current {
public:
    Current(Model* m, VerilatedContext* ctx) : prev_(tl_current) {
        tl_current = m;
        Verilated::threadContextp(ctx);
    }
    ~Current() { tl_current = prev_; }

private:
    Model* prev_;
};

enum : uint8_t { KIND_FINISH = 0, KIND_STOP = 1, KIND_FATAL = 2 };

// Every variant has the same port names (build.rs checks), so one template
// serves them all; only eval is on the hot path (one virtual call).
template <class V, bool kPoke>
class TopImpl final : public Top {
public:
    TopImpl(VerilatedContext* ctx, const char* name) : m_(new V(ctx, name)) {}
    void eval() override { m_->eval(); }
    void rise() override {
        if constexpr (kPoke) {
            m_->rootp->COSIM_CLK_PREV_MEMBER = 0;
            m_->clk_i = 1;
            m_->eval();
        } else {
            m_->clk_i = 0;
            m_->eval();
            m_->clk_i = 1;
            m_->eval();
        }
    }
    void set_clk(bool v) override { m_->clk_i = v; }
    void trace(VerilatedFstC* fst, int levels) override { m_->trace(fst, levels); }
    void final_() override { m_->final(); }
    void port_addrs(rust::Vec<size_t>& v) override {
#define COSIM_PUSH_PORT(name) v.push_back(reinterpret_cast<size_t>(&m_->name));
        COSIM_FOR_EACH_PORT(COSIM_PUSH_PORT)
#undef COSIM_PUSH_PORT
    }

private:
    std::unique_ptr<V> m_;
};

std::unique_ptr<Top> make_top(uint8_t variant, VerilatedContext* ctx, const char* name) {
    switch (variant) {
#define COSIM_MAKE_TOP(index, cls, root, poke) \
    case index:                               \
        return std::unique_ptr<Top>(new TopImpl<cls, poke != 0>(ctx, name));
        COSIM_FOR_EACH_VARIANT(COSIM_MAKE_TOP)
#undef COSIM_MAKE_TOP
    default:
        throw std::invalid_argument("no model variant " + std::to_string(variant));
    }
}

}  // namespace

Model::Model(rust::Str name, uint8_t variant) {
    ctx_ = std::make_unique<VerilatedContext>();
    ctx_->fatalOnError(false);
    ctx_->traceEverOn(true);
    ctx_->debug(0);
    Current cur(this, ctx_.get());
    std::string n(name.data(), name.size());
    top_ = make_top(variant, ctx_.get(), n.c_str());
}

Model::~Model() {
    {
        Current cur(this, ctx_.get());
        if (fst_) {
            fst_->close();
            fst_.reset();
        }
        finish_model();
        top_.reset();
    }
    ctx_.reset();
    // Never leave a dangling context behind as the thread's (or the last) one.
    Verilated::threadContextp(nullptr);
}

rust::Vec<size_t> Model::port_addrs() {
    rust::Vec<size_t> v;
    v.reserve(COSIM_PORT_COUNT);
    top_->port_addrs(v);
    return v;
}

uint32_t Model::eval() {
    Current cur(this, ctx_.get());
    top_->eval();
    if (fst_) fst_->dump(ctx_->time());
    ctx_->timeInc(1);
    return flags();
}

// A whole clock cycle in one eval (see Top::rise). Only for RTL whose outputs
// do not depend combinationally on its inputs. With a waveform open it takes
// two evals and dumps both, so the waveform shows the clock.
uint32_t Model::cycle() {
    Current cur(this, ctx_.get());
    if (fst_) {
        for (bool clk : {false, true}) {
            top_->set_clk(clk);
            top_->eval();
            fst_->dump(ctx_->time());
            ctx_->timeInc(1);
        }
    } else {
        top_->rise();
        ctx_->timeInc(2);
    }
    return flags();
}

uint32_t Model::flags() const {
    return (events_.empty() ? 0 : EVAL_EVENTS) | (out_.empty() ? 0 : EVAL_OUTPUT);
}

rust::String Model::take_output() {
    rust::String s = rust::String::lossy(out_.data(), out_.size());
    out_.clear();
    return s;
}

rust::Vec<RtlEvent> Model::take_events() {
    rust::Vec<RtlEvent> v;
    for (auto& e : events_) {
        RtlEvent r;
        r.kind = e.kind;
        r.file = rust::String::lossy(e.file.data(), e.file.size());
        r.line = e.line;
        r.hier = rust::String::lossy(e.hier.data(), e.hier.size());
        r.msg = rust::String::lossy(e.msg.data(), e.msg.size());
        v.push_back(std::move(r));
    }
    events_.clear();
    return v;
}

void Model::trace_open(rust::Str path) {
    if (fst_) throw std::runtime_error("a waveform file is already open");
    std::string p(path.data(), path.size());
    // fstWriterCreate does not report errors usefully; check the path first.
    if (FILE* f = std::fopen(p.c_str(), "wb")) {
        std::fclose(f);
    } else {
        throw std::runtime_error("cannot create waveform file " + p);
    }
    Current cur(this, ctx_.get());
    auto fst = std::make_unique<VerilatedFstC>();
    top_->trace(fst.get(), 99);
    fst->open(p.c_str());
    if (!fst->isOpen()) throw std::runtime_error("VerilatedFstC could not open " + p);
    fst_ = std::move(fst);
}

void Model::trace_close() {
    if (!fst_) return;
    Current cur(this, ctx_.get());
    fst_->close();
    fst_.reset();
}

bool Model::trace_is_open() const { return fst_ != nullptr; }

uint64_t Model::time() const { return ctx_->time(); }

void Model::finish_model() {
    if (finished_) return;
    finished_ = true;
    Current cur(this, ctx_.get());
    top_->final_();
}

void Model::record(uint8_t kind, const char* file, int line, const char* hier, const char* msg) {
    events_.push_back(PendingEvent{kind, file ? file : "", line, hier ? hier : "", msg ? msg : ""});
}

void Model::append_output(const char* text, size_t len) { out_.append(text, len); }

std::unique_ptr<Model> new_model(rust::Str name, uint8_t variant) {
    if (variant >= COSIM_VARIANT_COUNT) {
        throw std::invalid_argument("no model variant " + std::to_string(variant));
    }
    return std::make_unique<Model>(name, variant);
}

}  // namespace cosim

// ---- Verilator hooks (global namespace, names fixed by Verilator) ----------

static void cosim_record(uint8_t kind, const char* file, int line, const char* hier,
                         const char* msg) {
    if (cosim::tl_current) {
        cosim::tl_current->record(kind, file, line, hier, msg);
    } else {
        // Outside any eval of ours (should not happen): report, never exit.
        std::fprintf(stderr, "cosim: Verilator event outside a model call: %s:%d: %s\n",
                     file ? file : "?", line, msg ? msg : "");
    }
}

void vl_finish(const char* filename, int linenum, const char* hier) VL_MT_UNSAFE {
    cosim_record(cosim::KIND_FINISH, filename, linenum, hier, "$finish");
    Verilated::threadContextp()->gotFinish(true);
}

void vl_stop(const char* filename, int linenum, const char* hier) VL_MT_UNSAFE {
    cosim_record(cosim::KIND_STOP, filename, linenum, hier, "$stop");
    Verilated::threadContextp()->gotError(true);
    Verilated::threadContextp()->gotFinish(true);
}

void vl_fatal(const char* filename, int linenum, const char* hier, const char* msg) VL_MT_UNSAFE {
    cosim_record(cosim::KIND_FATAL, filename, linenum, hier, msg);
    Verilated::threadContextp()->gotError(true);
    Verilated::threadContextp()->gotFinish(true);
}

void cosim_vl_printf(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    std::string big;
    const char* text = buf;
    if (static_cast<size_t>(n) >= sizeof buf) {
        big.resize(static_cast<size_t>(n) + 1);
        va_start(ap, fmt);
        std::vsnprintf(&big[0], big.size(), fmt, ap);
        va_end(ap);
        text = big.data();
    }
    if (cosim::tl_current) {
        cosim::tl_current->append_output(text, static_cast<size_t>(n));
    } else {
        std::fputs(text, stderr);
    }
}
