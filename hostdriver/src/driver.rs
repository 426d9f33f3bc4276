//! The driver: probe, open, NAPI poll, RX refill, verdicts, TX, close.

use std::collections::VecDeque;

use nic_hw::regs::{self, cpl_layout, ctrl, irq_status, status};
use nic_hw::wire::{Completion, CplStatus, Descriptor};
use pool::{
    CoherentBuf, DestroyOutcome, DmaAddr, DmaAttrs, DmaDev, DmaDirection, DmaError, HostAddr,
    HostMemory, PagePool, PagePoolHandle, PagePoolParams, PagePoolStats, PpPage, PP_FLAG_DMA_MAP,
    PP_FLAG_DMA_SYNC_DEV,
};

use crate::config::{DriverConfig, RxMode};
use crate::error::{DriverError, TxError};
use crate::skb::{SkBuff, SkbViolations};
use crate::stats::{pp_ethtool_values, DriverStats, HwStats, PP_ETHTOOL_NAMES};
use crate::xdp::{RedirectTarget, RxHandler, XdpAction, XdpBuff, XdpFrame, XdpProg};
use crate::NicDevice;

/// Every interrupt cause the driver handles (and unmasks when idle).
const IRQ_ALL: u32 =
    irq_status::RX_CQ | irq_status::TX_CQ | irq_status::DMA_ERR | irq_status::RX_DROP;
/// Cycles between two reads while waiting for a register field.
const WAIT_POLL_CYCLES: u64 = 8;
/// Direction of the mapping `ndo_xdp_xmit` makes on this device for a frame
/// redirected from another device: the NIC only reads it
/// (`dma_map_page(.., DMA_TO_DEVICE)` as mlx5/i40e/ixgbe do).
const XDP_XMIT_MAP_DIR: DmaDirection = DmaDirection::ToDevice;
/// Alignment of that mapping. The NIC reads whole bus beats at aligned
/// addresses (docs/ARCHITECTURE.md, AXI rules), so it reads around a frame
/// up to the bus width; the mapping covers the frame rounded out to a cache
/// line (at least the bus width, never beyond the page), as an IOMMU's
/// page granularity would in the kernel.
const XDP_XMIT_MAP_ALIGN: u32 = 64;

/// A step of the interrupt/NAPI protocol, for tests of interrupt discipline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NapiEvent {
    /// Interrupt taken: masked, NAPI scheduled. `status` = IRQ_STATUS.
    Irq {
        /// Device cycle.
        cycle: u64,
        /// IRQ_STATUS at the time.
        status: u32,
    },
    /// One poll ran and processed `done` RX completions.
    Poll {
        /// Device cycle at its end.
        cycle: u64,
        /// RX completions processed.
        done: usize,
        /// The budget.
        budget: usize,
    },
    /// `napi_complete_done`.
    Complete {
        /// Device cycle.
        cycle: u64,
    },
    /// New work found after completing: rescheduled, still masked.
    Repoll {
        /// Device cycle.
        cycle: u64,
    },
    /// IRQ_MASK written to unmask.
    Unmask {
        /// Device cycle.
        cycle: u64,
    },
}

/// The result of one [`Driver::napi_poll`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollOutcome {
    /// RX completions processed.
    pub done: usize,
    /// The poll completed NAPI (done < budget) and either unmasked or
    /// rescheduled.
    pub completed: bool,
    /// After completing it found new work and rescheduled.
    pub rescheduled: bool,
}

/// The first DMA error the NIC reported (DMA_ERR_* registers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaErrorRecord {
    /// DMA_ERR_ADDR_HI:LO.
    pub addr: u64,
    /// DMA_ERR_INFO.RESP.
    pub resp: u32,
    /// DMA_ERR_INFO.SOURCE.
    pub source: u32,
    /// STATUS at the time.
    pub status: u32,
}

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
    /// The NIC's counters at close.
    pub hw: HwStats,
    /// DMA mappings of the device still alive after close.
    pub live_mappings: usize,
}

struct RxBuf {
    page: PpPage,
    /// Offset of the buffer (its headroom) in the page.
    page_off: u32,
    /// Bytes the device may write after the headroom.
    buf_len: u32,
    truesize: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxKind {
    Xmit,
    XdpTx,
    Redirect,
}

struct TxBuf {
    page: PpPage,
    /// The page's own pool (for a redirected frame: the source device's).
    pool: PagePoolHandle,
    dma: DmaAddr,
    len: u32,
    kind: TxKind,
    /// A mapping (handle, length) this device made for the frame (a
    /// zero-copy redirect from another device; `dma` points into it):
    /// `dma_unmap_page(handle, length, XDP_XMIT_MAP_DIR)` before the page
    /// goes back to its pool.
    mapped_here: Option<(DmaAddr, u32)>,
}

struct Ring {
    buf: CoherentBuf,
    size: u16,
}

impl Ring {
    fn entry(&self, idx: u16) -> HostAddr {
        let slot = u64::from(idx & (self.size - 1));
        HostAddr::new(self.buf.host.raw_value() + slot * Descriptor::SIZE as u64)
    }
}

struct OpenState {
    rx_pool: PagePool,
    tx_pool: PagePool,
    rx_pool_h: PagePoolHandle,
    tx_pool_h: PagePoolHandle,
    dma_dir: DmaDirection,
    rx_ring: Ring,
    rx_cq: Ring,
    tx_ring: Ring,
    tx_cq: Ring,
    rx_slots: Vec<Option<RxBuf>>,
    rx_prod: u16,
    rx_cq_cons: u16,
    tx_slots: Vec<Option<TxBuf>>,
    tx_prod: u16,
    tx_cq_cons: u16,
    tx_doorbell_pending: bool,
    tx_backlog: VecDeque<TxBuf>,
    tx_stopped: bool,
}

impl OpenState {
    fn tx_in_flight(&self) -> u16 {
        self.tx_prod.wrapping_sub(self.tx_cq_cons)
    }
    fn tx_ring_full(&self) -> bool {
        self.tx_in_flight() >= self.tx_ring.size
    }
    fn rx_posted(&self) -> u16 {
        self.rx_prod.wrapping_sub(self.rx_cq_cons)
    }
}

fn rd<D: NicDevice>(dev: &mut D, reg: u32) -> Result<u32, DriverError> {
    Ok(dev.mmio_read(reg)?)
}

fn wr<D: NicDevice>(dev: &mut D, reg: u32, v: u32) -> Result<(), DriverError> {
    tracing::trace!(
        cycle = dev.cycle(),
        reg = regs::name_of(reg).unwrap_or("?"),
        value = v,
        "mmio write"
    );
    Ok(dev.mmio_write(reg, v)?)
}

fn lo(a: u64) -> u32 {
    a as u32
}
fn hi(a: u64) -> u32 {
    (a >> 32) as u32
}
fn dma_add(a: DmaAddr, off: u32) -> DmaAddr {
    DmaAddr::new(a.raw_value() + u64::from(off))
}
fn host_add(a: HostAddr, off: u32) -> HostAddr {
    HostAddr::new(a.raw_value() + u64::from(off))
}

/// The driver of one NIC (one RX and one TX queue).
pub struct Driver<D: NicDevice> {
    dev: D,
    mem: HostMemory,
    dma: DmaDev,
    cfg: DriverConfig,
    open: Option<OpenState>,
    xdp: Option<Box<dyn XdpProg>>,
    rx_handler: Option<Box<dyn RxHandler>>,
    socket: VecDeque<SkBuff>,
    redirects: Vec<XdpFrame>,
    stats: DriverStats,
    napi_scheduled: bool,
    events: Vec<NapiEvent>,
    skb_log: SkbViolations,
    rx_pool_h: Option<PagePoolHandle>,
    tx_pool_h: Option<PagePoolHandle>,
    dma_error: Option<DmaErrorRecord>,
}

impl<D: NicDevice> std::fmt::Debug for Driver<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("name", &self.cfg.name)
            .field("open", &self.open.is_some())
            .field("napi_scheduled", &self.napi_scheduled)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<D: NicDevice> Driver<D> {
    // ---- probe / open / close ----------------------------------------------

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
            rx_pool_h: None,
            tx_pool_h: None,
            dma_error: None,
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

    fn wait_field(
        &mut self,
        reg: u32,
        reg_name: &'static str,
        field: &'static str,
        mask: u32,
        expected: u32,
    ) -> Result<u32, DriverError> {
        let start = self.dev.cycle();
        loop {
            let v = rd(&mut self.dev, reg)?;
            if v & mask == expected {
                return Ok(v);
            }
            let waited = self.dev.cycle() - start;
            if waited > self.cfg.wait_timeout_cycles {
                return Err(DriverError::Timeout {
                    reg: reg_name,
                    field,
                    expected: u32::from(expected != 0),
                    last: v,
                    waited_cycles: waited,
                });
            }
            self.dev.advance(WAIT_POLL_CYCLES)?;
        }
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

    /// Changes the configuration (only while closed).
    pub fn reconfigure(&mut self, cfg: DriverConfig) -> Result<(), DriverError> {
        if self.open.is_some() {
            return Err(DriverError::AlreadyOpen { op: "reconfigure" });
        }
        cfg.validate()?;
        if self.xdp.is_some() && cfg.rx_mode != RxMode::Page {
            return Err(DriverError::XdpNeedsPageMode);
        }
        self.cfg = cfg;
        Ok(())
    }

    /// Open: soft reset, pools, rings, RX buffers, registers, interrupts,
    /// CTRL.ENABLE.
    pub fn open(&mut self) -> Result<(), DriverError> {
        if self.open.is_some() {
            return Err(DriverError::AlreadyOpen { op: "open" });
        }
        self.cfg.validate()?;
        if self.xdp.is_some() && self.cfg.rx_mode != RxMode::Page {
            return Err(DriverError::XdpNeedsPageMode);
        }
        self.soft_reset()?;
        let cfg = self.cfg.clone();
        let dma_dir = if self.xdp.is_some() {
            DmaDirection::Bidirectional
        } else {
            DmaDirection::FromDevice
        };
        let max_len = match cfg.rx_mode {
            RxMode::Page => cfg.page_buf_len(),
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
        let rings = self.alloc_rings()?;
        let [rx_ring, rx_cq, tx_ring, tx_cq] = rings;
        let rx_pool_h = rx_pool.handle();
        let tx_pool_h = tx_pool.handle();
        self.rx_pool_h = Some(rx_pool_h.clone());
        self.tx_pool_h = Some(tx_pool_h.clone());
        self.open = Some(OpenState {
            rx_pool,
            tx_pool,
            rx_pool_h,
            tx_pool_h,
            dma_dir,
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
        wr(&mut self.dev, regs::CTRL, 0)?;
        self.wait_field(regs::STATUS, "STATUS", "IDLE", status::IDLE, status::IDLE)?;
        // Completions that landed before the queues stopped.
        self.tx_clean()?;
        let rx_drained = self.rx_clean(usize::MAX)?;
        // Nothing is sent any more: free XDP_TX frames just queued.
        self.flush_tx_doorbell()?;
        wr(&mut self.dev, regs::IRQ_STATUS, IRQ_ALL)?;
        self.napi_scheduled = false;
        let hw = self.hw_stats()?;
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

    // ---- interrupt and NAPI ------------------------------------------------

    /// The interrupt handler: if the line is asserted, mask every cause and
    /// schedule NAPI. Returns whether it was taken.
    pub fn handle_irq(&mut self) -> Result<bool, DriverError> {
        if self.open.is_none() || !self.dev.irq_asserted() {
            return Ok(false);
        }
        wr(&mut self.dev, regs::IRQ_MASK, IRQ_ALL)?;
        let st = rd(&mut self.dev, regs::IRQ_STATUS)?;
        if st & irq_status::DMA_ERR != 0 {
            self.record_dma_error()?;
        }
        self.stats.irqs += 1;
        let cycle = self.dev.cycle();
        self.events.push(NapiEvent::Irq { cycle, status: st });
        tracing::trace!(cycle, dev = %self.cfg.name, status = st, "irq: masked, napi scheduled");
        self.napi_scheduled = true;
        Ok(true)
    }

    fn record_dma_error(&mut self) -> Result<(), DriverError> {
        let lo_ = rd(&mut self.dev, regs::DMA_ERR_ADDR_LO)?;
        let hi_ = rd(&mut self.dev, regs::DMA_ERR_ADDR_HI)?;
        let info = rd(&mut self.dev, regs::DMA_ERR_INFO)?;
        let st = rd(&mut self.dev, regs::STATUS)?;
        let rec = DmaErrorRecord {
            addr: (u64::from(hi_) << 32) | u64::from(lo_),
            resp: (info & regs::dma_err_info::RESP) >> regs::dma_err_info::RESP_SHIFT,
            source: (info & regs::dma_err_info::SOURCE) >> regs::dma_err_info::SOURCE_SHIFT,
            status: st,
        };
        if self.dma_error.is_none() {
            tracing::error!(
                cycle = self.dev.cycle(),
                dev = %self.cfg.name,
                addr = format_args!("{:#x}", rec.addr),
                resp = rec.resp,
                source = rec.source,
                status = st,
                "NIC reported a DMA error; the failing queue stopped (SOFT_RESET recovers)"
            );
            self.dma_error = Some(rec);
        }
        self.stats.dma_errors += 1;
        Ok(())
    }

    /// One NAPI poll: TX completions, up to `budget` RX completions, refill
    /// with one doorbell, flush queued TX; when less than the budget was
    /// done: complete, acknowledge (W1C) and unmask, or reschedule if work
    /// arrived meanwhile.
    pub fn napi_poll(&mut self) -> Result<PollOutcome, DriverError> {
        if self.open.is_none() {
            return Err(DriverError::NotOpen { op: "napi_poll" });
        }
        let budget = self.cfg.budget;
        self.stats.napi_polls += 1;
        self.tx_clean()?;
        let done = self.rx_clean(budget)?;
        self.refill()?;
        self.flush_tx_doorbell()?;
        let cycle = self.dev.cycle();
        self.events.push(NapiEvent::Poll {
            cycle,
            done,
            budget,
        });
        if done >= budget {
            self.stats.napi_budget_exhausted += 1;
            tracing::trace!(cycle, dev = %self.cfg.name, done, "budget exhausted: stay scheduled");
            return Ok(PollOutcome {
                done,
                completed: false,
                rescheduled: false,
            });
        }
        // napi_complete_done
        self.napi_scheduled = false;
        self.stats.napi_complete += 1;
        self.events.push(NapiEvent::Complete { cycle });
        let st = rd(&mut self.dev, regs::IRQ_STATUS)?;
        if st & irq_status::DMA_ERR != 0 {
            self.record_dma_error()?;
        }
        if st != 0 {
            wr(&mut self.dev, regs::IRQ_STATUS, st & IRQ_ALL)?;
        }
        if self.work_pending()? {
            self.napi_scheduled = true;
            self.stats.napi_repoll += 1;
            self.events.push(NapiEvent::Repoll {
                cycle: self.dev.cycle(),
            });
            return Ok(PollOutcome {
                done,
                completed: true,
                rescheduled: true,
            });
        }
        wr(&mut self.dev, regs::IRQ_MASK, !IRQ_ALL & 0xf)?;
        self.events.push(NapiEvent::Unmask {
            cycle: self.dev.cycle(),
        });
        Ok(PollOutcome {
            done,
            completed: true,
            rescheduled: false,
        })
    }

    /// Takes the interrupt if asserted, then runs polls while NAPI stays
    /// scheduled (at most `max_polls_per_service`). Returns the polls run.
    pub fn service(&mut self) -> Result<usize, DriverError> {
        if self.open.is_none() {
            return Ok(0);
        }
        if !self.napi_scheduled && !self.handle_irq()? {
            return Ok(0);
        }
        let mut polls = 0;
        while self.napi_scheduled && polls < self.cfg.max_polls_per_service {
            self.napi_poll()?;
            polls += 1;
        }
        Ok(polls)
    }

    /// Lets `cycles` pass in steps of `quantum`, servicing interrupts after
    /// every step.
    pub fn run_for(&mut self, cycles: u64, quantum: u64) -> Result<(), DriverError> {
        let quantum = quantum.max(1);
        let end = self.dev.cycle() + cycles;
        while self.dev.cycle() < end {
            let step = quantum.min(end - self.dev.cycle());
            self.dev.advance(step)?;
            self.service()?;
        }
        Ok(())
    }

    /// Runs (as [`Self::run_for`]) until `done(self)` holds, for at most
    /// `max_cycles`. Returns whether it held.
    pub fn run_until(
        &mut self,
        max_cycles: u64,
        quantum: u64,
        mut done: impl FnMut(&mut Self) -> bool,
    ) -> Result<bool, DriverError> {
        let quantum = quantum.max(1);
        let end = self.dev.cycle() + max_cycles;
        loop {
            if done(self) {
                return Ok(true);
            }
            if self.dev.cycle() >= end {
                return Ok(false);
            }
            self.dev.advance(quantum)?;
            self.service()?;
        }
    }

    fn peek_cpl(&self, tx: bool) -> Result<Option<Completion>, DriverError> {
        let Some(o) = self.open.as_ref() else {
            return Ok(None);
        };
        let (ring, cons, name) = if tx {
            (&o.tx_cq, o.tx_cq_cons, "TX")
        } else {
            (&o.rx_cq, o.rx_cq_cons, "RX")
        };
        let mut raw = [0u8; Completion::SIZE];
        self.mem
            .cpu_read(ring.entry(cons), &mut raw)
            .map_err(DriverError::mem("reading a completion"))?;
        let phase = raw[cpl_layout::FLAGS] & nic_hw::regs::CPL_FLAG_PHASE as u8 != 0;
        if phase != Completion::expected_phase(cons, ring.size) {
            return Ok(None);
        }
        let c = Completion::parse(&raw).map_err(|source| DriverError::BadCompletion {
            ring: name,
            idx: cons,
            source,
        })?;
        if c.desc_idx() != cons {
            return Err(DriverError::CompletionMismatch {
                ring: name,
                idx: cons,
                field: "desc_idx",
                got: u64::from(c.desc_idx()),
                expected: u64::from(cons),
            });
        }
        if c.tag() != u32::from(cons) {
            return Err(DriverError::CompletionMismatch {
                ring: name,
                idx: cons,
                field: "tag",
                got: u64::from(c.tag()),
                expected: u64::from(cons),
            });
        }
        Ok(Some(c))
    }

    fn work_pending(&self) -> Result<bool, DriverError> {
        Ok(self.peek_cpl(false)?.is_some() || self.peek_cpl(true)?.is_some())
    }

    // ---- RX ------------------------------------------------------------------

    fn rx_clean(&mut self, budget: usize) -> Result<usize, DriverError> {
        let mut done = 0;
        while done < budget {
            let Some(c) = self.peek_cpl(false)? else {
                break;
            };
            let o = self.open.as_mut().expect("open");
            let idx = o.rx_cq_cons;
            o.rx_cq_cons = idx.wrapping_add(1);
            done += 1;
            self.rx_one(idx, c)?;
        }
        Ok(done)
    }

    fn rx_one(&mut self, idx: u16, c: Completion) -> Result<(), DriverError> {
        let cycle = self.dev.cycle();
        let cfg = &self.cfg;
        let o = self.open.as_mut().expect("open");
        let slot = usize::from(idx & (o.rx_ring.size - 1));
        let Some(buf) = o.rx_slots[slot].take() else {
            return Err(DriverError::EmptySlot {
                ring: "RX",
                idx,
                slot,
            });
        };
        let len = c.len();
        self.stats.rx_packets += 1;
        self.stats.rx_bytes += u64::from(len);
        if len == 0 || len > buf.buf_len {
            self.stats.rx_len_errors += 1;
            tracing::warn!(cycle, dev = %cfg.name, idx, len, buf_len = buf.buf_len, "RX completion length outside the buffer: dropped");
            o.rx_pool.napi_ctx(cfg.napi_id).recycle_direct(buf.page);
            return Ok(());
        }
        let page_dma = buf.page.dma_addr().expect("DMA_MAP pool");
        if !cfg.test.skip_rx_sync_for_cpu {
            // Exactly the received range: headroom + length.
            if let Err(e) = self.dma.sync_single_range_for_cpu(
                page_dma,
                buf.page_off as usize,
                (cfg.headroom + len) as usize,
                o.dma_dir,
            ) {
                o.rx_pool.napi_ctx(cfg.napi_id).recycle_direct(buf.page);
                return Err(DriverError::Dma {
                    what: "sync_for_cpu of an RX buffer",
                    source: e,
                });
            }
        }
        let data_off = buf.page_off + cfg.headroom;
        let data_addr = host_add(buf.page.host_addr(), data_off);
        let action = match self.xdp.as_mut() {
            None => XdpAction::Pass,
            Some(prog) => {
                let mut data = vec![0u8; len as usize];
                self.mem
                    .cpu_read(data_addr, &mut data)
                    .map_err(DriverError::mem("reading an RX frame for XDP"))?;
                let mut xb = XdpBuff {
                    data,
                    modified: false,
                    ifindex: cfg.ifindex,
                    cycle,
                };
                let act = prog.run(&mut xb);
                if xb.modified {
                    self.mem
                        .cpu_write(data_addr, &xb.data)
                        .map_err(DriverError::mem("writing back an XDP-modified frame"))?;
                }
                act
            }
        };
        tracing::trace!(cycle, dev = %cfg.name, idx, len, ?action, "rx");
        match action {
            XdpAction::Pass => {
                self.stats.rx_pass += 1;
                let skb = SkBuff::from_pool_page(
                    self.mem.clone(),
                    buf.page,
                    o.rx_pool_h.clone(),
                    data_off,
                    len,
                    buf.truesize,
                    self.skb_log.clone(),
                );
                let skb = match self.rx_handler.as_mut() {
                    Some(h) => h.receive(skb, &mut o.rx_pool.napi_ctx(cfg.napi_id)),
                    None => Some(skb),
                };
                if let Some(skb) = skb {
                    self.socket.push_back(skb);
                }
            }
            XdpAction::Drop => {
                self.stats.rx_xdp_drop += 1;
                o.rx_pool.napi_ctx(cfg.napi_id).recycle_direct(buf.page);
            }
            XdpAction::Aborted => {
                self.stats.rx_xdp_aborted += 1;
                tracing::warn!(cycle, dev = %cfg.name, idx, "xdp_exception: XDP_ABORTED");
                o.rx_pool.napi_ctx(cfg.napi_id).recycle_direct(buf.page);
            }
            XdpAction::Tx => {
                self.stats.rx_xdp_tx += 1;
                self.rx_to_own_tx(buf, data_off, len)?;
            }
            XdpAction::Redirect(target) => {
                self.stats.rx_xdp_redirect += 1;
                let RedirectTarget::Ifindex(ifx) = target;
                if ifx == cfg.ifindex {
                    self.rx_to_own_tx(buf, data_off, len)?;
                } else {
                    self.redirects.push(XdpFrame {
                        page: Some(buf.page),
                        pool: o.rx_pool_h.clone(),
                        dev: self.dma.clone(),
                        mem: self.mem.clone(),
                        offset: data_off,
                        len,
                        target,
                        from: cfg.ifindex,
                    });
                }
            }
        }
        Ok(())
    }

    /// XDP_TX (or a redirect to ourselves): the RX page goes on our TX ring
    /// as is, synced for the device over the frame.
    fn rx_to_own_tx(&mut self, buf: RxBuf, data_off: u32, len: u32) -> Result<(), DriverError> {
        let o = self.open.as_mut().expect("open");
        let page_dma = buf.page.dma_addr().expect("DMA_MAP pool");
        if !self.cfg.test.skip_tx_sync_for_device {
            if let Err(e) = self.dma.sync_single_range_for_device(
                page_dma,
                data_off as usize,
                len as usize,
                o.dma_dir,
            ) {
                o.rx_pool
                    .napi_ctx(self.cfg.napi_id)
                    .recycle_direct(buf.page);
                return Err(DriverError::Dma {
                    what: "sync_for_device of an XDP_TX frame",
                    source: e,
                });
            }
        }
        let tb = TxBuf {
            page: buf.page,
            pool: o.rx_pool_h.clone(),
            dma: dma_add(page_dma, data_off),
            len,
            kind: TxKind::XdpTx,
            mapped_here: None,
        };
        if let Some(tb) = self.tx_enqueue(tb)? {
            // Ring and backlog full: dropped, counted, page recycled.
            self.stats.rx_xdp_tx_errors += 1;
            let o = self.open.as_mut().expect("open");
            tracing::debug!(cycle = self.dev.cycle(), dev = %self.cfg.name, "XDP_TX: TX ring and backlog full, frame dropped");
            o.rx_pool.napi_ctx(self.cfg.napi_id).recycle_direct(tb.page);
        }
        Ok(())
    }

    fn alloc_rx_buf(
        cfg: &DriverConfig,
        pool: &mut PagePool,
    ) -> Result<RxBuf, pool::PoolAllocError> {
        match cfg.rx_mode {
            RxMode::Page => Ok(RxBuf {
                page: pool.dev_alloc_pages()?,
                page_off: 0,
                buf_len: cfg.page_buf_len(),
                truesize: cfg.rx_page_bytes(),
            }),
            RxMode::Frag => {
                let mut off = 0;
                let mut size = cfg.frag_request();
                let page = pool.dev_alloc(&mut off, &mut size)?;
                Ok(RxBuf {
                    page,
                    page_off: off,
                    buf_len: size - cfg.headroom - cfg.tailroom,
                    truesize: size,
                })
            }
        }
    }

    /// Posts a buffer in every free slot (stops at the first allocation
    /// failure, leaving the rest empty for the next poll) and rings the RX
    /// doorbell once.
    fn refill(&mut self) -> Result<u16, DriverError> {
        let cfg = &self.cfg;
        let o = self.open.as_mut().expect("open");
        let size = o.rx_ring.size;
        let mut posted: u16 = 0;
        while o.rx_posted() < size {
            let buf = match Self::alloc_rx_buf(cfg, &mut o.rx_pool) {
                Ok(b) => b,
                Err(e) => {
                    self.stats.rx_refill_failures += 1;
                    tracing::debug!(
                        cycle = self.dev.cycle(),
                        dev = %cfg.name,
                        posted = o.rx_posted(),
                        "refill: {e}; slot left empty, retried next poll"
                    );
                    break;
                }
            };
            let page_dma = buf.page.dma_addr().expect("DMA_MAP pool");
            if !cfg.pool_sync_dev && !cfg.test.skip_refill_sync_for_device {
                if let Err(e) = self.dma.sync_single_range_for_device(
                    page_dma,
                    (buf.page_off + cfg.headroom) as usize,
                    buf.buf_len as usize,
                    o.dma_dir,
                ) {
                    o.rx_pool.put_full_page(buf.page, false);
                    return Err(DriverError::Dma {
                        what: "sync_for_device of an RX buffer",
                        source: e,
                    });
                }
            }
            let idx = o.rx_prod;
            let desc = Descriptor::new(
                dma_add(page_dma, buf.page_off).raw_value(),
                buf.buf_len,
                u32::from(idx),
            );
            self.mem
                .cpu_write(o.rx_ring.entry(idx), &desc.to_bytes())
                .map_err(DriverError::mem("writing an RX descriptor"))?;
            o.rx_slots[usize::from(idx & (size - 1))] = Some(buf);
            o.rx_prod = idx.wrapping_add(1);
            posted += 1;
        }
        if posted > 0 {
            let prod = o.rx_prod;
            self.stats.rx_buffers_posted += u64::from(posted);
            self.stats.rx_doorbells += 1;
            wr(&mut self.dev, regs::RX_PROD, u32::from(prod))?;
        }
        Ok(posted)
    }

    // ---- TX ------------------------------------------------------------------

    /// Posts `tb` on the ring, or parks it in the backlog (keeping order);
    /// hands it back when both are full.
    fn tx_enqueue(&mut self, tb: TxBuf) -> Result<Option<TxBuf>, DriverError> {
        let cap = self.cfg.tx_backlog;
        let o = self.open.as_mut().expect("open");
        if o.tx_backlog.is_empty() && !o.tx_ring_full() {
            self.tx_post(tb)?;
            return Ok(None);
        }
        if o.tx_backlog.len() < cap {
            o.tx_backlog.push_back(tb);
            self.stats.tx_backlogged += 1;
            if !o.tx_stopped {
                o.tx_stopped = true;
                self.stats.tx_queue_stopped += 1;
            }
            return Ok(None);
        }
        Ok(Some(tb))
    }

    fn tx_post(&mut self, tb: TxBuf) -> Result<(), DriverError> {
        let o = self.open.as_mut().expect("open");
        debug_assert!(!o.tx_ring_full());
        let idx = o.tx_prod;
        let desc = Descriptor::new(tb.dma.raw_value(), tb.len, u32::from(idx));
        self.mem
            .cpu_write(o.tx_ring.entry(idx), &desc.to_bytes())
            .map_err(DriverError::mem("writing a TX descriptor"))?;
        let slot = usize::from(idx & (o.tx_ring.size - 1));
        o.tx_slots[slot] = Some(tb);
        o.tx_prod = idx.wrapping_add(1);
        o.tx_doorbell_pending = true;
        Ok(())
    }

    fn flush_tx_doorbell(&mut self) -> Result<(), DriverError> {
        let o = self.open.as_mut().expect("open");
        if o.tx_doorbell_pending {
            o.tx_doorbell_pending = false;
            let prod = o.tx_prod;
            self.stats.tx_doorbells += 1;
            wr(&mut self.dev, regs::TX_PROD, u32::from(prod))?;
        }
        Ok(())
    }

    /// Undoes the mapping [`Self::xdp_xmit`] made on this device for a frame
    /// redirected from another device (`dma_unmap_page`), before its page
    /// goes back to its own pool. Nothing to do for other buffers.
    fn tx_unmap(dma: &DmaDev, tb: &TxBuf) -> Result<(), DmaError> {
        let Some((handle, len)) = tb.mapped_here else {
            return Ok(());
        };
        dma.unmap_page(handle, len as usize, XDP_XMIT_MAP_DIR)
    }

    /// TX completions: redirected frames from other devices are unmapped
    /// from this device, then pages go back to their own pools with
    /// `put_page_bulk` (one call per pool, like `xdp_return_frame_bulk`:
    /// not this pool's NAPI, so through the ring); then the backlog moves
    /// onto the freed slots.
    fn tx_clean(&mut self) -> Result<usize, DriverError> {
        let mut groups: Vec<(PagePoolHandle, Vec<Option<PpPage>>)> = Vec::new();
        let mut unmap_err = None;
        let mut n = 0;
        while let Some(c) = self.peek_cpl(true)? {
            let o = self.open.as_mut().expect("open");
            let idx = o.tx_cq_cons;
            o.tx_cq_cons = idx.wrapping_add(1);
            let slot = usize::from(idx & (o.tx_ring.size - 1));
            let Some(tb) = o.tx_slots[slot].take() else {
                return Err(DriverError::EmptySlot {
                    ring: "TX",
                    idx,
                    slot,
                });
            };
            match c.status() {
                CplStatus::Ok => {
                    self.stats.tx_packets += 1;
                    self.stats.tx_bytes += u64::from(tb.len);
                }
                CplStatus::BadLen => {
                    self.stats.tx_bad_desc += 1;
                    tracing::warn!(cycle = self.dev.cycle(), dev = %self.cfg.name, idx, len = tb.len, kind = ?tb.kind, "TX completion BAD_LEN: frame not sent");
                }
            }
            n += 1;
            if let Err(e) = Self::tx_unmap(&self.dma, &tb) {
                tracing::error!(cycle = self.dev.cycle(), dev = %self.cfg.name, idx, "unmapping a redirected frame: {e}");
                unmap_err.get_or_insert(e);
            }
            match groups.iter_mut().find(|(h, _)| h.id() == tb.pool.id()) {
                Some((_, v)) => v.push(Some(tb.page)),
                None => groups.push((tb.pool, vec![Some(tb.page)])),
            }
        }
        for (h, mut pages) in groups {
            h.put_page_bulk(&mut pages);
        }
        if let Some(e) = unmap_err {
            return Err(DriverError::Dma {
                what: "dma_unmap_page of a redirected frame",
                source: e,
            });
        }
        // Backlog onto the ring.
        loop {
            let o = self.open.as_mut().expect("open");
            if o.tx_ring_full() {
                break;
            }
            let Some(tb) = o.tx_backlog.pop_front() else {
                break;
            };
            self.tx_post(tb)?;
        }
        let o = self.open.as_mut().expect("open");
        if o.tx_stopped && o.tx_backlog.is_empty() && !o.tx_ring_full() {
            o.tx_stopped = false;
            self.stats.tx_queue_woken += 1;
        }
        self.flush_tx_doorbell()?;
        Ok(n)
    }

    /// Transmits a caller's frame: copied into a TX pool page, synced for
    /// the device, posted, doorbell. When the ring is full the frame is
    /// refused with [`TxError::Busy`] (queue stopped): retry after polls.
    pub fn xmit(&mut self, frame: &[u8]) -> Result<(), TxError> {
        let max = self.cfg.max_frame_len;
        if frame.is_empty() || frame.len() > max as usize {
            return Err(TxError::BadLength {
                len: frame.len(),
                max,
            });
        }
        let o = self
            .open
            .as_mut()
            .ok_or(DriverError::NotOpen { op: "xmit" })?;
        if o.tx_ring_full() || !o.tx_backlog.is_empty() {
            self.stats.tx_busy += 1;
            if !o.tx_stopped {
                o.tx_stopped = true;
                self.stats.tx_queue_stopped += 1;
            }
            return Err(TxError::Busy {
                in_flight: o.tx_in_flight(),
                size: o.tx_ring.size,
            });
        }
        let page = match o.tx_pool.dev_alloc_pages() {
            Ok(p) => p,
            Err(e) => {
                self.stats.tx_alloc_failures += 1;
                return Err(TxError::NoMem(e));
            }
        };
        let tb = self.fill_tx_page(page, frame, TxKind::Xmit)?;
        self.tx_post(tb)?;
        self.flush_tx_doorbell()?;
        self.stats.tx_xmit += 1;
        Ok(())
    }

    /// Copies `frame` into a TX pool page and syncs it for the device.
    fn fill_tx_page(
        &mut self,
        page: PpPage,
        frame: &[u8],
        kind: TxKind,
    ) -> Result<TxBuf, DriverError> {
        let o = self.open.as_mut().expect("open");
        let dma = page.dma_addr().expect("DMA_MAP pool");
        let r = self
            .mem
            .cpu_write(page.host_addr(), frame)
            .map_err(DriverError::mem("copying a TX frame"))
            .and_then(|()| {
                if self.cfg.test.skip_tx_sync_for_device {
                    return Ok(());
                }
                self.dma
                    .sync_single_range_for_device(dma, 0, frame.len(), DmaDirection::Bidirectional)
                    .map_err(DriverError::dma("sync_for_device of a TX frame"))
            });
        if let Err(e) = r {
            o.tx_pool.put_full_page(page, false);
            return Err(e);
        }
        Ok(TxBuf {
            page,
            pool: o.tx_pool_h.clone(),
            dma,
            len: frame.len() as u32,
            kind,
            mapped_here: None,
        })
    }

    /// `ndo_xdp_xmit`: queues redirected frames on this TX ring, zero copy.
    /// A frame from this device's IOMMU domain goes out through the mapping
    /// its pool made (synced for the device over the frame). A frame from
    /// another device is mapped on this device (`dma_map_page` of the pool
    /// page, `DMA_TO_DEVICE`, which implies the sync for the device); its
    /// TX completion unmaps it and returns the page to its own pool through
    /// that pool's handle (`xdp_return_frame`: the ring). Frames that find
    /// ring and backlog full, or whose mapping fails (`dma_mapping_error`),
    /// are handed back, counted in `tx_xdp_xmit_errors`, for the caller to
    /// retry or free.
    pub fn xdp_xmit(&mut self, frames: Vec<XdpFrame>) -> Result<Vec<XdpFrame>, DriverError> {
        if self.open.is_none() {
            return Err(DriverError::NotOpen { op: "xdp_xmit" });
        }
        let mut refused = Vec::new();
        for mut f in frames {
            let o = self.open.as_mut().expect("open");
            let room = usize::from(o.tx_ring.size - o.tx_in_flight()) + self.cfg.tx_backlog
                - o.tx_backlog.len();
            if room == 0 {
                self.stats.tx_xdp_xmit_errors += 1;
                refused.push(f);
                continue;
            }
            let page = f.take_page().expect("frame holds its page");
            let tb = if f.dev.same_device(&self.dma) {
                let page_dma = page.dma_addr().expect("DMA_MAP pool");
                if !self.cfg.test.skip_tx_sync_for_device {
                    if let Err(e) = self.dma.sync_single_range_for_device(
                        page_dma,
                        f.offset as usize,
                        f.len as usize,
                        DmaDirection::Bidirectional,
                    ) {
                        f.page = Some(page);
                        return Err(DriverError::Dma {
                            what: "sync_for_device of a redirected frame",
                            source: e,
                        });
                    }
                }
                TxBuf {
                    page,
                    pool: f.pool.clone(),
                    dma: dma_add(page_dma, f.offset),
                    len: f.len,
                    kind: TxKind::Redirect,
                    mapped_here: None,
                }
            } else {
                // The test switch that breaks the TX sync also skips the
                // sync the mapping implies (DMA_ATTR_SKIP_CPU_SYNC).
                let attrs = DmaAttrs {
                    skip_cpu_sync: self.cfg.test.skip_tx_sync_for_device,
                };
                let map_off = f.offset & !(XDP_XMIT_MAP_ALIGN - 1);
                let map_end = (f.offset + f.len)
                    .next_multiple_of(XDP_XMIT_MAP_ALIGN)
                    .min(page.len() as u32);
                let map_len = map_end - map_off;
                match self.dma.map_pp_page_attrs(
                    &page,
                    map_off as usize,
                    map_len as usize,
                    XDP_XMIT_MAP_DIR,
                    attrs,
                ) {
                    Ok(handle) => TxBuf {
                        page,
                        pool: f.pool.clone(),
                        dma: dma_add(handle, f.offset - map_off),
                        len: f.len,
                        kind: TxKind::Redirect,
                        mapped_here: Some((handle, map_len)),
                    },
                    Err(e) => {
                        tracing::warn!(
                            cycle = self.dev.cycle(),
                            dev = %self.cfg.name,
                            from = f.from.0,
                            "xdp_xmit: mapping a redirected frame failed, handed back: {e}"
                        );
                        f.page = Some(page);
                        self.stats.tx_xdp_xmit_errors += 1;
                        refused.push(f);
                        continue;
                    }
                }
            };
            if let Some(tb) = self.tx_enqueue(tb)? {
                // Cannot happen: room was checked above.
                if let Err(e) = Self::tx_unmap(&self.dma, &tb) {
                    tracing::error!(dev = %self.cfg.name, "unmapping a refused redirected frame: {e}");
                }
                tb.pool.put_full_page(tb.page, false);
                self.stats.tx_xdp_xmit_errors += 1;
                continue;
            }
            self.stats.tx_xdp_xmit += 1;
        }
        self.flush_tx_doorbell()?;
        Ok(refused)
    }

    /// Arms failure injection on the RX pool's allocations (refill), to
    /// exercise refill failure handling.
    pub fn inject_rx_alloc_failures(
        &mut self,
        mode: pool::FailureInjection,
    ) -> Result<(), DriverError> {
        let o = self.open.as_mut().ok_or(DriverError::NotOpen {
            op: "inject_rx_alloc_failures",
        })?;
        o.rx_pool.inject_alloc_failures(mode);
        Ok(())
    }

    // ---- accessors -------------------------------------------------------------

    /// Frames REDIRECTed to other interfaces since the last call
    /// (`xdp_do_flush`): pass them to the target's [`Self::xdp_xmit`].
    pub fn take_redirects(&mut self) -> Vec<XdpFrame> {
        std::mem::take(&mut self.redirects)
    }

    /// The next skb on the socket queue (PASS frames not consumed by the rx
    /// handler).
    pub fn recv(&mut self) -> Option<SkBuff> {
        self.socket.pop_front()
    }

    /// Every queued skb.
    pub fn drain_rx(&mut self) -> Vec<SkBuff> {
        self.socket.drain(..).collect()
    }

    /// Skbs waiting on the socket queue.
    pub fn rx_queued(&self) -> usize {
        self.socket.len()
    }

    /// Software counters.
    pub fn stats(&self) -> DriverStats {
        self.stats
    }

    /// Reads the NIC's STAT_* registers.
    pub fn hw_stats(&mut self) -> Result<HwStats, DriverError> {
        let d = &mut self.dev;
        Ok(HwStats {
            hw_rx_frames: u64::from(rd(d, regs::STAT_RX_FRAMES)?),
            hw_rx_bytes: u64::from(rd(d, regs::STAT_RX_BYTES)?),
            hw_rx_drop_no_desc: u64::from(rd(d, regs::STAT_RX_DROP_NO_DESC)?),
            hw_rx_drop_too_long: u64::from(rd(d, regs::STAT_RX_DROP_TOO_LONG)?),
            hw_rx_drop_off: u64::from(rd(d, regs::STAT_RX_DROP_OFF)?),
            hw_rx_drop_dma_err: u64::from(rd(d, regs::STAT_RX_DROP_DMA_ERR)?),
            hw_tx_frames: u64::from(rd(d, regs::STAT_TX_FRAMES)?),
            hw_tx_bytes: u64::from(rd(d, regs::STAT_TX_BYTES)?),
            hw_tx_bad_desc: u64::from(rd(d, regs::STAT_TX_BAD_DESC)?),
            hw_dma_errors: u64::from(rd(d, regs::STAT_DMA_ERRORS)?),
        })
    }

    /// The RX pool's `page_pool_get_stats` (also after close).
    pub fn pool_stats(&self) -> Option<PagePoolStats> {
        self.rx_pool_h.as_ref().map(PagePoolHandle::get_stats)
    }

    /// The RX pool (also after close, to watch a detached pool).
    pub fn rx_pool(&self) -> Option<&PagePoolHandle> {
        self.rx_pool_h.as_ref()
    }

    /// The TX pool.
    pub fn tx_pool(&self) -> Option<&PagePoolHandle> {
        self.tx_pool_h.as_ref()
    }

    /// `ethtool -S`: driver counters, the NIC's counters, then the RX pool's
    /// `rx_pp_*` counters.
    pub fn ethtool_stats(&mut self) -> Result<Vec<(String, u64)>, DriverError> {
        let mut out: Vec<(String, u64)> = self
            .stats
            .pairs()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        out.extend(
            self.hw_stats()?
                .pairs()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v)),
        );
        let pp = self.pool_stats().unwrap_or_default();
        out.extend(
            PP_ETHTOOL_NAMES
                .iter()
                .zip(pp_ethtool_values(&pp))
                .map(|(k, v)| ((*k).to_owned(), v)),
        );
        Ok(out)
    }

    /// RX buffers currently posted to the device.
    pub fn rx_posted(&self) -> u16 {
        self.open.as_ref().map_or(0, OpenState::rx_posted)
    }

    /// TX descriptors in flight.
    pub fn tx_in_flight(&self) -> u16 {
        self.open.as_ref().map_or(0, OpenState::tx_in_flight)
    }

    /// Frames waiting in the TX backlog.
    pub fn tx_backlog_len(&self) -> usize {
        self.open.as_ref().map_or(0, |o| o.tx_backlog.len())
    }

    /// Whether the TX queue is stopped (ring full).
    pub fn tx_queue_stopped(&self) -> bool {
        self.open.as_ref().is_some_and(|o| o.tx_stopped)
    }

    /// Whether NAPI is scheduled (interrupt masked).
    pub fn napi_scheduled(&self) -> bool {
        self.napi_scheduled
    }

    /// Whether the interface is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The interrupt/NAPI protocol so far.
    pub fn events(&self) -> &[NapiEvent] {
        &self.events
    }

    /// Takes the recorded protocol events.
    pub fn take_events(&mut self) -> Vec<NapiEvent> {
        std::mem::take(&mut self.events)
    }

    /// What the skb return hook caught.
    pub fn skb_violations(&self) -> Vec<crate::skb::SkbViolation> {
        self.skb_log.list()
    }

    /// The first DMA error the NIC reported since open.
    pub fn dma_error(&self) -> Option<DmaErrorRecord> {
        self.dma_error
    }

    /// The configuration.
    pub fn config(&self) -> &DriverConfig {
        &self.cfg
    }

    /// Mutable configuration of the test-only switches (take effect at once).
    pub fn test_switches_mut(&mut self) -> &mut crate::config::TestSwitches {
        &mut self.cfg.test
    }

    /// The device.
    pub fn dev(&self) -> &D {
        &self.dev
    }

    /// The device, mutably (to feed the wire, advance time, read registers).
    pub fn dev_mut(&mut self) -> &mut D {
        &mut self.dev
    }

    /// The device's DMA domain.
    pub fn dma_dev(&self) -> &DmaDev {
        &self.dma
    }

    /// Host memory.
    pub fn host_mem(&self) -> &HostMemory {
        &self.mem
    }

    /// Gives the device back (closing first if open).
    pub fn into_device(mut self) -> Result<D, DriverError> {
        if self.open.is_some() {
            self.close()?;
        }
        // Fields with Drop impls are dropped here; the device moves out.
        let Driver { dev, .. } = self;
        Ok(dev)
    }
}
