// nic_ring_fetch: descriptor prefetcher for one queue.
//
// Reads several descriptors per INCR burst from the ring (never past the end
// of the ring, never across a 4 KiB boundary, never more than fits in the
// cache) and presents them in order through a small cache. One fetch burst is
// in flight at a time; the cache space for it is reserved when it is issued,
// so R beats are always accepted. The consumer index (CONS) advances when the
// burst is issued.
`default_nettype none

module nic_ring_fetch
  import nic_regs_pkg::*;
#(
  parameter int unsigned AXI_DATA_W      = 64,
  parameter int unsigned DESC_CACHE      = 8,
  parameter int unsigned MAX_BURST_BEATS = 256,
  localparam int unsigned ADV_W = $clog2(DESC_CACHE + 1),
  localparam int unsigned CW    = $clog2(DESC_CACHE),
  localparam int unsigned BPD   = (DESC_SIZE * 8) / AXI_DATA_W  // beats per descriptor
) (
  input  wire logic                  clk_i,
  input  wire logic                  rst_ni,
  input  wire logic                  run_i,       // may issue new fetches
  input  wire logic                  flush_i,     // ring re-configured: drop the cache
  input  wire logic [DMA_ADDR_W-1:0]  ring_base_i,
  input  wire logic [RING_SIZE_W-1:0] ring_size_i,
  input  wire logic [RING_IDX_W-1:0]  prod_i,
  input  wire logic [RING_IDX_W-1:0]  cons_i,
  output      logic                  cons_adv_o,
  output      logic [ADV_W-1:0]      cons_adv_n_o,
  // AXI read request (ID assigned by the arbiter)
  output      logic                  ar_valid_o,
  input  wire logic                  ar_ready_i,
  output      logic [DMA_ADDR_W-1:0]  ar_addr_o,
  output      logic [7:0]            ar_len_o,
  // AXI read data routed to this fetcher (always accepted)
  input  wire logic                  r_valid_i,
  input  wire logic [AXI_DATA_W-1:0] r_data_i,
  input  wire logic [1:0]            r_resp_i,
  input  wire logic                  r_last_i,
  // error report (one pulse per failed burst)
  output      logic                  err_o,
  output      logic [1:0]            err_resp_o,
  output      logic [DMA_ADDR_W-1:0]  err_addr_o,
  // descriptor cache head
  output      logic                  d_valid_o,
  output      logic [DESC_ADDR_W-1:0] d_addr_o,
  output      logic [DESC_LEN_W-1:0]  d_len_o,
  output      logic [DESC_TAG_W-1:0]  d_tag_o,
  output      logic [RING_IDX_W-1:0]  d_idx_o,
  input  wire logic                  d_pop_i,
  output      logic                  more_o,      // a descriptor is posted or on its way
  output      logic                  axi_idle_o
);

  if (!(BPD == 1 || BPD == 2)) begin : g_bad_bpd
    $fatal(1, "nic_ring_fetch: a descriptor must take one or two data beats");
  end
  if (DESC_ADDR_BYTES != 8 || DESC_LEN_BYTES != 4 || DESC_TAG_BYTES != 4) begin : g_bad_layout
    $fatal(1, "nic_ring_fetch: descriptor field widths differ from what the RTL assumes");
  end

  localparam int unsigned CAP_BURST = (MAX_BURST_BEATS / BPD < DESC_CACHE) ?
                                      MAX_BURST_BEATS / BPD : DESC_CACHE;
  localparam logic [1:0] RESP_OKAY = AXI_RESP_OKAY[1:0];

  // ----- state -----
  logic              ar_pend_q, ar_pend_d;
  logic              r_out_q, r_out_d;
  logic [DMA_ADDR_W-1:0] ar_addr_q, ar_addr_d;
  logic [7:0]        ar_len_q, ar_len_d;
  logic [RING_IDX_W-1:0] f_idx_q, f_idx_d;      // ring index of the next descriptor to land
  logic              bcnt_q, bcnt_d;         // beat within a descriptor (BPD == 2)
  logic              ferr_q, ferr_d;         // error seen in this burst
  logic [1:0]        fresp_q, fresp_d;
  logic              disc_q, disc_d;         // discard the burst in flight (flushed)
  logic [AXI_DATA_W-1:0] asm_q, asm_d;       // first beat of a two-beat descriptor
  logic [CW-1:0]     wr_q, wr_d, rd_q, rd_d;
  logic [CW:0]       cnt_q, cnt_d;

  logic [DESC_ADDR_W-1:0] c_addr [DESC_CACHE];
  logic [DESC_LEN_W-1:0]  c_len  [DESC_CACHE];
  logic [DESC_TAG_W-1:0]  c_tag  [DESC_CACHE];
  logic [RING_IDX_W-1:0]  c_idx  [DESC_CACHE];

  // ----- fetch decision -----
  logic [RING_IDX_W-1:0] slot, avail;
  logic [RING_SIZE_W-1:0] to_wrap;
  logic [DMA_ADDR_W-1:0] faddr;
  logic [12:0] to_4k;
  logic [CW:0] free;
  logic [RING_IDX_W-1:0] n;
  logic        go;
  logic        busy;

  // ----- descriptor assembly -----
  logic [DESC_SIZE*8-1:0] dword;
  logic        dcomplete, push, bad_now;

  // ----- fetch decision (registers, ring registers and run_i only) -----
  always_comb begin
    slot    = cons_i & (RING_IDX_W'(ring_size_i) - 1'b1);
    faddr   = ring_base_i + DMA_ADDR_W'(slot) * DMA_ADDR_W'(DESC_SIZE);
    avail   = prod_i - cons_i;
    to_wrap = ring_size_i - slot[RING_SIZE_W-1:0];
    to_4k   = (13'd4096 - {1'b0, faddr[11:0]}) / 13'(DESC_SIZE);
    free    = (CW+1)'(DESC_CACHE) - cnt_q;
    n = avail;
    if (RING_IDX_W'(to_wrap) < n)   n = RING_IDX_W'(to_wrap);
    if (RING_IDX_W'(to_4k) < n)     n = RING_IDX_W'(to_4k);
    if (RING_IDX_W'(free) < n)      n = RING_IDX_W'(free);
    if (RING_IDX_W'(CAP_BURST) < n) n = RING_IDX_W'(CAP_BURST);
    // Batch: issue when the cache is empty, when at least half of it is free,
    // or when everything posted fits.
    go = run_i && !busy && !flush_i && (ring_size_i != '0) && (n != '0) &&
         ((cnt_q == '0) || (free >= (CW+1)'(DESC_CACHE / 2)) || (n == avail));
  end
  assign busy         = ar_pend_q || r_out_q;
  assign cons_adv_o   = go;
  assign cons_adv_n_o = ADV_W'(n);

  // ----- read data: descriptor assembly and error report -----
  if (BPD == 1) begin : g_bpd1
    assign dword = (DESC_SIZE * 8)'(r_data_i);
  end else begin : g_bpd2
    assign dword = (DESC_SIZE * 8)'({r_data_i, asm_q});
  end
  assign bad_now    = r_valid_i && (r_resp_i != RESP_OKAY);
  assign dcomplete  = r_valid_i && ((BPD == 1) || bcnt_q);
  assign push       = dcomplete && !ferr_q && !bad_now && !disc_q && !flush_i;
  assign err_o      = r_valid_i && r_last_i && (ferr_q || bad_now);
  assign err_resp_o = ferr_q ? fresp_q : r_resp_i;
  assign err_addr_o = ar_addr_q;

  // ----- next state -----
  always_comb begin
    ar_pend_d = ar_pend_q; r_out_d = r_out_q; ar_addr_d = ar_addr_q; ar_len_d = ar_len_q;
    f_idx_d = f_idx_q; bcnt_d = bcnt_q; ferr_d = ferr_q; fresp_d = fresp_q; disc_d = disc_q;
    asm_d = asm_q; wr_d = wr_q; rd_d = rd_q; cnt_d = cnt_q;

    if (go) begin
      ar_pend_d = 1'b1;
      ar_addr_d = faddr;
      ar_len_d  = 8'(n * RING_IDX_W'(BPD) - 1'b1);
      f_idx_d   = cons_i;
      bcnt_d    = 1'b0;
      ferr_d    = 1'b0;
      disc_d    = 1'b0;
    end
    if (ar_pend_q && ar_ready_i) begin
      ar_pend_d = 1'b0;
      r_out_d   = 1'b1;
    end
    if (r_valid_i) begin
      if (BPD == 2) begin
        bcnt_d = !bcnt_q;
        asm_d  = r_data_i;
      end
      if (bad_now && !ferr_q) begin
        ferr_d  = 1'b1;
        fresp_d = r_resp_i;
      end
      if (dcomplete) f_idx_d = f_idx_q + 1'b1;
      if (r_last_i) r_out_d = 1'b0;
    end
    // cache bookkeeping
    if (push) wr_d = wr_q + 1'b1;
    if (d_pop_i && cnt_q != '0) rd_d = rd_q + 1'b1;
    cnt_d = cnt_q + (CW+1)'(push) - (CW+1)'(d_pop_i && cnt_q != '0);
    if (flush_i) begin
      wr_d   = '0;
      rd_d   = '0;
      cnt_d  = '0;
      disc_d = busy;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      ar_pend_q <= 1'b0; r_out_q <= 1'b0; ar_addr_q <= '0; ar_len_q <= '0;
      f_idx_q <= '0; bcnt_q <= 1'b0; ferr_q <= 1'b0; fresp_q <= '0; disc_q <= 1'b0;
      asm_q <= '0; wr_q <= '0; rd_q <= '0; cnt_q <= '0;
    end else begin
      ar_pend_q <= ar_pend_d; r_out_q <= r_out_d; ar_addr_q <= ar_addr_d; ar_len_q <= ar_len_d;
      f_idx_q <= f_idx_d; bcnt_q <= bcnt_d; ferr_q <= ferr_d; fresp_q <= fresp_d; disc_q <= disc_d;
      asm_q <= asm_d; wr_q <= wr_d; rd_q <= rd_d; cnt_q <= cnt_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (push) begin
      c_addr[wr_q] <= dword[DESC_ADDR_OFF*8 +: DESC_ADDR_W];
      c_len[wr_q]  <= dword[DESC_LEN_OFF*8 +: DESC_LEN_W];
      c_tag[wr_q]  <= dword[DESC_TAG_OFF*8 +: DESC_TAG_W];
      c_idx[wr_q]  <= f_idx_q;
    end
  end

  assign ar_valid_o = ar_pend_q;
  assign ar_addr_o  = ar_addr_q;
  assign ar_len_o   = ar_len_q;
  assign d_valid_o  = (cnt_q != '0);
  assign d_addr_o   = c_addr[rd_q];
  assign d_len_o    = c_len[rd_q];
  assign d_tag_o    = c_tag[rd_q];
  assign d_idx_o    = c_idx[rd_q];
  assign more_o     = (prod_i != cons_i) || busy;
  assign axi_idle_o = !busy;

  // ----- assertions -----
  a_df_cache_ovf: assert property (@(posedge clk_i) disable iff (!rst_ni)
      cnt_q <= (CW+1)'(DESC_CACHE))
    else $error("nic_ring_fetch: descriptor cache overflow");
  a_df_pop_empty: assert property (@(posedge clk_i) disable iff (!rst_ni)
      d_pop_i |-> (cnt_q != '0))
    else $error("nic_ring_fetch: pop from an empty descriptor cache");
  a_df_push_full: assert property (@(posedge clk_i) disable iff (!rst_ni)
      push |-> ((cnt_q != (CW+1)'(DESC_CACHE)) || d_pop_i))
    else $error("nic_ring_fetch: push into a full descriptor cache");
  a_df_r_unexp: assert property (@(posedge clk_i) disable iff (!rst_ni)
      r_valid_i |-> r_out_q)
    else $error("nic_ring_fetch: R beat without an outstanding descriptor read");
  a_df_4k: assert property (@(posedge clk_i) disable iff (!rst_ni)
      ar_pend_q |-> ({1'b0, ar_addr_q[11:0]} + (13'(ar_len_q) + 13'd1) * 13'(AXI_DATA_W / 8)
                     <= 13'd4096))
    else $error("nic_ring_fetch: descriptor burst crosses a 4 KiB boundary");

endmodule

`default_nettype wire
