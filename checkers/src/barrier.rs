//! The barrier auditor: a [`CpuObserver`] of host memory that sees every
//! CPU access and barrier, and names
//!
//! * every doorbell (`RX_PROD`, `TX_PROD`: `writel_relaxed` semantics, see
//!   [`hostdriver::NicDevice::mmio_write`]) not ordered by a `wmb()` after
//!   the DMA-visible writes before it (the descriptors and buffers it
//!   publishes);
//! * every read of a completion's fields (anything but its flags byte) not
//!   ordered after a read of that entry's phase bit by a `dma_rmb()` (or
//!   `rmb()`).
//!
//! It also notes which descriptor-ring slots the CPU wrote, for the ring
//! auditor ([`BarrierAuditor::take_written`]). The monitors' own reads of
//! the rings are not the driver's and are not audited.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use nic_hw::regs::cpl_layout;
use nic_hw::wire::{Completion, Descriptor};
use pool::{Barrier, CpuObserver, HostAddr};

use crate::view::Queue;

/// The rules of the barrier contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarrierRule {
    /// A doorbell not ordered after the writes it publishes.
    DoorbellWithoutWmb,
    /// A completion's fields read before its phase bit was ordered.
    CompletionReadBeforePhase,
}

impl BarrierRule {
    /// The stable class name.
    pub fn class(self) -> &'static str {
        match self {
            BarrierRule::DoorbellWithoutWmb => "barrier/doorbell-without-wmb",
            BarrierRule::CompletionReadBeforePhase => "barrier/completion-read-before-phase",
        }
    }
}

/// One breach of the barrier contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarrierViolation {
    /// The rule broken.
    pub rule: BarrierRule,
    /// The queue.
    pub queue: Queue,
    /// Device cycle.
    pub cycle: u64,
    /// For a doorbell: its register name; for a completion: "completion".
    pub subject: &'static str,
    /// For a doorbell: the first unordered write; for a completion: the
    /// entry's host address.
    pub addr: HostAddr,
    /// For a doorbell: the cycle of the first unordered write (and how
    /// many there were); for a completion: its ring slot.
    pub at: u64,
    /// Unordered writes before the doorbell; bytes read for a completion.
    pub count: u64,
}

impl BarrierViolation {
    /// The stable class name.
    pub fn class(&self) -> &'static str {
        self.rule.class()
    }
    /// The device cycle it was seen at.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }
}

impl fmt::Display for BarrierViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            BarrierRule::DoorbellWithoutWmb => write!(
                f,
                "{}: {} doorbell {} at cycle {}: expected wmb() after the DMA-visible writes it publishes, seen {} unordered writes, the first at {} (cycle {})",
                self.class(),
                self.queue,
                self.subject,
                self.cycle,
                self.count,
                self.addr,
                self.at
            ),
            BarrierRule::CompletionReadBeforePhase => write!(
                f,
                "{}: {} completion slot {} at {} at cycle {}: expected the phase bit read, then dma_rmb(), then the other fields, seen {} bytes of fields read unordered",
                self.class(),
                self.queue,
                self.at,
                self.addr,
                self.cycle,
                self.count
            ),
        }
    }
}

/// A completion ring the auditor watches.
#[derive(Clone, Debug)]
struct CqRing {
    queue: Queue,
    base: u64,
    entries: u64,
    /// Per entry: the sequence number of its last phase read.
    phase_read: Vec<Option<u64>>,
}

#[derive(Debug, Default)]
struct State {
    seq: u64,
    last_read_barrier: u64,
    /// DMA-visible writes since the last `wmb()`: (first address, cycle,
    /// count).
    unfenced: Option<(HostAddr, u64, u64)>,
    cqs: Vec<CqRing>,
    descs: Vec<DescRing>,
    violations: Vec<BarrierViolation>,
}

/// A descriptor ring: which slots the CPU wrote since they were last
/// taken.
#[derive(Clone, Debug)]
struct DescRing {
    queue: Queue,
    base: u64,
    written: Vec<bool>,
}

/// The barrier auditor (shared with host memory as its observer).
#[derive(Debug, Default)]
pub struct BarrierAuditor {
    state: Mutex<State>,
}

impl BarrierAuditor {
    /// A new auditor, to install with `HostMemory::set_cpu_observer`.
    pub fn new() -> Arc<Self> {
        Arc::new(BarrierAuditor::default())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Everything found so far.
    pub fn violations(&self) -> Vec<BarrierViolation> {
        self.state().violations.clone()
    }

    /// The completion ring of `queue` is at host address `base` with
    /// `entries` entries (0: gone); the same ring again changes nothing.
    pub fn set_completion_ring(&self, queue: Queue, base: Option<HostAddr>, entries: u16) {
        let mut st = self.state();
        let same = |c: &CqRing| {
            Some(c.base) == base.map(HostAddr::raw_value) && c.entries == u64::from(entries)
        };
        if st.cqs.iter().any(|c| c.queue == queue && same(c)) {
            return;
        }
        st.cqs.retain(|c| c.queue != queue);
        if let Some(base) = base.filter(|_| entries > 0) {
            st.cqs.push(CqRing {
                queue,
                base: base.raw_value(),
                entries: u64::from(entries),
                phase_read: vec![None; usize::from(entries)],
            });
        }
    }

    /// The descriptor ring of `queue` is at host address `base` with
    /// `entries` entries (0: gone); the same ring again changes nothing.
    pub fn set_descriptor_ring(&self, queue: Queue, base: Option<HostAddr>, entries: u16) {
        let mut st = self.state();
        let same = |d: &DescRing| {
            Some(d.base) == base.map(HostAddr::raw_value) && d.written.len() == usize::from(entries)
        };
        if st.descs.iter().any(|d| d.queue == queue && same(d)) {
            return;
        }
        st.descs.retain(|c| c.queue != queue);
        if let Some(base) = base.filter(|_| entries > 0) {
            st.descs.push(DescRing {
                queue,
                base: base.raw_value(),
                written: vec![false; usize::from(entries)],
            });
        }
    }

    /// For each of `slots` of `queue`'s descriptor ring, whether the CPU
    /// wrote it since it was last taken (then it counts as not written);
    /// `None` if the ring is not known.
    pub fn take_written(
        &self,
        queue: Queue,
        slots: impl Iterator<Item = usize>,
    ) -> Option<Vec<bool>> {
        let mut st = self.state();
        let ring = st.descs.iter_mut().find(|d| d.queue == queue)?;
        Some(
            slots
                .map(|s| ring.written.get_mut(s).is_some_and(std::mem::take))
                .collect(),
        )
    }

    /// A doorbell of `queue` at register `name` is about to be written.
    pub fn doorbell(&self, queue: Queue, name: &'static str, cycle: u64) {
        let mut st = self.state();
        if let Some((addr, at, count)) = st.unfenced.take() {
            st.violations.push(BarrierViolation {
                rule: BarrierRule::DoorbellWithoutWmb,
                queue,
                cycle,
                subject: name,
                addr,
                at,
                count,
            });
        }
    }
}

impl State {
    fn completion_read(&mut self, cycle: u64, addr: HostAddr, len: usize) {
        let (a, end) = (addr.raw_value(), addr.raw_value() + len as u64);
        let size = Completion::SIZE as u64;
        let seq = self.seq;
        let barrier = self.last_read_barrier;
        let mut found = Vec::new();
        for cq in &mut self.cqs {
            let ring_end = cq.base + cq.entries * size;
            if end <= cq.base || a >= ring_end {
                continue;
            }
            let first = a.max(cq.base);
            let last = end.min(ring_end);
            let mut entry_start = cq.base + (first - cq.base) / size * size;
            while entry_start < last {
                let slot = ((entry_start - cq.base) / size) as usize;
                let (lo, hi) = (first.max(entry_start), last.min(entry_start + size));
                let flags = entry_start + cpl_layout::FLAGS as u64;
                let field_bytes = (hi - lo) - u64::from(lo <= flags && flags < hi);
                let ordered = cq.phase_read[slot].is_some_and(|p| p < barrier);
                if field_bytes > 0 && !ordered {
                    found.push(BarrierViolation {
                        rule: BarrierRule::CompletionReadBeforePhase,
                        queue: cq.queue,
                        cycle,
                        subject: "completion",
                        addr: HostAddr::new(entry_start),
                        at: slot as u64,
                        count: field_bytes,
                    });
                }
                if lo <= flags && flags < hi {
                    cq.phase_read[slot] = Some(seq);
                }
                entry_start += size;
            }
        }
        self.violations.extend(found);
    }
}

impl CpuObserver for BarrierAuditor {
    fn cpu_read(&self, cycle: u64, addr: HostAddr, len: usize, dma_visible: bool) {
        let mut st = self.state();
        if !dma_visible {
            return;
        }
        st.seq += 1;
        st.completion_read(cycle, addr, len);
    }

    fn cpu_write(&self, cycle: u64, addr: HostAddr, len: usize, dma_visible: bool) {
        let mut st = self.state();
        if !dma_visible {
            return;
        }
        let e = st.unfenced.get_or_insert((addr, cycle, 0));
        e.2 += 1;
        let (a, end) = (addr.raw_value(), addr.raw_value() + len as u64);
        let size = Descriptor::SIZE as u64;
        for d in &mut st.descs {
            let ring_end = d.base + d.written.len() as u64 * size;
            if end <= d.base || a >= ring_end || end == a {
                continue;
            }
            let first = (a.max(d.base) - d.base) / size;
            let last = (end.min(ring_end) - 1 - d.base) / size;
            d.written[first as usize..=last as usize].fill(true);
        }
    }

    fn barrier(&self, _cycle: u64, kind: Barrier) {
        let mut st = self.state();
        st.seq += 1;
        match kind {
            Barrier::Wmb => st.unfenced = None,
            Barrier::Rmb | Barrier::DmaRmb => st.last_read_barrier = st.seq,
            Barrier::DmaWmb => {}
        }
    }
}
