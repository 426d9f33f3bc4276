//! What the monitors know of the rings, from the register writes they saw
//! and the host memory the rings live in: each queue's descriptor and
//! completion ring (base, size, host address), the producer index the
//! driver doorbelled, the completions the NIC wrote (by their phase bits)
//! and when each was first seen. Indices are free-running and 64-bit here,
//! so nothing wraps.

use std::fmt;

use nic_hw::regs::{self, cpl_layout, CPL_FLAG_PHASE};
use nic_hw::wire::{Completion, Descriptor};
use pool::{DmaDev, HostAddr, HostMemory};

/// One of the NIC's two queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Queue {
    /// The receive queue (RX ring, RX completion ring).
    Rx,
    /// The transmit queue (TX ring, TX completion ring).
    Tx,
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Queue::Rx => "RX",
            Queue::Tx => "TX",
        })
    }
}

/// The register a doorbell of `q` is written to.
pub fn doorbell_reg(q: Queue) -> u32 {
    match q {
        Queue::Rx => regs::RX_PROD,
        Queue::Tx => regs::TX_PROD,
    }
}

/// One queue's rings as programmed, and how far the driver and the NIC got.
#[derive(Clone, Debug)]
pub struct QueueView {
    /// Which queue.
    pub queue: Queue,
    /// Descriptor ring base (DMA address), as written.
    pub desc_base: u64,
    /// Completion ring base (DMA address), as written.
    pub cq_base: u64,
    /// Entries (0 until the ring size is written).
    pub size: u16,
    /// Host address of the descriptor ring, once resolved.
    pub desc_host: Option<HostAddr>,
    /// Host address of the completion ring, once resolved.
    pub cq_host: Option<HostAddr>,
    /// Descriptors doorbelled (free-running producer index).
    pub prod: u64,
    /// Completions the NIC wrote (free-running; the next one expected).
    pub completed: u64,
    /// Cycle each of the last `size` completions was first seen, by slot.
    seen_at: Vec<u64>,
    /// The queue was stopped (disabled, or a DMA error reported).
    pub stopped: bool,
}

impl QueueView {
    fn new(queue: Queue) -> Self {
        QueueView {
            queue,
            desc_base: 0,
            cq_base: 0,
            size: 0,
            desc_host: None,
            cq_host: None,
            prod: 0,
            completed: 0,
            seen_at: Vec::new(),
            stopped: false,
        }
    }

    /// Whether the rings are programmed and found in host memory.
    pub fn is_live(&self) -> bool {
        self.size > 0 && self.desc_host.is_some() && self.cq_host.is_some()
    }

    /// Slot of free-running index `idx`.
    pub fn slot(&self, idx: u64) -> usize {
        (idx % u64::from(self.size.max(1))) as usize
    }

    /// The 64-bit index a 16-bit producer value `v` names, nearest to the
    /// last doorbell (so a move backwards shows as a smaller index).
    pub fn widen_prod(&self, v: u32) -> u64 {
        let delta = (v as u16).wrapping_sub(self.prod as u16) as i16;
        self.prod.wrapping_add_signed(i64::from(delta))
    }

    /// Descriptors doorbelled and not yet completed.
    pub fn in_flight(&self) -> u64 {
        self.prod.saturating_sub(self.completed)
    }

    /// Cycle completion `idx` was first seen (it must be one of the last
    /// `size` completions).
    pub fn seen_at(&self, idx: u64) -> u64 {
        self.seen_at.get(self.slot(idx)).copied().unwrap_or(0)
    }

    /// Reads every descriptor slot of the ring (as the CPU sees it, with
    /// `HostMemory::peek`) into `buf`, 16 bytes a slot; false when the
    /// ring is not programmed or not in memory.
    pub fn read_ring(&self, mem: &HostMemory, buf: &mut Vec<u8>) -> bool {
        let Some(base) = self.desc_host else {
            return false;
        };
        buf.resize(usize::from(self.size) * Descriptor::SIZE, 0);
        mem.peek(base, buf).is_ok()
    }

    /// Moves `completed` over every entry that now holds the expected phase
    /// bit (at most a ring's worth), stamping each with `cycle`. Returns the
    /// indices found.
    pub fn scan_completions(&mut self, mem: &HostMemory, cycle: u64) -> std::ops::Range<u64> {
        let from = self.completed;
        let Some(base) = self.cq_host.filter(|_| self.size > 0) else {
            return from..from;
        };
        for _ in 0..self.size {
            let idx = self.completed;
            let at =
                base.raw_value() + (self.slot(idx) * Completion::SIZE + cpl_layout::FLAGS) as u64;
            let mut flags = [0u8; 1];
            if mem.peek(HostAddr::new(at), &mut flags).is_err() {
                break;
            }
            let phase = flags[0] & CPL_FLAG_PHASE as u8 != 0;
            if phase != Completion::expected_phase(idx as u16, self.size) {
                break;
            }
            let slot = self.slot(idx);
            self.seen_at[slot] = cycle;
            self.completed += 1;
        }
        from..self.completed
    }

    /// Finds the rings' host addresses in `dma`'s live mappings.
    fn resolve(&mut self, dma: &DmaDev) {
        let len = u64::from(self.size) * Descriptor::SIZE as u64;
        let maps = dma.live_mappings();
        let find = |base: u64| {
            maps.iter()
                .find(|m| {
                    let start = m.dma.raw_value();
                    base >= start && base + len <= start + m.len
                })
                .map(|m| HostAddr::new(m.host.raw_value() + (base - m.dma.raw_value())))
        };
        self.desc_host = find(self.desc_base);
        self.cq_host = find(self.cq_base);
    }

    /// A fresh ring of `size` entries: nothing posted, nothing completed.
    fn restart(&mut self, size: u16, dma: &DmaDev) {
        self.size = size;
        self.prod = 0;
        self.completed = 0;
        self.seen_at = vec![0; usize::from(size)];
        self.stopped = false;
        self.resolve(dma);
    }
}

/// What a register write did to the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegChange {
    /// A ring was (re)programmed: its size was written.
    RingProgrammed(Queue),
    /// SOFT_RESET: every ring is gone.
    Reset,
    /// CTRL without ENABLE: the queues stop.
    Disabled,
    /// Anything else (including doorbells, which the caller handles).
    Other,
}

/// Both queues plus the registers the contracts depend on.
#[derive(Clone, Debug)]
pub struct RingView {
    /// The receive queue.
    pub rx: QueueView,
    /// The transmit queue.
    pub tx: QueueView,
    /// MAX_FRAME_LEN as written.
    pub max_frame_len: u32,
    /// RX_HEADROOM as written.
    pub headroom: u32,
}

impl Default for RingView {
    fn default() -> Self {
        RingView {
            rx: QueueView::new(Queue::Rx),
            tx: QueueView::new(Queue::Tx),
            max_frame_len: 0,
            headroom: 0,
        }
    }
}

impl RingView {
    /// The view of queue `q`.
    pub fn queue(&self, q: Queue) -> &QueueView {
        match q {
            Queue::Rx => &self.rx,
            Queue::Tx => &self.tx,
        }
    }

    /// The view of queue `q`, mutably.
    pub fn queue_mut(&mut self, q: Queue) -> &mut QueueView {
        match q {
            Queue::Rx => &mut self.rx,
            Queue::Tx => &mut self.tx,
        }
    }

    /// Applies a register write (not a doorbell) to the view.
    pub fn on_write(&mut self, reg: u32, value: u32, dma: &DmaDev) -> RegChange {
        let set_lo = |a: &mut u64| *a = (*a & !0xffff_ffff) | u64::from(value);
        let set_hi = |a: &mut u64| *a = (*a & 0xffff_ffff) | (u64::from(value) << 32);
        match reg {
            regs::RX_RING_BASE_LO => set_lo(&mut self.rx.desc_base),
            regs::RX_RING_BASE_HI => set_hi(&mut self.rx.desc_base),
            regs::RX_CQ_BASE_LO => set_lo(&mut self.rx.cq_base),
            regs::RX_CQ_BASE_HI => set_hi(&mut self.rx.cq_base),
            regs::TX_RING_BASE_LO => set_lo(&mut self.tx.desc_base),
            regs::TX_RING_BASE_HI => set_hi(&mut self.tx.desc_base),
            regs::TX_CQ_BASE_LO => set_lo(&mut self.tx.cq_base),
            regs::TX_CQ_BASE_HI => set_hi(&mut self.tx.cq_base),
            regs::RX_RING_SIZE | regs::TX_RING_SIZE => {
                let q = if reg == regs::RX_RING_SIZE {
                    Queue::Rx
                } else {
                    Queue::Tx
                };
                self.queue_mut(q).restart(value as u16, dma);
                return RegChange::RingProgrammed(q);
            }
            regs::MAX_FRAME_LEN => self.max_frame_len = value,
            regs::RX_HEADROOM => self.headroom = value,
            regs::CTRL if value & regs::ctrl::SOFT_RESET != 0 => {
                *self = RingView::default();
                return RegChange::Reset;
            }
            regs::CTRL => {
                let off = value & regs::ctrl::ENABLE == 0;
                self.rx.stopped = off;
                self.tx.stopped = off;
                if off {
                    return RegChange::Disabled;
                }
            }
            _ => {}
        }
        RegChange::Other
    }

    /// Resolves a ring whose host address is not known yet (its bases
    /// may have been written after its size).
    pub fn resolve_if_needed(&mut self, q: Queue, dma: &DmaDev) {
        let v = self.queue_mut(q);
        if v.size > 0 && (v.desc_host.is_none() || v.cq_host.is_none()) {
            v.resolve(dma);
        }
    }
}
