// nic_stream_mux: loopback switch between the MAC streams and the NIC's FIFOs.
//
// Normal: s_axis_rx -> RX FIFO, TX FIFO -> m_axis_tx.
// Loopback: TX FIFO -> RX FIFO; m_axis_tx idle; frames arriving on s_axis_rx
// are accepted and dropped whole (drop_off_o once per frame).
// The mode changes only at frame boundaries of both streams: while a change
// is pending, no new frame is started on either side (tx_hold_o, and
// s_axis_rx_tready low between frames), and the switch happens once neither
// stream is inside a frame. After a soft reset a frame that was cut in the
// middle on s_axis_rx is discarded up to its tlast (resynchronisation); that
// tracking is on the hard reset only.
`default_nettype none

module nic_stream_mux
  import nic_regs_pkg::*;
#(
  parameter int unsigned DATA_W = 64,
  localparam int unsigned KW = DATA_W / 8
) (
  input  wire logic              clk_i,
  input  wire logic              rst_ni,      // hard reset
  input  wire logic              srst_i,      // soft reset pulse
  input  wire logic              lb_req_i,    // CTRL.LOOPBACK
  // external RX (from the MAC)
  input  wire logic [DATA_W-1:0] s_rx_tdata_i,
  input  wire logic [KW-1:0]     s_rx_tkeep_i,
  input  wire logic              s_rx_tlast_i,
  input  wire logic              s_rx_tvalid_i,
  output      logic              s_rx_tready_o,
  // TX FIFO stream
  input  wire logic [DATA_W-1:0] t_tdata_i,
  input  wire logic [KW-1:0]     t_tkeep_i,
  input  wire logic              t_tlast_i,
  input  wire logic              t_tvalid_i,
  output      logic              t_tready_o,
  input  wire logic              t_idle_i,
  output      logic              tx_hold_o,
  // external TX (to the MAC)
  output      logic [DATA_W-1:0] m_tx_tdata_o,
  output      logic [KW-1:0]     m_tx_tkeep_o,
  output      logic              m_tx_tlast_o,
  output      logic              m_tx_tvalid_o,
  input  wire logic              m_tx_tready_i,
  // RX FIFO input
  output      logic [DATA_W-1:0] f_tdata_o,
  output      logic [KW-1:0]     f_tkeep_o,
  output      logic              f_tlast_o,
  output      logic              f_tvalid_o,
  input  wire logic              f_tready_i,
  output      logic              drop_off_o
);

  logic lb_q, lb_d;           // current mode (reset with the register file)
  logic xmid_q, xmid_d;       // s_axis_rx is inside a frame (hard reset only)
  logic disc_q, disc_d;       // discarding the rest of a cut frame (hard reset only)
  logic sw, x_hs;

  // The external RX ready depends on state only (registered outputs: no
  // combinational path from an input of nic_top to an output), so it has a
  // block of its own that reads no stream input.
  always_comb begin
    sw = (lb_req_i != lb_q);
    tx_hold_o = sw;
    if (disc_q) begin
      s_rx_tready_o = 1'b1;                       // resync: swallow the cut frame
    end else if (sw && !xmid_q) begin
      s_rx_tready_o = 1'b0;                       // no new frame while switching
    end else if (lb_q) begin
      s_rx_tready_o = 1'b1;                       // loopback: drop external frames
    end else begin
      s_rx_tready_o = f_tready_i;
    end
  end

  always_comb begin
    // defaults: normal mode
    f_tdata_o = s_rx_tdata_i;
    f_tkeep_o = s_rx_tkeep_i;
    f_tlast_o = s_rx_tlast_i;
    f_tvalid_o = 1'b0;
    m_tx_tdata_o = t_tdata_i;
    m_tx_tkeep_o = t_tkeep_i;
    m_tx_tlast_o = t_tlast_i;
    m_tx_tvalid_o = 1'b0;
    t_tready_o = 1'b0;
    drop_off_o = 1'b0;

    if (lb_q) begin
      f_tdata_o  = t_tdata_i;
      f_tkeep_o  = t_tkeep_i;
      f_tlast_o  = t_tlast_i;
      f_tvalid_o = t_tvalid_i;
      t_tready_o = f_tready_i;
    end else begin
      m_tx_tvalid_o = t_tvalid_i;
      t_tready_o    = m_tx_tready_i;
    end

    // external RX side (s_rx_tready_o above)
    if (disc_q || (sw && !xmid_q)) begin
      // swallowing a cut frame, or holding new frames while switching
    end else if (lb_q) begin
      drop_off_o = s_rx_tvalid_i && s_rx_tlast_i;  // loopback: drop external frames
    end else begin
      f_tvalid_o = s_rx_tvalid_i;
    end
    x_hs = s_rx_tvalid_i && s_rx_tready_o;

    xmid_d = xmid_q;
    disc_d = disc_q;
    if (x_hs) begin
      xmid_d = !s_rx_tlast_i;
      if (s_rx_tlast_i) disc_d = 1'b0;
    end
    lb_d = lb_q;
    if (sw && !xmid_q && !x_hs && t_idle_i && !t_tvalid_i) lb_d = lb_req_i;
    if (srst_i) begin
      lb_d   = RST_CTRL[CTRL_LOOPBACK_LSB];
      disc_d = xmid_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      lb_q <= RST_CTRL[CTRL_LOOPBACK_LSB]; xmid_q <= 1'b0; disc_q <= 1'b0;
    end else begin
      lb_q <= lb_d; xmid_q <= xmid_d; disc_q <= disc_d;
    end
  end

  // ----- assertions: AXI-Stream handshake rules on both external streams -----
  a_rx_tvalid_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s_rx_tvalid_i && !s_rx_tready_o) |=> s_rx_tvalid_i)
    else $error("s_axis_rx: tvalid dropped before tready");
  a_rx_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s_rx_tvalid_i && !s_rx_tready_o) |=>
        ($stable(s_rx_tdata_i) && $stable(s_rx_tkeep_i) && $stable(s_rx_tlast_i)))
    else $error("s_axis_rx: tdata/tkeep/tlast changed while tvalid && !tready");
  a_tx_tvalid_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_tx_tvalid_o && !m_tx_tready_i) |=> m_tx_tvalid_o)
    else $error("m_axis_tx: tvalid dropped before tready");
  a_tx_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_tx_tvalid_o && !m_tx_tready_i) |=>
        ($stable(m_tx_tdata_o) && $stable(m_tx_tkeep_o) && $stable(m_tx_tlast_o)))
    else $error("m_axis_tx: tdata/tkeep/tlast changed while tvalid && !tready");
  a_tx_keep: assert property (@(posedge clk_i) disable iff (!rst_ni)
      m_tx_tvalid_o |-> (((m_tx_tkeep_o & (m_tx_tkeep_o + 1'b1)) == '0) && (m_tx_tkeep_o != '0) &&
                         (m_tx_tlast_o || (&m_tx_tkeep_o))))
    else $error("m_axis_tx: tkeep not contiguous from bit 0, empty, or partial on a non-tlast beat");
  a_tx_no_gap: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (m_tx_tvalid_o && m_tx_tready_i && !m_tx_tlast_o) |=> m_tx_tvalid_o)
    else $error("m_axis_tx: tvalid gap inside a frame");

endmodule

`default_nettype wire
