// nic_tx_fifo: store-and-forward TX frame FIFO with an AXI-Stream master.
//
// The TX engine writes a frame's beats (data, keep, last), then commits it
// (or rewinds, discarding it). Only committed beats are read out, so a frame
// goes out on the stream without tvalid gaps. hold_i stops a new frame from
// starting (soft reset, loopback switch); a beat already presented stays
// presented until accepted. The read port is a first-word-fall-through
// register in front of a synchronous-read memory.
`default_nettype none

module nic_tx_fifo
  import nic_regs_pkg::*;
#(
  parameter int unsigned DATA_W     = 64,
  parameter int unsigned FIFO_BYTES = 16384,
  localparam int unsigned KW    = DATA_W / 8,
  localparam int unsigned DEPTH = FIFO_BYTES / KW,
  localparam int unsigned AW    = $clog2(DEPTH),
  localparam int unsigned EW    = DATA_W + KW + 1
) (
  input  wire logic              clk_i,
  input  wire logic              rst_ni,
  // write side (TX engine)
  input  wire logic              wr_i,
  input  wire logic [DATA_W-1:0] wdata_i,
  input  wire logic [KW-1:0]     wkeep_i,
  input  wire logic              wlast_i,
  input  wire logic              commit_i,
  input  wire logic              rewind_i,
  output      logic [FRAME_CNT_W-1:0] free_o,
  // stream side
  input  wire logic              hold_i,
  output      logic [DATA_W-1:0] m_tdata_o,
  output      logic [KW-1:0]     m_tkeep_o,
  output      logic              m_tlast_o,
  output      logic              m_tvalid_o,
  input  wire logic              m_tready_i,
  output      logic              sent_o,
  output      logic [FRAME_CNT_W-1:0] sent_len_o,
  output      logic              stream_idle_o,   // no beat presented, not inside a frame
  output      logic              empty_o
);

  if ((DEPTH & (DEPTH - 1)) != 0 || DEPTH > 32768) begin : g_bad_depth
    $fatal(1, "nic_tx_fifo: FIFO_BYTES must be a power of two (at most 32768 beats)");
  end

  logic [EW-1:0] mem [DEPTH];
  logic [AW:0]   wr_q, wr_d, cm_q, cm_d, rd_q, rd_d;
  logic          ov_q, ov_d;          // output register valid
  logic [EW-1:0] od_q;
  logic          ll_q;                // the most recently loaded beat was a tlast beat
  logic          sof;                 // the next beat to load starts a frame
  logic          mid_q, mid_d;        // stream is inside a frame
  logic [FRAME_CNT_W-1:0] acc_q, acc_d;        // bytes of the frame sent so far
  logic          load, hs;
  logic [FRAME_CNT_W-1:0] nbytes;

  always_comb begin
    wr_d = wr_q; cm_d = cm_q; rd_d = rd_q; ov_d = ov_q; mid_d = mid_q; acc_d = acc_q;
    sent_o = 1'b0;

    if (wr_i) wr_d = wr_q + 1'b1;
    if (commit_i) cm_d = wr_q;
    if (rewind_i) wr_d = cm_q;

    hs = ov_q && m_tready_i;
    nbytes = '0;
    for (int i = 0; i < KW; i++) nbytes = nbytes + FRAME_CNT_W'(m_tkeep_o[i]);
    sent_len_o = acc_q + nbytes;
    if (hs) begin
      mid_d = !m_tlast_o;
      if (m_tlast_o) begin
        sent_o = 1'b1;
        acc_d  = '0;
      end else begin
        acc_d  = acc_q + nbytes;
      end
    end

    sof  = ov_q ? od_q[EW-1] : ll_q;
    load = (rd_q != cm_q) && (!ov_q || hs) && !(sof && hold_i);
    if (load) begin
      rd_d = rd_q + 1'b1;
      ov_d = 1'b1;
    end else if (hs) begin
      ov_d = 1'b0;
    end

  end

  assign {m_tlast_o, m_tkeep_o, m_tdata_o} = od_q;
  assign m_tvalid_o    = ov_q;
  logic [AW:0] used;
  assign used          = wr_q - rd_q;
  assign free_o        = FRAME_CNT_W'(DEPTH) - FRAME_CNT_W'(used);
  assign stream_idle_o = !ov_q && !mid_q;
  assign empty_o       = !ov_q && (rd_q == wr_q);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      wr_q <= '0; cm_q <= '0; rd_q <= '0; ov_q <= 1'b0; ll_q <= 1'b1; mid_q <= 1'b0; acc_q <= '0;
    end else begin
      wr_q <= wr_d; cm_q <= cm_d; rd_q <= rd_d; ov_q <= ov_d; ll_q <= sof; mid_q <= mid_d;
      acc_q <= acc_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (wr_i) mem[wr_q[AW-1:0]] <= {wlast_i, wkeep_i, wdata_i};
    if (load) od_q <= mem[rd_q[AW-1:0]];
  end

  // ----- assertions -----
  a_txf_overflow: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (wr_q - rd_q) <= (AW + 1)'(DEPTH))
    else $error("nic_tx_fifo: overflow");
  a_txf_wr_full: assert property (@(posedge clk_i) disable iff (!rst_ni)
      wr_i |-> ((wr_q - rd_q) != (AW + 1)'(DEPTH)))
    else $error("nic_tx_fifo: write while full");
  a_txf_commit: assert property (@(posedge clk_i) disable iff (!rst_ni)
      ((cm_q - rd_q) <= (wr_q - rd_q)))
    else $error("nic_tx_fifo: committed pointer ahead of the write pointer");
  a_txf_wr_commit: assert property (@(posedge clk_i) disable iff (!rst_ni)
      !(wr_i && (commit_i || rewind_i)))
    else $error("nic_tx_fifo: write in the same cycle as commit/rewind");
  a_txf_frame_end: assert property (@(posedge clk_i) disable iff (!rst_ni)
      commit_i |-> (wr_q != cm_q))
    else $error("nic_tx_fifo: commit of an empty frame");

endmodule

`default_nettype wire
