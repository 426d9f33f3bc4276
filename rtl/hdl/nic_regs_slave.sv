// nic_regs_slave: AXI4-Lite register slave, register file, statistics counters,
// DMA error record, interrupt status/mask and per-direction coalescing.
//
// Every offset, reset value and field position comes from nic_regs_pkg
// (generated from rtl/regmap.toml).
//
// Reset domains: rst_ni (hard) resets everything; srst_i (the soft-reset
// pulse from nic_top) resets the register file but not the AXI4-Lite
// handshake state, so a pending B or R response is never withdrawn.
`default_nettype none

module nic_regs_slave
  import nic_regs_pkg::*;
#(
  parameter int unsigned DESC_CACHE = 8,
  localparam int unsigned ADV_W = $clog2(DESC_CACHE + 1),
  localparam int unsigned NSRC = 6
) (
  input  wire logic                   clk_i,
  input  wire logic                   rst_ni,
  input  wire logic                   srst_i,
  // AXI4-Lite slave
  input  wire logic [REG_ADDR_W-1:0]  s_axil_awaddr_i,
  input  wire logic                   s_axil_awvalid_i,
  output      logic                   s_axil_awready_o,
  input  wire logic [REG_DATA_W-1:0]  s_axil_wdata_i,
  input  wire logic [REG_DATA_W/8-1:0] s_axil_wstrb_i,
  input  wire logic                   s_axil_wvalid_i,
  output      logic                   s_axil_wready_o,
  output      logic [1:0]             s_axil_bresp_o,
  output      logic                   s_axil_bvalid_o,
  input  wire logic                   s_axil_bready_i,
  input  wire logic [REG_ADDR_W-1:0]  s_axil_araddr_i,
  input  wire logic                   s_axil_arvalid_i,
  output      logic                   s_axil_arready_o,
  output      logic [REG_DATA_W-1:0]  s_axil_rdata_o,
  output      logic [1:0]             s_axil_rresp_o,
  output      logic                   s_axil_rvalid_o,
  input  wire logic                   s_axil_rready_i,
  // configuration out
  output      logic                   ctrl_enable_o,
  output      logic                   ctrl_loopback_o,
  output      logic                   soft_reset_req_o,
  output      logic [RX_HEADROOM_W-1:0] rx_headroom_o,
  output      logic [FRAME_LEN_W-1:0] max_frame_len_o,
  output      logic [CPL_TS_W-1:0]    cycle_o,
  output      logic [DMA_ADDR_W-1:0]  rx_ring_base_o,
  output      logic [RING_SIZE_W-1:0] rx_ring_size_o,
  output      logic [RING_IDX_W-1:0]  rx_prod_o,
  output      logic [RING_IDX_W-1:0]  rx_cons_o,
  output      logic [DMA_ADDR_W-1:0]  rx_cq_base_o,
  output      logic                   rx_ring_reset_o,
  output      logic [DMA_ADDR_W-1:0]  tx_ring_base_o,
  output      logic [RING_SIZE_W-1:0] tx_ring_size_o,
  output      logic [RING_IDX_W-1:0]  tx_prod_o,
  output      logic [RING_IDX_W-1:0]  tx_cons_o,
  output      logic [DMA_ADDR_W-1:0]  tx_cq_base_o,
  output      logic                   tx_ring_reset_o,
  output      logic                   rx_stopped_o,
  output      logic                   tx_stopped_o,
  // events in
  input  wire logic                   rx_cons_adv_i,
  input  wire logic [ADV_W-1:0]       rx_cons_adv_n_i,
  input  wire logic                   tx_cons_adv_i,
  input  wire logic [ADV_W-1:0]       tx_cons_adv_n_i,
  input  wire logic                   rx_cpl_ack_i,
  input  wire logic [FRAME_CNT_W-1:0] rx_cpl_len_i,
  input  wire logic                   tx_cpl_ack_i,
  input  wire logic                   tx_cpl_bad_i,
  input  wire logic                   tx_sent_i,
  input  wire logic [FRAME_CNT_W-1:0] tx_sent_len_i,
  input  wire logic                   rx_drop_no_desc_i,
  input  wire logic                   rx_drop_too_long_i,
  input  wire logic [1:0]             rx_drop_off_i,
  input  wire logic [1:0]             rx_drop_dma_err_i,
  input  wire logic [NSRC-1:0]        err_valid_i,
  input  wire logic [NSRC-1:0][DMA_ERR_INFO_RESP_W-1:0] err_resp_i,
  input  wire logic [NSRC-1:0][DMA_ADDR_W-1:0] err_addr_i,
  input  wire logic                   idle_i,
  output      logic                   irq_o
);

  // ---------------------------------------------------------------------------
  // Register file state
  // ---------------------------------------------------------------------------
  logic        enable_q, enable_d;
  logic        loopback_q, loopback_d;
  logic        sr_pend_q, sr_pend_d;
  logic [3:0]  irq_stat_q, irq_stat_d;
  logic [3:0]  irq_mask_q, irq_mask_d;
  logic [REG_DATA_W-1:0] coal_frames_q, coal_frames_d;
  logic [REG_DATA_W-1:0] coal_cycles_q, coal_cycles_d;
  logic [FRAME_LEN_W-1:0] mfl_q, mfl_d;
  logic [RX_HEADROOM_W-1:0] headroom_q, headroom_d;
  logic [DMA_ADDR_W-1:0] err_addr_q, err_addr_d;
  logic [DMA_ERR_INFO_RESP_W-1:0] err_resp_q, err_resp_d;
  logic [DMA_ERR_INFO_SOURCE_W-1:0] err_src_q, err_src_d;
  logic        rx_stop_q, rx_stop_d;
  logic        tx_stop_q, tx_stop_d;
  logic [DMA_ADDR_W-1:0] rx_base_q, rx_base_d, tx_base_q, tx_base_d;
  logic [RING_SIZE_W-1:0] rx_size_q, rx_size_d, tx_size_q, tx_size_d;
  logic [RING_IDX_W-1:0] rx_prod_q, rx_prod_d, tx_prod_q, tx_prod_d;
  logic [RING_IDX_W-1:0] rx_cons_q, rx_cons_d, tx_cons_q, tx_cons_d;
  logic [DMA_ADDR_W-1:0] rx_cqb_q, rx_cqb_d, tx_cqb_q, tx_cqb_d;
  logic [RING_IDX_W-1:0] rx_cqp_q, rx_cqp_d, tx_cqp_q, tx_cqp_d;
  logic        rx_rr_q, rx_rr_d, tx_rr_q, tx_rr_d;    // ring-reset pulses
  // statistics
  logic [REG_DATA_W-1:0] st_rx_frames_q, st_rx_frames_d;
  logic [REG_DATA_W-1:0] st_rx_bytes_q, st_rx_bytes_d;
  logic [REG_DATA_W-1:0] st_no_desc_q, st_no_desc_d;
  logic [REG_DATA_W-1:0] st_too_long_q, st_too_long_d;
  logic [REG_DATA_W-1:0] st_off_q, st_off_d;
  logic [REG_DATA_W-1:0] st_tx_frames_q, st_tx_frames_d;
  logic [REG_DATA_W-1:0] st_tx_bytes_q, st_tx_bytes_d;
  logic [REG_DATA_W-1:0] st_dma_err_q, st_dma_err_d;
  logic [REG_DATA_W-1:0] st_drop_dma_q, st_drop_dma_d;
  logic [REG_DATA_W-1:0] st_bad_desc_q, st_bad_desc_d;
  // coalescing
  logic [REG_DATA_W-1:0] rx_pend_q, rx_pend_d, tx_pend_q, tx_pend_d;
  logic [REG_DATA_W-1:0] rx_tmr_q, rx_tmr_d, tx_tmr_q, tx_tmr_d;
  // free-running cycle counter (hard reset only)
  logic [CPL_TS_W-1:0] cycle_q, cycle_d;

  // ---------------------------------------------------------------------------
  // AXI4-Lite handshake state (hard reset only)
  // ---------------------------------------------------------------------------
  logic        aw_have_q, aw_have_d;
  logic [REG_ADDR_W-1:0] aw_addr_q, aw_addr_d;
  logic        w_have_q, w_have_d;
  logic [REG_DATA_W-1:0] w_data_q, w_data_d;
  logic [REG_DATA_W/8-1:0] w_strb_q, w_strb_d;
  logic        bvalid_q, bvalid_d;
  logic [1:0]  bresp_q, bresp_d;
  logic        rvalid_q, rvalid_d;
  logic [REG_DATA_W-1:0] rdata_q, rdata_d;
  logic [1:0]  rresp_q, rresp_d;

  localparam logic [1:0] RESP_OKAY   = AXI_RESP_OKAY[1:0];
  localparam logic [1:0] RESP_SLVERR = AXI_RESP_SLVERR[1:0];
  localparam logic [1:0] RESP_DECERR = AXI_RESP_DECERR[1:0];

  assign s_axil_awready_o = !aw_have_q;
  assign s_axil_wready_o  = !w_have_q;
  assign s_axil_bvalid_o  = bvalid_q;
  assign s_axil_bresp_o   = bresp_q;
  assign s_axil_arready_o = !rvalid_q;
  assign s_axil_rvalid_o  = rvalid_q;
  assign s_axil_rdata_o   = rdata_q;
  assign s_axil_rresp_o   = rresp_q;

  // ---------------------------------------------------------------------------
  // Register read-back: value, mapped, read-only
  // ---------------------------------------------------------------------------
  typedef struct packed {
    logic [REG_DATA_W-1:0] val;
    logic        hit;
    logic        ro;
  } rd_t;

  function automatic rd_t reg_read(input logic [REG_ADDR_W-1:0] a);
    rd_t r;
    r.val = '0;
    r.hit = 1'b1;
    r.ro  = 1'b0;
    case (a)
      REG_ID:              begin r.val = DEVICE_ID; r.ro = 1'b1; end
      REG_VERSION:         begin r.val = DEVICE_VERSION; r.ro = 1'b1; end
      REG_CTRL: begin
        r.val[CTRL_ENABLE_LSB]     = enable_q;
        r.val[CTRL_SOFT_RESET_LSB] = sr_pend_q;
        r.val[CTRL_LOOPBACK_LSB]   = loopback_q;
      end
      REG_STATUS: begin
        r.ro = 1'b1;
        r.val[STATUS_RX_STOPPED_LSB] = rx_stop_q;
        r.val[STATUS_TX_STOPPED_LSB] = tx_stop_q;
        r.val[STATUS_IDLE_LSB]       = idle_i;
      end
      REG_IRQ_STATUS:      r.val[3:0] = irq_stat_q;
      REG_IRQ_MASK:        r.val[3:0] = irq_mask_q;
      REG_IRQ_COAL_FRAMES: r.val = coal_frames_q;
      REG_IRQ_COAL_CYCLES: r.val = coal_cycles_q;
      REG_MAX_FRAME_LEN:   r.val[FRAME_LEN_W-1:0] = mfl_q;
      REG_RX_HEADROOM:     r.val[RX_HEADROOM_W-1:0] = headroom_q;
      REG_DMA_ERR_ADDR_LO: begin r.val = err_addr_q[REG_DATA_W-1:0]; r.ro = 1'b1; end
      REG_DMA_ERR_ADDR_HI: begin r.val = err_addr_q[DMA_ADDR_W-1:REG_DATA_W]; r.ro = 1'b1; end
      REG_DMA_ERR_INFO: begin
        r.ro = 1'b1;
        r.val[DMA_ERR_INFO_RESP_LSB +: DMA_ERR_INFO_RESP_W]     = err_resp_q;
        r.val[DMA_ERR_INFO_SOURCE_LSB +: DMA_ERR_INFO_SOURCE_W] = err_src_q;
      end
      REG_RX_RING_BASE_LO: r.val = rx_base_q[REG_DATA_W-1:0];
      REG_RX_RING_BASE_HI: r.val = rx_base_q[DMA_ADDR_W-1:REG_DATA_W];
      REG_RX_RING_SIZE:    r.val[RING_SIZE_W-1:0] = rx_size_q;
      REG_RX_PROD:         r.val[RING_IDX_W-1:0] = rx_prod_q;
      REG_RX_CONS:         begin r.val[RING_IDX_W-1:0] = rx_cons_q; r.ro = 1'b1; end
      REG_RX_CQ_BASE_LO:   r.val = rx_cqb_q[REG_DATA_W-1:0];
      REG_RX_CQ_BASE_HI:   r.val = rx_cqb_q[DMA_ADDR_W-1:REG_DATA_W];
      REG_RX_CQ_PROD:      begin r.val[RING_IDX_W-1:0] = rx_cqp_q; r.ro = 1'b1; end
      REG_TX_RING_BASE_LO: r.val = tx_base_q[REG_DATA_W-1:0];
      REG_TX_RING_BASE_HI: r.val = tx_base_q[DMA_ADDR_W-1:REG_DATA_W];
      REG_TX_RING_SIZE:    r.val[RING_SIZE_W-1:0] = tx_size_q;
      REG_TX_PROD:         r.val[RING_IDX_W-1:0] = tx_prod_q;
      REG_TX_CONS:         begin r.val[RING_IDX_W-1:0] = tx_cons_q; r.ro = 1'b1; end
      REG_TX_CQ_BASE_LO:   r.val = tx_cqb_q[REG_DATA_W-1:0];
      REG_TX_CQ_BASE_HI:   r.val = tx_cqb_q[DMA_ADDR_W-1:REG_DATA_W];
      REG_TX_CQ_PROD:      begin r.val[RING_IDX_W-1:0] = tx_cqp_q; r.ro = 1'b1; end
      REG_STAT_RX_FRAMES:        begin r.val = st_rx_frames_q; r.ro = 1'b1; end
      REG_STAT_RX_BYTES:         begin r.val = st_rx_bytes_q; r.ro = 1'b1; end
      REG_STAT_RX_DROP_NO_DESC:  begin r.val = st_no_desc_q; r.ro = 1'b1; end
      REG_STAT_RX_DROP_TOO_LONG: begin r.val = st_too_long_q; r.ro = 1'b1; end
      REG_STAT_RX_DROP_OFF:      begin r.val = st_off_q; r.ro = 1'b1; end
      REG_STAT_TX_FRAMES:        begin r.val = st_tx_frames_q; r.ro = 1'b1; end
      REG_STAT_TX_BYTES:         begin r.val = st_tx_bytes_q; r.ro = 1'b1; end
      REG_STAT_DMA_ERRORS:       begin r.val = st_dma_err_q; r.ro = 1'b1; end
      REG_STAT_RX_DROP_DMA_ERR:  begin r.val = st_drop_dma_q; r.ro = 1'b1; end
      REG_STAT_TX_BAD_DESC:      begin r.val = st_bad_desc_q; r.ro = 1'b1; end
      default: r.hit = 1'b0;
    endcase
    return r;
  endfunction

  // A ring size is legal when it is a power of two in MIN..MAX_RING_SIZE.
  function automatic logic ring_size_ok(input logic [REG_DATA_W-1:0] v);
    return (v >= MIN_RING_SIZE) && (v <= MAX_RING_SIZE) && ((v & (v - 1'b1)) == '0);
  endfunction

  // Doorbell: at most `size` descriptors ahead of the device's consumer index.
  function automatic logic doorbell_ok(input logic [REG_DATA_W-1:0] v,
                                       input logic [RING_IDX_W-1:0] cons,
                                       input logic [RING_SIZE_W-1:0] size);
    logic [RING_IDX_W-1:0] ahead;
    ahead = v[RING_IDX_W-1:0] - cons;
    return (v[REG_DATA_W-1:RING_IDX_W] == '0) && (ahead <= RING_IDX_W'(size));
  endfunction

  // ---------------------------------------------------------------------------
  // Next-state logic
  // ---------------------------------------------------------------------------
  rd_t         wr_old, rd_cur;
  logic        do_write;
  logic [REG_DATA_W-1:0] bmask, wval;
  logic [1:0]  wresp;
  logic        rx_fire, tx_fire;
  logic [REG_DATA_W-1:0] rx_thr, tx_thr;
  logic        err_seen;
  logic [2:0]  n_err;
  logic [3:0]  irq_set, irq_clr;   // a new event wins over a write-1-to-clear
  logic        unused_rd_ro;
  assign unused_rd_ro = rd_cur.ro;  // a read of a read-only register is fine

  always_comb begin
    // ----- defaults: hold -----
    aw_have_d = aw_have_q; aw_addr_d = aw_addr_q;
    w_have_d = w_have_q; w_data_d = w_data_q; w_strb_d = w_strb_q;
    bvalid_d = bvalid_q; bresp_d = bresp_q;
    rvalid_d = rvalid_q; rdata_d = rdata_q; rresp_d = rresp_q;

    enable_d = enable_q; loopback_d = loopback_q; sr_pend_d = sr_pend_q;
    irq_stat_d = irq_stat_q; irq_mask_d = irq_mask_q;
    coal_frames_d = coal_frames_q; coal_cycles_d = coal_cycles_q;
    mfl_d = mfl_q; headroom_d = headroom_q;
    err_addr_d = err_addr_q; err_resp_d = err_resp_q; err_src_d = err_src_q;
    rx_stop_d = rx_stop_q; tx_stop_d = tx_stop_q;
    rx_base_d = rx_base_q; rx_size_d = rx_size_q; rx_prod_d = rx_prod_q; rx_cons_d = rx_cons_q;
    rx_cqb_d = rx_cqb_q; rx_cqp_d = rx_cqp_q;
    tx_base_d = tx_base_q; tx_size_d = tx_size_q; tx_prod_d = tx_prod_q; tx_cons_d = tx_cons_q;
    tx_cqb_d = tx_cqb_q; tx_cqp_d = tx_cqp_q;
    rx_rr_d = 1'b0; tx_rr_d = 1'b0;
    st_rx_frames_d = st_rx_frames_q; st_rx_bytes_d = st_rx_bytes_q;
    st_no_desc_d = st_no_desc_q; st_too_long_d = st_too_long_q; st_off_d = st_off_q;
    st_tx_frames_d = st_tx_frames_q; st_tx_bytes_d = st_tx_bytes_q;
    st_dma_err_d = st_dma_err_q; st_drop_dma_d = st_drop_dma_q; st_bad_desc_d = st_bad_desc_q;
    rx_pend_d = rx_pend_q; rx_tmr_d = rx_tmr_q; tx_pend_d = tx_pend_q; tx_tmr_d = tx_tmr_q;
    cycle_d = cycle_q + 1'b1;
    rx_fire = 1'b0; tx_fire = 1'b0;
    irq_set = '0; irq_clr = '0;
    err_seen = (err_resp_q != RESP_OKAY);
    n_err = 3'd0;

    // ----- device-side events (before register writes: a write wins) -----
    if (rx_cons_adv_i) rx_cons_d = rx_cons_q + RING_IDX_W'(rx_cons_adv_n_i);
    if (tx_cons_adv_i) tx_cons_d = tx_cons_q + RING_IDX_W'(tx_cons_adv_n_i);
    if (rx_cpl_ack_i) begin
      rx_cqp_d       = rx_cqp_q + 1'b1;
      st_rx_frames_d = st_rx_frames_q + 1'b1;
      st_rx_bytes_d  = st_rx_bytes_q + REG_DATA_W'(rx_cpl_len_i);
    end
    if (tx_cpl_ack_i) begin
      tx_cqp_d = tx_cqp_q + 1'b1;
      if (tx_cpl_bad_i) st_bad_desc_d = st_bad_desc_q + 1'b1;
    end
    if (tx_sent_i) begin
      st_tx_frames_d = st_tx_frames_q + 1'b1;
      st_tx_bytes_d  = st_tx_bytes_q + REG_DATA_W'(tx_sent_len_i);
    end
    if (rx_drop_no_desc_i)  st_no_desc_d  = st_no_desc_q + 1'b1;
    if (rx_drop_too_long_i) st_too_long_d = st_too_long_q + 1'b1;
    st_off_d = st_off_q + REG_DATA_W'(rx_drop_off_i[0]) + REG_DATA_W'(rx_drop_off_i[1]);
    st_drop_dma_d = st_drop_dma_q + REG_DATA_W'(rx_drop_dma_err_i[0]) +
                    REG_DATA_W'(rx_drop_dma_err_i[1]);
    if (rx_drop_no_desc_i || rx_drop_too_long_i || (rx_drop_off_i != 2'b00) ||
        (rx_drop_dma_err_i != 2'b00))
      irq_set[IRQ_STATUS_RX_DROP_LSB] = 1'b1;

    // DMA errors: count all, record the first (lowest source number wins a tie)
    for (int i = 0; i < NSRC; i++) begin
      if (err_valid_i[i]) begin
        n_err = n_err + 3'd1;
        if (!err_seen) begin
          err_seen   = 1'b1;
          err_addr_d = err_addr_i[i];
          err_resp_d = err_resp_i[i];
          err_src_d  = DMA_ERR_INFO_SOURCE_W'(i);
        end
      end
    end
    st_dma_err_d = st_dma_err_q + REG_DATA_W'(n_err);
    if (n_err != 3'd0) irq_set[IRQ_STATUS_DMA_ERR_LSB] = 1'b1;
    if (err_valid_i[DMA_ERR_SRC_RX_DESC] || err_valid_i[DMA_ERR_SRC_RX_DATA] ||
        err_valid_i[DMA_ERR_SRC_RX_CPL]) rx_stop_d = 1'b1;
    if (err_valid_i[DMA_ERR_SRC_TX_DESC] || err_valid_i[DMA_ERR_SRC_TX_DATA] ||
        err_valid_i[DMA_ERR_SRC_TX_CPL]) tx_stop_d = 1'b1;

    // ----- interrupt coalescing (per direction) -----
    rx_thr = (coal_frames_q == '0) ? REG_DATA_W'(1'b1) : coal_frames_q;
    tx_thr = rx_thr;
    rx_pend_d = rx_pend_q + REG_DATA_W'(rx_cpl_ack_i);
    rx_tmr_d  = (rx_pend_q == '0) ? '0 : rx_tmr_q + 1'b1;
    if (rx_pend_d >= rx_thr) rx_fire = 1'b1;
    else if ((rx_pend_q != '0) && (coal_cycles_q != '0) && (rx_tmr_d >= coal_cycles_q))
      rx_fire = 1'b1;
    if (rx_fire) begin
      rx_pend_d = '0;
      rx_tmr_d  = '0;
      irq_set[IRQ_STATUS_RX_CQ_LSB] = 1'b1;
    end
    tx_pend_d = tx_pend_q + REG_DATA_W'(tx_cpl_ack_i);
    tx_tmr_d  = (tx_pend_q == '0) ? '0 : tx_tmr_q + 1'b1;
    if (tx_pend_d >= tx_thr) tx_fire = 1'b1;
    else if ((tx_pend_q != '0) && (coal_cycles_q != '0) && (tx_tmr_d >= coal_cycles_q))
      tx_fire = 1'b1;
    if (tx_fire) begin
      tx_pend_d = '0;
      tx_tmr_d  = '0;
      irq_set[IRQ_STATUS_TX_CQ_LSB] = 1'b1;
    end

    // ----- AXI4-Lite: accept address and data independently -----
    if (s_axil_awvalid_i && !aw_have_q) begin
      aw_have_d = 1'b1;
      aw_addr_d = s_axil_awaddr_i;
    end
    if (s_axil_wvalid_i && !w_have_q) begin
      w_have_d = 1'b1;
      w_data_d = s_axil_wdata_i;
      w_strb_d = s_axil_wstrb_i;
    end
    if (bvalid_q && s_axil_bready_i) bvalid_d = 1'b0;

    do_write = aw_have_q && w_have_q && !bvalid_q;
    wr_old   = reg_read(aw_addr_q);
    bmask    = {{8{w_strb_q[3]}}, {8{w_strb_q[2]}}, {8{w_strb_q[1]}}, {8{w_strb_q[0]}}};
    wval     = (wr_old.val & ~bmask) | (w_data_q & bmask);
    wresp    = RESP_OKAY;
    if (!wr_old.hit)     wresp = RESP_DECERR;
    else if (wr_old.ro)  wresp = RESP_SLVERR;
    else begin
      case (aw_addr_q)
        REG_RX_RING_BASE_LO, REG_TX_RING_BASE_LO:
          if (enable_q || (wval % DESC_SIZE) != '0) wresp = RESP_SLVERR;
        REG_RX_CQ_BASE_LO, REG_TX_CQ_BASE_LO:
          if (enable_q || (wval % CPL_SIZE) != '0) wresp = RESP_SLVERR;
        REG_RX_RING_BASE_HI, REG_TX_RING_BASE_HI, REG_RX_CQ_BASE_HI, REG_TX_CQ_BASE_HI:
          if (enable_q) wresp = RESP_SLVERR;
        REG_RX_RING_SIZE, REG_TX_RING_SIZE:
          if (enable_q || !ring_size_ok(wval)) wresp = RESP_SLVERR;
        REG_RX_PROD:
          if (!doorbell_ok(wval, rx_cons_q, rx_size_q)) wresp = RESP_SLVERR;
        REG_TX_PROD:
          if (!doorbell_ok(wval, tx_cons_q, tx_size_q)) wresp = RESP_SLVERR;
        REG_MAX_FRAME_LEN:
          if (wval < MIN_FRAME_LEN || wval > MAX_FRAME_CAP) wresp = RESP_SLVERR;
        REG_RX_HEADROOM:
          if (wval > MAX_RX_HEADROOM) wresp = RESP_SLVERR;
        default: ;
      endcase
    end

    if (do_write) begin
      aw_have_d = 1'b0;
      w_have_d  = 1'b0;
      bvalid_d  = 1'b1;
      bresp_d   = wresp;
      if (wresp == RESP_OKAY) begin
        case (aw_addr_q)
          REG_CTRL: begin
            enable_d   = wval[CTRL_ENABLE_LSB];
            loopback_d = wval[CTRL_LOOPBACK_LSB];
            if (wval[CTRL_SOFT_RESET_LSB]) sr_pend_d = 1'b1;
          end
          REG_IRQ_STATUS:      irq_clr = wval[3:0];
          REG_IRQ_MASK:        irq_mask_d = wval[3:0];
          REG_IRQ_COAL_FRAMES: coal_frames_d = wval;
          REG_IRQ_COAL_CYCLES: coal_cycles_d = wval;
          REG_MAX_FRAME_LEN:   mfl_d = wval[FRAME_LEN_W-1:0];
          REG_RX_HEADROOM:     headroom_d = wval[RX_HEADROOM_W-1:0];
          REG_RX_RING_BASE_LO: rx_base_d[REG_DATA_W-1:0] = wval;
          REG_RX_RING_BASE_HI: rx_base_d[DMA_ADDR_W-1:REG_DATA_W] = wval;
          REG_RX_RING_SIZE: begin
            rx_size_d = wval[RING_SIZE_W-1:0];
            rx_prod_d = '0;
            rx_cons_d = '0;
            rx_cqp_d  = '0;
            rx_rr_d   = 1'b1;
          end
          REG_RX_PROD:         rx_prod_d = wval[RING_IDX_W-1:0];
          REG_RX_CQ_BASE_LO:   rx_cqb_d[REG_DATA_W-1:0] = wval;
          REG_RX_CQ_BASE_HI:   rx_cqb_d[DMA_ADDR_W-1:REG_DATA_W] = wval;
          REG_TX_RING_BASE_LO: tx_base_d[REG_DATA_W-1:0] = wval;
          REG_TX_RING_BASE_HI: tx_base_d[DMA_ADDR_W-1:REG_DATA_W] = wval;
          REG_TX_RING_SIZE: begin
            tx_size_d = wval[RING_SIZE_W-1:0];
            tx_prod_d = '0;
            tx_cons_d = '0;
            tx_cqp_d  = '0;
            tx_rr_d   = 1'b1;
          end
          REG_TX_PROD:         tx_prod_d = wval[RING_IDX_W-1:0];
          REG_TX_CQ_BASE_LO:   tx_cqb_d[REG_DATA_W-1:0] = wval;
          REG_TX_CQ_BASE_HI:   tx_cqb_d[DMA_ADDR_W-1:REG_DATA_W] = wval;
          default: ;
        endcase
      end
    end

    irq_stat_d = (irq_stat_q & ~irq_clr) | irq_set;

    // ----- AXI4-Lite read -----
    rd_cur = reg_read(s_axil_araddr_i);
    if (rvalid_q && s_axil_rready_i) rvalid_d = 1'b0;
    if (s_axil_arvalid_i && !rvalid_q) begin
      rvalid_d = 1'b1;
      rdata_d  = rd_cur.hit ? rd_cur.val : '0;
      rresp_d  = rd_cur.hit ? RESP_OKAY : RESP_DECERR;
    end
  end

  // ---------------------------------------------------------------------------
  // Registers
  // ---------------------------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      aw_have_q <= 1'b0; aw_addr_q <= '0;
      w_have_q <= 1'b0; w_data_q <= '0; w_strb_q <= '0;
      bvalid_q <= 1'b0; bresp_q <= '0;
      rvalid_q <= 1'b0; rdata_q <= '0; rresp_q <= '0;
      cycle_q <= '0;
    end else begin
      aw_have_q <= aw_have_d; aw_addr_q <= aw_addr_d;
      w_have_q <= w_have_d; w_data_q <= w_data_d; w_strb_q <= w_strb_d;
      bvalid_q <= bvalid_d; bresp_q <= bresp_d;
      rvalid_q <= rvalid_d; rdata_q <= rdata_d; rresp_q <= rresp_d;
      cycle_q <= cycle_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni || srst_i) begin
      enable_q   <= RST_CTRL[CTRL_ENABLE_LSB];
      loopback_q <= RST_CTRL[CTRL_LOOPBACK_LSB];
      sr_pend_q  <= RST_CTRL[CTRL_SOFT_RESET_LSB];
      irq_stat_q <= RST_IRQ_STATUS[3:0];
      irq_mask_q <= RST_IRQ_MASK[3:0];
      coal_frames_q <= RST_IRQ_COAL_FRAMES;
      coal_cycles_q <= RST_IRQ_COAL_CYCLES;
      mfl_q <= RST_MAX_FRAME_LEN[FRAME_LEN_W-1:0];
      headroom_q <= RST_RX_HEADROOM[RX_HEADROOM_W-1:0];
      err_addr_q <= {RST_DMA_ERR_ADDR_HI, RST_DMA_ERR_ADDR_LO};
      err_resp_q <= RST_DMA_ERR_INFO[DMA_ERR_INFO_RESP_LSB +: DMA_ERR_INFO_RESP_W];
      err_src_q  <= RST_DMA_ERR_INFO[DMA_ERR_INFO_SOURCE_LSB +: DMA_ERR_INFO_SOURCE_W];
      rx_stop_q <= RST_STATUS[STATUS_RX_STOPPED_LSB];
      tx_stop_q <= RST_STATUS[STATUS_TX_STOPPED_LSB];
      rx_base_q <= {RST_RX_RING_BASE_HI, RST_RX_RING_BASE_LO};
      rx_size_q <= RST_RX_RING_SIZE[RING_SIZE_W-1:0];
      rx_prod_q <= RST_RX_PROD[RING_IDX_W-1:0];
      rx_cons_q <= RST_RX_CONS[RING_IDX_W-1:0];
      rx_cqb_q  <= {RST_RX_CQ_BASE_HI, RST_RX_CQ_BASE_LO};
      rx_cqp_q  <= RST_RX_CQ_PROD[RING_IDX_W-1:0];
      tx_base_q <= {RST_TX_RING_BASE_HI, RST_TX_RING_BASE_LO};
      tx_size_q <= RST_TX_RING_SIZE[RING_SIZE_W-1:0];
      tx_prod_q <= RST_TX_PROD[RING_IDX_W-1:0];
      tx_cons_q <= RST_TX_CONS[RING_IDX_W-1:0];
      tx_cqb_q  <= {RST_TX_CQ_BASE_HI, RST_TX_CQ_BASE_LO};
      tx_cqp_q  <= RST_TX_CQ_PROD[RING_IDX_W-1:0];
      rx_rr_q <= 1'b0; tx_rr_q <= 1'b0;
      st_rx_frames_q <= RST_STAT_RX_FRAMES;
      st_rx_bytes_q  <= RST_STAT_RX_BYTES;
      st_no_desc_q   <= RST_STAT_RX_DROP_NO_DESC;
      st_too_long_q  <= RST_STAT_RX_DROP_TOO_LONG;
      st_off_q       <= RST_STAT_RX_DROP_OFF;
      st_tx_frames_q <= RST_STAT_TX_FRAMES;
      st_tx_bytes_q  <= RST_STAT_TX_BYTES;
      st_dma_err_q   <= RST_STAT_DMA_ERRORS;
      st_drop_dma_q  <= RST_STAT_RX_DROP_DMA_ERR;
      st_bad_desc_q  <= RST_STAT_TX_BAD_DESC;
      rx_pend_q <= '0; rx_tmr_q <= '0; tx_pend_q <= '0; tx_tmr_q <= '0;
    end else begin
      enable_q <= enable_d; loopback_q <= loopback_d; sr_pend_q <= sr_pend_d;
      irq_stat_q <= irq_stat_d; irq_mask_q <= irq_mask_d;
      coal_frames_q <= coal_frames_d; coal_cycles_q <= coal_cycles_d;
      mfl_q <= mfl_d; headroom_q <= headroom_d;
      err_addr_q <= err_addr_d; err_resp_q <= err_resp_d; err_src_q <= err_src_d;
      rx_stop_q <= rx_stop_d; tx_stop_q <= tx_stop_d;
      rx_base_q <= rx_base_d; rx_size_q <= rx_size_d; rx_prod_q <= rx_prod_d;
      rx_cons_q <= rx_cons_d; rx_cqb_q <= rx_cqb_d; rx_cqp_q <= rx_cqp_d;
      tx_base_q <= tx_base_d; tx_size_q <= tx_size_d; tx_prod_q <= tx_prod_d;
      tx_cons_q <= tx_cons_d; tx_cqb_q <= tx_cqb_d; tx_cqp_q <= tx_cqp_d;
      rx_rr_q <= rx_rr_d; tx_rr_q <= tx_rr_d;
      st_rx_frames_q <= st_rx_frames_d; st_rx_bytes_q <= st_rx_bytes_d;
      st_no_desc_q <= st_no_desc_d; st_too_long_q <= st_too_long_d; st_off_q <= st_off_d;
      st_tx_frames_q <= st_tx_frames_d; st_tx_bytes_q <= st_tx_bytes_d;
      st_dma_err_q <= st_dma_err_d; st_drop_dma_q <= st_drop_dma_d;
      st_bad_desc_q <= st_bad_desc_d;
      rx_pend_q <= rx_pend_d; rx_tmr_q <= rx_tmr_d; tx_pend_q <= tx_pend_d; tx_tmr_q <= tx_tmr_d;
    end
  end

  // ---------------------------------------------------------------------------
  // Outputs
  // ---------------------------------------------------------------------------
  assign ctrl_enable_o    = enable_q;
  assign ctrl_loopback_o  = loopback_q;
  assign soft_reset_req_o = sr_pend_q;
  assign rx_headroom_o    = headroom_q;
  assign max_frame_len_o  = mfl_q;
  assign cycle_o          = cycle_q;
  assign rx_ring_base_o   = rx_base_q;
  assign rx_ring_size_o   = rx_size_q;
  assign rx_prod_o        = rx_prod_q;
  assign rx_cons_o        = rx_cons_q;
  assign rx_cq_base_o     = rx_cqb_q;
  assign rx_ring_reset_o  = rx_rr_q;
  assign tx_ring_base_o   = tx_base_q;
  assign tx_ring_size_o   = tx_size_q;
  assign tx_prod_o        = tx_prod_q;
  assign tx_cons_o        = tx_cons_q;
  assign tx_cq_base_o     = tx_cqb_q;
  assign tx_ring_reset_o  = tx_rr_q;
  assign rx_stopped_o     = rx_stop_q;
  assign tx_stopped_o     = tx_stop_q;
  assign irq_o            = |(irq_stat_q & ~irq_mask_q);

  // ---------------------------------------------------------------------------
  // Assertions: AXI4-Lite handshake rules (slave outputs: B and R; master
  // inputs: AW, W, AR are checked too, as the harness/bus model must obey them)
  // ---------------------------------------------------------------------------
  a_axil_aw_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s_axil_awvalid_i && !s_axil_awready_o) |=> s_axil_awvalid_i)
    else $error("s_axil AW: awvalid dropped before awready");
  a_axil_aw_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s_axil_awvalid_i && !s_axil_awready_o) |=> $stable(s_axil_awaddr_i))
    else $error("s_axil AW: awaddr changed while awvalid && !awready");
  a_axil_w_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s_axil_wvalid_i && !s_axil_wready_o) |=> s_axil_wvalid_i)
    else $error("s_axil W: wvalid dropped before wready");
  a_axil_w_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s_axil_wvalid_i && !s_axil_wready_o) |=> ($stable(s_axil_wdata_i) && $stable(s_axil_wstrb_i)))
    else $error("s_axil W: wdata/wstrb changed while wvalid && !wready");
  a_axil_b_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s_axil_bvalid_o && !s_axil_bready_i) |=> (s_axil_bvalid_o && $stable(s_axil_bresp_o)))
    else $error("s_axil B: bvalid dropped or bresp changed while bvalid && !bready");
  a_axil_ar_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s_axil_arvalid_i && !s_axil_arready_o) |=> s_axil_arvalid_i)
    else $error("s_axil AR: arvalid dropped before arready");
  a_axil_ar_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s_axil_arvalid_i && !s_axil_arready_o) |=> $stable(s_axil_araddr_i))
    else $error("s_axil AR: araddr changed while arvalid && !arready");
  a_axil_r_hold: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (s_axil_rvalid_o && !s_axil_rready_i) |=> (s_axil_rvalid_o && $stable(s_axil_rdata_o) &&
                                                 $stable(s_axil_rresp_o)))
    else $error("s_axil R: rvalid dropped or rdata/rresp changed while rvalid && !rready");
  a_coal_pend: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (rx_pend_q < rx_thr) && (tx_pend_q < tx_thr) || (coal_frames_q != $past(coal_frames_q)))
    else $error("nic_regs_slave: coalescing counter reached the threshold without firing");

endmodule

`default_nettype wire
