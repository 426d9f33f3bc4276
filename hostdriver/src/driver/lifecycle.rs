//! Probe, open and close: ID and version check, soft reset, the pools and
//! rings of an open interface, programming the NIC, and giving every page
//! back at close.

use std::collections::VecDeque;

use nic_hw::regs::{self, ctrl, status};
use nic_hw::wire::Descriptor;
use pool::{
    DestroyOutcome, DmaDirection, PagePool, PagePoolParams, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV,
};

use super::mmio::{hi, lo, rd, wr};
use super::napi::IRQ_ALL;
use super::rings::{OpenState, Ring, TxBuf};
use super::Driver;
use crate::config::{DriverConfig, RxMode};
use crate::error::DriverError;
use crate::skb::SkbViolations;
use crate::stats::{DriverStats, HwStats};
use crate::xdp::{RxHandler, XdpProg};
use crate::xdp_mem::{XdpMemLog, XdpMemType, XdpRxqInfo};
use crate::NicDevice;

/// What close found and did.
#[derive(Clone, Debug, PartialEq)]
pub struct CloseReport {
    /// RX completions processed while draining at close.
    pub rx_drained: usize,
    /// Posted RX buffers given back to the pool.
    pub rx_buffers_released: usize,
    /// TX buffers given back unsent (posted but not completed, or backlog).
    pub tx_unsent: usize,
    /// RX pool pages still in flight after destroy (held by skbs, other
    /// interfaces' TX rings, ...).
    pub rx_inflight: i32,
    /// TX pool pages still in flight after destroy.
    pub tx_inflight: i32,
    /// What destroying the RX pool did.
    pub rx_pool: DestroyOutcome,
    /// What destroying the TX pool did.
    pub tx_pool: DestroyOutcome,
    /// The NIC's counters at close, since probe (across reopens).
    pub hw: HwStats,
    /// DMA mappings of the device still alive after close.
    pub live_mappings: usize,
}

impl<D: NicDevice> Driver<D> {
    /// Probe: checks ID and VERSION, then soft-resets the NIC.
    pub fn probe(mut dev: D, cfg: DriverConfig) -> Result<Self, DriverError> {
        cfg.validate()?;
        let id = rd(&mut dev, regs::ID)?;
        if id != regs::DEVICE_ID {
            return Err(DriverError::BadId {
                got: id,
                expected: regs::DEVICE_ID,
            });
        }
        let ver = rd(&mut dev, regs::VERSION)?;
        if ver >> 16 != regs::DEVICE_VERSION >> 16 {
            return Err(DriverError::BadVersion {
                got: ver,
                expected_major: regs::DEVICE_VERSION >> 16,
            });
        }
        let mem = dev.host_mem().clone();
        let dma = dev.dma_dev().clone();
        let mut d = Self {
            dev,
            mem,
            dma,
            cfg,
            open: None,
            xdp: None,
            rx_handler: None,
            socket: VecDeque::new(),
            redirects: Vec::new(),
            stats: DriverStats::default(),
            napi_scheduled: false,
            events: Vec::new(),
            skb_log: SkbViolations::default(),
            xdp_mem_log: XdpMemLog::default(),
            rx_pool_h: None,
            tx_pool_h: None,
            dma_error: None,
            hw_before_reset: HwStats::default(),
            closes: 0,
        };
        d.soft_reset()?;
        tracing::info!(
            cycle = d.dev.cycle(),
            dev = %d.cfg.name,
            version = format_args!("{}.{}", ver >> 16, ver & 0xffff),
            "probed NIC"
        );
        Ok(d)
    }

    /// CTRL.SOFT_RESET, waiting until it reads back 0.
    pub fn soft_reset(&mut self) -> Result<(), DriverError> {
        wr(&mut self.dev, regs::CTRL, ctrl::SOFT_RESET)?;
        self.wait_field(regs::CTRL, "CTRL", "SOFT_RESET", ctrl::SOFT_RESET, 0)?;
        Ok(())
    }

    /// Installs (or removes) the XDP program. Only while closed: the RX
    /// pool's DMA direction depends on it (BIDIRECTIONAL with a program, as
    /// XDP_TX sends from the RX page).
    pub fn set_xdp_prog(&mut self, prog: Option<Box<dyn XdpProg>>) -> Result<(), DriverError> {
        if self.open.is_some() {
            return Err(DriverError::AlreadyOpen { op: "set_xdp_prog" });
        }
        if prog.is_some() && self.cfg.rx_mode != RxMode::Page {
            return Err(DriverError::XdpNeedsPageMode);
        }
        self.xdp = prog;
        Ok(())
    }

    /// Installs the stack's receive hook (called inside the poll for every
    /// PASS skb). Without one, skbs queue on the socket queue ([`Self::recv`]).
    pub fn set_rx_handler(&mut self, h: Option<Box<dyn RxHandler>>) {
        self.rx_handler = h;
    }

    /// Open: soft reset, pools, rings, RX buffers, registers, interrupts,
    /// CTRL.ENABLE. A reopen first reads the NIC's counters (frames dropped
    /// while the interface was down included), as the soft reset clears
    /// them; a new pair of page pools replaces the destroyed ones.
    pub fn open(&mut self) -> Result<(), DriverError> {
        if self.open.is_some() {
            return Err(DriverError::AlreadyOpen { op: "open" });
        }
        self.cfg.validate()?;
        if self.xdp.is_some() && self.cfg.rx_mode != RxMode::Page {
            return Err(DriverError::XdpNeedsPageMode);
        }
        if self.closes > 0 {
            let before = self.hw_registers()?;
            self.hw_before_reset.accumulate(&before);
        }
        self.soft_reset()?;
        let cfg = self.cfg.clone();
        let dma_dir = if self.xdp.is_some() {
            DmaDirection::Bidirectional
        } else {
            DmaDirection::FromDevice
        };
        let (rx_pool, tx_pool) = self.create_pools(dma_dir)?;
        let rings = self.alloc_rings()?;
        let [rx_ring, rx_cq, tx_ring, tx_cq] = rings;
        let rx_pool_h = rx_pool.handle();
        let tx_pool_h = tx_pool.handle();
        let rxq = self.xdp_rxq_info_reg(&rx_pool_h);
        self.rx_pool_h = Some(rx_pool_h.clone());
        self.tx_pool_h = Some(tx_pool_h.clone());
        self.open = Some(OpenState {
            rx_pool,
            tx_pool,
            rx_pool_h,
            tx_pool_h,
            dma_dir,
            rxq,
            rx_slots: (0..cfg.rx_ring_size).map(|_| None).collect(),
            tx_slots: (0..cfg.tx_ring_size).map(|_| None).collect(),
            rx_ring,
            rx_cq,
            tx_ring,
            tx_cq,
            rx_prod: 0,
            rx_cq_cons: 0,
            tx_prod: 0,
            tx_cq_cons: 0,
            tx_doorbell_pending: false,
            tx_backlog: VecDeque::new(),
            tx_stopped: false,
        });
        self.napi_scheduled = false;
        self.dma_error = None;
        let res = self.program_and_start();
        if let Err(e) = res {
            tracing::error!(cycle = self.dev.cycle(), dev = %self.cfg.name, "open failed: {e}");
            let _ = self.teardown(false);
            return Err(e);
        }
        tracing::info!(
            cycle = self.dev.cycle(),
            dev = %self.cfg.name,
            mode = ?cfg.rx_mode,
            xdp = self.xdp.is_some(),
            posted = self.rx_posted(),
            "interface up"
        );
        Ok(())
    }

    /// The RX pool (`DMA_MAP`, optionally `DMA_SYNC_DEV`, `offset` =
    /// headroom, `max_len` = what the device may write: the posted
    /// descriptor length in page mode) and the TX pool.
    fn create_pools(&self, dma_dir: DmaDirection) -> Result<(PagePool, PagePool), DriverError> {
        let cfg = &self.cfg;
        let max_len = match cfg.rx_mode {
            RxMode::Page => cfg.rx_desc_len(cfg.page_buf_len()),
            // Every fragment's data area lies in [headroom, page bytes).
            RxMode::Frag => cfg.rx_page_bytes() - cfg.headroom,
        };
        let mut flags = PP_FLAG_DMA_MAP;
        if cfg.pool_sync_dev {
            flags |= PP_FLAG_DMA_SYNC_DEV;
        }
        let rx_pool = PagePool::create(PagePoolParams {
            flags,
            dev: Some(self.dma.clone()),
            napi: Some(cfg.napi_id),
            dma_dir,
            max_len,
            offset: cfg.headroom,
            netdev: Some(cfg.ifindex),
            pool_size: cfg.pool_size,
            order: cfg.rx_page_order,
            ..PagePoolParams::new(&self.mem)
        })
        .map_err(|source| DriverError::Pool {
            which: "RX",
            source,
        })?;
        let tx_pool = PagePool::create(PagePoolParams {
            flags: PP_FLAG_DMA_MAP,
            dev: Some(self.dma.clone()),
            napi: Some(cfg.napi_id),
            dma_dir: DmaDirection::Bidirectional,
            netdev: Some(cfg.ifindex),
            ..PagePoolParams::new(&self.mem)
        })
        .map_err(|source| DriverError::Pool {
            which: "TX",
            source,
        })?;
        Ok((rx_pool, tx_pool))
    }

    /// The RX queue's `xdp_rxq_info`: `xdp_rxq_info_reg(rxq, dev, 0,
    /// napi_id)` and `xdp_rxq_info_reg_mem_model(rxq, MEM_TYPE_PAGE_POOL,
    /// rx_pool)`, as an XDP driver's open does for every RX queue. A
    /// failure (every mem id taken) is logged and leaves the queue without
    /// its memory model: its XDP frames are then reported.
    fn xdp_rxq_info_reg(&self, rx_pool: &pool::PagePoolHandle) -> XdpRxqInfo {
        let mut rxq = XdpRxqInfo::new(self.xdp_mem_log.clone());
        let reg = rxq
            .xdp_rxq_info_reg(self.cfg.ifindex, 0, self.cfg.napi_id)
            .and_then(|()| {
                rxq.xdp_rxq_info_reg_mem_model(XdpMemType::PagePool, Some(rx_pool.clone()))
            });
        if let Err(e) = reg {
            tracing::error!(cycle = self.dev.cycle(), dev = %self.cfg.name, "registering the RX queue's XDP memory model: {e}");
        }
        rxq
    }

    /// The RX ring, RX completion ring, TX ring and TX completion ring in
    /// coherent memory (all freed again if one allocation fails).
    fn alloc_rings(&mut self) -> Result<[Ring; 4], DriverError> {
        let sizes = [
            self.cfg.rx_ring_size,
            self.cfg.rx_ring_size,
            self.cfg.tx_ring_size,
            self.cfg.tx_ring_size,
        ];
        let mut out: Vec<Ring> = Vec::with_capacity(4);
        for size in sizes {
            match self
                .dma
                .alloc_coherent(usize::from(size) * Descriptor::SIZE)
            {
                Ok(buf) => out.push(Ring { buf, size }),
                Err(e) => {
                    for r in out {
                        let _ = self.dma.free_coherent(r.buf);
                    }
                    return Err(DriverError::Dma {
                        what: "dma_alloc_coherent for a ring",
                        source: e,
                    });
                }
            }
        }
        let mut it = out.into_iter();
        let mut next = || it.next().expect("four rings");
        Ok([next(), next(), next(), next()])
    }

    /// Programs lengths, ring bases and sizes and coalescing, posts the RX
    /// buffers, acknowledges and unmasks the interrupts, enables the NIC.
    fn program_and_start(&mut self) -> Result<(), DriverError> {
        let cfg = self.cfg.clone();
        let o = self.open.as_ref().expect("open state");
        let (rxr, rxc, txr, txc) = (
            o.rx_ring.buf.dma.raw_value(),
            o.rx_cq.buf.dma.raw_value(),
            o.tx_ring.buf.dma.raw_value(),
            o.tx_cq.buf.dma.raw_value(),
        );
        let d = &mut self.dev;
        wr(d, regs::MAX_FRAME_LEN, cfg.max_frame_len)?;
        wr(d, regs::RX_HEADROOM, cfg.headroom)?;
        wr(d, regs::RX_RING_BASE_LO, lo(rxr))?;
        wr(d, regs::RX_RING_BASE_HI, hi(rxr))?;
        wr(d, regs::RX_CQ_BASE_LO, lo(rxc))?;
        wr(d, regs::RX_CQ_BASE_HI, hi(rxc))?;
        wr(d, regs::RX_RING_SIZE, u32::from(cfg.rx_ring_size))?;
        wr(d, regs::TX_RING_BASE_LO, lo(txr))?;
        wr(d, regs::TX_RING_BASE_HI, hi(txr))?;
        wr(d, regs::TX_CQ_BASE_LO, lo(txc))?;
        wr(d, regs::TX_CQ_BASE_HI, hi(txc))?;
        wr(d, regs::TX_RING_SIZE, u32::from(cfg.tx_ring_size))?;
        wr(d, regs::IRQ_COAL_FRAMES, cfg.coal_frames)?;
        wr(d, regs::IRQ_COAL_CYCLES, cfg.coal_cycles)?;
        self.refill()?;
        wr(&mut self.dev, regs::IRQ_STATUS, IRQ_ALL)?;
        wr(&mut self.dev, regs::IRQ_MASK, !IRQ_ALL & 0xf)?;
        let mut c = ctrl::ENABLE;
        if cfg.loopback {
            c |= ctrl::LOOPBACK;
        }
        wr(&mut self.dev, regs::CTRL, c)?;
        Ok(())
    }

    /// Close: mask interrupts, stop the queues, wait for STATUS.IDLE,
    /// process what completed meanwhile, give every page back, destroy the
    /// pools and report what is still in flight.
    pub fn close(&mut self) -> Result<CloseReport, DriverError> {
        if self.open.is_none() {
            return Err(DriverError::NotOpen { op: "close" });
        }
        wr(&mut self.dev, regs::IRQ_MASK, IRQ_ALL)?;
        if self.cfg.test.close_without_waiting_idle {
            wr(&mut self.dev, regs::CTRL, 0)?;
            return self.close_stopped();
        }
        wr(&mut self.dev, regs::CTRL, 0)?;
        self.wait_field(regs::STATUS, "STATUS", "IDLE", status::IDLE, status::IDLE)?;
        // Completions that landed before the queues stopped.
        self.close_stopped()
    }

    /// The rest of close once the queues are stopped (and the NIC idle):
    /// process what completed, give every page back, destroy the pools.
    fn close_stopped(&mut self) -> Result<CloseReport, DriverError> {
        self.tx_clean(false)?;
        let rx_drained = self.rx_clean(usize::MAX)?;
        // Nothing is sent any more: free XDP_TX frames just queued.
        self.flush_tx_doorbell()?;
        wr(&mut self.dev, regs::IRQ_STATUS, IRQ_ALL)?;
        self.napi_scheduled = false;
        let hw = self.hw_stats()?;
        self.closes += 1;
        let mut report = self.teardown(true)?;
        report.rx_drained = rx_drained;
        report.hw = hw;
        tracing::info!(
            cycle = self.dev.cycle(),
            dev = %self.cfg.name,
            rx_inflight = report.rx_inflight,
            tx_inflight = report.tx_inflight,
            "interface down"
        );
        if report.rx_inflight > 0 || report.tx_inflight > 0 {
            tracing::warn!(
                cycle = self.dev.cycle(),
                dev = %self.cfg.name,
                rx_inflight = report.rx_inflight,
                tx_inflight = report.tx_inflight,
                "pages still in flight at close: pools detached"
            );
        }
        Ok(report)
    }

    /// Gives every buffer back, frees the rings, destroys the pools.
    fn teardown(&mut self, count: bool) -> Result<CloseReport, DriverError> {
        let mut o = self.open.take().expect("open state");
        // xdp_rxq_info_unreg before the pool goes (page_pool_destroy).
        o.rxq.xdp_rxq_info_unreg();
        let mut rx_released = 0;
        for slot in o.rx_slots.iter_mut() {
            if let Some(b) = slot.take() {
                o.rx_pool.put_full_page(b.page, false);
                rx_released += 1;
            }
        }
        let mut tx_unsent = 0;
        let mut bufs: Vec<TxBuf> = o.tx_slots.iter_mut().filter_map(Option::take).collect();
        bufs.extend(o.tx_backlog.drain(..));
        let mut first_err = None;
        for b in bufs {
            if let Err(e) = Self::tx_unmap(&self.dma, &b) {
                first_err.get_or_insert(DriverError::Dma {
                    what: "dma_unmap_page of a redirected frame",
                    source: e,
                });
            }
            b.pool.put_full_page(b.page, false);
            tx_unsent += 1;
        }
        if count {
            self.stats.tx_dropped_at_close += tx_unsent as u64;
        }
        for f in self.redirects.drain(..) {
            f.free();
        }
        for r in [o.rx_ring, o.rx_cq, o.tx_ring, o.tx_cq] {
            if let Err(e) = self.dma.free_coherent(r.buf) {
                first_err.get_or_insert(DriverError::Dma {
                    what: "dma_free_coherent of a ring",
                    source: e,
                });
            }
        }
        let rx_pool = o.rx_pool.destroy();
        let tx_pool = o.tx_pool.destroy();
        let rx_inflight = o.rx_pool_h.inflight();
        let tx_inflight = o.tx_pool_h.inflight();
        if let Some(e) = first_err {
            return Err(e);
        }
        Ok(CloseReport {
            rx_drained: 0,
            rx_buffers_released: rx_released,
            tx_unsent,
            rx_inflight,
            tx_inflight,
            rx_pool,
            tx_pool,
            hw: HwStats::default(),
            live_mappings: self.dma.live_mappings().len(),
        })
    }
}
