// nic_rx_fifo: store-and-forward packet FIFO for received frames.
//
// Beats are written as they arrive; a frame becomes visible to the reader
// (one metadata entry: length, stored beats, too-long flag) only after its
// tlast beat. A frame that grows past MAX_FRAME_LEN is truncated: its stored
// beats are released at once and the rest is discarded as it arrives; its
// metadata entry says too_long with zero stored beats. tready is low only
// while the data or the metadata store is full. The data read port is a
// first-word-fall-through register in front of a synchronous-read memory.
`default_nettype none

module nic_rx_fifo
  import nic_regs_pkg::*;
#(
  parameter int unsigned DATA_W     = 64,
  parameter int unsigned FIFO_BYTES = 16384,
  localparam int unsigned KW    = DATA_W / 8,
  localparam int unsigned DEPTH = FIFO_BYTES / KW,
  localparam int unsigned AW    = $clog2(DEPTH),
  localparam int unsigned MDEPTH = (FIFO_BYTES / 64 < 4) ? 4 : FIFO_BYTES / 64,
  localparam int unsigned MAW   = $clog2(MDEPTH)
) (
  input  wire logic              clk_i,
  input  wire logic              rst_ni,
  input  wire logic [FRAME_LEN_W-1:0] max_frame_len_i,
  // AXI-Stream in
  input  wire logic [DATA_W-1:0] s_tdata_i,
  input  wire logic [KW-1:0]     s_tkeep_i,
  input  wire logic              s_tlast_i,
  input  wire logic              s_tvalid_i,
  output      logic              s_tready_o,
  // frame metadata (head of the queue)
  output      logic              m_valid_o,
  output      logic [FRAME_CNT_W-1:0] m_len_o,
  output      logic [FRAME_CNT_W-1:0] m_beats_o,
  output      logic              m_too_long_o,
  input  wire logic              m_pop_i,
  // frame data (first word fall through)
  output      logic              d_valid_o,
  output      logic [DATA_W-1:0] d_data_o,
  input  wire logic              d_pop_i,
  output      logic              empty_o
);

  if ((DEPTH & (DEPTH - 1)) != 0 || (MDEPTH & (MDEPTH - 1)) != 0) begin : g_bad_depth
    $fatal(1, "nic_rx_fifo: FIFO_BYTES must be a power of two");
  end

  // ----- data store -----
  logic [DATA_W-1:0] mem [DEPTH];
  logic [AW:0]  wr_q, wr_d;          // next write slot (uncommitted frame included)
  logic [AW:0]  cm_q, cm_d;          // end of the committed frames
  logic [AW:0]  rd_q, rd_d;          // next slot to load into the output register
  logic         ov_q, ov_d;          // output register valid
  logic [DATA_W-1:0] od_q;
  // ----- frame being received -----
  logic [FRAME_CNT_W-1:0] flen_q, flen_d;
  logic [FRAME_CNT_W-1:0] fbeats_q, fbeats_d;
  logic         ftrunc_q, ftrunc_d;
  logic         fmid_q, fmid_d;
  // ----- metadata store -----
  logic [2*FRAME_CNT_W:0] meta [MDEPTH];  // {too_long, beats, len}
  logic [MAW:0] mwr_q, mwr_d, mrd_q, mrd_d;

  logic         full, mfull, acc, store, load, mpush;
  logic [FRAME_CNT_W-1:0] nbytes, nlen;
  logic [2*FRAME_CNT_W:0] mentry;

  function automatic logic [FRAME_CNT_W-1:0] keep_bytes(input logic [KW-1:0] k);
    logic [FRAME_CNT_W-1:0] c;
    c = '0;
    for (int i = 0; i < KW; i++) c = c + FRAME_CNT_W'(k[i]);
    return c;
  endfunction

  assign full       = ((wr_q - rd_q) == (AW + 1)'(DEPTH));
  assign mfull      = ((mwr_q - mrd_q) == (MAW + 1)'(MDEPTH));
  assign s_tready_o = !full && !mfull;

  always_comb begin
    acc    = s_tvalid_i && s_tready_o;
    nbytes = keep_bytes(s_tkeep_i);
    nlen   = flen_q + nbytes;

    wr_d = wr_q; cm_d = cm_q; rd_d = rd_q; ov_d = ov_q;
    flen_d = flen_q; fbeats_d = fbeats_q; ftrunc_d = ftrunc_q; fmid_d = fmid_q;
    mwr_d = mwr_q; mrd_d = mrd_q;
    store = 1'b0;
    mpush = 1'b0;
    mentry = '0;

    if (acc) begin
      fmid_d = !s_tlast_i;
      if (ftrunc_q || (nlen > FRAME_CNT_W'(max_frame_len_i))) begin
        // too long: release what was stored, drop the rest of the frame
        ftrunc_d = 1'b1;
        wr_d     = cm_q;
      end else begin
        store    = 1'b1;
        wr_d     = wr_q + 1'b1;
        flen_d   = nlen;
        fbeats_d = fbeats_q + 1'b1;
      end
      if (s_tlast_i) begin
        mpush  = 1'b1;
        mentry = ftrunc_d ? {1'b1, {(2 * FRAME_CNT_W){1'b0}}} : {1'b0, fbeats_d, flen_d};
        cm_d   = wr_d;
        flen_d = '0; fbeats_d = '0; ftrunc_d = 1'b0;
      end
    end
    if (mpush) mwr_d = mwr_q + 1'b1;
    if (m_pop_i) mrd_d = mrd_q + 1'b1;

    // FWFT output register: refill from committed data
    load = (rd_q != cm_q) && (!ov_q || d_pop_i);
    if (load) begin
      rd_d = rd_q + 1'b1;
      ov_d = 1'b1;
    end else if (d_pop_i) begin
      ov_d = 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      wr_q <= '0; cm_q <= '0; rd_q <= '0; ov_q <= 1'b0;
      flen_q <= '0; fbeats_q <= '0; ftrunc_q <= 1'b0; fmid_q <= 1'b0;
      mwr_q <= '0; mrd_q <= '0;
    end else begin
      wr_q <= wr_d; cm_q <= cm_d; rd_q <= rd_d; ov_q <= ov_d;
      flen_q <= flen_d; fbeats_q <= fbeats_d; ftrunc_q <= ftrunc_d; fmid_q <= fmid_d;
      mwr_q <= mwr_d; mrd_q <= mrd_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (store) mem[wr_q[AW-1:0]] <= s_tdata_i;
    if (load)  od_q <= mem[rd_q[AW-1:0]];
    if (mpush) meta[mwr_q[MAW-1:0]] <= mentry;
  end

  assign m_valid_o    = (mwr_q != mrd_q);
  assign {m_too_long_o, m_beats_o, m_len_o} = meta[mrd_q[MAW-1:0]];
  assign d_valid_o    = ov_q;
  assign d_data_o     = od_q;
  assign empty_o      = !ov_q && (rd_q == wr_q) && (mwr_q == mrd_q) && !fmid_q;

  // ----- assertions -----
  a_rxf_overflow: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (wr_q - rd_q) <= (AW + 1)'(DEPTH))
    else $error("nic_rx_fifo: data store overflow");
  a_rxf_meta_ovf: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (mwr_q - mrd_q) <= (MAW + 1)'(MDEPTH))
    else $error("nic_rx_fifo: metadata store overflow");
  a_rxf_d_underflow: assert property (@(posedge clk_i) disable iff (!rst_ni)
      d_pop_i |-> ov_q)
    else $error("nic_rx_fifo: data pop while empty (underflow)");
  a_rxf_m_underflow: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_pop_i |-> m_valid_o)
    else $error("nic_rx_fifo: metadata pop while empty (underflow)");
  a_rxf_order: assert property (@(posedge clk_i) disable iff (!rst_ni)
      ((cm_q - rd_q) <= (wr_q - rd_q)))
    else $error("nic_rx_fifo: committed pointer ahead of the write pointer");
  a_rxf_keep: assert property (@(posedge clk_i) disable iff (!rst_ni)
      s_tvalid_i |-> (((s_tkeep_i & (s_tkeep_i + 1'b1)) == '0) &&
                      (s_tlast_i || (&s_tkeep_i))))
    else $error("s_axis_rx: tkeep not contiguous from bit 0, or partial on a non-tlast beat");

endmodule

`default_nettype wire
