// nic_xbar_wr: shares the AXI4 write channels between the write sources.
//
// Source i uses the fixed AXI ID SRC_ID[i]. A source presents the AW of a
// burst and its W beats together; the arbiter grants one source per burst
// (round-robin) and keeps the grant until both the AW handshake and the W
// beat with wlast are done, so W data is always in AW order. B responses are
// routed back by bid and always accepted.
`default_nettype none

module nic_xbar_wr
  import nic_regs_pkg::*;
#(
  parameter int unsigned AXI_DATA_W      = 64,
  parameter int unsigned AXI_ADDR_W      = 64,
  parameter int unsigned AXI_ID_W        = 4,
  parameter int unsigned MAX_BURST_BEATS = 256,
  localparam int unsigned N  = 3,
  localparam int unsigned BW = AXI_DATA_W / 8
) (
  input  wire logic                    clk_i,
  input  wire logic                    rst_ni,
  // sources
  input  wire logic [N-1:0]            src_aw_valid_i,
  output      logic [N-1:0]            src_aw_ready_o,
  input  wire logic [N-1:0][DMA_ADDR_W-1:0] src_aw_addr_i,
  input  wire logic [N-1:0][7:0]       src_aw_len_i,
  input  wire logic [N-1:0]            src_w_valid_i,
  output      logic [N-1:0]            src_w_ready_o,
  input  wire logic [N-1:0][AXI_DATA_W-1:0] src_w_data_i,
  input  wire logic [N-1:0][BW-1:0]    src_w_strb_i,
  input  wire logic [N-1:0]            src_w_last_i,
  output      logic [N-1:0]            src_b_valid_o,
  output      logic [1:0]              src_b_resp_o,
  output      logic                    idle_o,
  // AXI4 master, write
  output      logic [AXI_ID_W-1:0]     m_axi_awid_o,
  output      logic [AXI_ADDR_W-1:0]   m_axi_awaddr_o,
  output      logic [7:0]              m_axi_awlen_o,
  output      logic [2:0]              m_axi_awsize_o,
  output      logic [1:0]              m_axi_awburst_o,
  output      logic                    m_axi_awvalid_o,
  input  wire logic                    m_axi_awready_i,
  output      logic [AXI_DATA_W-1:0]   m_axi_wdata_o,
  output      logic [BW-1:0]           m_axi_wstrb_o,
  output      logic                    m_axi_wlast_o,
  output      logic                    m_axi_wvalid_o,
  input  wire logic                    m_axi_wready_i,
  input  wire logic [AXI_ID_W-1:0]     m_axi_bid_i,
  input  wire logic [1:0]              m_axi_bresp_i,
  input  wire logic                    m_axi_bvalid_i,
  output      logic                    m_axi_bready_o
);

  if (AXI_ID_W < 2 || AXI_DATA_W % 64 != 0 || AXI_ADDR_W > DMA_ADDR_W || MAX_BURST_BEATS > 256) begin : g_bad_param
    $fatal(1, "nic_xbar_wr: bad AXI_ID_W/AXI_DATA_W/AXI_ADDR_W/MAX_BURST_BEATS");
  end

  localparam logic [2:0] AXSIZE = 3'($clog2(BW));
  localparam logic [1:0] BURST_INCR = 2'b01;
  localparam int unsigned SRC_ID [N] = '{AXI_ID_WR_RX_DATA, AXI_ID_WR_RX_CPL, AXI_ID_WR_TX_CPL};

  logic        act_q, act_d;       // a burst is granted
  logic [1:0]  sel_q, sel_d;
  logic [1:0]  rr_q, rr_d;
  logic        aw_done_q, aw_done_d;
  logic        w_done_q, w_done_d;
  logic [1:0]  sel;
  logic        act;
  logic        aw_hs, w_hs, wl_hs, done_aw, done_w;
  logic [15:0] out_q, out_d;       // write bursts awaiting B

  // round-robin pick among the requesting sources, starting at rr_q
  function automatic logic [2:0] rr_pick(input logic [N-1:0] req, input logic [1:0] rr);
    logic [2:0] r;   // {any, sel}
    r = {1'b0, rr};
    for (int k = N - 1; k >= 0; k--) begin
      logic [1:0] idx;
      idx = 2'((32'(rr) + 32'(k)) % N);
      if (req[idx]) r = {1'b1, idx};
    end
    return r;
  endfunction

  // grant (from registers and the sources' AW valid only)
  logic [2:0] pick;
  assign pick = rr_pick(src_aw_valid_i, rr_q);
  assign act  = act_q || pick[2];
  assign sel  = act_q ? sel_q : pick[1:0];

  // channel outputs
  assign m_axi_awvalid_o = act && !aw_done_q && src_aw_valid_i[sel];
  assign m_axi_awid_o    = AXI_ID_W'(SRC_ID[sel]);
  assign m_axi_awaddr_o  = AXI_ADDR_W'(src_aw_addr_i[sel]);
  assign m_axi_awlen_o   = src_aw_len_i[sel];
  assign m_axi_awsize_o  = AXSIZE;
  assign m_axi_awburst_o = BURST_INCR;
  assign m_axi_wvalid_o  = act && !w_done_q && src_w_valid_i[sel];
  assign m_axi_wdata_o   = src_w_data_i[sel];
  assign m_axi_wstrb_o   = src_w_strb_i[sel];
  assign m_axi_wlast_o   = src_w_last_i[sel];
  assign m_axi_bready_o  = 1'b1;
  assign src_b_resp_o    = m_axi_bresp_i;
  for (genvar gi = 0; gi < N; gi++) begin : g_route
    assign src_aw_ready_o[gi] = act && (sel == 2'(gi)) && !aw_done_q && m_axi_awready_i;
    assign src_w_ready_o[gi]  = act && (sel == 2'(gi)) && !w_done_q && m_axi_wready_i;
    assign src_b_valid_o[gi]  = m_axi_bvalid_i && (m_axi_bid_i == AXI_ID_W'(SRC_ID[gi]));
  end
  assign aw_hs   = m_axi_awvalid_o && m_axi_awready_i;
  assign w_hs    = m_axi_wvalid_o && m_axi_wready_i;
  assign wl_hs   = w_hs && m_axi_wlast_o;
  assign done_aw = aw_done_q || aw_hs;
  assign done_w  = w_done_q || wl_hs;
  assign idle_o  = (out_q == 16'd0) && !act_q && !(|src_aw_valid_i);

  // next state
  always_comb begin
    act_d = act_q; sel_d = sel_q; rr_d = rr_q; aw_done_d = aw_done_q; w_done_d = w_done_q;
    if (act) begin
      if (done_aw && done_w) begin
        act_d     = 1'b0;
        aw_done_d = 1'b0;
        w_done_d  = 1'b0;
        rr_d      = (sel == 2'(N - 1)) ? 2'd0 : sel + 2'd1;
      end else begin
        act_d     = 1'b1;
        sel_d     = sel;
        aw_done_d = done_aw;
        w_done_d  = done_w;
      end
    end
    out_d = out_q + 16'(aw_hs) - 16'(m_axi_bvalid_i && m_axi_bready_o);
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      act_q <= 1'b0; sel_q <= '0; rr_q <= '0; aw_done_q <= 1'b0; w_done_q <= 1'b0; out_q <= '0;
    end else begin
      act_q <= act_d; sel_q <= sel_d; rr_q <= rr_d; aw_done_q <= aw_done_d; w_done_q <= w_done_d;
      out_q <= out_d;
    end
  end

  // ---------------------------------------------------------------------------
  // Assertions: AXI4 AW/W/B handshake rules and burst shape
  // ---------------------------------------------------------------------------
  a_aw_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_awvalid_o && !m_axi_awready_i) |=> m_axi_awvalid_o)
    else $error("m_axi AW: awvalid dropped before awready");
  a_aw_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_awvalid_o && !m_axi_awready_i) |=>
        ($stable(m_axi_awaddr_o) && $stable(m_axi_awid_o) && $stable(m_axi_awlen_o) &&
         $stable(m_axi_awsize_o) && $stable(m_axi_awburst_o)))
    else $error("m_axi AW: awaddr/awid/awlen/awsize/awburst changed while awvalid && !awready");
  a_w_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_wvalid_o && !m_axi_wready_i) |=> m_axi_wvalid_o)
    else $error("m_axi W: wvalid dropped before wready");
  a_w_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_wvalid_o && !m_axi_wready_i) |=>
        ($stable(m_axi_wdata_o) && $stable(m_axi_wstrb_o) && $stable(m_axi_wlast_o)))
    else $error("m_axi W: wdata/wstrb/wlast changed while wvalid && !wready");
  a_b_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_bvalid_i && !m_axi_bready_o) |=> m_axi_bvalid_i)
    else $error("m_axi B: bvalid dropped before bready");
  a_b_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_bvalid_i && !m_axi_bready_o) |=> ($stable(m_axi_bid_i) && $stable(m_axi_bresp_i)))
    else $error("m_axi B: bid/bresp changed while bvalid && !bready");
  a_aw_4k: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_awvalid_o |-> ({1'b0, m_axi_awaddr_o[11:0]} + (13'(m_axi_awlen_o) + 13'd1) * 13'(BW)
                           <= 13'd4096))
    else $error("m_axi AW: burst crosses a 4 KiB boundary");
  a_aw_align: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_awvalid_o |-> (m_axi_awaddr_o[$clog2(BW)-1:0] == '0))
    else $error("m_axi AW: awaddr not aligned to the bus width");
  a_aw_len: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_awvalid_o |-> (32'(m_axi_awlen_o) < MAX_BURST_BEATS))
    else $error("m_axi AW: awlen above MAX_BURST_BEATS-1");
  a_w_strb_nz: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_wvalid_o |-> (m_axi_wstrb_o != '0))
    else $error("m_axi W: beat with an all-zero wstrb");
  a_b_id: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_bvalid_i |-> (|src_b_valid_o))
    else $error("m_axi B: bid matches no write source");
  a_b_outstanding: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_bvalid_i |-> (out_q != 16'd0 || aw_hs))
    else $error("m_axi B: response with no write outstanding (outstanding counter underflow)");

`ifndef SYNTHESIS
  // W beat count of the granted burst must match its awlen.
  logic [8:0] wbeat_q;
  logic [7:0] awlen_cap_q;
  logic [7:0] cur_len;
  assign cur_len = aw_done_q ? awlen_cap_q : m_axi_awlen_o;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      wbeat_q <= '0; awlen_cap_q <= '0;
    end else begin
      if (aw_hs) awlen_cap_q <= m_axi_awlen_o;
      if (w_hs) wbeat_q <= m_axi_wlast_o ? 9'd0 : wbeat_q + 9'd1;
    end
  end
  a_w_beats: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_wvalid_o |-> (m_axi_wlast_o == (wbeat_q == {1'b0, cur_len})))
    else $error("m_axi W: wlast does not match awlen (beat count)");
`endif

endmodule

`default_nettype wire
