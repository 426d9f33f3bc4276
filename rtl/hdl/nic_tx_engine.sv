// nic_tx_engine: TX descriptor -> DMA read -> TX FIFO -> completion.
//
// For each descriptor: a length of 0 or above MAX_FRAME_LEN gets a BAD_LEN
// completion and nothing is read. Otherwise the engine waits until the whole
// frame fits in the TX FIFO, reads the buffer from the aligned address below
// it in INCR bursts (<= MAX_BURST_BEATS, never across 4 KiB, up to
// MAX_OUTSTANDING in flight, ID AXI_ID_RD_TX_DATA), realigns the bytes to
// beat 0 lane 0 and writes them into the FIFO. Once every beat is in, the
// completion is written (ID AXI_ID_WR_TX_CPL) and the frame is released to
// the stream side. A read error discards the frame and stops the queue.
`default_nettype none

module nic_tx_engine
  import nic_regs_pkg::*;
#(
  parameter int unsigned AXI_DATA_W      = 64,
  parameter int unsigned MAX_BURST_BEATS = 256,
  parameter int unsigned MAX_OUTSTANDING = 4,
  localparam int unsigned BW   = AXI_DATA_W / 8,
  localparam int unsigned OFFW = $clog2(BW)
) (
  input  wire logic                  clk_i,
  input  wire logic                  rst_ni,
  input  wire logic                  run_i,       // CTRL.ENABLE && !TX stopped
  input  wire logic                  halt_i,      // TX stopped or a TX DMA error now
  input  wire logic                  quiesce_i,   // soft reset pending
  input  wire logic [FRAME_LEN_W-1:0] max_frame_len_i,
  input  wire logic [DMA_ADDR_W-1:0] cq_base_i,
  input  wire logic [RING_SIZE_W-1:0] ring_size_i,
  input  wire logic                  ring_reset_i,
  input  wire logic [CPL_TS_W-1:0]   cycle_i,
  // descriptors
  input  wire logic                  dc_valid_i,
  input  wire logic [DESC_ADDR_W-1:0] dc_addr_i,
  input  wire logic [DESC_LEN_W-1:0] dc_len_i,
  input  wire logic [DESC_TAG_W-1:0] dc_tag_i,
  input  wire logic [RING_IDX_W-1:0] dc_idx_i,
  output      logic                  dc_pop_o,
  // payload read source
  output      logic                  ar_valid_o,
  input  wire logic                  ar_ready_i,
  output      logic [DMA_ADDR_W-1:0] ar_addr_o,
  output      logic [7:0]            ar_len_o,
  input  wire logic                  r_valid_i,
  input  wire logic [AXI_DATA_W-1:0] r_data_i,
  input  wire logic [1:0]            r_resp_i,
  input  wire logic                  r_last_i,
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
  // TX FIFO write side
  input  wire logic [FRAME_CNT_W-1:0] f_free_i,
  output      logic                  f_wr_o,
  output      logic [AXI_DATA_W-1:0] f_data_o,
  output      logic [BW-1:0]         f_keep_o,
  output      logic                  f_last_o,
  output      logic                  f_commit_o,
  output      logic                  f_rewind_o,
  // events
  output      logic                  cpl_ack_o,
  output      logic                  cpl_bad_o,
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
  localparam int unsigned QD = 16;
  typedef logic [$clog2(QD)-1:0]     qptr_t;   // tracking queue pointer
  typedef logic [$clog2(QD + 1)-1:0] outst_t;  // transactions outstanding (<= QD)
  localparam logic [1:0] RESP_OKAY = AXI_RESP_OKAY[1:0];

  if (CPL_BEATS < 1 || CPL_BEATS > 2) begin : g_bad_cpl
    $fatal(1, "nic_tx_engine: a completion must take one or two data beats");
  end
  if (MAX_OUTSTANDING > QD) begin : g_bad_outst
    $fatal(1, "nic_tx_engine: MAX_OUTSTANDING above 16");
  end

  typedef enum logic [2:0] {T_IDLE, T_RESV, T_READ, T_CPL, T_CPLW} state_e;

  state_e            st_q, st_d;
  logic [FRAME_CNT_W-1:0] len_q, len_d;          // frame length (0 for BAD_LEN)
  logic              bad_q, bad_d;
  logic [DESC_TAG_W-1:0] tag_q, tag_d;
  logic [RING_IDX_W-1:0] idx_q, idx_d;
  logic [OFFW-1:0]   off_q, off_d;
  logic [DMA_ADDR_W-1:0] src_q, src_d;          // aligned address of the next burst
  logic [FRAME_CNT_W-1:0] rdl_q, rdl_d;          // read beats not yet requested
  logic [FRAME_CNT_W-1:0] nrd_q, nrd_d;          // read beats of the frame
  logic [FRAME_CNT_W-1:0] rcv_q, rcv_d;          // read beats received
  logic [FRAME_CNT_W-1:0] nout_q, nout_d;        // FIFO beats of the frame
  logic [FRAME_CNT_W-1:0] ocnt_q, ocnt_d;        // FIFO beats written
  logic [AXI_DATA_W-1:0] prev_q, prev_d;
  logic              ferr_q, ferr_d;        // the frame saw an error response
  logic              berr_q, berr_d;        // the current burst saw an error response
  logic [1:0]        bresp_q, bresp_d;
  logic              arp_q, arp_d;          // AR pending
  logic [DMA_ADDR_W-1:0] araddr_q, araddr_d;
  logic [7:0]        arlen_q, arlen_d;
  outst_t            rout_q, rout_d;        // read bursts outstanding
  logic [DMA_ADDR_W-1:0] rq_addr [QD];
  qptr_t             rq_wr_q, rq_wr_d, rq_rd_q, rq_rd_d;
  // completion
  logic [CPL_SIZE*8-1:0] cword_q, cword_d;
  logic              caw_q, caw_d;
  logic [DMA_ADDR_W-1:0] caddr_q, caddr_d;
  logic [1:0]        cwb_q, cwb_d;
  logic [RING_IDX_W-1:0] cqn_q, cqn_d;
  outst_t            cout_q, cout_d;
  logic              cq_bad [QD];
  logic [DMA_ADDR_W-1:0] cq_addr [QD];
  qptr_t             cq_wr_q, cq_wr_d, cq_rd_q, cq_rd_d;

  logic [12:0]       to4k;
  logic [FRAME_CNT_W-1:0] blen;
  logic [FRAME_CNT_W-1:0] span, nout_n;
  logic              bad_now, quiet, push, flush, rq_push, cq_push, cphase;
  logic [AXI_DATA_W-1:0] shifted;
  logic [BW-1:0]     lastkeep;
  logic [OFFW:0]     rem;

  // ----- channel outputs and responses -----
  assign ar_valid_o     = arp_q;
  assign ar_addr_o      = araddr_q;
  assign ar_len_o       = arlen_q;
  assign bad_now        = r_valid_i && (r_resp_i != RESP_OKAY);
  assign err_pay_o      = r_valid_i && r_last_i && (berr_q || bad_now);
  assign err_pay_resp_o = berr_q ? bresp_q : r_resp_i;
  assign err_pay_addr_o = rq_addr[rq_rd_q];
  assign cw_aw_valid_o  = caw_q;
  assign cw_aw_addr_o   = caddr_q;
  assign cw_aw_len_o    = 8'(CPL_BEATS - 1);
  assign cw_w_valid_o   = (cwb_q != 2'd0);
  assign cw_w_data_o    = cword_q[(CPL_BEATS - 32'(cwb_q)) * AXI_DATA_W +: AXI_DATA_W];
  assign cw_w_strb_o    = '1;
  assign cw_w_last_o    = (cwb_q == 2'd1);
  assign err_cpl_o      = cw_b_valid_i && (b_resp_i != RESP_OKAY);
  assign err_cpl_resp_o = b_resp_i;
  assign err_cpl_addr_o = cq_addr[cq_rd_q];
  assign cpl_ack_o      = cw_b_valid_i && (b_resp_i == RESP_OKAY);
  assign cpl_bad_o      = cq_bad[cq_rd_q];
  assign axi_idle_o     = !arp_q && (rout_q == '0) && !caw_q && (cwb_q == 2'd0) &&
                          (cout_q == '0);
  assign idle_o         = (st_q == T_IDLE) && axi_idle_o;

  logic [RING_IDX_W-1:0] cslot;
  assign cslot = cqn_q & (RING_IDX_W'(ring_size_i) - 1'b1);

  always_comb begin
    st_d = st_q; len_d = len_q; bad_d = bad_q; tag_d = tag_q; idx_d = idx_q; off_d = off_q;
    src_d = src_q; rdl_d = rdl_q; nrd_d = nrd_q; rcv_d = rcv_q; nout_d = nout_q; ocnt_d = ocnt_q;
    prev_d = prev_q; ferr_d = ferr_q; berr_d = berr_q; bresp_d = bresp_q;
    arp_d = arp_q; araddr_d = araddr_q; arlen_d = arlen_q; rout_d = rout_q;
    rq_wr_d = rq_wr_q; rq_rd_d = rq_rd_q;
    cword_d = cword_q; caw_d = caw_q; caddr_d = caddr_q; cwb_d = cwb_q; cqn_d = cqn_q;
    cout_d = cout_q; cq_wr_d = cq_wr_q; cq_rd_d = cq_rd_q;
    dc_pop_o = 1'b0; f_commit_o = 1'b0; f_rewind_o = 1'b0;
    rq_push = 1'b0; cq_push = 1'b0; push = 1'b0; flush = 1'b0;

    to4k = (13'd4096 - {1'b0, src_q[11:0]}) >> OFFW;
    blen = rdl_q;
    if (blen > FRAME_CNT_W'(MAX_BURST_BEATS)) blen = FRAME_CNT_W'(MAX_BURST_BEATS);
    if (blen > FRAME_CNT_W'(to4k))            blen = FRAME_CNT_W'(to4k);
    span   = FRAME_CNT_W'(dc_addr_i[OFFW-1:0]) + dc_len_i[FRAME_CNT_W-1:0] + FRAME_CNT_W'(BW - 1);
    nout_n = (dc_len_i[FRAME_CNT_W-1:0] + FRAME_CNT_W'(BW - 1)) >> OFFW;
    cphase = (cqn_q & RING_IDX_W'(ring_size_i)) == '0;
    quiet   = (rout_q == '0) && !arp_q && !r_valid_i;

    rem = (OFFW + 1)'(len_q - ((nout_q - 1'b1) << OFFW));
    lastkeep = '0;
    for (int l = 0; l < BW; l++) lastkeep[l] = (32'(l) < 32'(rem));

    case (st_q)
      T_IDLE: begin
        if (run_i && !quiesce_i && dc_valid_i) begin
          dc_pop_o = 1'b1;
          tag_d    = dc_tag_i;
          idx_d    = dc_idx_i;
          if (dc_len_i == '0 || dc_len_i > DESC_LEN_W'(max_frame_len_i)) begin
            bad_d = 1'b1;
            len_d = '0;
            st_d  = T_CPL;
          end else begin
            bad_d  = 1'b0;
            len_d  = dc_len_i[FRAME_CNT_W-1:0];
            off_d  = dc_addr_i[OFFW-1:0];
            src_d  = {dc_addr_i[DESC_ADDR_W-1:OFFW], {OFFW{1'b0}}};
            nrd_d  = span >> OFFW;
            rdl_d  = span >> OFFW;
            nout_d = nout_n;
            rcv_d  = '0;
            ocnt_d = '0;
            ferr_d = 1'b0;
            berr_d = 1'b0;
            prev_d = '0;
            st_d   = T_RESV;
          end
        end
      end
      T_RESV: begin
        if (halt_i) st_d = T_IDLE;                // stopped: drop the descriptor
        else if (f_free_i >= nout_q) st_d = T_READ;
      end
      T_READ: begin
        if (!arp_q && rdl_q != '0 && 32'(rout_q) < MAX_OUTSTANDING && !halt_i && !ferr_q &&
            !quiesce_i) begin
          arp_d    = 1'b1;
          araddr_d = src_q;
          arlen_d  = 8'(blen - 1'b1);
          src_d    = src_q + DMA_ADDR_W'(blen) * DMA_ADDR_W'(BW);
          rdl_d    = rdl_q - blen;
        end
        if (quiet && (halt_i || ferr_q)) begin
          f_rewind_o = 1'b1;                      // discard the partial frame
          st_d = T_IDLE;
        end else if (quiet && rdl_q == '0 && rcv_q == nrd_q) begin
          if (ocnt_q != nout_q) begin
            flush = 1'b1;                         // last FIFO beat from prev only
            push  = 1'b1;
          end else begin
            st_d = T_CPL;
          end
        end
      end
      T_CPL: begin
        if (halt_i) begin
          f_rewind_o = !bad_q;
          st_d = T_IDLE;
        end else if (32'(cout_q) < MAX_OUTSTANDING && !quiesce_i) begin
          cword_d    = cpl_pack(CPL_LEN_W'(len_q), tag_q, idx_q,
                                 bad_q ? CPL_STATUS_W'(CPL_STATUS_BAD_LEN) : CPL_STATUS_W'(CPL_STATUS_OK),
                                 cphase ? CPL_FLAGS_W'(CPL_FLAG_PHASE) : '0, cycle_i);
          caw_d      = 1'b1;
          caddr_d    = cq_base_i + DMA_ADDR_W'(cslot) * DMA_ADDR_W'(CPL_SIZE);
          cwb_d      = 2'(CPL_BEATS);
          cqn_d      = cqn_q + 1'b1;
          cq_push    = 1'b1;
          f_commit_o = !bad_q;                    // the frame may now be sent
          st_d       = T_CPLW;
        end
      end
      T_CPLW: ;  // left below, once AW and the last W beat are done
      default: st_d = T_IDLE;
    endcase

    // ----- read channel bookkeeping -----
    if (arp_q && ar_ready_i) begin
      arp_d   = 1'b0;
      rq_push = 1'b1;
    end
    if (rq_push) rq_wr_d = rq_wr_q + 1'b1;
    if (r_valid_i) begin
      rcv_d  = rcv_q + 1'b1;
      prev_d = r_data_i;
      if (bad_now) begin
        ferr_d = 1'b1;
        if (!berr_q) begin
          berr_d  = 1'b1;
          bresp_d = r_resp_i;
        end
      end
      if (off_q == '0) push = (rcv_q < nout_q);
      else             push = (rcv_q != '0) && (rcv_q <= nout_q);
      if (r_last_i) begin
        rq_rd_d = rq_rd_q + 1'b1;
        berr_d  = 1'b0;
      end
    end
    rout_d = rout_q + outst_t'(rq_push) - outst_t'(r_valid_i && r_last_i);
    if (push) ocnt_d = ocnt_q + 1'b1;

    // realigned FIFO beat: bytes [off, BW) of the previous read beat followed
    // by bytes [0, off) of the current one (or zeros when flushing)
    shifted = (prev_q >> {off_q, 3'b000}) |
              ((flush ? '0 : r_data_i) << (AXI_DATA_W - 8 * 32'(off_q)));
    f_wr_o   = push && !ferr_q && !bad_now;
    f_data_o = (off_q == '0) ? r_data_i : shifted;
    f_last_o = (ocnt_q == nout_q - 1'b1);
    f_keep_o = f_last_o ? lastkeep : '1;

    // ----- completion channel bookkeeping -----
    if (caw_q && cw_aw_ready_i) caw_d = 1'b0;
    if (cw_w_valid_o && cw_w_ready_i) cwb_d = cwb_q - 2'd1;
    if (cq_push) cq_wr_d = cq_wr_q + 1'b1;
    if (cw_b_valid_i) cq_rd_d = cq_rd_q + 1'b1;
    cout_d = cout_q + outst_t'(cq_push) - outst_t'(cw_b_valid_i);
    if (st_q == T_CPLW && !caw_d && cwb_d == 2'd0) st_d = T_IDLE;
    if (ring_reset_i) cqn_d = '0;
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      st_q <= T_IDLE; len_q <= '0; bad_q <= 1'b0; tag_q <= '0; idx_q <= '0; off_q <= '0;
      src_q <= '0; rdl_q <= '0; nrd_q <= '0; rcv_q <= '0; nout_q <= '0; ocnt_q <= '0;
      prev_q <= '0; ferr_q <= 1'b0; berr_q <= 1'b0; bresp_q <= '0;
      arp_q <= 1'b0; araddr_q <= '0; arlen_q <= '0; rout_q <= '0; rq_wr_q <= '0; rq_rd_q <= '0;
      cword_q <= '0; caw_q <= 1'b0; caddr_q <= '0; cwb_q <= '0; cqn_q <= '0; cout_q <= '0;
      cq_wr_q <= '0; cq_rd_q <= '0;
    end else begin
      st_q <= st_d; len_q <= len_d; bad_q <= bad_d; tag_q <= tag_d; idx_q <= idx_d; off_q <= off_d;
      src_q <= src_d; rdl_q <= rdl_d; nrd_q <= nrd_d; rcv_q <= rcv_d; nout_q <= nout_d;
      ocnt_q <= ocnt_d; prev_q <= prev_d; ferr_q <= ferr_d; berr_q <= berr_d; bresp_q <= bresp_d;
      arp_q <= arp_d; araddr_q <= araddr_d; arlen_q <= arlen_d; rout_q <= rout_d;
      rq_wr_q <= rq_wr_d; rq_rd_q <= rq_rd_d;
      cword_q <= cword_d; caw_q <= caw_d; caddr_q <= caddr_d; cwb_q <= cwb_d; cqn_q <= cqn_d;
      cout_q <= cout_d; cq_wr_q <= cq_wr_d; cq_rd_q <= cq_rd_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rq_push) rq_addr[rq_wr_q] <= araddr_q;
    if (cq_push) begin
      cq_bad[cq_wr_q]  <= bad_q;
      cq_addr[cq_wr_q] <= caddr_d;
    end
  end

  // ----- assertions -----
  a_tx_rout_under: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (r_valid_i && r_last_i) |-> (rout_q != '0))
    else $error("nic_tx_engine: read data with no payload read outstanding (counter underflow)");
  a_tx_cout_under: assert property (@(posedge clk_i) disable iff (!rst_ni)
      cw_b_valid_i |-> (cout_q != '0))
    else $error("nic_tx_engine: completion B with no completion write outstanding (counter underflow)");
  a_tx_out_max: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (32'(rout_q) <= MAX_OUTSTANDING) && (32'(cout_q) <= MAX_OUTSTANDING))
    else $error("nic_tx_engine: more than MAX_OUTSTANDING transactions outstanding");
  a_tx_rcv_max: assert property (@(posedge clk_i) disable iff (!rst_ni)
      r_valid_i |-> (rcv_q < nrd_q))
    else $error("nic_tx_engine: more read beats than requested for the frame");
  a_tx_fifo_room: assert property (@(posedge clk_i) disable iff (!rst_ni)
      f_wr_o |-> (f_free_i != '0))
    else $error("nic_tx_engine: TX FIFO write without room (overflow)");
  a_tx_wbeats: assert property (@(posedge clk_i) disable iff (!rst_ni)
      (st_q == T_CPL && !bad_q) |-> (ocnt_q == nout_q))
    else $error("nic_tx_engine: frame handed to the completion with a wrong FIFO beat count");

endmodule

`default_nettype wire
