// nic_rx_engine: moves the head frame of the RX FIFO into host memory.
//
// For each frame: drop it (RX off/stopped, too long, no descriptor: with the
// matching counter), or take the head descriptor and write the payload to
// addr + RX_HEADROOM in INCR bursts (<= MAX_BURST_BEATS beats, never across a
// 4 KiB boundary, at most MAX_OUTSTANDING bursts awaiting B) from aligned
// addresses, with byte strobes for the unaligned start and end (a realigning
// shifter moves the FIFO's beat-aligned bytes onto the address lanes).
//
// Pipelining: once a frame's last payload beat is accepted, its completion
// waits in a queue of CQP frames and the engine takes the next frame. With
// RX_OVERLAP the next frame's payload goes out at once; without it, only
// when no payload B is outstanding (or the last one returns that cycle).
// Completions leave the queue in frame order, each only after every B of its
// own payload came back OKAY, as a 16-byte write (ID AXI_ID_WR_RX_CPL); a
// completion counts (CQ_PROD, STAT_RX_*, coalescing) when its own B returns
// OKAY.
//
// Errors: an error response stops the queue (halt_i). Every frame whose
// completion was not yet issued (the failed one, the ones queued with it and
// the one in progress) is lost, one STAT_RX_DROP_DMA_ERR each; no completion
// is issued after the error. Their descriptors are consumed and never
// completed. With RX_OVERLAP the payload of frames after the failed one may
// already be in their buffers; without it, no later frame's payload is
// issued before every B of the failed frame returned, so none is.
`default_nettype none

module nic_rx_engine
  import nic_regs_pkg::*;
#(
  parameter int unsigned AXI_DATA_W      = 64,
  parameter int unsigned MAX_BURST_BEATS = 256,
  parameter int unsigned MAX_OUTSTANDING = 4,
  parameter int unsigned RX_OVERLAP      = 1,  // 1: the next frame's payload may start before this frame's B
  localparam int unsigned BW   = AXI_DATA_W / 8,
  localparam int unsigned OFFW = $clog2(BW)
) (
  input  wire logic                  clk_i,
  input  wire logic                  rst_ni,
  input  wire logic                  run_i,       // CTRL.ENABLE && !RX stopped
  input  wire logic                  halt_i,      // RX stopped or an RX DMA error now
  input  wire logic                  quiesce_i,   // soft reset pending
  input  wire logic [RX_HEADROOM_W-1:0] headroom_i,
  input  wire logic [DMA_ADDR_W-1:0] cq_base_i,
  input  wire logic [RING_SIZE_W-1:0] ring_size_i,
  input  wire logic                  ring_reset_i,
  input  wire logic [CPL_TS_W-1:0]   cycle_i,
  // RX FIFO: frame metadata and data
  input  wire logic                  m_valid_i,
  input  wire logic [FRAME_CNT_W-1:0] m_len_i,
  input  wire logic [FRAME_CNT_W-1:0] m_beats_i,
  input  wire logic                  m_too_long_i,
  output      logic                  m_pop_o,
  input  wire logic                  d_valid_i,
  input  wire logic [AXI_DATA_W-1:0] d_data_i,
  output      logic                  d_pop_o,
  // descriptors
  input  wire logic                  dc_valid_i,
  input  wire logic [DESC_ADDR_W-1:0] dc_addr_i,
  input  wire logic [DESC_LEN_W-1:0] dc_len_i,
  input  wire logic [DESC_TAG_W-1:0] dc_tag_i,
  input  wire logic [RING_IDX_W-1:0] dc_idx_i,
  output      logic                  dc_pop_o,
  input  wire logic                  dc_more_i,
  // payload write source
  output      logic                  pw_aw_valid_o,
  input  wire logic                  pw_aw_ready_i,
  output      logic [DMA_ADDR_W-1:0] pw_aw_addr_o,
  output      logic [7:0]            pw_aw_len_o,
  output      logic                  pw_w_valid_o,
  input  wire logic                  pw_w_ready_i,
  output      logic [AXI_DATA_W-1:0] pw_w_data_o,
  output      logic [BW-1:0]         pw_w_strb_o,
  output      logic                  pw_w_last_o,
  input  wire logic                  pw_b_valid_i,
  // completion write source
  output      logic                  cw_aw_valid_o,
  input  wire logic                  cw_aw_ready_i,
  output      logic [DMA_ADDR_W-1:0] cw_aw_addr_o,
  output      logic [7:0]            cw_aw_len_o,
  output      logic                  cw_w_valid_o,
  input  wire logic                  cw_w_ready_i,
  output      logic [AXI_DATA_W-1:0] cw_w_data_o,
  output      logic [BW-1:0]         cw_w_strb_o,
  output      logic                  cw_w_last_o,
  input  wire logic                  cw_b_valid_i,
  input  wire logic [1:0]            b_resp_i,
  // events
  output      logic                  drop_off_o,
  output      logic                  drop_too_long_o,
  output      logic                  drop_no_desc_o,
  output      logic [1:0]            drop_dma_err_o,
  output      logic                  cpl_ack_o,
  output      logic [FRAME_CNT_W-1:0] cpl_ack_len_o,
  output      logic                  err_pay_o,
  output      logic [1:0]            err_pay_resp_o,
  output      logic [DMA_ADDR_W-1:0] err_pay_addr_o,
  output      logic                  err_cpl_o,
  output      logic [1:0]            err_cpl_resp_o,
  output      logic [DMA_ADDR_W-1:0] err_cpl_addr_o,
  output      logic                  axi_idle_o,
  output      logic                  idle_o
);

  localparam int unsigned CPL_BEATS = (CPL_SIZE * 8) / AXI_DATA_W;
  localparam int unsigned QD = 16;   // tracking queues (>= MAX_OUTSTANDING)
  localparam logic [1:0] RESP_OKAY = AXI_RESP_OKAY[1:0];

  if (CPL_BEATS < 1 || CPL_BEATS > 2) begin : g_bad_cpl
    $fatal(1, "nic_rx_engine: a completion must take one or two data beats");
  end
  if (CPL_FLAGS_OFF * 8 < CPL_SIZE * 8 - AXI_DATA_W) begin : g_bad_flags
    $fatal(1, "nic_rx_engine: the completion flags byte must be in the last beat");
  end
  if (MAX_OUTSTANDING > QD) begin : g_bad_outst
    $fatal(1, "nic_rx_engine: MAX_OUTSTANDING above 16");
  end
  if (RX_OVERLAP > 1) begin : g_bad_overlap
    $fatal(1, "nic_rx_engine: RX_OVERLAP must be 0 or 1");
  end

  typedef enum logic [2:0] {S_IDLE, S_PAY, S_WAITB, S_DRAIN} state_e;
  localparam int unsigned CQP = 4;   // frames waiting for their completion
  typedef logic [$clog2(QD)-1:0]      qptr_t;   // tracking queue pointer
  typedef logic [$clog2(QD + 1)-1:0]  outst_t;  // bursts awaiting B (<= QD)
  typedef logic [$clog2(CQP)-1:0]     fqptr_t;  // completion-pending queue pointer
  typedef logic [$clog2(CQP + 1)-1:0] fqcnt_t;  // completion-pending queue fill
  typedef logic [15:0]                bcnt_t;   // free-running payload burst count

  state_e            st_q, st_d;
  logic [FRAME_CNT_W-1:0] len_q, len_d;
  logic [DESC_TAG_W-1:0] tag_q, tag_d;
  logic [RING_IDX_W-1:0] idx_q, idx_d;
  logic [OFFW-1:0]   off_q, off_d;
  logic [DMA_ADDR_W-1:0] dst_q, dst_d;          // aligned address of the next burst
  logic [FRAME_CNT_W-1:0] obeats_q, obeats_d;    // output beats not yet given to a burst
  logic [FRAME_CNT_W-1:0] pos_q, pos_d;          // byte index of lane 0 of the next W beat
  logic [FRAME_CNT_W-1:0] inl_q, inl_d;          // FIFO beats of this frame not yet popped
  logic [AXI_DATA_W-1:0] prev_q, prev_d;
  // payload burst
  logic              paw_q, paw_d;          // AW pending
  logic [DMA_ADDR_W-1:0] paddr_q, paddr_d;
  logic [7:0]        plen_q, plen_d;
  logic [8:0]        pwb_q, pwb_d;          // W beats left in the burst
  outst_t            pout_q, pout_d;        // payload bursts awaiting B
  logic [DMA_ADDR_W-1:0] pq_addr [QD];
  qptr_t             pq_wr_q, pq_wr_d, pq_rd_q, pq_rd_d;
  // completion
  logic [CPL_SIZE*8-1:0] cword_q, cword_d;
  logic              caw_q, caw_d;
  logic [DMA_ADDR_W-1:0] caddr_q, caddr_d;
  logic [1:0]        cwb_q, cwb_d;          // W beats left
  logic [RING_IDX_W-1:0] cqn_q, cqn_d;          // next completion slot (free running)
  outst_t            cout_q, cout_d;        // completions awaiting B
  logic [FRAME_CNT_W-1:0] cq_len [QD];
  logic [DMA_ADDR_W-1:0] cq_addr [QD];
  qptr_t             cq_wr_q, cq_wr_d, cq_rd_q, cq_rd_d;
  // frames whose payload is fully issued, waiting for their payload B (in order)
  bcnt_t             pb_made_q, pb_made_d;  // payload bursts created (free running)
  bcnt_t             pb_ack_q, pb_ack_d;    // payload bursts acknowledged
  logic [FRAME_CNT_W-1:0] fq_len  [CQP];
  logic [DESC_TAG_W-1:0] fq_tag  [CQP];
  logic [RING_IDX_W-1:0] fq_idx  [CQP];
  bcnt_t             fq_need [CQP];
  fqptr_t            fq_wr_q, fq_wr_d, fq_rd_q, fq_rd_d;
  fqcnt_t            fq_cnt_q, fq_cnt_d;
  logic              fq_push, fq_pop, fq_ok;
  bcnt_t             fq_diff;
  bcnt_t             cneed_q, cneed_d;
  // the next payload burst: of the frame being taken (S_IDLE) or the rest of
  // the current one (S_PAY)
  logic              nb_issue;
  logic [DMA_ADDR_W-1:0] nb_dst;
  logic [FRAME_CNT_W-1:0] nb_obeats, nb_len;
  logic [12:0]       nb_to4k;

  // combinational helpers
  logic [DMA_ADDR_W-1:0] daddr;
  logic [FRAME_CNT_W-1:0] span;
  logic [AXI_DATA_W-1:0] cur;
  logic              pw_hs, paw_hs, cw_hs, caw_hs, pq_push, cq_push;
  logic [FRAME_CNT_W-1:0] lane_pos;
  logic [FRAME_CNT_W-1:0] fend;
  logic              cphase;

  // ----- payload W beat: realign FIFO beats onto address lanes -----
  logic drop_dma_err_fsm;
  always_comb begin
    cur = (inl_q != '0) ? d_data_i : '0;
    pw_w_valid_o = (st_q == S_PAY) && (pwb_q != 9'd0) && ((inl_q == '0) || d_valid_i);
    pw_w_data_o  = (cur << {off_q, 3'b000}) | (prev_q >> (AXI_DATA_W - 8 * 32'(off_q)));
    fend = {{(16 - OFFW){1'b0}}, off_q} + len_q;
    for (int l = 0; l < BW; l++) begin
      lane_pos = pos_q + FRAME_CNT_W'(l);
      pw_w_strb_o[l] = (lane_pos >= {{(16 - OFFW){1'b0}}, off_q}) && (lane_pos < fend);
    end
  end
  assign pw_w_last_o   = (pwb_q == 9'd1);
  assign pw_aw_valid_o = paw_q;
  assign pw_aw_addr_o  = paddr_q;
  assign pw_aw_len_o   = plen_q;

  // ----- completion write channel -----
  assign cw_aw_valid_o = caw_q;
  assign cw_aw_addr_o  = caddr_q;
  assign cw_aw_len_o   = 8'(CPL_BEATS - 1);
  assign cw_w_valid_o  = (cwb_q != 2'd0);
  assign cw_w_data_o   = cword_q[(CPL_BEATS - 32'(cwb_q)) * AXI_DATA_W +: AXI_DATA_W];
  assign cw_w_strb_o   = '1;
  assign cw_w_last_o   = (cwb_q == 2'd1);

  // ----- write responses -----
  assign err_pay_o      = pw_b_valid_i && (b_resp_i != RESP_OKAY);
  assign err_pay_resp_o = b_resp_i;
  assign err_pay_addr_o = pq_addr[pq_rd_q];
  assign err_cpl_o      = cw_b_valid_i && (b_resp_i != RESP_OKAY);
  assign err_cpl_resp_o = b_resp_i;
  assign err_cpl_addr_o = cq_addr[cq_rd_q];
  assign cpl_ack_o      = cw_b_valid_i && (b_resp_i == RESP_OKAY);
  assign cpl_ack_len_o  = cq_len[cq_rd_q];
  assign drop_dma_err_o = {err_cpl_o, drop_dma_err_fsm};

  assign axi_idle_o = !paw_q && (pwb_q == 9'd0) && (pout_q == '0) &&
                      !caw_q && (cwb_q == 2'd0) && (cout_q == '0);
  assign idle_o     = (st_q == S_IDLE) && axi_idle_o && (fq_cnt_q == '0);

  logic [RING_IDX_W-1:0] cslot;
  assign cslot = cqn_q & (RING_IDX_W'(ring_size_i) - 1'b1);

  always_comb begin
    st_d = st_q; len_d = len_q; tag_d = tag_q; idx_d = idx_q; off_d = off_q; dst_d = dst_q;
    obeats_d = obeats_q; pos_d = pos_q; inl_d = inl_q; prev_d = prev_q;
    paw_d = paw_q; paddr_d = paddr_q; plen_d = plen_q; pwb_d = pwb_q; pout_d = pout_q;
    pq_wr_d = pq_wr_q; pq_rd_d = pq_rd_q;
    cword_d = cword_q; caw_d = caw_q; caddr_d = caddr_q; cwb_d = cwb_q; cqn_d = cqn_q;
    cout_d = cout_q; cq_wr_d = cq_wr_q; cq_rd_d = cq_rd_q;
    pb_made_d = pb_made_q; pb_ack_d = pb_ack_q; fq_wr_d = fq_wr_q; fq_rd_d = fq_rd_q;
    fq_cnt_d = fq_cnt_q; cneed_d = cneed_q;
    fq_push = 1'b0; fq_pop = 1'b0;
    m_pop_o = 1'b0; d_pop_o = 1'b0; dc_pop_o = 1'b0;
    drop_off_o = 1'b0; drop_too_long_o = 1'b0; drop_no_desc_o = 1'b0; drop_dma_err_fsm = 1'b0;
    pq_push = 1'b0; cq_push = 1'b0;

    daddr = dc_addr_i + DMA_ADDR_W'(headroom_i);
    span  = FRAME_CNT_W'(daddr[OFFW-1:0]) + m_len_i + FRAME_CNT_W'(BW - 1);
    cphase = (cqn_q & RING_IDX_W'(ring_size_i)) == '0;
    nb_issue  = 1'b0;
    nb_dst    = (st_q == S_IDLE) ? {daddr[DMA_ADDR_W-1:OFFW], {OFFW{1'b0}}} : dst_q;
    nb_obeats = (st_q == S_IDLE) ? (span >> OFFW) : obeats_q;
    nb_to4k   = (13'd4096 - {1'b0, nb_dst[11:0]}) >> OFFW;
    nb_len    = nb_obeats;
    if (nb_len > FRAME_CNT_W'(MAX_BURST_BEATS)) nb_len = FRAME_CNT_W'(MAX_BURST_BEATS);
    if (nb_len > FRAME_CNT_W'(nb_to4k))          nb_len = FRAME_CNT_W'(nb_to4k);

    pw_hs  = pw_w_valid_o && pw_w_ready_i;
    paw_hs = paw_q && pw_aw_ready_i;
    cw_hs  = cw_w_valid_o && cw_w_ready_i;
    caw_hs = caw_q && cw_aw_ready_i;

    // ----- frame state machine -----
    case (st_q)
      S_IDLE: begin
        if (m_valid_i && !quiesce_i && (fq_cnt_q != fqcnt_t'(CQP)) && (RX_OVERLAP != 0 || pout_q == '0 || (pout_q == outst_t'(1) && pw_b_valid_i))) begin
          if (!run_i) begin
            m_pop_o = 1'b1; drop_off_o = 1'b1; inl_d = m_beats_i; st_d = S_DRAIN;
          end else if (m_too_long_i) begin
            m_pop_o = 1'b1; drop_too_long_o = 1'b1; inl_d = m_beats_i; st_d = S_DRAIN;
          end else if (dc_valid_i) begin
            if (DESC_LEN_W'(m_len_i) > dc_len_i) begin
              m_pop_o = 1'b1; drop_too_long_o = 1'b1; inl_d = m_beats_i; st_d = S_DRAIN;
            end else begin
              m_pop_o  = 1'b1;
              dc_pop_o = 1'b1;
              len_d    = m_len_i;
              tag_d    = dc_tag_i;
              idx_d    = dc_idx_i;
              off_d    = daddr[OFFW-1:0];
              dst_d    = nb_dst;
              obeats_d = nb_obeats;
              pos_d    = '0;
              inl_d    = m_beats_i;
              prev_d   = '0;
              st_d     = S_PAY;
              nb_issue = 32'(pout_q) < MAX_OUTSTANDING;  // its first burst at once
            end
          end else if (!dc_more_i) begin
            m_pop_o = 1'b1; drop_no_desc_o = 1'b1; inl_d = m_beats_i; st_d = S_DRAIN;
          end
        end
      end
      S_PAY: begin
        if (pwb_q == 9'd0 && !paw_q) begin
          if (halt_i) begin
            st_d = S_WAITB;
          end else if (obeats_q != '0 && 32'(pout_q) < MAX_OUTSTANDING && !quiesce_i) begin
            nb_issue = 1'b1;
          end
        end
      end
      S_WAITB: begin
        // entered only on halt: the frame in progress is lost once every
        // older frame was dropped and no payload write is outstanding
        if (pout_q == '0 && fq_cnt_q == '0) begin
          drop_dma_err_fsm = 1'b1;
          st_d = S_DRAIN;
        end
      end
      S_DRAIN: begin
        if (inl_q == '0) st_d = S_IDLE;
        else if (d_valid_i) begin
          d_pop_o = 1'b1;
          inl_d   = inl_q - 1'b1;
          if (inl_q == FRAME_CNT_W'(1)) st_d = S_IDLE;
        end
      end
      default: st_d = S_IDLE;
    endcase

    // ----- issue the next payload burst -----
    if (nb_issue) begin
      paw_d     = 1'b1;
      paddr_d   = nb_dst;
      plen_d    = 8'(nb_len - 1'b1);
      pwb_d     = 9'(nb_len);
      dst_d     = nb_dst + DMA_ADDR_W'(nb_len) * DMA_ADDR_W'(BW);
      obeats_d  = nb_obeats - nb_len;
      pb_made_d = pb_made_q + 1'b1;
    end

    // ----- payload channel bookkeeping -----
    if (pw_hs) begin
      pwb_d = pwb_q - 9'd1;
      pos_d = pos_q + FRAME_CNT_W'(BW);
      if (inl_q != '0) begin
        d_pop_o = 1'b1;
        inl_d   = inl_q - 1'b1;
        prev_d  = cur;
      end
    end
    if (paw_hs) begin
      paw_d   = 1'b0;
      pq_push = 1'b1;
    end
    if (pq_push) pq_wr_d = pq_wr_q + 1'b1;
    if (pw_b_valid_i) pq_rd_d = pq_rd_q + 1'b1;
    if (pw_b_valid_i) pb_ack_d = pb_ack_q + 1'b1;
    // frame fully handed to the bus: queue its completion, take the next frame
    if (st_q == S_PAY && pwb_d == 9'd0 && !paw_d && obeats_q == '0) begin
      if (halt_i) st_d = S_WAITB;
      else begin
        fq_push = 1'b1;
        st_d    = (inl_d == '0) ? S_IDLE : S_DRAIN;
      end
    end
    pout_d = pout_q + outst_t'(pq_push) - outst_t'(pw_b_valid_i);

    // ----- completions, in frame order, each after all of its payload B -----
    fq_diff = fq_need[fq_rd_q] - pb_ack_q;
    fq_ok   = (fq_diff == '0) || fq_diff[$bits(bcnt_t)-1];
    if (fq_cnt_q != '0 && halt_i) begin
      fq_pop  = 1'b1;                        // queue stopped: this frame is lost
      drop_dma_err_fsm = 1'b1;
    end else if (fq_cnt_q != '0 && fq_ok && !caw_q && cwb_q == 2'd0 &&
                 32'(cout_q) < MAX_OUTSTANDING && !quiesce_i) begin
      fq_pop  = 1'b1;
      cword_d = cpl_pack(CPL_LEN_W'(fq_len[fq_rd_q]), fq_tag[fq_rd_q], fq_idx[fq_rd_q],
                         CPL_STATUS_W'(CPL_STATUS_OK),
                         cphase ? CPL_FLAGS_W'(CPL_FLAG_PHASE) : '0, cycle_i);
      caw_d   = 1'b1;
      caddr_d = cq_base_i + DMA_ADDR_W'(cslot) * DMA_ADDR_W'(CPL_SIZE);
      cwb_d   = 2'(CPL_BEATS);
      cqn_d   = cqn_q + 1'b1;
      cq_push = 1'b1;
      cneed_d = fq_need[fq_rd_q];
    end
    if (fq_push) fq_wr_d = fq_wr_q + 1'b1;
    if (fq_pop)  fq_rd_d = fq_rd_q + 1'b1;
    fq_cnt_d = fq_cnt_q + fqcnt_t'(fq_push) - fqcnt_t'(fq_pop);

    // ----- completion channel bookkeeping -----
    if (caw_hs) caw_d = 1'b0;
    if (cw_hs)  cwb_d = cwb_q - 2'd1;
    if (cq_push) cq_wr_d = cq_wr_q + 1'b1;
    if (cw_b_valid_i) cq_rd_d = cq_rd_q + 1'b1;
    cout_d = cout_q + outst_t'(cq_push) - outst_t'(cw_b_valid_i);
    if (ring_reset_i) cqn_d = '0;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      st_q <= S_IDLE; len_q <= '0; tag_q <= '0; idx_q <= '0; off_q <= '0; dst_q <= '0;
      obeats_q <= '0; pos_q <= '0; inl_q <= '0; prev_q <= '0;
      paw_q <= 1'b0; paddr_q <= '0; plen_q <= '0; pwb_q <= '0; pout_q <= '0;
      pq_wr_q <= '0; pq_rd_q <= '0;
      cword_q <= '0; caw_q <= 1'b0; caddr_q <= '0; cwb_q <= '0; cqn_q <= '0; cout_q <= '0;
      cq_wr_q <= '0; cq_rd_q <= '0;
      pb_made_q <= '0; pb_ack_q <= '0; fq_wr_q <= '0; fq_rd_q <= '0; fq_cnt_q <= '0; cneed_q <= '0;
    end else begin
      st_q <= st_d; len_q <= len_d; tag_q <= tag_d; idx_q <= idx_d; off_q <= off_d; dst_q <= dst_d;
      obeats_q <= obeats_d; pos_q <= pos_d; inl_q <= inl_d; prev_q <= prev_d;
      paw_q <= paw_d; paddr_q <= paddr_d; plen_q <= plen_d; pwb_q <= pwb_d; pout_q <= pout_d;
      pq_wr_q <= pq_wr_d; pq_rd_q <= pq_rd_d;
      cword_q <= cword_d; caw_q <= caw_d; caddr_q <= caddr_d; cwb_q <= cwb_d; cqn_q <= cqn_d;
      cout_q <= cout_d; cq_wr_q <= cq_wr_d; cq_rd_q <= cq_rd_d;
      pb_made_q <= pb_made_d; pb_ack_q <= pb_ack_d; fq_wr_q <= fq_wr_d; fq_rd_q <= fq_rd_d;
      fq_cnt_q <= fq_cnt_d; cneed_q <= cneed_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (pq_push) pq_addr[pq_wr_q] <= paddr_q;
    if (fq_push) begin
      fq_len[fq_wr_q]  <= len_q;
      fq_tag[fq_wr_q]  <= tag_q;
      fq_idx[fq_wr_q]  <= idx_q;
      fq_need[fq_wr_q] <= pb_made_q;
    end
    if (cq_push) begin
      cq_len[cq_wr_q]  <= fq_len[fq_rd_q];
      cq_addr[cq_wr_q] <= caddr_d;
    end
  end

  // ----- assertions -----
  a_rx_pout_under: assert property (@(posedge clk_i) disable iff (!rst_ni)
      pw_b_valid_i |-> (pout_q != '0))
    else $error("nic_rx_engine: payload B with no payload write outstanding (counter underflow)");
  a_rx_cout_under: assert property (@(posedge clk_i) disable iff (!rst_ni)
      cw_b_valid_i |-> (cout_q != '0))
    else $error("nic_rx_engine: completion B with no completion write outstanding (counter underflow)");
  a_rx_pout_max: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (32'(pout_q) <= MAX_OUTSTANDING) && (32'(cout_q) <= MAX_OUTSTANDING))
    else $error("nic_rx_engine: more than MAX_OUTSTANDING writes outstanding");
  a_rx_cpl_after_b: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (caw_q && !$past(caw_q)) |-> ((cneed_q - pb_ack_q == '0) ||
                                  (cneed_q - pb_ack_q) >= {1'b1, ($bits(bcnt_t) - 1)'(0)}))
    else $error("nic_rx_engine: completion issued before every payload B returned");
  a_rx_strb_contig: assert property (@(posedge clk_i) disable iff (!rst_ni)
      pw_w_valid_o |-> ((pw_w_strb_o != '0) &&
                        (((pw_w_strb_o + (pw_w_strb_o & (~pw_w_strb_o + 1'b1))) & pw_w_strb_o) == '0)))
    else $error("nic_rx_engine: payload wstrb empty or not contiguous");
  a_rx_dpop: assert property (@(posedge clk_i) disable iff (!rst_ni)
      d_pop_o |-> d_valid_i)
    else $error("nic_rx_engine: FIFO data popped while not valid");

`ifndef SYNTHESIS
  // The strobes of a frame's beats cover exactly its length: every byte
  // inside [addr + headroom, +len) once, nothing outside.
  logic [FRAME_CNT_W-1:0] sbytes_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) sbytes_q <= '0;
    else if (st_q == S_IDLE) sbytes_q <= '0;
    else if (pw_hs) sbytes_q <= sbytes_q + FRAME_CNT_W'($countones(pw_w_strb_o));
  end
  a_rx_strb_total: assert property (@(posedge clk_i) disable iff (!rst_ni)
      fq_push |-> ((sbytes_q + (pw_hs ? FRAME_CNT_W'($countones(pw_w_strb_o)) : '0)) == len_q))
    else $error("nic_rx_engine: wstrb of the frame does not cover exactly its length");
`endif

endmodule

`default_nettype wire
