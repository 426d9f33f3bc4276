//! A plain Rust model of the NIC, faithful to `docs/ARCHITECTURE.md` at the
//! level the driver can observe: the register file of `docs/REGISTERS.md`
//! (access rules, SLVERR/DECERR, locks, reset values), the RX path
//! (store-and-forward FIFO with back-pressure, descriptor prefetch, drops by
//! reason, payload at `addr + RX_HEADROOM` through
//! [`DmaDev::device_write`], completions with phase bits), the TX path
//! (descriptor fetch, payload through [`DmaDev::device_read`], BAD_LEN,
//! completion, then the frame on the wire or looped back), interrupt
//! coalescing, DMA errors (a refused device access is an error response:
//! the queue stops) and soft reset.
//!
//! Time is in cycles: a frame takes a fixed overhead plus one cycle per bus
//! beat; an MMIO access takes [`ModelNicConfig::mmio_cycles`].

use std::collections::VecDeque;

use nic_hw::regs::{self, ctrl, irq_status, status};
use nic_hw::wire::{Completion, CplStatus, Descriptor};
use nic_hw::RegAccess;
use pool::{DmaAddr, DmaDev, HostMemory};

use crate::error::{DevError, MmioOp};
use crate::NicDevice;

/// Timing and sizes of the model.
#[derive(Clone, Debug)]
pub struct ModelNicConfig {
    /// Cycles one MMIO access takes.
    pub mmio_cycles: u64,
    /// RX FIFO bytes (`RX_FIFO_BYTES`).
    pub rx_fifo_bytes: usize,
    /// Descriptors prefetched per queue (`DESC_CACHE`).
    pub desc_cache: usize,
    /// Bus width in bytes (`AXI_DATA_W / 8`).
    pub bus_bytes: usize,
    /// Fixed cycles per frame (descriptor, completion, handshakes).
    pub frame_overhead: u64,
    /// Cycles a soft reset takes once the bus is idle.
    pub reset_cycles: u64,
}

impl Default for ModelNicConfig {
    fn default() -> Self {
        Self {
            mmio_cycles: 4,
            rx_fifo_bytes: 16384,
            desc_cache: 8,
            bus_bytes: 8,
            frame_overhead: 12,
            reset_cycles: 4,
        }
    }
}

/// One MMIO access, as logged by the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmioRecord {
    /// Cycle at which it completed.
    pub cycle: u64,
    /// Read or write.
    pub op: MmioOp,
    /// Register offset.
    pub reg: u32,
    /// Value read or written.
    pub value: u32,
}

#[derive(Clone, Copy, Debug, Default)]
struct Coal {
    pending: u32,
    oldest: u64,
}

/// A frame being moved by an engine; its completion is written at `done_at`.
#[derive(Clone, Debug)]
struct InFlight {
    done_at: u64,
    cpl: Completion,
    cpl_addr: u64,
    /// TX: the frame to put on the wire once the completion is written.
    frame: Option<Vec<u8>>,
}

#[derive(Clone, Debug, Default)]
struct Regs {
    ctrl: u32,
    irq_status: u32,
    irq_mask: u32,
    coal_frames: u32,
    coal_cycles: u32,
    max_frame_len: u32,
    rx_headroom: u32,
    dma_err_addr: u64,
    dma_err_info: u32,
    rx_ring_base: u64,
    rx_ring_size: u32,
    rx_prod: u16,
    rx_cons: u16,
    rx_cq_base: u64,
    rx_cq_prod: u16,
    tx_ring_base: u64,
    tx_ring_size: u32,
    tx_prod: u16,
    tx_cons: u16,
    tx_cq_base: u64,
    tx_cq_prod: u16,
    rx_stopped: bool,
    tx_stopped: bool,
    stat_rx_frames: u32,
    stat_rx_bytes: u32,
    stat_rx_drop_no_desc: u32,
    stat_rx_drop_too_long: u32,
    stat_rx_drop_off: u32,
    stat_tx_frames: u32,
    stat_tx_bytes: u32,
    stat_dma_errors: u32,
    stat_rx_drop_dma_err: u32,
    stat_tx_bad_desc: u32,
}

impl Regs {
    fn reset() -> Self {
        let reset_of = |off: u32| {
            regs::REGISTERS
                .iter()
                .find(|r| r.offset == off)
                .map_or(0, |r| r.reset)
        };
        Self {
            irq_mask: reset_of(regs::IRQ_MASK),
            coal_frames: reset_of(regs::IRQ_COAL_FRAMES),
            coal_cycles: reset_of(regs::IRQ_COAL_CYCLES),
            max_frame_len: reset_of(regs::MAX_FRAME_LEN),
            rx_headroom: reset_of(regs::RX_HEADROOM),
            ..Self::default()
        }
    }
}

/// The model NIC.
pub struct ModelNic {
    cfg: ModelNicConfig,
    mem: HostMemory,
    dma: DmaDev,
    cycle: u64,
    r: Regs,
    /// Frames offered on the external RX port, not yet taken into the FIFO.
    wire_in: VecDeque<Vec<u8>>,
    /// Frames looped back from TX, not yet taken into the FIFO.
    loop_in: VecDeque<Vec<u8>>,
    rx_fifo: VecDeque<Vec<u8>>,
    rx_fifo_used: usize,
    rx_cache: VecDeque<(u16, Descriptor)>,
    rx_busy_until: u64,
    rx_inflight: Option<InFlight>,
    tx_busy_until: u64,
    tx_inflight: Option<InFlight>,
    wire_out: Vec<Vec<u8>>,
    coal: [Coal; 2],
    reset_at: Option<u64>,
    irq_prev: bool,
    irq_edges: u64,
    mmio_log: Vec<MmioRecord>,
    frames_offered: u64,
}

impl std::fmt::Debug for ModelNic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelNic")
            .field("cycle", &self.cycle)
            .field("ctrl", &self.r.ctrl)
            .field("irq_status", &self.r.irq_status)
            .field("irq_mask", &self.r.irq_mask)
            .finish_non_exhaustive()
    }
}

const RX: usize = 0;
const TX: usize = 1;

impl ModelNic {
    /// A NIC mastering `mem` through a new DMA device called `name`.
    pub fn new(mem: &HostMemory, name: &str, cfg: ModelNicConfig) -> Self {
        Self {
            dma: DmaDev::new(mem, name),
            mem: mem.clone(),
            cfg,
            cycle: 0,
            r: Regs::reset(),
            wire_in: VecDeque::new(),
            loop_in: VecDeque::new(),
            rx_fifo: VecDeque::new(),
            rx_fifo_used: 0,
            rx_cache: VecDeque::new(),
            rx_busy_until: 0,
            rx_inflight: None,
            tx_busy_until: 0,
            tx_inflight: None,
            wire_out: Vec::new(),
            coal: [Coal::default(); 2],
            reset_at: None,
            irq_prev: false,
            irq_edges: 0,
            mmio_log: Vec::new(),
            frames_offered: 0,
        }
    }

    /// Offers a frame on the external RX port (AXI-Stream in).
    pub fn send_frame(&mut self, frame: Vec<u8>) {
        self.frames_offered += 1;
        self.wire_in.push_back(frame);
    }

    /// Frames offered so far.
    pub fn frames_offered(&self) -> u64 {
        self.frames_offered
    }

    /// Frames offered but not yet taken off the wire (back-pressure).
    pub fn wire_backlog(&self) -> usize {
        self.wire_in.len()
    }

    /// Frames sent on the TX port since the last call.
    pub fn take_tx_frames(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.wire_out)
    }

    /// Rising edges of the interrupt line so far.
    pub fn irq_edges(&self) -> u64 {
        self.irq_edges
    }

    /// Every MMIO access so far.
    pub fn mmio_log(&self) -> &[MmioRecord] {
        &self.mmio_log
    }

    /// A register's value without a bus access (no time passes).
    pub fn peek(&self, reg: u32) -> u32 {
        self.read_value(reg).unwrap_or(0)
    }

    fn ring_size(&self, dir: usize) -> u16 {
        (if dir == RX {
            self.r.rx_ring_size
        } else {
            self.r.tx_ring_size
        }) as u16
    }

    fn enabled(&self) -> bool {
        self.r.ctrl & ctrl::ENABLE != 0
    }

    fn idle(&self) -> bool {
        self.rx_inflight.is_none() && self.tx_inflight.is_none()
    }

    fn read_value(&self, reg: u32) -> Option<u32> {
        let r = &self.r;
        Some(match reg {
            regs::ID => regs::DEVICE_ID,
            regs::VERSION => regs::DEVICE_VERSION,
            regs::CTRL => {
                r.ctrl
                    | if self.reset_at.is_some() {
                        ctrl::SOFT_RESET
                    } else {
                        0
                    }
            }
            regs::STATUS => {
                (if r.rx_stopped { status::RX_STOPPED } else { 0 })
                    | (if r.tx_stopped { status::TX_STOPPED } else { 0 })
                    | (if self.idle() { status::IDLE } else { 0 })
            }
            regs::IRQ_STATUS => r.irq_status,
            regs::IRQ_MASK => r.irq_mask,
            regs::IRQ_COAL_FRAMES => r.coal_frames,
            regs::IRQ_COAL_CYCLES => r.coal_cycles,
            regs::MAX_FRAME_LEN => r.max_frame_len,
            regs::RX_HEADROOM => r.rx_headroom,
            regs::DMA_ERR_ADDR_LO => r.dma_err_addr as u32,
            regs::DMA_ERR_ADDR_HI => (r.dma_err_addr >> 32) as u32,
            regs::DMA_ERR_INFO => r.dma_err_info,
            regs::RX_RING_BASE_LO => r.rx_ring_base as u32,
            regs::RX_RING_BASE_HI => (r.rx_ring_base >> 32) as u32,
            regs::RX_RING_SIZE => r.rx_ring_size,
            regs::RX_PROD => u32::from(r.rx_prod),
            regs::RX_CONS => u32::from(r.rx_cons),
            regs::RX_CQ_BASE_LO => r.rx_cq_base as u32,
            regs::RX_CQ_BASE_HI => (r.rx_cq_base >> 32) as u32,
            regs::RX_CQ_PROD => u32::from(r.rx_cq_prod),
            regs::TX_RING_BASE_LO => r.tx_ring_base as u32,
            regs::TX_RING_BASE_HI => (r.tx_ring_base >> 32) as u32,
            regs::TX_RING_SIZE => r.tx_ring_size,
            regs::TX_PROD => u32::from(r.tx_prod),
            regs::TX_CONS => u32::from(r.tx_cons),
            regs::TX_CQ_BASE_LO => r.tx_cq_base as u32,
            regs::TX_CQ_BASE_HI => (r.tx_cq_base >> 32) as u32,
            regs::TX_CQ_PROD => u32::from(r.tx_cq_prod),
            regs::STAT_RX_FRAMES => r.stat_rx_frames,
            regs::STAT_RX_BYTES => r.stat_rx_bytes,
            regs::STAT_RX_DROP_NO_DESC => r.stat_rx_drop_no_desc,
            regs::STAT_RX_DROP_TOO_LONG => r.stat_rx_drop_too_long,
            regs::STAT_RX_DROP_OFF => r.stat_rx_drop_off,
            regs::STAT_TX_FRAMES => r.stat_tx_frames,
            regs::STAT_TX_BYTES => r.stat_tx_bytes,
            regs::STAT_DMA_ERRORS => r.stat_dma_errors,
            regs::STAT_RX_DROP_DMA_ERR => r.stat_rx_drop_dma_err,
            regs::STAT_TX_BAD_DESC => r.stat_tx_bad_desc,
            _ => return None,
        })
    }

    fn write_value(&mut self, reg: u32, v: u32) -> Result<(), DevError> {
        let Some(info) = regs::REGISTERS.iter().find(|r| r.offset == reg) else {
            return Err(DevError::DecErr {
                reg,
                op: MmioOp::Write,
            });
        };
        let slverr = || Err(DevError::slverr(reg, MmioOp::Write, v));
        if info.access == RegAccess::ReadOnly {
            return slverr();
        }
        let locked = self.enabled();
        let ring_cfg = matches!(
            reg,
            regs::RX_RING_BASE_LO
                | regs::RX_RING_BASE_HI
                | regs::RX_RING_SIZE
                | regs::RX_CQ_BASE_LO
                | regs::RX_CQ_BASE_HI
                | regs::TX_RING_BASE_LO
                | regs::TX_RING_BASE_HI
                | regs::TX_RING_SIZE
                | regs::TX_CQ_BASE_LO
                | regs::TX_CQ_BASE_HI
        );
        if ring_cfg && locked {
            return slverr();
        }
        let set_lo = |base: &mut u64| *base = (*base & !0xffff_ffff) | u64::from(v);
        let set_hi = |base: &mut u64| *base = (*base & 0xffff_ffff) | (u64::from(v) << 32);
        let size_ok = v.is_power_of_two()
            && u64::from(v) >= regs::MIN_RING_SIZE
            && u64::from(v) <= regs::MAX_RING_SIZE;
        let r = &mut self.r;
        match reg {
            regs::CTRL => {
                if v & ctrl::SOFT_RESET != 0 {
                    self.reset_at = Some(u64::MAX);
                }
                r.ctrl = v & (ctrl::ENABLE | ctrl::LOOPBACK);
            }
            regs::IRQ_STATUS => r.irq_status &= !v,
            regs::IRQ_MASK => r.irq_mask = v & 0xf,
            regs::IRQ_COAL_FRAMES => r.coal_frames = v,
            regs::IRQ_COAL_CYCLES => r.coal_cycles = v,
            regs::MAX_FRAME_LEN => {
                if !(14..=regs::MAX_FRAME_CAP as u32).contains(&v) {
                    return slverr();
                }
                r.max_frame_len = v;
            }
            regs::RX_HEADROOM => {
                if v > 4095 {
                    return slverr();
                }
                r.rx_headroom = v;
            }
            regs::RX_RING_BASE_LO
            | regs::RX_CQ_BASE_LO
            | regs::TX_RING_BASE_LO
            | regs::TX_CQ_BASE_LO
                if v & 0xf != 0 =>
            {
                return slverr();
            }
            regs::RX_RING_BASE_LO => set_lo(&mut r.rx_ring_base),
            regs::RX_RING_BASE_HI => set_hi(&mut r.rx_ring_base),
            regs::RX_CQ_BASE_LO => set_lo(&mut r.rx_cq_base),
            regs::RX_CQ_BASE_HI => set_hi(&mut r.rx_cq_base),
            regs::TX_RING_BASE_LO => set_lo(&mut r.tx_ring_base),
            regs::TX_RING_BASE_HI => set_hi(&mut r.tx_ring_base),
            regs::TX_CQ_BASE_LO => set_lo(&mut r.tx_cq_base),
            regs::TX_CQ_BASE_HI => set_hi(&mut r.tx_cq_base),
            regs::RX_RING_SIZE | regs::TX_RING_SIZE if !size_ok => return slverr(),
            regs::RX_RING_SIZE => {
                r.rx_ring_size = v;
                (r.rx_prod, r.rx_cons, r.rx_cq_prod) = (0, 0, 0);
                self.rx_cache.clear();
            }
            regs::TX_RING_SIZE => {
                r.tx_ring_size = v;
                (r.tx_prod, r.tx_cons, r.tx_cq_prod) = (0, 0, 0);
            }
            regs::RX_PROD | regs::TX_PROD => {
                let (cons, size) = if reg == regs::RX_PROD {
                    (r.rx_cons, r.rx_ring_size)
                } else {
                    (r.tx_cons, r.tx_ring_size)
                };
                let p = v as u16;
                if u32::from(p.wrapping_sub(cons)) > size {
                    return slverr();
                }
                if reg == regs::RX_PROD {
                    r.rx_prod = p;
                } else {
                    r.tx_prod = p;
                }
            }
            _ => return slverr(),
        }
        Ok(())
    }

    fn do_reset(&mut self) {
        self.r = Regs::reset();
        self.rx_fifo.clear();
        self.rx_fifo_used = 0;
        self.rx_cache.clear();
        self.coal = [Coal::default(); 2];
        self.reset_at = None;
        tracing::debug!(cycle = self.cycle, "model NIC: soft reset done");
    }

    fn dma_error(&mut self, addr: u64, source: u64, dir: usize) {
        let r = &mut self.r;
        r.stat_dma_errors = r.stat_dma_errors.wrapping_add(1);
        if r.dma_err_info == 0 {
            r.dma_err_addr = addr;
            r.dma_err_info = (regs::AXI_RESP_SLVERR as u32) << regs::dma_err_info::RESP_SHIFT
                | (source as u32) << regs::dma_err_info::SOURCE_SHIFT;
        }
        r.irq_status |= irq_status::DMA_ERR;
        if dir == RX {
            r.rx_stopped = true;
        } else {
            r.tx_stopped = true;
        }
        tracing::debug!(
            cycle = self.cycle,
            addr = format_args!("{addr:#x}"),
            source,
            "model NIC: DMA error, queue stopped"
        );
    }

    fn beats(&self, len: usize) -> u64 {
        len.div_ceil(self.cfg.bus_bytes) as u64
    }

    fn rx_drop(&mut self, why: u32) {
        let f = self.rx_fifo.pop_front().expect("head frame");
        self.rx_fifo_used -= f.len();
        let r = &mut self.r;
        match why {
            regs::STAT_RX_DROP_OFF => r.stat_rx_drop_off = r.stat_rx_drop_off.wrapping_add(1),
            regs::STAT_RX_DROP_TOO_LONG => {
                r.stat_rx_drop_too_long = r.stat_rx_drop_too_long.wrapping_add(1)
            }
            regs::STAT_RX_DROP_NO_DESC => {
                r.stat_rx_drop_no_desc = r.stat_rx_drop_no_desc.wrapping_add(1)
            }
            _ => r.stat_rx_drop_dma_err = r.stat_rx_drop_dma_err.wrapping_add(1),
        }
        r.irq_status |= irq_status::RX_DROP;
        self.rx_busy_until = self.cycle + 1 + self.beats(f.len());
    }

    /// Fetches up to DESC_CACHE RX descriptors; false on a DMA error.
    fn rx_prefetch(&mut self) -> bool {
        let size = self.ring_size(RX);
        while self.rx_cache.len() < self.cfg.desc_cache && self.r.rx_cons != self.r.rx_prod {
            let idx = self.r.rx_cons;
            let addr = self.r.rx_ring_base + 16 * u64::from(idx & (size - 1));
            let mut b = [0u8; Descriptor::SIZE];
            if self.dma.device_read(DmaAddr::new(addr), &mut b).is_err() {
                self.dma_error(addr, regs::DMA_ERR_SRC_RX_DESC, RX);
                return false;
            }
            let d = Descriptor::parse(&b).expect("16 bytes");
            self.rx_cache.push_back((idx, d));
            self.r.rx_cons = idx.wrapping_add(1);
        }
        true
    }

    fn rx_step(&mut self) {
        if let Some(f) = &self.rx_inflight {
            if self.cycle < f.done_at {
                return;
            }
            let f = self.rx_inflight.take().expect("in flight");
            if self
                .dma
                .device_write(DmaAddr::new(f.cpl_addr), &f.cpl.to_bytes())
                .is_err()
            {
                self.r.stat_rx_drop_dma_err = self.r.stat_rx_drop_dma_err.wrapping_add(1);
                self.r.irq_status |= irq_status::RX_DROP;
                self.dma_error(f.cpl_addr, regs::DMA_ERR_SRC_RX_CPL, RX);
                return;
            }
            let r = &mut self.r;
            r.rx_cq_prod = r.rx_cq_prod.wrapping_add(1);
            r.stat_rx_frames = r.stat_rx_frames.wrapping_add(1);
            r.stat_rx_bytes = r.stat_rx_bytes.wrapping_add(f.cpl.len());
            self.count_cpl(RX);
        }
        if self.cycle < self.rx_busy_until || self.rx_fifo.is_empty() {
            return;
        }
        let len = self.rx_fifo[0].len();
        if !self.enabled() || self.r.rx_stopped {
            return self.rx_drop(regs::STAT_RX_DROP_OFF);
        }
        if len > self.r.max_frame_len as usize {
            return self.rx_drop(regs::STAT_RX_DROP_TOO_LONG);
        }
        if self.rx_cache.is_empty() && !self.rx_prefetch() {
            return self.rx_drop(regs::STAT_RX_DROP_OFF);
        }
        let Some(&(idx, d)) = self.rx_cache.front() else {
            return self.rx_drop(regs::STAT_RX_DROP_NO_DESC);
        };
        if len > d.len() as usize {
            return self.rx_drop(regs::STAT_RX_DROP_TOO_LONG);
        }
        self.rx_cache.pop_front();
        let frame = self.rx_fifo.pop_front().expect("head frame");
        self.rx_fifo_used -= len;
        let addr = d.addr() + u64::from(self.r.rx_headroom);
        if self.dma.device_write(DmaAddr::new(addr), &frame).is_err() {
            self.r.stat_rx_drop_dma_err = self.r.stat_rx_drop_dma_err.wrapping_add(1);
            self.r.irq_status |= irq_status::RX_DROP;
            self.dma_error(addr, regs::DMA_ERR_SRC_RX_DATA, RX);
            return;
        }
        let size = self.ring_size(RX);
        let n = self.r.rx_cq_prod;
        let cpl = Completion::new(
            len as u32,
            d.tag(),
            idx,
            CplStatus::Ok,
            Completion::expected_phase(n, size),
            self.cycle as u32,
        );
        let done_at = self.cycle + self.cfg.frame_overhead + self.beats(len);
        self.rx_busy_until = done_at;
        self.rx_inflight = Some(InFlight {
            done_at,
            cpl,
            cpl_addr: self.r.rx_cq_base + 16 * u64::from(n & (size - 1)),
            frame: None,
        });
    }

    fn tx_step(&mut self) {
        if let Some(f) = &self.tx_inflight {
            if self.cycle < f.done_at {
                return;
            }
            let f = self.tx_inflight.take().expect("in flight");
            if self
                .dma
                .device_write(DmaAddr::new(f.cpl_addr), &f.cpl.to_bytes())
                .is_err()
            {
                self.dma_error(f.cpl_addr, regs::DMA_ERR_SRC_TX_CPL, TX);
                return;
            }
            self.r.tx_cq_prod = self.r.tx_cq_prod.wrapping_add(1);
            self.count_cpl(TX);
            if let Some(frame) = f.frame {
                let r = &mut self.r;
                r.stat_tx_frames = r.stat_tx_frames.wrapping_add(1);
                r.stat_tx_bytes = r.stat_tx_bytes.wrapping_add(frame.len() as u32);
                if r.ctrl & ctrl::LOOPBACK != 0 {
                    self.loop_in.push_back(frame);
                } else {
                    self.wire_out.push(frame);
                }
            }
        }
        if self.cycle < self.tx_busy_until
            || !self.enabled()
            || self.r.tx_stopped
            || self.r.tx_cons == self.r.tx_prod
        {
            return;
        }
        let size = self.ring_size(TX);
        let idx = self.r.tx_cons;
        let daddr = self.r.tx_ring_base + 16 * u64::from(idx & (size - 1));
        let mut b = [0u8; Descriptor::SIZE];
        if self.dma.device_read(DmaAddr::new(daddr), &mut b).is_err() {
            self.dma_error(daddr, regs::DMA_ERR_SRC_TX_DESC, TX);
            return;
        }
        self.r.tx_cons = idx.wrapping_add(1);
        let d = Descriptor::parse(&b).expect("16 bytes");
        let n = self.r.tx_cq_prod;
        let phase = Completion::expected_phase(n, size);
        let cpl_addr = self.r.tx_cq_base + 16 * u64::from(n & (size - 1));
        let len = d.len();
        let (cpl, frame) = if len == 0 || len > self.r.max_frame_len {
            self.r.stat_tx_bad_desc = self.r.stat_tx_bad_desc.wrapping_add(1);
            (
                Completion::new(0, d.tag(), idx, CplStatus::BadLen, phase, self.cycle as u32),
                None,
            )
        } else {
            // Like the RTL, read whole bus beats: from the beat holding the
            // first byte to the end of the beat holding the last one, so a
            // mapping that covers only the frame's bytes faults here too.
            let bus = self.cfg.bus_bytes as u64;
            let start = d.addr() / bus * bus;
            let end = (d.addr() + u64::from(len)).div_ceil(bus) * bus;
            let mut beats = vec![0u8; (end - start) as usize];
            if self
                .dma
                .device_read(DmaAddr::new(start), &mut beats)
                .is_err()
            {
                self.dma_error(start, regs::DMA_ERR_SRC_TX_DATA, TX);
                return;
            }
            let skip = (d.addr() - start) as usize;
            let frame = beats[skip..skip + len as usize].to_vec();
            (
                Completion::new(len, d.tag(), idx, CplStatus::Ok, phase, self.cycle as u32),
                Some(frame),
            )
        };
        let done_at = self.cycle + self.cfg.frame_overhead + self.beats(len as usize);
        self.tx_busy_until = done_at;
        self.tx_inflight = Some(InFlight {
            done_at,
            cpl,
            cpl_addr,
            frame,
        });
    }

    /// One acknowledged completion of direction `dir` for coalescing.
    fn count_cpl(&mut self, dir: usize) {
        let c = &mut self.coal[dir];
        if c.pending == 0 {
            c.oldest = self.cycle;
        }
        c.pending += 1;
    }

    fn coal_step(&mut self) {
        for (dir, bit) in [(RX, irq_status::RX_CQ), (TX, irq_status::TX_CQ)] {
            let c = &mut self.coal[dir];
            if c.pending == 0 {
                continue;
            }
            let by_count = c.pending >= self.r.coal_frames.max(1);
            let by_time =
                self.r.coal_cycles != 0 && self.cycle - c.oldest >= u64::from(self.r.coal_cycles);
            if by_count || by_time {
                c.pending = 0;
                self.r.irq_status |= bit;
            }
        }
    }

    fn feed_fifo(&mut self) {
        let loopback = self.r.ctrl & ctrl::LOOPBACK != 0;
        // External port: dropped at the port in loopback.
        while let Some(f) = self.wire_in.front() {
            if loopback {
                self.wire_in.pop_front();
                self.r.stat_rx_drop_off = self.r.stat_rx_drop_off.wrapping_add(1);
                self.r.irq_status |= irq_status::RX_DROP;
                continue;
            }
            if self.rx_fifo_used + f.len() > self.cfg.rx_fifo_bytes && !self.rx_fifo.is_empty() {
                break;
            }
            let f = self.wire_in.pop_front().expect("front");
            self.rx_fifo_used += f.len();
            self.rx_fifo.push_back(f);
        }
        while let Some(f) = self.loop_in.front() {
            if self.rx_fifo_used + f.len() > self.cfg.rx_fifo_bytes && !self.rx_fifo.is_empty() {
                break;
            }
            let f = self.loop_in.pop_front().expect("front");
            self.rx_fifo_used += f.len();
            self.rx_fifo.push_back(f);
        }
    }

    fn tick(&mut self) {
        if let Some(at) = self.reset_at {
            if at == u64::MAX && self.idle() {
                self.reset_at = Some(self.cycle + self.cfg.reset_cycles);
            } else if self.cycle >= at {
                self.do_reset();
            }
        }
        if self.reset_at.is_none() {
            self.feed_fifo();
            self.rx_step();
            self.tx_step();
            self.coal_step();
        } else {
            // Outstanding transactions still complete during a reset.
            self.rx_step_inflight_only();
            self.tx_step_inflight_only();
        }
        self.update_irq();
    }

    fn update_irq(&mut self) {
        let irq = self.irq_asserted();
        if irq && !self.irq_prev {
            self.irq_edges += 1;
        }
        self.irq_prev = irq;
    }

    fn rx_step_inflight_only(&mut self) {
        if self
            .rx_inflight
            .as_ref()
            .is_some_and(|f| self.cycle >= f.done_at)
        {
            let busy = self.rx_busy_until;
            self.rx_busy_until = u64::MAX;
            self.rx_step();
            self.rx_busy_until = busy;
        }
    }

    fn tx_step_inflight_only(&mut self) {
        if self
            .tx_inflight
            .as_ref()
            .is_some_and(|f| self.cycle >= f.done_at)
        {
            let busy = self.tx_busy_until;
            self.tx_busy_until = u64::MAX;
            self.tx_step();
            self.tx_busy_until = busy;
        }
    }

    /// Nothing can change until time passes by a lot: no frame anywhere, no
    /// TX work, no pending coalescing, no reset.
    fn quiescent(&self) -> bool {
        self.idle()
            && self.reset_at.is_none()
            && self.wire_in.is_empty()
            && self.loop_in.is_empty()
            && self.rx_fifo.is_empty()
            && (self.r.tx_cons == self.r.tx_prod || !self.enabled() || self.r.tx_stopped)
            && (self.r.coal_cycles == 0 || self.coal.iter().all(|c| c.pending == 0))
    }

    fn pass(&mut self, cycles: u64) {
        let end = self.cycle + cycles;
        while self.cycle < end {
            if self.quiescent() {
                self.cycle = end;
                break;
            }
            self.cycle += 1;
            self.tick();
        }
        self.mem.set_cycle(self.cycle);
    }
}

impl NicDevice for ModelNic {
    fn mmio_read(&mut self, reg: u32) -> Result<u32, DevError> {
        self.pass(self.cfg.mmio_cycles);
        let Some(v) = self.read_value(reg) else {
            return Err(DevError::DecErr {
                reg,
                op: MmioOp::Read,
            });
        };
        self.mmio_log.push(MmioRecord {
            cycle: self.cycle,
            op: MmioOp::Read,
            reg,
            value: v,
        });
        Ok(v)
    }

    fn mmio_write(&mut self, reg: u32, value: u32) -> Result<(), DevError> {
        self.pass(self.cfg.mmio_cycles);
        self.write_value(reg, value)?;
        self.mmio_log.push(MmioRecord {
            cycle: self.cycle,
            op: MmioOp::Write,
            reg,
            value,
        });
        // The line follows the registers at once.
        self.update_irq();
        Ok(())
    }

    fn irq_asserted(&self) -> bool {
        self.r.irq_status & !self.r.irq_mask & 0xf != 0
    }

    fn advance(&mut self, cycles: u64) -> Result<(), DevError> {
        self.pass(cycles);
        Ok(())
    }

    fn cycle(&self) -> u64 {
        self.cycle
    }

    fn dma_dev(&self) -> &DmaDev {
        &self.dma
    }

    fn host_mem(&self) -> &HostMemory {
        &self.mem
    }
}
