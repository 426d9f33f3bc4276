// nic_xbar_rd: shares the AXI4 read channels between the read sources.
//
// Source i uses the fixed AXI ID SRC_ID[i]. AR requests are arbitrated
// round-robin; once a request is presented on m_axi_ar* it is held (valid and
// payload) until arready. Several reads may be outstanding (each source
// limits its own); R beats are routed back by rid and always accepted (every
// source reserves room for its data before it asks).
`default_nettype none

module nic_xbar_rd
  import nic_regs_pkg::*;
#(
  parameter int unsigned AXI_DATA_W      = 64,
  parameter int unsigned AXI_ADDR_W      = 64,
  parameter int unsigned AXI_ID_W        = 4,
  parameter int unsigned MAX_BURST_BEATS = 256,
  localparam int unsigned N = 3
) (
  input  wire logic                    clk_i,
  input  wire logic                    rst_ni,
  // sources
  input  wire logic [N-1:0]            src_ar_valid_i,
  output      logic [N-1:0]            src_ar_ready_o,
  input  wire logic [N-1:0][DMA_ADDR_W-1:0] src_ar_addr_i,
  input  wire logic [N-1:0][7:0]       src_ar_len_i,
  output      logic [N-1:0]            src_r_valid_o,
  output      logic [AXI_DATA_W-1:0]   src_r_data_o,
  output      logic [1:0]              src_r_resp_o,
  output      logic                    src_r_last_o,
  output      logic                    idle_o,
  // AXI4 master, read
  output      logic [AXI_ID_W-1:0]     m_axi_arid_o,
  output      logic [AXI_ADDR_W-1:0]   m_axi_araddr_o,
  output      logic [7:0]              m_axi_arlen_o,
  output      logic [2:0]              m_axi_arsize_o,
  output      logic [1:0]              m_axi_arburst_o,
  output      logic                    m_axi_arvalid_o,
  input  wire logic                    m_axi_arready_i,
  input  wire logic [AXI_ID_W-1:0]     m_axi_rid_i,
  input  wire logic [AXI_DATA_W-1:0]   m_axi_rdata_i,
  input  wire logic [1:0]              m_axi_rresp_i,
  input  wire logic                    m_axi_rlast_i,
  input  wire logic                    m_axi_rvalid_i,
  output      logic                    m_axi_rready_o
);

  localparam int unsigned BW = AXI_DATA_W / 8;
  if (AXI_ID_W < 2 || AXI_DATA_W % 64 != 0 || AXI_ADDR_W > DMA_ADDR_W || MAX_BURST_BEATS > 256) begin : g_bad_param
    $fatal(1, "nic_xbar_rd: bad AXI_ID_W/AXI_DATA_W/AXI_ADDR_W/MAX_BURST_BEATS");
  end

  localparam logic [2:0] AXSIZE = 3'($clog2(BW));
  localparam logic [1:0] BURST_INCR = 2'b01;
  localparam int unsigned SRC_ID [N] = '{AXI_ID_RD_RX_DESC, AXI_ID_RD_TX_DESC, AXI_ID_RD_TX_DATA};

  logic         lock_q, lock_d;
  logic [1:0]   sel_q, sel_d;    // granted source while locked
  logic [1:0]   rr_q, rr_d;      // round-robin: source with priority
  logic [1:0]   sel;
  logic         any;
  logic [15:0]  out_q, out_d;    // outstanding read bursts (all sources)

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

  logic [2:0] pick;
  assign pick = rr_pick(src_ar_valid_i, rr_q);
  assign any  = lock_q || pick[2];
  assign sel  = lock_q ? sel_q : pick[1:0];

  assign m_axi_arvalid_o = any && src_ar_valid_i[sel];
  assign m_axi_arid_o    = AXI_ID_W'(SRC_ID[sel]);
  assign m_axi_araddr_o  = AXI_ADDR_W'(src_ar_addr_i[sel]);
  assign m_axi_arlen_o   = src_ar_len_i[sel];
  assign m_axi_arsize_o  = AXSIZE;
  assign m_axi_arburst_o = BURST_INCR;
  assign m_axi_rready_o  = 1'b1;
  assign src_r_data_o    = m_axi_rdata_i;
  assign src_r_resp_o    = m_axi_rresp_i;
  assign src_r_last_o    = m_axi_rlast_i;
  for (genvar gi = 0; gi < N; gi++) begin : g_route
    assign src_ar_ready_o[gi] = any && (sel == 2'(gi)) && m_axi_arready_i;
    assign src_r_valid_o[gi]  = m_axi_rvalid_i && (m_axi_rid_i == AXI_ID_W'(SRC_ID[gi]));
  end
  assign idle_o = (out_q == 16'd0) && !m_axi_arvalid_o;

  always_comb begin
    lock_d = lock_q;
    sel_d  = sel_q;
    rr_d   = rr_q;
    if (m_axi_arvalid_o && !m_axi_arready_i) begin
      lock_d = 1'b1;
      sel_d  = sel;
    end else if (m_axi_arvalid_o && m_axi_arready_i) begin
      lock_d = 1'b0;
      rr_d   = (sel == 2'(N - 1)) ? 2'd0 : sel + 2'd1;
    end
    out_d = out_q + 16'(m_axi_arvalid_o && m_axi_arready_i)
                  - 16'(m_axi_rvalid_i && m_axi_rready_o && m_axi_rlast_i);
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      lock_q <= 1'b0; sel_q <= '0; rr_q <= '0; out_q <= '0;
    end else begin
      lock_q <= lock_d; sel_q <= sel_d; rr_q <= rr_d; out_q <= out_d;
    end
  end

  // ---------------------------------------------------------------------------
  // Assertions: AXI4 AR/R handshake rules and burst shape
  // ---------------------------------------------------------------------------
  a_ar_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_arvalid_o && !m_axi_arready_i) |=> m_axi_arvalid_o)
    else $error("m_axi AR: arvalid dropped before arready");
  a_ar_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_arvalid_o && !m_axi_arready_i) |=>
        ($stable(m_axi_araddr_o) && $stable(m_axi_arid_o) && $stable(m_axi_arlen_o) &&
         $stable(m_axi_arsize_o) && $stable(m_axi_arburst_o)))
    else $error("m_axi AR: araddr/arid/arlen/arsize/arburst changed while arvalid && !arready");
  a_r_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_rvalid_i && !m_axi_rready_o) |=> m_axi_rvalid_i)
    else $error("m_axi R: rvalid dropped before rready");
  a_r_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_rvalid_i && !m_axi_rready_o) |=>
        ($stable(m_axi_rdata_i) && $stable(m_axi_rid_i) && $stable(m_axi_rresp_i) &&
         $stable(m_axi_rlast_i)))
    else $error("m_axi R: rdata/rid/rresp/rlast changed while rvalid && !rready");
  a_ar_4k: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_arvalid_o |-> ({1'b0, m_axi_araddr_o[11:0]} + (13'(m_axi_arlen_o) + 13'd1) * 13'(BW)
                           <= 13'd4096))
    else $error("m_axi AR: burst crosses a 4 KiB boundary");
  a_ar_align: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_arvalid_o |-> (m_axi_araddr_o[$clog2(BW)-1:0] == '0))
    else $error("m_axi AR: araddr not aligned to the bus width");
  a_ar_len: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_arvalid_o |-> (32'(m_axi_arlen_o) < MAX_BURST_BEATS))
    else $error("m_axi AR: arlen above MAX_BURST_BEATS-1");
  a_r_id: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_axi_rvalid_i |-> (|src_r_valid_o))
    else $error("m_axi R: rid matches no read source");
  a_r_outstanding: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_axi_rvalid_i && m_axi_rlast_i) |-> (out_q != 16'd0))
    else $error("m_axi R: rlast with no read outstanding (outstanding counter underflow)");

`ifndef SYNTHESIS
  // Beat count check: per source, the lengths of outstanding bursts in order.
  localparam int unsigned QD = 16;
  logic [7:0] q_len  [N][QD];
  logic [$clog2(QD)-1:0] q_wr [N];
  logic [$clog2(QD)-1:0] q_rd [N];
  logic [8:0] q_beat [N];
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      for (int i = 0; i < N; i++) begin
        q_wr[i] <= '0; q_rd[i] <= '0; q_beat[i] <= '0;
      end
    end else begin
      for (int i = 0; i < N; i++) begin
        if (m_axi_arvalid_o && m_axi_arready_i && sel == 2'(i)) begin
          q_len[i][q_wr[i]] <= m_axi_arlen_o;
          q_wr[i] <= q_wr[i] + 1'b1;
        end
        if (src_r_valid_o[i]) begin
          if (m_axi_rlast_i) begin
            q_rd[i]   <= q_rd[i] + 1'b1;
            q_beat[i] <= '0;
          end else begin
            q_beat[i] <= q_beat[i] + 9'd1;
          end
        end
      end
    end
  end
  for (genvar gi = 0; gi < N; gi++) begin : g_rcheck
    // (plain signals: Verilator 5.006 cannot sample a 2-D array select in a property)
    logic       pend, last_ok;
    assign pend    = (q_wr[gi] != q_rd[gi]);
    assign last_ok = (m_axi_rlast_i == (q_beat[gi] == {1'b0, q_len[gi][q_rd[gi]]}));
    a_r_beats: assert property (@(posedge clk_i) disable iff (!rst_ni)
        src_r_valid_o[gi] |-> (pend && last_ok))
      else $error("m_axi R: rlast does not match arlen (beat count) or R for an ID with nothing outstanding");
  end
`endif

endmodule

`default_nettype wire
