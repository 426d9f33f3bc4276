// Pure C++ Verilator harness for nic_top.
//
// Models: host memory (sparse, 4 KiB pages) behind an in-order AXI4 slave with
// configurable read/write latency, seeded backpressure and injectable error
// regions; an AXI4-Lite master; an AXI-Stream source (RX, the "MAC") and sink
// (TX) with seeded idle/backpressure; a minimal driver (rings, doorbells,
// completion polling by phase bit).
//
// Clocking, one cycle (the Rust co-simulation uses the same scheme):
//   1. every model drives the DUT inputs for this cycle (from its own state)
//   2. clk_i = 0, eval
//   3. every model samples DUT outputs and records this cycle's handshakes
//   4. clk_i = 1, eval
//   5. every model updates its state from the recorded handshakes
//
// Modes:
//   tb_nic [--seed S] [-v]        functional smoke tests (exit 0 = all passed)
//   tb_nic --bench N [--seed S]   N frames of steady RX traffic, prints
//                                 cycles=<n> seconds=<s> cycles_per_sec=<r>
//          [--assert-off]         ... with assertions switched off at run time
//                                 (make ASSERT=0 builds without them instead)
//
// Bench traffic (mirror this exactly on the Rust side to compare):
//   AXI_DATA_W=64; memory: read latency 10 cycles (AR handshake -> first R
//   beat, then one beat per cycle), write latency 4 cycles (wlast handshake ->
//   B), every ready/valid of the memory and the stream models without
//   backpressure or gaps, no errors. Registers: RX_RING_BASE 0x1000_0000,
//   RX_CQ_BASE 0x1001_0000, RX_RING_SIZE 256, RX_HEADROOM 0, IRQ_MASK 0xF,
//   CTRL.ENABLE. Descriptor i (i in 0..256): addr 0x2000_0000 + i*2048, len
//   2048, tag i; all 256 posted before enabling (RX_PROD = 256). Source: 64-byte
//   frames back to back (byte j of frame k = (k*7 + j) & 0xff). Driver: every
//   cycle it looks at the next completion entry; when its phase matches it
//   checks the length and re-posts the same descriptor at RX_PROD (descriptor
//   write into memory); whenever the AXI-Lite master is idle and RX_PROD has
//   moved since the last doorbell, it writes RX_PROD (one write in flight at a
//   time). The run ends when N completions were seen; seconds is the wall time
//   of the cycle loop only (after reset and configuration).
#include "Vnic_top.h"
#include "verilated.h"
#include "nic_regs.h"

#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#ifndef RX_OVERLAP
#define RX_OVERLAP 1
#endif
#ifndef DATA_W
#define DATA_W 64
#endif

using namespace nic;

static constexpr int BW = DATA_W / 8;
static bool g_verbose = false;
static int g_failures = 0;

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      ++g_failures;                                                             \
      std::printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);               \
      std::printf(__VA_ARGS__);                                                 \
      std::printf("\n");                                                        \
      if (g_failures > 20) std::exit(1);                                        \
    }                                                                           \
  } while (0)

static void vlog(const char* fmt, ...) {
  if (!g_verbose) return;
  va_list ap;
  va_start(ap, fmt);
  std::vprintf(fmt, ap);
  va_end(ap);
}

// ---------------------------------------------------------------------------
// Port data helpers (64-bit data is a uint64_t port, 128-bit a VlWide<4>)
// ---------------------------------------------------------------------------
static inline void to_bytes(uint64_t v, uint8_t* b) { std::memcpy(b, &v, 8); }
template <std::size_t N>
static inline void to_bytes(const VlWide<N>& v, uint8_t* b) {
  for (std::size_t i = 0; i < N; i++) {
    uint32_t w = v.at(i);
    std::memcpy(b + 4 * i, &w, 4);
  }
}
static inline void from_bytes(uint64_t& v, const uint8_t* b) { std::memcpy(&v, b, 8); }
template <std::size_t N>
static inline void from_bytes(VlWide<N>& v, const uint8_t* b) {
  for (std::size_t i = 0; i < N; i++) {
    uint32_t w;
    std::memcpy(&w, b + 4 * i, 4);
    v.at(i) = w;
  }
}

// ---------------------------------------------------------------------------
// Deterministic RNG (splitmix64)
// ---------------------------------------------------------------------------
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL) {}
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
  // probability p in [0, 1)
  bool chance(double p) { return p > 0.0 && static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
};

// ---------------------------------------------------------------------------
// Host memory: sparse 4 KiB pages, zero on first touch
// ---------------------------------------------------------------------------
struct Mem {
  static constexpr uint64_t PG = 4096;
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages;
  uint64_t last_pn = ~0ULL;
  uint8_t* last_pg = nullptr;

  uint8_t* page(uint64_t a) {
    uint64_t pn = a / PG;
    if (pn == last_pn) return last_pg;
    auto& p = pages[pn];
    if (!p) {
      p.reset(new uint8_t[PG]);
      std::memset(p.get(), 0, PG);
    }
    last_pn = pn;
    last_pg = p.get();
    return last_pg;
  }
  uint8_t rd8(uint64_t a) { return page(a)[a % PG]; }
  void wr8(uint64_t a, uint8_t v) { page(a)[a % PG] = v; }
  void read(uint64_t a, void* dst, std::size_t n) {
    auto* d = static_cast<uint8_t*>(dst);
    while (n) {
      std::size_t k = std::min<std::size_t>(n, PG - a % PG);
      std::memcpy(d, page(a) + a % PG, k);
      a += k; d += k; n -= k;
    }
  }
  void write(uint64_t a, const void* src, std::size_t n) {
    auto* s = static_cast<const uint8_t*>(src);
    while (n) {
      std::size_t k = std::min<std::size_t>(n, PG - a % PG);
      std::memcpy(page(a) + a % PG, s, k);
      a += k; s += k; n -= k;
    }
  }
  void fill(uint64_t a, uint8_t v, std::size_t n) {
    while (n) {
      std::size_t k = std::min<std::size_t>(n, PG - a % PG);
      std::memset(page(a) + a % PG, v, k);
      a += k; n -= k;
    }
  }
  uint32_t rd32(uint64_t a) { uint32_t v; read(a, &v, 4); return v; }
  uint16_t rd16(uint64_t a) { uint16_t v; read(a, &v, 2); return v; }
  void wr32(uint64_t a, uint32_t v) { write(a, &v, 4); }
  void wr64(uint64_t a, uint64_t v) { write(a, &v, 8); }
};

// ---------------------------------------------------------------------------
// AXI4 slave over Mem: in order, fixed latencies, seeded backpressure, errors
// ---------------------------------------------------------------------------
struct AxiCfg {
  unsigned rd_lat = 10;
  unsigned wr_lat = 4;
  double bp = 0.0;   // probability of a ready low / a valid gap per cycle
  uint64_t seed = 1;
};

struct ErrRegion {
  uint64_t lo, hi;   // [lo, hi)
  uint8_t resp;      // 2 SLVERR, 3 DECERR
  bool on_read, on_write;
};

struct AxiSlave {
  Mem& mem;
  AxiCfg cfg;
  Rng rng;
  std::vector<ErrRegion> errs;

  struct AW { uint64_t addr; unsigned len, id, beat; uint8_t resp; };
  struct WBeat { uint8_t data[BW]; uint32_t strb; bool last; };
  struct B { uint64_t due; unsigned id; uint8_t resp; };
  struct R { uint64_t due, addr; unsigned len, id, beat; uint8_t resp; };
  std::deque<AW> aw_q;
  std::deque<WBeat> w_buf;
  std::deque<B> b_q;
  std::deque<R> r_q;

  bool awready = false, wready = false, arready = false, bvalid = false, rvalid = false;
  bool aw_hs = false, w_hs = false, ar_hs = false, b_hs = false, r_hs = false;
  AW aw_new{};
  WBeat w_new{};
  R ar_new{};
  uint64_t bytes_written = 0, wr_bursts = 0, rd_bursts = 0, proto_errors = 0;

  AxiSlave(Mem& m, AxiCfg c) : mem(m), cfg(c), rng(c.seed) {}

  void proto(const char* what, uint64_t cyc) {
    ++proto_errors;
    std::printf("AXI protocol violation at cycle %" PRIu64 ": %s\n", cyc, what);
  }

  uint8_t resp_for(uint64_t a, uint64_t n, bool write) const {
    for (const auto& e : errs)
      if (a < e.hi && a + n > e.lo && (write ? e.on_write : e.on_read)) return e.resp;
    return 0;
  }

  void drive(Vnic_top* m, uint64_t cyc) {
    const bool bp = cfg.bp > 0.0;
    awready = aw_q.size() < 16 && !(bp && rng.chance(cfg.bp));
    wready = !(bp && rng.chance(cfg.bp));
    arready = r_q.size() < 16 && !(bp && rng.chance(cfg.bp));
    m->m_axi_awready_i = awready;
    m->m_axi_wready_i = wready;
    m->m_axi_arready_i = arready;
    if (!bvalid) bvalid = !b_q.empty() && b_q.front().due <= cyc && !(bp && rng.chance(cfg.bp));
    m->m_axi_bvalid_i = bvalid;
    if (bvalid) {
      m->m_axi_bid_i = b_q.front().id;
      m->m_axi_bresp_i = b_q.front().resp;
    }
    if (!rvalid) rvalid = !r_q.empty() && r_q.front().due <= cyc && !(bp && rng.chance(cfg.bp));
    m->m_axi_rvalid_i = rvalid;
    if (rvalid) {
      const R& r = r_q.front();
      uint8_t buf[BW];
      if (r.resp == 0) mem.read(r.addr + uint64_t(r.beat) * BW, buf, BW);
      else std::memset(buf, 0xEE, BW);
      from_bytes(m->m_axi_rdata_i, buf);
      m->m_axi_rid_i = r.id;
      m->m_axi_rresp_i = r.resp;
      m->m_axi_rlast_i = (r.beat == r.len);
    }
  }

  void sample(Vnic_top* m, uint64_t cyc) {
    aw_hs = m->m_axi_awvalid_o && awready;
    if (aw_hs) {
      aw_new = AW{m->m_axi_awaddr_o, m->m_axi_awlen_o, m->m_axi_awid_o, 0, 0};
      uint64_t n = uint64_t(aw_new.len + 1) * BW;
      aw_new.resp = resp_for(aw_new.addr, n, true);
      if (m->m_axi_awburst_o != 1) proto("AW: awburst is not INCR", cyc);
      if ((1u << m->m_axi_awsize_o) != unsigned(BW)) proto("AW: awsize is not the bus width", cyc);
      if ((aw_new.addr & 0xFFF) + n > 4096) proto("AW: burst crosses 4 KiB", cyc);
    }
    w_hs = m->m_axi_wvalid_o && wready;
    if (w_hs) {
      to_bytes(m->m_axi_wdata_o, w_new.data);
      w_new.strb = m->m_axi_wstrb_o;
      w_new.last = m->m_axi_wlast_o;
    }
    ar_hs = m->m_axi_arvalid_o && arready;
    if (ar_hs) {
      ar_new = R{0, m->m_axi_araddr_o, m->m_axi_arlen_o, m->m_axi_arid_o, 0, 0};
      uint64_t n = uint64_t(ar_new.len + 1) * BW;
      ar_new.resp = resp_for(ar_new.addr, n, false);
      if (m->m_axi_arburst_o != 1) proto("AR: arburst is not INCR", cyc);
      if ((1u << m->m_axi_arsize_o) != unsigned(BW)) proto("AR: arsize is not the bus width", cyc);
      if ((ar_new.addr & 0xFFF) + n > 4096) proto("AR: burst crosses 4 KiB", cyc);
    }
    b_hs = bvalid && m->m_axi_bready_o;
    r_hs = rvalid && m->m_axi_rready_o;
  }

  void update(uint64_t cyc) {
    if (aw_hs) {
      aw_q.push_back(aw_new);
      ++wr_bursts;
    }
    if (w_hs) w_buf.push_back(w_new);
    while (!w_buf.empty() && !aw_q.empty()) {
      AW& aw = aw_q.front();
      const WBeat& w = w_buf.front();
      uint64_t base = (aw.addr & ~uint64_t(BW - 1)) + uint64_t(aw.beat) * BW;
      if (aw.resp == 0) {
        for (int l = 0; l < BW; l++)
          if (w.strb >> l & 1) {
            mem.wr8(base + l, w.data[l]);
            ++bytes_written;
          }
      }
      if (w.last != (aw.beat == aw.len)) proto("W: wlast does not match awlen", cyc);
      w_buf.pop_front();
      if (++aw.beat > aw.len) {
        b_q.push_back(B{cyc + cfg.wr_lat, aw.id, aw.resp});
        aw_q.pop_front();
      }
    }
    if (b_hs) {
      b_q.pop_front();
      bvalid = false;
    }
    if (ar_hs) {
      ar_new.due = cyc + cfg.rd_lat;
      r_q.push_back(ar_new);
      ++rd_bursts;
    }
    if (r_hs) {
      R& r = r_q.front();
      if (++r.beat > r.len) r_q.pop_front();
      rvalid = false;
    }
  }
};

// ---------------------------------------------------------------------------
// AXI4-Lite master (one transaction at a time)
// ---------------------------------------------------------------------------
struct LiteMaster {
  enum St { IDLE, WR, RD } st = IDLE;
  bool aw_done = false, w_done = false, ar_done = false, done = true;
  uint32_t addr = 0, data = 0, rdata = 0;
  uint8_t strb = 0xF, resp = 0;
  bool aw_hs = false, w_hs = false, b_hs = false, ar_hs = false, r_hs = false;

  bool idle() const { return st == IDLE; }
  void start_write(uint32_t a, uint32_t d, uint8_t s = 0xF) {
    st = WR; addr = a; data = d; strb = s; aw_done = w_done = false; done = false;
  }
  void start_read(uint32_t a) { st = RD; addr = a; ar_done = false; done = false; }

  void drive(Vnic_top* m) {
    m->s_axil_awvalid_i = (st == WR) && !aw_done;
    m->s_axil_awaddr_i = addr;
    m->s_axil_wvalid_i = (st == WR) && !w_done;
    m->s_axil_wdata_i = data;
    m->s_axil_wstrb_i = strb;
    m->s_axil_bready_i = 1;
    m->s_axil_arvalid_i = (st == RD) && !ar_done;
    m->s_axil_araddr_i = addr;
    m->s_axil_rready_i = 1;
  }
  void sample(Vnic_top* m) {
    aw_hs = m->s_axil_awvalid_i && m->s_axil_awready_o;
    w_hs = m->s_axil_wvalid_i && m->s_axil_wready_o;
    b_hs = m->s_axil_bvalid_o && m->s_axil_bready_i;
    if (b_hs) resp = m->s_axil_bresp_o;
    ar_hs = m->s_axil_arvalid_i && m->s_axil_arready_o;
    r_hs = m->s_axil_rvalid_o && m->s_axil_rready_i;
    if (r_hs) {
      rdata = m->s_axil_rdata_o;
      resp = m->s_axil_rresp_o;
    }
  }
  void update() {
    if (aw_hs) aw_done = true;
    if (w_hs) w_done = true;
    if (ar_hs) ar_done = true;
    if ((b_hs && st == WR) || (r_hs && st == RD)) {
      st = IDLE;
      done = true;
    }
  }
};

// ---------------------------------------------------------------------------
// AXI-Stream source (RX into the NIC) and sink (TX out of the NIC)
// ---------------------------------------------------------------------------
struct StreamSrc {
  std::deque<std::vector<uint8_t>> frames;
  std::size_t off = 0;
  bool valid = false, hs = false;
  double idle = 0.0;
  Rng rng{7};
  uint64_t frames_sent = 0;

  void push(std::vector<uint8_t> f) { frames.push_back(std::move(f)); }
  void drive(Vnic_top* m) {
    if (!valid) valid = !frames.empty() && !(idle > 0.0 && rng.chance(idle));
    m->s_axis_rx_tvalid_i = valid;
    if (valid) {
      const auto& f = frames.front();
      std::size_t n = std::min<std::size_t>(BW, f.size() - off);
      uint8_t buf[BW] = {0};
      std::memcpy(buf, f.data() + off, n);
      from_bytes(m->s_axis_rx_tdata_i, buf);
      m->s_axis_rx_tkeep_i = (n == BW) ? ((BW == 64 / 8) ? 0xFFu : 0xFFFFu) : ((1u << n) - 1);
      m->s_axis_rx_tlast_i = (off + n >= f.size());
    }
  }
  void sample(Vnic_top* m) { hs = valid && m->s_axis_rx_tready_o; }
  void update() {
    if (!hs) return;
    off += BW;
    if (off >= frames.front().size()) {
      frames.pop_front();
      off = 0;
      ++frames_sent;
    }
    valid = false;
  }
};

struct StreamSink {
  double bp = 0.0;
  Rng rng{11};
  bool ready = false, hs = false, tvalid = false, last = false;
  uint8_t data[BW];
  uint32_t keep = 0;
  std::vector<uint8_t> cur;
  std::deque<std::vector<uint8_t>> got;
  uint64_t errors = 0;

  void drive(Vnic_top* m) {
    ready = !(bp > 0.0 && rng.chance(bp));
    m->m_axis_tx_tready_i = ready;
  }
  void sample(Vnic_top* m) {
    tvalid = m->m_axis_tx_tvalid_o;
    hs = tvalid && ready;
    if (hs) {
      to_bytes(m->m_axis_tx_tdata_o, data);
      keep = m->m_axis_tx_tkeep_o;
      last = m->m_axis_tx_tlast_o;
    }
  }
  void update(uint64_t cyc) {
    if (!cur.empty() && !tvalid) {
      ++errors;
      std::printf("TX stream: tvalid gap inside a frame at cycle %" PRIu64 "\n", cyc);
    }
    if (!hs) return;
    uint32_t full = (1u << BW) - 1;
    if ((keep & (keep + 1)) != 0 || keep == 0 || (!last && keep != full)) {
      ++errors;
      std::printf("TX stream: bad tkeep 0x%x (last=%d) at cycle %" PRIu64 "\n", keep, last, cyc);
    }
    for (int l = 0; l < BW; l++)
      if (keep >> l & 1) cur.push_back(data[l]);
    if (last) {
      got.push_back(std::move(cur));
      cur.clear();
    }
  }
};

// ---------------------------------------------------------------------------
// The simulation: DUT + models + the cycle scheme
// ---------------------------------------------------------------------------
struct Sim {
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Vnic_top> m;
  uint64_t cyc = 0;
  Mem mem;
  AxiSlave axi;
  LiteMaster lite;
  StreamSrc src;
  StreamSink sink;
  bool irq_seen = false;

  explicit Sim(AxiCfg cfg) : ctx(new VerilatedContext), axi(mem, cfg) {
    ctx->fatalOnError(true);
    m.reset(new Vnic_top(ctx.get(), "nic"));
    src.rng = Rng(cfg.seed * 3 + 1);
    sink.rng = Rng(cfg.seed * 5 + 2);
    m->rst_ni = 0;
    m->clk_i = 0;
    for (int i = 0; i < 5; i++) tick();
    m->rst_ni = 1;
    tick();
  }
  ~Sim() { m->final(); }

  inline void tick() {
    axi.drive(m.get(), cyc);
    lite.drive(m.get());
    src.drive(m.get());
    sink.drive(m.get());
    m->clk_i = 0;
    m->eval();
    axi.sample(m.get(), cyc);
    lite.sample(m.get());
    src.sample(m.get());
    sink.sample(m.get());
    m->clk_i = 1;
    m->eval();
    ctx->timeInc(1);
    axi.update(cyc);
    lite.update();
    src.update();
    sink.update(cyc);
    irq_seen |= m->irq_o;
    ++cyc;
  }

  uint32_t rd(uint32_t a, uint8_t* resp = nullptr) {
    lite.start_read(a);
    while (!lite.done) tick();
    if (resp) *resp = lite.resp;
    else CHECK(lite.resp == 0, "read 0x%03x: resp %u", a, lite.resp);
    return lite.rdata;
  }
  uint8_t wr(uint32_t a, uint32_t d, bool expect_ok = true) {
    lite.start_write(a, d);
    while (!lite.done) tick();
    if (expect_ok) CHECK(lite.resp == 0, "write 0x%03x = 0x%x: resp %u", a, d, lite.resp);
    return lite.resp;
  }
  // tick until cond() or the budget runs out; returns cond()
  bool run_until(const std::function<bool()>& cond, uint64_t budget) {
    for (uint64_t i = 0; i < budget; i++) {
      if (cond()) return true;
      tick();
    }
    return cond();
  }
  void soft_reset() {
    wr(REG_CTRL, 1u << CTRL_SOFT_RESET_LSB);
    bool ok = run_until([&] { return ((rd(REG_CTRL) >> CTRL_SOFT_RESET_LSB) & 1) == 0; }, 20000);
    CHECK(ok, "soft reset did not complete");
  }
};

// ---------------------------------------------------------------------------
// Driver helpers: rings, descriptors, completions
// ---------------------------------------------------------------------------
struct Cpl {
  uint32_t len, tag;
  uint16_t idx;
  uint8_t status, flags;
  uint32_t ts;
};

struct Ring {
  uint64_t base = 0, cq = 0;
  uint32_t size = 0;
  uint16_t prod = 0;      // next descriptor slot to post (free running)
  uint32_t seen = 0;      // completions consumed (free running)

  void post(Mem& mem, uint64_t addr, uint32_t len, uint32_t tag) {
    uint64_t a = base + DESC_SIZE * (prod % size);
    mem.wr64(a + DESC_ADDR_OFF, addr);
    mem.wr32(a + DESC_LEN_OFF, len);
    mem.wr32(a + DESC_TAG_OFF, tag);
    ++prod;
  }
  uint64_t cpl_addr(uint32_t c) const { return cq + CPL_SIZE * (c % size); }
  bool cpl_ready(Mem& mem) const {
    uint8_t want = ((seen / size) % 2 == 0) ? CPL_FLAG_PHASE : 0;
    return (mem.rd8(cpl_addr(seen) + CPL_FLAGS_OFF) & CPL_FLAG_PHASE) == want;
  }
  Cpl take(Mem& mem) {
    uint64_t a = cpl_addr(seen++);
    Cpl c;
    c.len = mem.rd32(a + CPL_LEN_OFF);
    c.tag = mem.rd32(a + CPL_TAG_OFF);
    c.idx = mem.rd16(a + CPL_DESC_IDX_OFF);
    c.status = mem.rd8(a + CPL_STATUS_OFF);
    c.flags = mem.rd8(a + CPL_FLAGS_OFF);
    c.ts = mem.rd32(a + CPL_TS_OFF);
    return c;
  }
};

static void setup_rx(Sim& s, Ring& r, uint64_t base, uint64_t cq, uint32_t size) {
  r = Ring{};
  r.base = base; r.cq = cq; r.size = size;
  s.mem.fill(cq, 0, CPL_SIZE * size);
  s.wr(REG_RX_RING_BASE_LO, uint32_t(base));
  s.wr(REG_RX_RING_BASE_HI, uint32_t(base >> 32));
  s.wr(REG_RX_CQ_BASE_LO, uint32_t(cq));
  s.wr(REG_RX_CQ_BASE_HI, uint32_t(cq >> 32));
  s.wr(REG_RX_RING_SIZE, size);
}
static void setup_tx(Sim& s, Ring& r, uint64_t base, uint64_t cq, uint32_t size) {
  r = Ring{};
  r.base = base; r.cq = cq; r.size = size;
  s.mem.fill(cq, 0, CPL_SIZE * size);
  s.wr(REG_TX_RING_BASE_LO, uint32_t(base));
  s.wr(REG_TX_RING_BASE_HI, uint32_t(base >> 32));
  s.wr(REG_TX_CQ_BASE_LO, uint32_t(cq));
  s.wr(REG_TX_CQ_BASE_HI, uint32_t(cq >> 32));
  s.wr(REG_TX_RING_SIZE, size);
}

static std::vector<uint8_t> make_frame(Rng& rng, std::size_t len) {
  std::vector<uint8_t> f(len);
  for (auto& b : f) b = uint8_t(rng.next());
  return f;
}

static constexpr uint8_t GUARD = 0xA5;
static constexpr uint64_t GUARD_PAD = 64;

// RX buffers: unaligned starts, guard bytes all around
struct RxBufs {
  uint64_t region = 0x40000000ULL;
  uint32_t buf_len = 1536;    // descriptor len (room at addr + headroom)
  uint32_t headroom = 0;
  uint64_t stride = 0x2000;
  uint64_t page_off = 0;      // e.g. 0xF00: payload crosses 4 KiB boundaries
  uint64_t addr(uint32_t i) const {
    return region + uint64_t(i) * stride + page_off + (i * 13u) % 61u + GUARD_PAD;
  }
  void guard(Mem& mem, uint32_t i) const {
    mem.fill(addr(i) - GUARD_PAD, GUARD, GUARD_PAD * 2 + headroom + buf_len);
  }
  // payload at addr + headroom, guard everywhere else in the region
  bool check(Mem& mem, uint32_t i, const std::vector<uint8_t>& f, bool quiet = false) const {
    uint64_t lo = addr(i) - GUARD_PAD, hi = addr(i) + headroom + buf_len + GUARD_PAD;
    uint64_t p = addr(i) + headroom;
    for (uint64_t a = lo; a < hi; a++) {
      uint8_t want = (a >= p && a < p + f.size()) ? f[a - p] : GUARD;
      if (mem.rd8(a) != want) {
        if (quiet) return false;
        std::printf("  buffer %u: byte at 0x%" PRIx64 " (offset %" PRId64 " from payload) is 0x%02x, want 0x%02x\n",
                    i, a, int64_t(a - p), mem.rd8(a), want);
        return false;
      }
    }
    return true;
  }
};

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------
static void test_registers(uint64_t seed) {
  std::printf("-- registers\n");
  Sim s(AxiCfg{10, 4, 0.0, seed});
  uint8_t resp;
  CHECK(s.rd(REG_ID) == DEVICE_ID, "ID");
  CHECK(s.rd(REG_VERSION) == DEVICE_VERSION, "VERSION");
  CHECK(s.rd(REG_IRQ_MASK) == RST_IRQ_MASK, "IRQ_MASK reset");
  CHECK(s.rd(REG_MAX_FRAME_LEN) == RST_MAX_FRAME_LEN, "MAX_FRAME_LEN reset");
  CHECK(s.rd(REG_IRQ_COAL_FRAMES) == RST_IRQ_COAL_FRAMES, "IRQ_COAL_FRAMES reset");
  CHECK(((s.rd(REG_STATUS) >> STATUS_IDLE_LSB) & 1) == 1, "STATUS.IDLE after reset");
  s.rd(0xFFC, &resp);
  CHECK(resp == 3, "unmapped read -> DECERR, got %u", resp);
  CHECK(s.wr(0xFFC, 1, false) == 3, "unmapped write -> DECERR");
  CHECK(s.wr(REG_ID, 1, false) == 2, "write to ro ID -> SLVERR");
  CHECK(s.wr(REG_STAT_RX_FRAMES, 1, false) == 2, "write to ro STAT -> SLVERR");
  for (uint32_t bad : {0u, 1u, 3u, 6u, 8192u, 4097u})
    CHECK(s.wr(REG_RX_RING_SIZE, bad, false) == 2, "RX_RING_SIZE %u -> SLVERR", bad);
  CHECK(s.wr(REG_TX_RING_SIZE, 4096, false) == 0, "TX_RING_SIZE 4096 ok");
  CHECK(s.wr(REG_RX_RING_SIZE, 2, false) == 0, "RX_RING_SIZE 2 ok");
  CHECK(s.wr(REG_RX_RING_SIZE, 64, false) == 0, "RX_RING_SIZE 64 ok");
  CHECK(s.rd(REG_RX_RING_SIZE) == 64, "RX_RING_SIZE readback");
  CHECK(s.wr(REG_RX_RING_BASE_LO, 0x1008, false) == 2, "misaligned ring base -> SLVERR");
  CHECK(s.wr(REG_RX_CQ_BASE_LO, 0x1004, false) == 2, "misaligned cq base -> SLVERR");
  CHECK(s.wr(REG_RX_RING_BASE_LO, 0x1010, false) == 0, "aligned ring base ok");
  CHECK(s.wr(REG_MAX_FRAME_LEN, 13, false) == 2, "MAX_FRAME_LEN 13 -> SLVERR");
  CHECK(s.wr(REG_MAX_FRAME_LEN, MAX_FRAME_CAP + 1, false) == 2, "MAX_FRAME_LEN cap+1 -> SLVERR");
  CHECK(s.wr(REG_MAX_FRAME_LEN, MAX_FRAME_CAP, false) == 0, "MAX_FRAME_LEN cap ok");
  CHECK(s.wr(REG_MAX_FRAME_LEN, 14, false) == 0, "MAX_FRAME_LEN 14 ok");
  CHECK(s.wr(REG_RX_HEADROOM, 4096, false) == 2, "RX_HEADROOM 4096 -> SLVERR");
  CHECK(s.wr(REG_RX_HEADROOM, 4095, false) == 0, "RX_HEADROOM 4095 ok");
  CHECK(s.wr(REG_RX_PROD, 65, false) == 2, "doorbell 65 ahead of 64-entry ring -> SLVERR");
  CHECK(s.wr(REG_RX_PROD, 64, false) == 0, "doorbell 64 ok");
  CHECK(s.rd(REG_RX_PROD) == 64, "RX_PROD readback");
  CHECK(s.wr(REG_RX_RING_SIZE, 32, false) == 0, "ring size rewrite");
  CHECK(s.rd(REG_RX_PROD) == 0, "RING_SIZE write zeroes PROD");
  s.wr(REG_CTRL, 1u << CTRL_ENABLE_LSB);
  CHECK(s.wr(REG_RX_RING_SIZE, 64, false) == 2, "ring config while ENABLE -> SLVERR");
  CHECK(s.wr(REG_TX_RING_BASE_HI, 1, false) == 2, "ring base while ENABLE -> SLVERR");
  CHECK(s.wr(REG_RX_CQ_BASE_LO, 0x2000, false) == 2, "cq base while ENABLE -> SLVERR");
  s.wr(REG_CTRL, 0);
  s.wr(REG_IRQ_COAL_CYCLES, 0x12345678);
  CHECK(s.rd(REG_IRQ_COAL_CYCLES) == 0x12345678, "COAL_CYCLES readback");
  // byte strobes on an rw register
  s.lite.start_write(REG_IRQ_COAL_CYCLES, 0xAABBCCDD, 0x2);
  while (!s.lite.done) s.tick();
  CHECK(s.rd(REG_IRQ_COAL_CYCLES) == 0x1234CC78, "wstrb merge: 0x%08x", s.rd(REG_IRQ_COAL_CYCLES));
  s.soft_reset();
  CHECK(s.rd(REG_IRQ_COAL_CYCLES) == RST_IRQ_COAL_CYCLES, "soft reset restores COAL_CYCLES");
  CHECK(s.rd(REG_MAX_FRAME_LEN) == RST_MAX_FRAME_LEN, "soft reset restores MAX_FRAME_LEN");
  CHECK(s.rd(REG_RX_RING_SIZE) == 0, "soft reset restores RX_RING_SIZE");
}

// RX with guard bytes; returns a digest of completions (without ts) + payloads
static uint64_t test_rx(uint64_t seed, AxiCfg cfg, double src_idle, uint32_t nframes, uint32_t headroom,
                        uint32_t ring_size, uint32_t coal_frames, const char* name, bool jumbo = false,
                        uint64_t ring_base = 0x10000000ULL) {
  std::printf("-- rx: %s (%u frames, headroom %u, ring %u, rd_lat %u wr_lat %u bp %.2f)\n", name, nframes,
              headroom, ring_size, cfg.rd_lat, cfg.wr_lat, cfg.bp);
  Sim s(cfg);
  s.src.idle = src_idle;
  Rng rng(seed);
  Ring r;
  RxBufs bufs;
  bufs.headroom = headroom;
  const uint32_t max_len = jumbo ? uint32_t(MAX_FRAME_CAP) : 1518;
  if (jumbo) {
    bufs.buf_len = max_len + 64;
    bufs.stride = 0x4000;
    bufs.page_off = 0xF00;
    s.wr(REG_MAX_FRAME_LEN, max_len);
  }
  setup_rx(s, r, ring_base, 0x10100000ULL, ring_size);
  s.wr(REG_RX_HEADROOM, headroom);
  s.wr(REG_IRQ_COAL_FRAMES, coal_frames);
  s.wr(REG_IRQ_MASK, 0xF & ~(1u << IRQ_STATUS_RX_CQ_LSB));
  // slot i of the ring always holds buffer i (recycled in place)
  for (uint32_t i = 0; i < ring_size; i++) {
    bufs.guard(s.mem, i);
    r.post(s.mem, bufs.addr(i), bufs.buf_len, 0x1000 + i);
  }
  s.wr(REG_RX_PROD, r.prod);
  s.wr(REG_CTRL, 1u << CTRL_ENABLE_LSB);

  std::deque<std::vector<uint8_t>> expect;
  const uint32_t fixed[] = {60, 61, 62, 63, 64, 65, 66, 67, 71, 127, 128, 129, 1514, 1517, 1518};
  uint64_t bytes = 0;
  for (uint32_t k = 0; k < nframes; k++) {
    uint32_t len = k < sizeof(fixed) / sizeof(fixed[0]) ? fixed[k] : 60 + rng.below(max_len - 60 + 1);
    if (jumbo && k == nframes - 1) len = max_len;
    auto f = make_frame(rng, len);
    bytes += len;
    expect.push_back(f);
    s.src.push(std::move(f));
  }
  uint64_t digest = 1469598103934665603ULL;
  auto mix = [&](uint64_t v) { digest = (digest ^ v) * 1099511628211ULL; };
  uint32_t done = 0;
  uint64_t budget = 200000 + uint64_t(nframes) * (jumbo ? 20000 : 3000);
  uint64_t start = s.cyc;
  uint16_t last_db = r.prod;
  while (done < nframes && s.cyc - start < budget) {
    if (r.cpl_ready(s.mem)) {
      uint32_t c = r.seen;
      Cpl cp = r.take(s.mem);
      uint32_t slot = c % ring_size;
      const auto& f = expect.front();
      CHECK(cp.len == f.size(), "completion %u: len %u, want %zu", c, cp.len, f.size());
      CHECK(cp.tag == 0x1000 + slot, "completion %u: tag 0x%x", c, cp.tag);
      CHECK(cp.idx == uint16_t(c), "completion %u: desc_idx %u", c, cp.idx);
      CHECK(cp.status == CPL_STATUS_OK, "completion %u: status %u", c, cp.status);
      CHECK(bufs.check(s.mem, slot, f), "completion %u: payload/guard mismatch (len %zu)", c, f.size());
      mix(cp.len); mix(cp.tag); mix(cp.idx); mix(cp.status); mix(cp.flags);
      for (uint8_t b : f) mix(b);
      expect.pop_front();
      ++done;
      // recycle the buffer into the same slot
      bufs.guard(s.mem, slot);
      r.post(s.mem, bufs.addr(slot), bufs.buf_len, 0x1000 + slot);
    } else if (r.prod != last_db && s.lite.idle()) {
      s.lite.start_write(REG_RX_PROD, r.prod);
      last_db = r.prod;
    } else {
      s.tick();
    }
  }
  CHECK(done == nframes, "only %u of %u frames completed", done, nframes);
  while (!s.lite.idle()) s.tick();
  s.run_until([&] { return ((s.rd(REG_STATUS) >> STATUS_IDLE_LSB) & 1) == 1; }, 5000);
  CHECK(s.rd(REG_STAT_RX_FRAMES) == nframes, "STAT_RX_FRAMES %u", s.rd(REG_STAT_RX_FRAMES));
  CHECK(s.rd(REG_STAT_RX_BYTES) == uint32_t(bytes), "STAT_RX_BYTES %u want %" PRIu64, s.rd(REG_STAT_RX_BYTES), bytes);
  CHECK(s.rd(REG_STAT_RX_DROP_NO_DESC) == 0, "no NO_DESC drops");
  CHECK(s.rd(REG_STAT_RX_DROP_TOO_LONG) == 0, "no TOO_LONG drops");
  CHECK(s.rd(REG_STAT_RX_DROP_OFF) == 0, "no OFF drops");
  CHECK(s.rd(REG_RX_CQ_PROD) == (nframes & 0xFFFF), "RX_CQ_PROD");
  CHECK(s.axi.bytes_written == bytes + uint64_t(CPL_SIZE) * nframes,
        "DMA wrote %" PRIu64 " bytes, want payload+completions %" PRIu64, s.axi.bytes_written,
        bytes + uint64_t(CPL_SIZE) * nframes);
  CHECK(s.irq_seen, "irq_o never rose");
  CHECK(((s.rd(REG_IRQ_STATUS) >> IRQ_STATUS_RX_CQ_LSB) & 1) == 1, "IRQ_STATUS.RX_CQ");
  CHECK(s.axi.proto_errors == 0, "AXI protocol errors");
  s.wr(REG_IRQ_STATUS, 1u << IRQ_STATUS_RX_CQ_LSB);
  CHECK(((s.rd(REG_IRQ_STATUS) >> IRQ_STATUS_RX_CQ_LSB) & 1) == 0, "IRQ_STATUS w1c");
  CHECK(s.m->irq_o == 0, "irq_o low after clear");
  std::printf("   %u frames, %" PRIu64 " bytes, %" PRIu64 " cycles, digest %016" PRIx64 "\n", nframes, bytes,
              s.cyc - start, digest);
  return digest;
}

static void test_rx_drops(uint64_t seed) {
  std::printf("-- rx drops: no descriptor, too long, disabled; recovery\n");
  Sim s(AxiCfg{6, 3, 0.1, seed});
  Rng rng(seed + 100);
  Ring r;
  RxBufs bufs;
  bufs.headroom = 2;
  setup_rx(s, r, 0x10000000ULL, 0x10100000ULL, 8);
  s.wr(REG_RX_HEADROOM, 2);
  s.wr(REG_IRQ_MASK, 0xF & ~(1u << IRQ_STATUS_RX_DROP_LSB));
  s.wr(REG_CTRL, 1u << CTRL_ENABLE_LSB);
  // no descriptor posted
  for (int k = 0; k < 5; k++) s.src.push(make_frame(rng, 60 + k * 100));
  CHECK(s.run_until([&] { return s.rd(REG_STAT_RX_DROP_NO_DESC) == 5; }, 20000), "5 NO_DESC drops, got %u",
        s.rd(REG_STAT_RX_DROP_NO_DESC));
  CHECK(((s.rd(REG_IRQ_STATUS) >> IRQ_STATUS_RX_DROP_LSB) & 1) == 1, "IRQ_STATUS.RX_DROP");
  CHECK(s.irq_seen, "irq for RX_DROP");
  // recovery
  for (uint32_t i = 0; i < 4; i++) {
    bufs.guard(s.mem, i);
    r.post(s.mem, bufs.addr(i), bufs.buf_len, i);
  }
  s.wr(REG_RX_PROD, r.prod);
  std::vector<std::vector<uint8_t>> fr;
  for (int k = 0; k < 4; k++) {
    fr.push_back(make_frame(rng, 61 + k * 333));
    s.src.push(fr.back());
  }
  for (uint32_t k = 0; k < 4; k++) {
    CHECK(s.run_until([&] { return r.cpl_ready(s.mem); }, 20000), "recovery completion %u", k);
    Cpl c = r.take(s.mem);
    CHECK(c.len == fr[k].size() && c.tag == k && c.idx == k, "recovery completion %u: len %u tag %u idx %u", k,
          c.len, c.tag, c.idx);
    CHECK(bufs.check(s.mem, k, fr[k]), "recovery payload %u", k);
  }
  // too long for MAX_FRAME_LEN, then too long for the descriptor (not consumed)
  s.wr(REG_MAX_FRAME_LEN, 1000);
  s.src.push(make_frame(rng, 1001));
  s.src.push(make_frame(rng, 5000));
  CHECK(s.run_until([&] { return s.rd(REG_STAT_RX_DROP_TOO_LONG) == 2; }, 30000), "2 TOO_LONG (MAX_FRAME_LEN)");
  bufs.guard(s.mem, 4);
  r.post(s.mem, bufs.addr(4), 100, 4);
  s.wr(REG_RX_PROD, r.prod);
  s.src.push(make_frame(rng, 101));
  CHECK(s.run_until([&] { return s.rd(REG_STAT_RX_DROP_TOO_LONG) == 3; }, 30000), "TOO_LONG for the descriptor");
  auto small = make_frame(rng, 100);
  s.src.push(small);
  CHECK(s.run_until([&] { return r.cpl_ready(s.mem); }, 20000), "frame into the kept descriptor");
  Cpl c = r.take(s.mem);
  CHECK(c.len == 100 && c.tag == 4 && c.idx == 4, "kept descriptor: len %u tag %u idx %u", c.len, c.tag, c.idx);
  {
    RxBufs b2 = bufs;
    b2.buf_len = 1536;
    CHECK(b2.check(s.mem, 4, small), "payload in the kept descriptor");
  }
  // disabled
  s.wr(REG_CTRL, 0);
  s.src.push(make_frame(rng, 64));
  s.src.push(make_frame(rng, 65));
  CHECK(s.run_until([&] { return s.rd(REG_STAT_RX_DROP_OFF) == 2; }, 20000), "2 OFF drops while disabled");
  CHECK(s.rd(REG_STAT_RX_FRAMES) == 5, "5 frames received");
  CHECK(s.rd(REG_STAT_RX_DROP_NO_DESC) == 5, "NO_DESC count kept");
  CHECK(s.axi.proto_errors == 0, "AXI protocol errors");
}

static void test_tx(uint64_t seed, AxiCfg cfg, double sink_bp, uint32_t nframes, bool loopback,
                    bool jumbo = false) {
  std::printf("-- %s%s (%u frames, sink bp %.2f, rd_lat %u bp %.2f)\n", loopback ? "loopback" : "tx",
              jumbo ? " jumbo, buffers across 4 KiB" : "", nframes, sink_bp, cfg.rd_lat, cfg.bp);
  const uint32_t max_len = jumbo ? uint32_t(MAX_FRAME_CAP) : 1518;
  Sim s(cfg);
  s.sink.bp = sink_bp;
  Rng rng(seed + 200);
  Ring t, r;
  RxBufs bufs;
  const uint32_t tsize = 16, rsize = 32;
  if (jumbo) {
    bufs.buf_len = max_len + 64;
    bufs.stride = 0x4000;
    bufs.page_off = 0xE80;
  }
  setup_tx(s, t, 0x20000000ULL, 0x20100000ULL, tsize);
  if (loopback) {
    bufs.headroom = 5;
    setup_rx(s, r, 0x10000000ULL, 0x10100000ULL, rsize);
    s.wr(REG_RX_HEADROOM, bufs.headroom);
    for (uint32_t i = 0; i < rsize; i++) {
      bufs.guard(s.mem, i);
      r.post(s.mem, bufs.addr(i), bufs.buf_len, i);
    }
    s.wr(REG_RX_PROD, r.prod);
  }
  s.wr(REG_IRQ_MASK, 0xF & ~(1u << IRQ_STATUS_TX_CQ_LSB));
  s.wr(REG_IRQ_COAL_FRAMES, 4);
  s.wr(REG_IRQ_COAL_CYCLES, 500);
  if (jumbo) s.wr(REG_MAX_FRAME_LEN, max_len);
  s.wr(REG_CTRL, (1u << CTRL_ENABLE_LSB) | (loopback ? 1u << CTRL_LOOPBACK_LSB : 0));
  auto txbuf = [&](uint32_t slot) {
    return 0x30000000ULL + uint64_t(slot) * 0x4000 + (jumbo ? 0xF40 : 0) + (slot * 29u) % 64u;
  };

  struct Sent { std::vector<uint8_t> f; uint32_t tag; uint8_t status; };
  std::deque<Sent> inflight;           // posted, completion not yet seen
  std::deque<std::vector<uint8_t>> on_wire;  // expected on the sink / RX side
  uint32_t posted = 0, completed = 0, bad = 0, rx_done = 0;
  uint64_t tx_bytes = 0;
  auto post_one = [&]() {
    uint32_t slot = t.prod % tsize;
    uint32_t len;
    uint8_t status = CPL_STATUS_OK;
    if (posted == 7) { len = 0; status = CPL_STATUS_BAD_LEN; }
    else if (posted == 13) { len = max_len + 1; status = CPL_STATUS_BAD_LEN; }
    else len = (posted < 10) ? 60 + posted : 60 + rng.below(max_len - 60 + 1);
    std::vector<uint8_t> f = make_frame(rng, len);
    s.mem.fill(txbuf(slot) - 8, 0x5A, max_len + 80);
    s.mem.write(txbuf(slot), f.data(), f.size());
    t.post(s.mem, txbuf(slot), len, 0x7000 + posted);
    if (status == CPL_STATUS_OK) {
      on_wire.push_back(f);
      tx_bytes += len;
    } else {
      ++bad;
    }
    inflight.push_back(Sent{std::move(f), 0x7000 + posted, status});
    ++posted;
  };
  if (loopback) s.src.push(make_frame(rng, 200));   // external frame: dropped in loopback
  uint64_t start = s.cyc, budget = 100000 + uint64_t(nframes) * (jumbo ? 30000 : 4000);
  while (posted < std::min<uint32_t>(tsize, nframes)) post_one();
  s.wr(REG_TX_PROD, t.prod);
  uint16_t last_db = t.prod;
  uint16_t last_rx_db = r.prod;
  while ((completed < nframes || (loopback ? rx_done < nframes - bad : s.sink.got.size() < nframes - bad)) &&
         s.cyc - start < budget) {
    if (t.cpl_ready(s.mem)) {
      Cpl c = t.take(s.mem);
      const Sent& e = inflight.front();
      CHECK(c.tag == e.tag && c.status == e.status, "tx completion %u: tag 0x%x status %u, want 0x%x %u", completed,
            c.tag, c.status, e.tag, e.status);
      CHECK(c.len == (e.status == CPL_STATUS_OK ? e.f.size() : 0), "tx completion %u: len %u", completed, c.len);
      CHECK(c.idx == uint16_t(completed), "tx completion %u: idx %u", completed, c.idx);
      inflight.pop_front();
      ++completed;
      if (posted < nframes) post_one();
      continue;
    }
    if (loopback && r.cpl_ready(s.mem)) {
      uint32_t c_i = r.seen;
      Cpl c = r.take(s.mem);
      uint32_t slot = c_i % rsize;
      CHECK(!on_wire.empty(), "unexpected loopback frame");
      if (!on_wire.empty()) {
        CHECK(c.len == on_wire.front().size(), "loopback frame %u: len %u want %zu", c_i, c.len,
              on_wire.front().size());
        CHECK(bufs.check(s.mem, slot, on_wire.front()), "loopback frame %u payload", c_i);
        on_wire.pop_front();
      }
      bufs.guard(s.mem, slot);
      r.post(s.mem, bufs.addr(slot), bufs.buf_len, slot);
      ++rx_done;
      continue;
    }
    if (s.lite.idle() && t.prod != last_db) {
      s.lite.start_write(REG_TX_PROD, t.prod);
      last_db = t.prod;
    } else if (loopback && s.lite.idle() && r.prod != last_rx_db) {
      s.lite.start_write(REG_RX_PROD, r.prod);
      last_rx_db = r.prod;
    }
    s.tick();
  }
  CHECK(completed == nframes, "tx: %u of %u completions", completed, nframes);
  while (!s.lite.idle()) s.tick();
  s.run_until([&] { return ((s.rd(REG_STATUS) >> STATUS_IDLE_LSB) & 1) == 1; }, 20000);
  if (!loopback) {
    CHECK(s.sink.got.size() == nframes - bad, "sink got %zu frames, want %u", s.sink.got.size(), nframes - bad);
    for (std::size_t k = 0; k < s.sink.got.size() && !on_wire.empty(); k++) {
      CHECK(s.sink.got[k] == on_wire.front(), "tx frame %zu differs (len %zu vs %zu)", k, s.sink.got[k].size(),
            on_wire.front().size());
      on_wire.pop_front();
    }
    CHECK(s.sink.errors == 0, "TX stream protocol errors");
    CHECK(s.axi.bytes_written == uint64_t(CPL_SIZE) * nframes, "tx wrote %" PRIu64 " bytes", s.axi.bytes_written);
  } else {
    CHECK(s.sink.got.empty(), "loopback: nothing on the external TX port");
    CHECK(rx_done == nframes - bad, "loopback: %u frames received", rx_done);
    CHECK(s.rd(REG_STAT_RX_DROP_OFF) == 1, "loopback: external frame dropped (DROP_OFF %u)",
          s.rd(REG_STAT_RX_DROP_OFF));
    CHECK(s.rd(REG_STAT_RX_FRAMES) == nframes - bad, "loopback: STAT_RX_FRAMES");
  }
  CHECK(s.rd(REG_STAT_TX_FRAMES) == nframes - bad, "STAT_TX_FRAMES %u", s.rd(REG_STAT_TX_FRAMES));
  CHECK(s.rd(REG_STAT_TX_BYTES) == uint32_t(tx_bytes), "STAT_TX_BYTES");
  CHECK(s.rd(REG_STAT_TX_BAD_DESC) == bad, "STAT_TX_BAD_DESC %u", s.rd(REG_STAT_TX_BAD_DESC));
  CHECK(s.rd(REG_TX_CQ_PROD) == nframes, "TX_CQ_PROD");
  CHECK(((s.rd(REG_IRQ_STATUS) >> IRQ_STATUS_TX_CQ_LSB) & 1) == 1, "IRQ_STATUS.TX_CQ");
  CHECK(s.irq_seen, "irq_o for TX");
  CHECK(s.axi.proto_errors == 0, "AXI protocol errors");
  std::printf("   %u frames (%u BAD_LEN), %" PRIu64 " cycles\n", nframes, bad, s.cyc - start);
}

static void test_dma_errors(uint64_t seed) {
  std::printf("-- dma errors: RX payload SLVERR, soft reset recovery, TX read DECERR, RX desc fetch error\n");
  Sim s(AxiCfg{5, 3, 0.0, seed});
  Rng rng(seed + 300);
  Ring r;
  RxBufs bufs;
  bufs.headroom = 0;
  setup_rx(s, r, 0x10000000ULL, 0x10100000ULL, 8);
  s.wr(REG_IRQ_MASK, 0xF & ~(1u << IRQ_STATUS_DMA_ERR_LSB));
  for (uint32_t i = 0; i < 8; i++) {
    bufs.guard(s.mem, i);
    r.post(s.mem, bufs.addr(i), bufs.buf_len, i);
  }
  s.wr(REG_RX_PROD, r.prod);
  // buffer 3 answers SLVERR
  s.axi.errs.push_back(ErrRegion{bufs.addr(3), bufs.addr(3) + 64, 2, false, true});
  s.wr(REG_CTRL, 1u << CTRL_ENABLE_LSB);
  std::vector<std::vector<uint8_t>> fr;
  for (int k = 0; k < 6; k++) {
    fr.push_back(make_frame(rng, 100 + k));
    s.src.push(fr.back());
  }
  for (uint32_t k = 0; k < 3; k++) {
    CHECK(s.run_until([&] { return r.cpl_ready(s.mem); }, 20000), "completion %u before the error", k);
    Cpl c = r.take(s.mem);
    CHECK(c.tag == k && bufs.check(s.mem, k, fr[k]), "frame %u", k);
  }
  // Frames 3.. are lost: frame 3 itself, and (RX_OVERLAP) the frames whose
  // payload was already issued when its error response came back. The rest
  // are dropped because RX is stopped. Without overlap only frame 3 is lost.
  CHECK(s.run_until([&] { return s.rd(REG_STAT_RX_DROP_OFF) + s.rd(REG_STAT_RX_DROP_DMA_ERR) == 3; }, 30000),
        "frames after the error: DROP_OFF %u + DROP_DMA_ERR %u", s.rd(REG_STAT_RX_DROP_OFF),
        s.rd(REG_STAT_RX_DROP_DMA_ERR));
  uint32_t lost = s.rd(REG_STAT_RX_DROP_DMA_ERR);
  CHECK(RX_OVERLAP ? (lost >= 1 && lost <= 3) : lost == 1, "STAT_RX_DROP_DMA_ERR %u", lost);
  uint32_t st = s.rd(REG_STATUS);
  CHECK(((st >> STATUS_RX_STOPPED_LSB) & 1) == 1, "STATUS.RX_STOPPED");
  CHECK(((st >> STATUS_TX_STOPPED_LSB) & 1) == 0, "STATUS.TX_STOPPED clear");
  CHECK(s.rd(REG_STAT_DMA_ERRORS) == 1, "STAT_DMA_ERRORS %u", s.rd(REG_STAT_DMA_ERRORS));
  uint32_t info = s.rd(REG_DMA_ERR_INFO);
  CHECK(((info >> DMA_ERR_INFO_RESP_LSB) & 3) == 2, "DMA_ERR_INFO.RESP %u", info & 3);
  CHECK(((info >> DMA_ERR_INFO_SOURCE_LSB) & 7) == DMA_ERR_SRC_RX_DATA, "DMA_ERR_INFO.SOURCE %u", (info >> 2) & 7);
  uint64_t ea = (uint64_t(s.rd(REG_DMA_ERR_ADDR_HI)) << 32) | s.rd(REG_DMA_ERR_ADDR_LO);
  CHECK(ea == (bufs.addr(3) & ~uint64_t(BW - 1)), "DMA_ERR_ADDR 0x%" PRIx64, ea);
  CHECK(((s.rd(REG_IRQ_STATUS) >> IRQ_STATUS_DMA_ERR_LSB) & 1) == 1, "IRQ_STATUS.DMA_ERR");
  CHECK(s.m->irq_o == 1, "irq_o for DMA_ERR");
  CHECK(s.rd(REG_RX_CQ_PROD) == 3, "no completion for the failed frame");
  CHECK(!r.cpl_ready(s.mem), "no completion written after the error");
  // Buffers of frames dropped while stopped are untouched; a lost frame's
  // buffer holds its payload or nothing, never anything else.
  for (uint32_t k = 3 + lost; k < 6; k++) CHECK(bufs.check(s.mem, k, {}), "buffer %u after the error untouched", k);
  for (uint32_t k = 4; k < 3 + lost; k++)
    CHECK(bufs.check(s.mem, k, {}, true) || bufs.check(s.mem, k, fr[k], true), "lost frame %u: its payload or nothing", k);
  // soft reset recovers
  s.soft_reset();
  CHECK(s.rd(REG_STATUS) == RST_STATUS, "STATUS after soft reset 0x%x", s.rd(REG_STATUS));
  CHECK(s.rd(REG_DMA_ERR_INFO) == 0 && s.rd(REG_STAT_DMA_ERRORS) == 0, "error record cleared");
  s.axi.errs.clear();
  setup_rx(s, r, 0x10000000ULL, 0x10100000ULL, 8);
  for (uint32_t i = 0; i < 8; i++) {
    bufs.guard(s.mem, i);
    r.post(s.mem, bufs.addr(i), bufs.buf_len, i);
  }
  s.wr(REG_RX_PROD, r.prod);
  s.wr(REG_CTRL, 1u << CTRL_ENABLE_LSB);
  auto f = make_frame(rng, 333);
  s.src.push(f);
  CHECK(s.run_until([&] { return r.cpl_ready(s.mem); }, 20000), "RX works after soft reset");
  Cpl c = r.take(s.mem);
  CHECK(c.len == 333 && c.idx == 0 && bufs.check(s.mem, 0, f), "frame after soft reset");

  // TX payload read error (DECERR), after a soft reset
  s.soft_reset();
  Ring t;
  setup_tx(s, t, 0x20000000ULL, 0x20100000ULL, 4);
  s.axi.errs.push_back(ErrRegion{0x30000000ULL, 0x30001000ULL, 3, true, false});
  s.mem.fill(0x30000000ULL, 0x11, 2000);
  t.post(s.mem, 0x30000003ULL, 1000, 1);
  t.post(s.mem, 0x30010000ULL, 100, 2);
  s.wr(REG_TX_PROD, t.prod);
  s.wr(REG_CTRL, 1u << CTRL_ENABLE_LSB);
  CHECK(s.run_until([&] { return ((s.rd(REG_STATUS) >> STATUS_TX_STOPPED_LSB) & 1) == 1; }, 20000), "TX_STOPPED");
  s.run_until([&] { return false; }, 2000);
  info = s.rd(REG_DMA_ERR_INFO);
  CHECK(((info >> DMA_ERR_INFO_SOURCE_LSB) & 7) == DMA_ERR_SRC_TX_DATA && (info & 3) == 3, "TX DMA_ERR_INFO 0x%x",
        info);
  CHECK(s.rd(REG_STAT_DMA_ERRORS) >= 1, "TX STAT_DMA_ERRORS");
  CHECK(s.sink.got.empty(), "nothing sent after a TX read error");
  CHECK(s.rd(REG_TX_CQ_PROD) == 0 && !t.cpl_ready(s.mem), "no TX completion after the error");
  CHECK(s.rd(REG_STAT_TX_FRAMES) == 0, "no TX frame");

  // RX descriptor fetch error
  s.soft_reset();
  s.axi.errs.clear();
  s.axi.errs.push_back(ErrRegion{0x50000000ULL, 0x50001000ULL, 2, true, false});
  setup_rx(s, r, 0x50000000ULL, 0x10100000ULL, 8);
  s.wr(REG_RX_PROD, 4);
  s.wr(REG_CTRL, 1u << CTRL_ENABLE_LSB);
  CHECK(s.run_until([&] { return ((s.rd(REG_STATUS) >> STATUS_RX_STOPPED_LSB) & 1) == 1; }, 20000),
        "RX_STOPPED on descriptor fetch error");
  info = s.rd(REG_DMA_ERR_INFO);
  CHECK(((info >> DMA_ERR_INFO_SOURCE_LSB) & 7) == DMA_ERR_SRC_RX_DESC && (info & 3) == 2, "desc DMA_ERR_INFO 0x%x",
        info);
  s.src.push(make_frame(rng, 90));
  CHECK(s.run_until([&] { return s.rd(REG_STAT_RX_DROP_OFF) == 1; }, 20000), "RX drains while stopped");
  CHECK(s.axi.proto_errors == 0, "AXI protocol errors");
}

// ---------------------------------------------------------------------------
// Benchmark: steady RX traffic of 64-byte frames (see the header comment)
// ---------------------------------------------------------------------------
static int bench(uint64_t nframes, uint64_t seed, bool assert_off) {
  Sim s(AxiCfg{10, 4, 0.0, seed});
  if (assert_off) s.ctx->assertOn(false);
  const uint32_t size = 256;
  const uint64_t ring = 0x10000000ULL, cq = 0x10010000ULL, bufs = 0x20000000ULL;
  Ring r;
  setup_rx(s, r, ring, cq, size);
  s.wr(REG_RX_HEADROOM, 0);
  s.wr(REG_IRQ_MASK, 0xF);
  for (uint32_t i = 0; i < size; i++) r.post(s.mem, bufs + uint64_t(i) * 2048, 2048, i);
  s.wr(REG_RX_PROD, r.prod);
  s.wr(REG_CTRL, 1u << CTRL_ENABLE_LSB);
  // source: 64-byte frames, generated on demand so the queue stays short
  uint64_t queued = 0;
  auto refill = [&]() {
    while (s.src.frames.size() < 4 && queued < nframes + 64) {
      std::vector<uint8_t> f(64);
      for (std::size_t j = 0; j < f.size(); j++) f[j] = uint8_t(queued * 7 + j);
      s.src.push(std::move(f));
      ++queued;
    }
  };
  refill();
  uint16_t last_db = r.prod;
  uint64_t seen = 0, bad = 0;
  uint64_t c0 = s.cyc;
  auto t0 = std::chrono::steady_clock::now();
  while (seen < nframes) {
    s.tick();
    if (r.cpl_ready(s.mem)) {
      uint32_t slot = r.seen % size;
      Cpl c = r.take(s.mem);
      bad += (c.len != 64);
      r.post(s.mem, bufs + uint64_t(slot) * 2048, 2048, slot);
      ++seen;
    }
    if (s.lite.idle() && r.prod != last_db) {
      s.lite.start_write(REG_RX_PROD, r.prod);
      last_db = r.prod;
    }
    if (s.src.frames.size() < 2) refill();
    if (s.cyc - c0 > nframes * 200 + 100000) break;
  }
  auto t1 = std::chrono::steady_clock::now();
  double secs = std::chrono::duration<double>(t1 - t0).count();
  uint64_t cycles = s.cyc - c0;
  std::printf("cycles=%" PRIu64 " seconds=%.6f cycles_per_sec=%.0f frames=%" PRIu64 " bad=%" PRIu64
              " data_w=%d\n",
              cycles, secs, double(cycles) / secs, seen, bad, DATA_W);
  return (seen == nframes && bad == 0 && s.axi.proto_errors == 0) ? 0 : 1;
}

int main(int argc, char** argv) {
  uint64_t seed = 1, bench_n = 0;
  bool assert_off = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 0);
    else if (a == "--bench" && i + 1 < argc) bench_n = std::strtoull(argv[++i], nullptr, 0);
    else if (a == "-v") g_verbose = true;
    else if (a == "--assert-off") assert_off = true;
    else if (a.rfind("+verilator", 0) == 0) {
    } else {
      std::fprintf(stderr, "usage: %s [--seed S] [--bench N [--assert-off]] [-v]\n", argv[0]);
      return 2;
    }
  }
  if (bench_n) return bench(bench_n, seed, assert_off);

  std::printf("nic_top harness: AXI_DATA_W=%d seed=%" PRIu64 "\n", DATA_W, seed);
  auto t0 = std::chrono::steady_clock::now();
  test_registers(seed);
  test_rx(seed, AxiCfg{10, 4, 0.0, seed}, 0.0, 200, 66, 16, 1, "odd headroom, no backpressure");
  test_rx(seed, AxiCfg{1, 1, 0.0, seed}, 0.0, 100, 0, 8, 3, "aligned, minimum latency");
  // same traffic, several latency/backpressure seeds: same memory contents and completions
  uint64_t d0 = test_rx(seed, AxiCfg{2, 1, 0.0, seed}, 0.0, 120, 3, 32, 1, "determinism A");
  uint64_t d1 = test_rx(seed, AxiCfg{25, 9, 0.3, seed + 1}, 0.2, 120, 3, 32, 1, "determinism B");
  uint64_t d2 = test_rx(seed, AxiCfg{7, 40, 0.5, seed + 2}, 0.5, 120, 3, 32, 1, "determinism C");
  CHECK(d0 == d1 && d1 == d2, "digests differ across latency/backpressure seeds");
  test_rx(seed, AxiCfg{12, 5, 0.2, seed + 3}, 0.1, 40, 1, 8, 2, "jumbo, buffers across 4 KiB", true,
          0x10000F40ULL);
  test_rx_drops(seed);
  test_tx(seed, AxiCfg{10, 4, 0.0, seed}, 0.0, 60, false);
  test_tx(seed, AxiCfg{17, 6, 0.3, seed + 5}, 0.6, 60, false);
  test_tx(seed, AxiCfg{8, 3, 0.2, seed + 6}, 0.0, 40, true);
  test_tx(seed, AxiCfg{9, 4, 0.2, seed + 7}, 0.3, 30, false, true);
  test_tx(seed, AxiCfg{6, 5, 0.1, seed + 8}, 0.0, 24, true, true);
  test_dma_errors(seed);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (g_failures) {
    std::printf("FAILED: %d check(s) (%.1f s)\n", g_failures, secs);
    return 1;
  }
  std::printf("PASS: all checks (%.1f s)\n", secs);
  return 0;
}
