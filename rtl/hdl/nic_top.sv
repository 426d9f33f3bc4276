// nic_top: the NIC top level (port list per docs/ARCHITECTURE.md).
// Parameters and ports are the contract of docs/ARCHITECTURE.md.
`default_nettype none

module nic_top
  import nic_regs_pkg::*;
#(
  parameter int unsigned AXI_DATA_W      = 64,
  parameter int unsigned AXI_ADDR_W      = 64,
  parameter int unsigned AXI_ID_W        = 4,
  parameter int unsigned RX_FIFO_BYTES   = 16384,
  parameter int unsigned TX_FIFO_BYTES   = 16384,
  parameter int unsigned DESC_CACHE      = 8,
  parameter int unsigned MAX_BURST_BEATS = 256,
  parameter int unsigned MAX_OUTSTANDING = 4,
  parameter int unsigned RX_OVERLAP      = 1
) (
  input  wire logic                    clk_i,
  input  wire logic                    rst_ni,
  output      logic                    irq_o,
  // AXI4-Lite slave
  input  wire logic [REG_ADDR_W-1:0]   s_axil_awaddr_i,
  input  wire logic                    s_axil_awvalid_i,
  output      logic                    s_axil_awready_o,
  input  wire logic [REG_DATA_W-1:0]   s_axil_wdata_i,
  input  wire logic [REG_DATA_W/8-1:0] s_axil_wstrb_i,
  input  wire logic                    s_axil_wvalid_i,
  output      logic                    s_axil_wready_o,
  output      logic [1:0]              s_axil_bresp_o,
  output      logic                    s_axil_bvalid_o,
  input  wire logic                    s_axil_bready_i,
  input  wire logic [REG_ADDR_W-1:0]   s_axil_araddr_i,
  input  wire logic                    s_axil_arvalid_i,
  output      logic                    s_axil_arready_o,
  output      logic [REG_DATA_W-1:0]   s_axil_rdata_o,
  output      logic [1:0]              s_axil_rresp_o,
  output      logic                    s_axil_rvalid_o,
  input  wire logic                    s_axil_rready_i,
  // AXI4 master, write
  output      logic [AXI_ID_W-1:0]     m_axi_awid_o,
  output      logic [AXI_ADDR_W-1:0]   m_axi_awaddr_o,
  output      logic [7:0]              m_axi_awlen_o,
  output      logic [2:0]              m_axi_awsize_o,
  output      logic [1:0]              m_axi_awburst_o,
  output      logic                    m_axi_awvalid_o,
  input  wire logic                    m_axi_awready_i,
  output      logic [AXI_DATA_W-1:0]   m_axi_wdata_o,
  output      logic [AXI_DATA_W/8-1:0] m_axi_wstrb_o,
  output      logic                    m_axi_wlast_o,
  output      logic                    m_axi_wvalid_o,
  input  wire logic                    m_axi_wready_i,
  input  wire logic [AXI_ID_W-1:0]     m_axi_bid_i,
  input  wire logic [1:0]              m_axi_bresp_i,
  input  wire logic                    m_axi_bvalid_i,
  output      logic                    m_axi_bready_o,
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
  output      logic                    m_axi_rready_o,
  // AXI-Stream RX in (from the MAC)
  input  wire logic [AXI_DATA_W-1:0]   s_axis_rx_tdata_i,
  input  wire logic [AXI_DATA_W/8-1:0] s_axis_rx_tkeep_i,
  input  wire logic                    s_axis_rx_tlast_i,
  input  wire logic                    s_axis_rx_tvalid_i,
  output      logic                    s_axis_rx_tready_o,
  // AXI-Stream TX out (to the MAC)
  output      logic [AXI_DATA_W-1:0]   m_axis_tx_tdata_o,
  output      logic [AXI_DATA_W/8-1:0] m_axis_tx_tkeep_o,
  output      logic                    m_axis_tx_tlast_o,
  output      logic                    m_axis_tx_tvalid_o,
  input  wire logic                    m_axis_tx_tready_i
);
  // Elaboration-time parameter checks.
  if (!(AXI_DATA_W == 64 || AXI_DATA_W == 128)) begin : g_bad_data_w
    $fatal(1, "nic_top: AXI_DATA_W must be 64 or 128");
  end
  if (AXI_ADDR_W < 32 || AXI_ADDR_W > 64) begin : g_bad_addr_w
    $fatal(1, "nic_top: AXI_ADDR_W must be in 32..64");
  end
  if (AXI_ID_W < 2) begin : g_bad_id_w
    $fatal(1, "nic_top: AXI_ID_W must be >= 2 (IDs 0..2 are used)");
  end
  if (RX_FIFO_BYTES < 16384 || (RX_FIFO_BYTES & (RX_FIFO_BYTES - 1)) != 0) begin : g_bad_rx_fifo
    $fatal(1, "nic_top: RX_FIFO_BYTES must be a power of two >= 16384 (a MAX_FRAME_CAP frame must fit)");
  end
  if (TX_FIFO_BYTES < 16384 || (TX_FIFO_BYTES & (TX_FIFO_BYTES - 1)) != 0) begin : g_bad_tx_fifo
    $fatal(1, "nic_top: TX_FIFO_BYTES must be a power of two >= 16384 (a MAX_FRAME_CAP frame must fit)");
  end
  if (DESC_CACHE < 2 || DESC_CACHE > 64 || (DESC_CACHE & (DESC_CACHE - 1)) != 0) begin : g_bad_cache
    $fatal(1, "nic_top: DESC_CACHE must be a power of two in 2..64");
  end
  if (MAX_BURST_BEATS < 2 || MAX_BURST_BEATS > 256) begin : g_bad_burst
    $fatal(1, "nic_top: MAX_BURST_BEATS must be in 2..256");
  end
  if (MAX_OUTSTANDING < 1 || MAX_OUTSTANDING > 16) begin : g_bad_outst
    $fatal(1, "nic_top: MAX_OUTSTANDING must be in 1..16");
  end

  // Contract checks: the register map (nic_regs_pkg, generated from
  // rtl/regmap.toml) must match what this RTL was written for.
  if (REG_ADDR_W != 12) begin : g_bad_regaddr
    $fatal(1, "nic_top: regmap addr_width must be 12 (s_axil_*addr is 12 bits)");
  end
  if (RST_ID != DEVICE_ID || RST_VERSION != DEVICE_VERSION) begin : g_bad_id
    $fatal(1, "nic_top: ID/VERSION reset values must equal the device id/version");
  end
  if (CTRL_ENABLE_W != 1 || CTRL_SOFT_RESET_W != 1 || CTRL_LOOPBACK_W != 1 ||
      STATUS_RX_STOPPED_W != 1 || STATUS_TX_STOPPED_W != 1 || STATUS_IDLE_W != 1 ||
      IRQ_STATUS_RX_CQ_W != 1 || IRQ_STATUS_TX_CQ_W != 1 || IRQ_STATUS_DMA_ERR_W != 1 ||
      IRQ_STATUS_RX_DROP_W != 1) begin : g_bad_fieldw
    $fatal(1, "nic_top: CTRL/STATUS/IRQ_STATUS fields must be single bits");
  end
  if (IRQ_STATUS_RX_CQ_LSB > 3 || IRQ_STATUS_TX_CQ_LSB > 3 || IRQ_STATUS_DMA_ERR_LSB > 3 ||
      IRQ_STATUS_RX_DROP_LSB > 3) begin : g_bad_irqbits
    $fatal(1, "nic_top: IRQ_STATUS bits must be in [3:0]");
  end
  if (CPL_LEN_BYTES != 4 || CPL_TAG_BYTES != 4 || CPL_DESC_IDX_BYTES != 2 ||
      CPL_STATUS_BYTES != 1 || CPL_FLAGS_BYTES != 1 || CPL_TS_BYTES != 4) begin : g_bad_cpl
    $fatal(1, "nic_top: completion field widths differ from what the RTL writes");
  end
  if (REG_DATA_W != 32 || DMA_ADDR_W != 2 * REG_DATA_W || DESC_ADDR_W != DMA_ADDR_W ||
      RING_IDX_W != CPL_DESC_IDX_W || RING_IDX_W > REG_DATA_W) begin : g_bad_addr_idx_w
    $fatal(1, "nic_top: DMA addresses must be two registers wide, ring indices as DESC_IDX");
  end
  if (FRAME_LEN_W != $clog2(MAX_FRAME_CAP + 1) || FRAME_CNT_W <= FRAME_LEN_W ||
      FRAME_CNT_W > CPL_LEN_W || FRAME_CNT_W > DESC_LEN_W ||
      RING_SIZE_W != $clog2(MAX_RING_SIZE + 1) || RING_SIZE_W > RING_IDX_W ||
      RX_HEADROOM_W != $clog2(MAX_RX_HEADROOM + 1)) begin : g_bad_len_w
    $fatal(1, "nic_top: FRAME_LEN_W, FRAME_CNT_W, RING_SIZE_W or RX_HEADROOM_W does not fit its maximum");
  end

  localparam int unsigned BW    = AXI_DATA_W / 8;
  localparam int unsigned ADV_W = $clog2(DESC_CACHE + 1);
  localparam int unsigned NSRC  = 6;

  // ---------------------------------------------------------------------------
  // Soft reset sequencing: CTRL.SOFT_RESET raises `quiesce` (no new frame, no
  // new AXI transaction, no new TX stream frame); once nothing is outstanding
  // on any AXI channel and the TX stream is between frames, one srst cycle
  // resets every engine and the register file.
  // ---------------------------------------------------------------------------
  logic srst_q, srst_d;
  logic eng_rst_n;
  logic quiesce;
  assign eng_rst_n = rst_ni && !srst_q;

  // ----- register file -----
  logic        ctrl_enable, ctrl_loopback;
  logic [RX_HEADROOM_W-1:0] headroom;
  logic [FRAME_LEN_W-1:0] mfl;
  logic [CPL_TS_W-1:0] cycle;
  logic [DMA_ADDR_W-1:0] rx_ring_base, rx_cq_base, tx_ring_base, tx_cq_base;
  logic [RING_SIZE_W-1:0] rx_ring_size, tx_ring_size;
  logic [RING_IDX_W-1:0] rx_prod, rx_cons, tx_prod, tx_cons;
  logic        rx_ring_reset, tx_ring_reset;
  logic        rx_stopped, tx_stopped;
  logic        rx_cons_adv, tx_cons_adv;
  logic [ADV_W-1:0] rx_cons_adv_n, tx_cons_adv_n;
  logic        rx_cpl_ack, tx_cpl_ack, tx_cpl_bad;
  logic [FRAME_CNT_W-1:0] rx_cpl_len;
  logic        tx_sent;
  logic [FRAME_CNT_W-1:0] tx_sent_len;
  logic        drop_no_desc, drop_too_long, drop_off_eng, drop_off_mux;
  logic [1:0]  drop_dma_err;
  logic [NSRC-1:0]       err_valid;
  logic [NSRC-1:0][DMA_ERR_INFO_RESP_W-1:0] err_resp;
  logic [NSRC-1:0][DMA_ADDR_W-1:0] err_addr;
  logic        dev_idle;
  logic        rx_halt, tx_halt;

  nic_regs_slave #(.DESC_CACHE(DESC_CACHE)) u_regs (
    .clk_i, .rst_ni, .srst_i(srst_q),
    .s_axil_awaddr_i, .s_axil_awvalid_i, .s_axil_awready_o,
    .s_axil_wdata_i, .s_axil_wstrb_i, .s_axil_wvalid_i, .s_axil_wready_o,
    .s_axil_bresp_o, .s_axil_bvalid_o, .s_axil_bready_i,
    .s_axil_araddr_i, .s_axil_arvalid_i, .s_axil_arready_o,
    .s_axil_rdata_o, .s_axil_rresp_o, .s_axil_rvalid_o, .s_axil_rready_i,
    .ctrl_enable_o(ctrl_enable), .ctrl_loopback_o(ctrl_loopback), .soft_reset_req_o(quiesce),
    .rx_headroom_o(headroom), .max_frame_len_o(mfl), .cycle_o(cycle),
    .rx_ring_base_o(rx_ring_base), .rx_ring_size_o(rx_ring_size), .rx_prod_o(rx_prod),
    .rx_cons_o(rx_cons), .rx_cq_base_o(rx_cq_base), .rx_ring_reset_o(rx_ring_reset),
    .tx_ring_base_o(tx_ring_base), .tx_ring_size_o(tx_ring_size), .tx_prod_o(tx_prod),
    .tx_cons_o(tx_cons), .tx_cq_base_o(tx_cq_base), .tx_ring_reset_o(tx_ring_reset),
    .rx_stopped_o(rx_stopped), .tx_stopped_o(tx_stopped),
    .rx_cons_adv_i(rx_cons_adv), .rx_cons_adv_n_i(rx_cons_adv_n),
    .tx_cons_adv_i(tx_cons_adv), .tx_cons_adv_n_i(tx_cons_adv_n),
    .rx_cpl_ack_i(rx_cpl_ack), .rx_cpl_len_i(rx_cpl_len),
    .tx_cpl_ack_i(tx_cpl_ack), .tx_cpl_bad_i(tx_cpl_bad),
    .tx_sent_i(tx_sent), .tx_sent_len_i(tx_sent_len),
    .rx_drop_no_desc_i(drop_no_desc), .rx_drop_too_long_i(drop_too_long),
    .rx_drop_off_i({drop_off_mux, drop_off_eng}), .rx_drop_dma_err_i(drop_dma_err),
    .err_valid_i(err_valid), .err_resp_i(err_resp), .err_addr_i(err_addr),
    .idle_i(dev_idle), .irq_o
  );

  // A queue stops at once when one of its transactions fails (the register
  // bit follows a cycle later).
  assign rx_halt = rx_stopped || err_valid[DMA_ERR_SRC_RX_DESC] ||
                   err_valid[DMA_ERR_SRC_RX_DATA] || err_valid[DMA_ERR_SRC_RX_CPL];
  assign tx_halt = tx_stopped || err_valid[DMA_ERR_SRC_TX_DESC] ||
                   err_valid[DMA_ERR_SRC_TX_DATA] || err_valid[DMA_ERR_SRC_TX_CPL];

  // ----- AXI arbiters -----
  logic [2:0]        rd_ar_valid, rd_ar_ready, rd_r_valid;
  logic [2:0][DMA_ADDR_W-1:0] rd_ar_addr;
  logic [2:0][7:0]   rd_ar_len;
  logic [AXI_DATA_W-1:0] rd_r_data;
  logic [1:0]        rd_r_resp;
  logic              rd_r_last, rd_idle;
  logic [2:0]        wr_aw_valid, wr_aw_ready, wr_w_valid, wr_w_ready, wr_w_last, wr_b_valid;
  logic [2:0][DMA_ADDR_W-1:0] wr_aw_addr;
  logic [2:0][7:0]   wr_aw_len;
  logic [2:0][AXI_DATA_W-1:0] wr_w_data;
  logic [2:0][BW-1:0] wr_w_strb;
  logic [1:0]        wr_b_resp;
  logic              wr_idle;

  nic_xbar_rd #(
    .AXI_DATA_W(AXI_DATA_W), .AXI_ADDR_W(AXI_ADDR_W), .AXI_ID_W(AXI_ID_W),
    .MAX_BURST_BEATS(MAX_BURST_BEATS)
  ) u_rd_arb (
    .clk_i, .rst_ni(eng_rst_n),
    .src_ar_valid_i(rd_ar_valid), .src_ar_ready_o(rd_ar_ready), .src_ar_addr_i(rd_ar_addr),
    .src_ar_len_i(rd_ar_len), .src_r_valid_o(rd_r_valid), .src_r_data_o(rd_r_data),
    .src_r_resp_o(rd_r_resp), .src_r_last_o(rd_r_last), .idle_o(rd_idle),
    .m_axi_arid_o, .m_axi_araddr_o, .m_axi_arlen_o, .m_axi_arsize_o, .m_axi_arburst_o,
    .m_axi_arvalid_o, .m_axi_arready_i, .m_axi_rid_i, .m_axi_rdata_i, .m_axi_rresp_i,
    .m_axi_rlast_i, .m_axi_rvalid_i, .m_axi_rready_o
  );

  nic_xbar_wr #(
    .AXI_DATA_W(AXI_DATA_W), .AXI_ADDR_W(AXI_ADDR_W), .AXI_ID_W(AXI_ID_W),
    .MAX_BURST_BEATS(MAX_BURST_BEATS)
  ) u_wr_arb (
    .clk_i, .rst_ni(eng_rst_n),
    .src_aw_valid_i(wr_aw_valid), .src_aw_ready_o(wr_aw_ready), .src_aw_addr_i(wr_aw_addr),
    .src_aw_len_i(wr_aw_len), .src_w_valid_i(wr_w_valid), .src_w_ready_o(wr_w_ready),
    .src_w_data_i(wr_w_data), .src_w_strb_i(wr_w_strb), .src_w_last_i(wr_w_last),
    .src_b_valid_o(wr_b_valid), .src_b_resp_o(wr_b_resp), .idle_o(wr_idle),
    .m_axi_awid_o, .m_axi_awaddr_o, .m_axi_awlen_o, .m_axi_awsize_o, .m_axi_awburst_o,
    .m_axi_awvalid_o, .m_axi_awready_i, .m_axi_wdata_o, .m_axi_wstrb_o, .m_axi_wlast_o,
    .m_axi_wvalid_o, .m_axi_wready_i, .m_axi_bid_i, .m_axi_bresp_i, .m_axi_bvalid_i,
    .m_axi_bready_o
  );

  // ----- descriptor prefetch, one per queue -----
  logic        rxd_valid, rxd_pop, rxd_more, rxd_idle;
  logic [DESC_ADDR_W-1:0] rxd_addr;
  logic [DESC_LEN_W-1:0] rxd_len;
  logic [DESC_TAG_W-1:0] rxd_tag;
  logic [RING_IDX_W-1:0] rxd_idx;
  logic        txd_valid, txd_pop, txd_more, txd_idle;
  logic [DESC_ADDR_W-1:0] txd_addr;
  logic [DESC_LEN_W-1:0] txd_len;
  logic [DESC_TAG_W-1:0] txd_tag;
  logic [RING_IDX_W-1:0] txd_idx;

  nic_ring_fetch #(
    .AXI_DATA_W(AXI_DATA_W), .DESC_CACHE(DESC_CACHE), .MAX_BURST_BEATS(MAX_BURST_BEATS)
  ) u_rx_desc (
    .clk_i, .rst_ni(eng_rst_n),
    .run_i(ctrl_enable && !rx_halt && !quiesce), .flush_i(rx_ring_reset),
    .ring_base_i(rx_ring_base), .ring_size_i(rx_ring_size), .prod_i(rx_prod), .cons_i(rx_cons),
    .cons_adv_o(rx_cons_adv), .cons_adv_n_o(rx_cons_adv_n),
    .ar_valid_o(rd_ar_valid[0]), .ar_ready_i(rd_ar_ready[0]), .ar_addr_o(rd_ar_addr[0]),
    .ar_len_o(rd_ar_len[0]),
    .r_valid_i(rd_r_valid[0]), .r_data_i(rd_r_data), .r_resp_i(rd_r_resp), .r_last_i(rd_r_last),
    .err_o(err_valid[DMA_ERR_SRC_RX_DESC]), .err_resp_o(err_resp[DMA_ERR_SRC_RX_DESC]),
    .err_addr_o(err_addr[DMA_ERR_SRC_RX_DESC]),
    .d_valid_o(rxd_valid), .d_addr_o(rxd_addr), .d_len_o(rxd_len), .d_tag_o(rxd_tag),
    .d_idx_o(rxd_idx), .d_pop_i(rxd_pop), .more_o(rxd_more), .axi_idle_o(rxd_idle)
  );

  nic_ring_fetch #(
    .AXI_DATA_W(AXI_DATA_W), .DESC_CACHE(DESC_CACHE), .MAX_BURST_BEATS(MAX_BURST_BEATS)
  ) u_tx_desc (
    .clk_i, .rst_ni(eng_rst_n),
    .run_i(ctrl_enable && !tx_halt && !quiesce), .flush_i(tx_ring_reset),
    .ring_base_i(tx_ring_base), .ring_size_i(tx_ring_size), .prod_i(tx_prod), .cons_i(tx_cons),
    .cons_adv_o(tx_cons_adv), .cons_adv_n_o(tx_cons_adv_n),
    .ar_valid_o(rd_ar_valid[1]), .ar_ready_i(rd_ar_ready[1]), .ar_addr_o(rd_ar_addr[1]),
    .ar_len_o(rd_ar_len[1]),
    .r_valid_i(rd_r_valid[1]), .r_data_i(rd_r_data), .r_resp_i(rd_r_resp), .r_last_i(rd_r_last),
    .err_o(err_valid[DMA_ERR_SRC_TX_DESC]), .err_resp_o(err_resp[DMA_ERR_SRC_TX_DESC]),
    .err_addr_o(err_addr[DMA_ERR_SRC_TX_DESC]),
    .d_valid_o(txd_valid), .d_addr_o(txd_addr), .d_len_o(txd_len), .d_tag_o(txd_tag),
    .d_idx_o(txd_idx), .d_pop_i(txd_pop), .more_o(txd_more), .axi_idle_o(txd_idle)
  );

  // ----- streams: loopback mux, RX FIFO, TX FIFO -----
  logic [AXI_DATA_W-1:0] f_tdata, t_tdata;
  logic [BW-1:0]         f_tkeep, t_tkeep;
  logic                  f_tlast, f_tvalid, f_tready, t_tlast, t_tvalid, t_tready;
  logic                  t_idle, lb_hold;

  nic_stream_mux #(.DATA_W(AXI_DATA_W)) u_lb_mux (
    .clk_i, .rst_ni, .srst_i(srst_q), .lb_req_i(ctrl_loopback),
    .s_rx_tdata_i(s_axis_rx_tdata_i), .s_rx_tkeep_i(s_axis_rx_tkeep_i),
    .s_rx_tlast_i(s_axis_rx_tlast_i), .s_rx_tvalid_i(s_axis_rx_tvalid_i),
    .s_rx_tready_o(s_axis_rx_tready_o),
    .t_tdata_i(t_tdata), .t_tkeep_i(t_tkeep), .t_tlast_i(t_tlast), .t_tvalid_i(t_tvalid),
    .t_tready_o(t_tready), .t_idle_i(t_idle), .tx_hold_o(lb_hold),
    .m_tx_tdata_o(m_axis_tx_tdata_o), .m_tx_tkeep_o(m_axis_tx_tkeep_o),
    .m_tx_tlast_o(m_axis_tx_tlast_o), .m_tx_tvalid_o(m_axis_tx_tvalid_o),
    .m_tx_tready_i(m_axis_tx_tready_i),
    .f_tdata_o(f_tdata), .f_tkeep_o(f_tkeep), .f_tlast_o(f_tlast), .f_tvalid_o(f_tvalid),
    .f_tready_i(f_tready), .drop_off_o(drop_off_mux)
  );

  logic                  rxm_valid, rxm_too_long, rxm_pop, rxf_dvalid, rxf_dpop, rxf_empty;
  logic [FRAME_CNT_W-1:0] rxm_len, rxm_beats;
  logic [AXI_DATA_W-1:0] rxf_data;

  nic_rx_fifo #(.DATA_W(AXI_DATA_W), .FIFO_BYTES(RX_FIFO_BYTES)) u_rx_fifo (
    .clk_i, .rst_ni(eng_rst_n), .max_frame_len_i(mfl),
    .s_tdata_i(f_tdata), .s_tkeep_i(f_tkeep), .s_tlast_i(f_tlast), .s_tvalid_i(f_tvalid),
    .s_tready_o(f_tready),
    .m_valid_o(rxm_valid), .m_len_o(rxm_len), .m_beats_o(rxm_beats), .m_too_long_o(rxm_too_long),
    .m_pop_i(rxm_pop), .d_valid_o(rxf_dvalid), .d_data_o(rxf_data), .d_pop_i(rxf_dpop),
    .empty_o(rxf_empty)
  );

  logic                  txf_wr, txf_wlast, txf_commit, txf_rewind, txf_empty;
  logic [AXI_DATA_W-1:0] txf_wdata;
  logic [BW-1:0]         txf_wkeep;
  logic [FRAME_CNT_W-1:0] txf_free;

  nic_tx_fifo #(.DATA_W(AXI_DATA_W), .FIFO_BYTES(TX_FIFO_BYTES)) u_tx_fifo (
    .clk_i, .rst_ni(eng_rst_n),
    .wr_i(txf_wr), .wdata_i(txf_wdata), .wkeep_i(txf_wkeep), .wlast_i(txf_wlast),
    .commit_i(txf_commit), .rewind_i(txf_rewind), .free_o(txf_free),
    .hold_i(quiesce || lb_hold),
    .m_tdata_o(t_tdata), .m_tkeep_o(t_tkeep), .m_tlast_o(t_tlast), .m_tvalid_o(t_tvalid),
    .m_tready_i(t_tready), .sent_o(tx_sent), .sent_len_o(tx_sent_len),
    .stream_idle_o(t_idle), .empty_o(txf_empty)
  );

  // ----- engines -----
  logic rxe_axi_idle, rxe_idle, txe_axi_idle, txe_idle;

  nic_rx_engine #(
    .AXI_DATA_W(AXI_DATA_W), .MAX_BURST_BEATS(MAX_BURST_BEATS), .MAX_OUTSTANDING(MAX_OUTSTANDING),
    .RX_OVERLAP(RX_OVERLAP)
  ) u_rx_engine (
    .clk_i, .rst_ni(eng_rst_n),
    .run_i(ctrl_enable && !rx_halt), .halt_i(rx_halt), .quiesce_i(quiesce),
    .headroom_i(headroom), .cq_base_i(rx_cq_base), .ring_size_i(rx_ring_size),
    .ring_reset_i(rx_ring_reset), .cycle_i(cycle),
    .m_valid_i(rxm_valid), .m_len_i(rxm_len), .m_beats_i(rxm_beats), .m_too_long_i(rxm_too_long),
    .m_pop_o(rxm_pop), .d_valid_i(rxf_dvalid), .d_data_i(rxf_data), .d_pop_o(rxf_dpop),
    .dc_valid_i(rxd_valid), .dc_addr_i(rxd_addr), .dc_len_i(rxd_len), .dc_tag_i(rxd_tag),
    .dc_idx_i(rxd_idx), .dc_pop_o(rxd_pop), .dc_more_i(rxd_more),
    .pw_aw_valid_o(wr_aw_valid[0]), .pw_aw_ready_i(wr_aw_ready[0]), .pw_aw_addr_o(wr_aw_addr[0]),
    .pw_aw_len_o(wr_aw_len[0]), .pw_w_valid_o(wr_w_valid[0]), .pw_w_ready_i(wr_w_ready[0]),
    .pw_w_data_o(wr_w_data[0]), .pw_w_strb_o(wr_w_strb[0]), .pw_w_last_o(wr_w_last[0]),
    .pw_b_valid_i(wr_b_valid[0]),
    .cw_aw_valid_o(wr_aw_valid[1]), .cw_aw_ready_i(wr_aw_ready[1]), .cw_aw_addr_o(wr_aw_addr[1]),
    .cw_aw_len_o(wr_aw_len[1]), .cw_w_valid_o(wr_w_valid[1]), .cw_w_ready_i(wr_w_ready[1]),
    .cw_w_data_o(wr_w_data[1]), .cw_w_strb_o(wr_w_strb[1]), .cw_w_last_o(wr_w_last[1]),
    .cw_b_valid_i(wr_b_valid[1]), .b_resp_i(wr_b_resp),
    .drop_off_o(drop_off_eng), .drop_too_long_o(drop_too_long), .drop_no_desc_o(drop_no_desc),
    .drop_dma_err_o(drop_dma_err), .cpl_ack_o(rx_cpl_ack), .cpl_ack_len_o(rx_cpl_len),
    .err_pay_o(err_valid[DMA_ERR_SRC_RX_DATA]), .err_pay_resp_o(err_resp[DMA_ERR_SRC_RX_DATA]),
    .err_pay_addr_o(err_addr[DMA_ERR_SRC_RX_DATA]),
    .err_cpl_o(err_valid[DMA_ERR_SRC_RX_CPL]), .err_cpl_resp_o(err_resp[DMA_ERR_SRC_RX_CPL]),
    .err_cpl_addr_o(err_addr[DMA_ERR_SRC_RX_CPL]),
    .axi_idle_o(rxe_axi_idle), .idle_o(rxe_idle)
  );

  nic_tx_engine #(
    .AXI_DATA_W(AXI_DATA_W), .MAX_BURST_BEATS(MAX_BURST_BEATS), .MAX_OUTSTANDING(MAX_OUTSTANDING)
  ) u_tx_engine (
    .clk_i, .rst_ni(eng_rst_n),
    .run_i(ctrl_enable && !tx_halt), .halt_i(tx_halt), .quiesce_i(quiesce),
    .max_frame_len_i(mfl), .cq_base_i(tx_cq_base), .ring_size_i(tx_ring_size),
    .ring_reset_i(tx_ring_reset), .cycle_i(cycle),
    .dc_valid_i(txd_valid), .dc_addr_i(txd_addr), .dc_len_i(txd_len), .dc_tag_i(txd_tag),
    .dc_idx_i(txd_idx), .dc_pop_o(txd_pop),
    .ar_valid_o(rd_ar_valid[2]), .ar_ready_i(rd_ar_ready[2]), .ar_addr_o(rd_ar_addr[2]),
    .ar_len_o(rd_ar_len[2]),
    .r_valid_i(rd_r_valid[2]), .r_data_i(rd_r_data), .r_resp_i(rd_r_resp), .r_last_i(rd_r_last),
    .cw_aw_valid_o(wr_aw_valid[2]), .cw_aw_ready_i(wr_aw_ready[2]), .cw_aw_addr_o(wr_aw_addr[2]),
    .cw_aw_len_o(wr_aw_len[2]), .cw_w_valid_o(wr_w_valid[2]), .cw_w_ready_i(wr_w_ready[2]),
    .cw_w_data_o(wr_w_data[2]), .cw_w_strb_o(wr_w_strb[2]), .cw_w_last_o(wr_w_last[2]),
    .cw_b_valid_i(wr_b_valid[2]), .b_resp_i(wr_b_resp),
    .f_free_i(txf_free), .f_wr_o(txf_wr), .f_data_o(txf_wdata), .f_keep_o(txf_wkeep),
    .f_last_o(txf_wlast), .f_commit_o(txf_commit), .f_rewind_o(txf_rewind),
    .cpl_ack_o(tx_cpl_ack), .cpl_bad_o(tx_cpl_bad),
    .err_pay_o(err_valid[DMA_ERR_SRC_TX_DATA]), .err_pay_resp_o(err_resp[DMA_ERR_SRC_TX_DATA]),
    .err_pay_addr_o(err_addr[DMA_ERR_SRC_TX_DATA]),
    .err_cpl_o(err_valid[DMA_ERR_SRC_TX_CPL]), .err_cpl_resp_o(err_resp[DMA_ERR_SRC_TX_CPL]),
    .err_cpl_addr_o(err_addr[DMA_ERR_SRC_TX_CPL]),
    .axi_idle_o(txe_axi_idle), .idle_o(txe_idle)
  );

  // ----- soft reset and idle -----
  logic all_quiet;
  always_comb begin
    all_quiet = rxd_idle && txd_idle && rxe_axi_idle && txe_axi_idle && rd_idle && wr_idle &&
                t_idle;
    srst_d    = quiesce && all_quiet && !srst_q;
    dev_idle  = rxd_idle && txd_idle && rxe_idle && txe_idle && rd_idle && wr_idle &&
                rxf_empty && txf_empty;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) srst_q <= 1'b0;
    else         srst_q <= srst_d;
  end

  a_srst_quiet: assert property (@(posedge clk_i) disable iff (!rst_ni)
      srst_q |-> (!m_axi_awvalid_o && !m_axi_wvalid_o && !m_axi_arvalid_o && !m_axis_tx_tvalid_o))
    else $fatal(1, "nic_top: soft reset while an AXI/stream transfer was being presented");
  // TX never drops for want of a descriptor, so it does not need `more`.
  logic unused_txd_more;
  assign unused_txd_more = txd_more;

endmodule

`default_nettype wire
