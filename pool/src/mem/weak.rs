//! The seeded weak-ordering memory model ([`WeakOrder`](super::WeakOrder), off by default):
//! what a weakly ordered CPU (arm64, POWER) does to a driver without the
//! barriers it needs.
//!
//! * Writes: a CPU write to memory the device sees coherently (a
//!   `dma_alloc_coherent` buffer, or any live mapping in coherent mode)
//!   sits in a store buffer and reaches RAM, where the device reads it, at
//!   the next `wmb()` / `dma_wmb()` (or DMA sync for the device, which
//!   implies one) or after a seeded random 1 to `max_write_delay` cycles,
//!   so writes become visible out of program order. The CPU itself reads
//!   its own buffered writes. Writes to the same bytes stay in order.
//! * Reads: a CPU read of such a cache line (the platform's: 64 or 128
//!   bytes), with no `rmb()` / `dma_rmb()` since
//!   the previous read of that line (at most `read_window` cycles earlier),
//!   returns, with a seeded `stale_read_percent` chance, the line's bytes
//!   as that previous read saw them (the load was hoisted above the check
//!   that should have ordered it).
//!
//! Every random choice comes from `seed`. In the default (strong) mode
//! none of this runs: each access costs one `Option` check.

use std::collections::HashMap;
use std::ops::Range;

use super::config::WeakOrder;
use crate::inject::splitmix64;

/// A CPU write not yet in RAM.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) due: u64,
    pub(super) pfn: u64,
    pub(super) off: usize,
    pub(super) data: Vec<u8>,
}

impl Pending {
    pub(super) fn overlaps(&self, pfn: u64, bytes: &Range<usize>) -> bool {
        self.pfn == pfn && self.off < bytes.end && bytes.start < self.off + self.data.len()
    }

    /// Copies the bytes of `self` inside `[off, off+buf.len())` of its frame
    /// into `buf`.
    pub(super) fn overlay(&self, off: usize, buf: &mut [u8]) {
        let a = self.off.max(off);
        let b = (self.off + self.data.len()).min(off + buf.len());
        if a < b {
            buf[a - off..b - off].copy_from_slice(&self.data[a - self.off..b - self.off]);
        }
    }
}

/// The longest cache line of any platform.
pub(super) const MAX_LINE: usize = 128;

/// What the previous CPU read of a line saw (its first `line.bytes()`
/// bytes, the platform's line).
#[derive(Debug)]
pub(super) struct LineRead {
    pub(super) cycle: u64,
    pub(super) epoch: u64,
    pub(super) bytes: [u8; MAX_LINE],
}

/// The store buffer and the read history of the weak-ordering mode.
#[derive(Debug)]
pub(crate) struct WeakState {
    pub(super) cfg: WeakOrder,
    rng: u64,
    /// In program order.
    pub(super) pending: Vec<Pending>,
    /// Read fences so far.
    pub(super) epoch: u64,
    /// The previous read of each line read so far.
    pub(super) reads: HashMap<(u64, usize), LineRead>,
}

impl WeakState {
    pub(super) fn new(cfg: WeakOrder) -> Self {
        Self {
            cfg,
            rng: cfg.seed,
            pending: Vec::new(),
            epoch: 0,
            reads: HashMap::new(),
        }
    }

    /// A seeded draw in `0..n`.
    pub(super) fn draw(&mut self, n: u64) -> u64 {
        splitmix64(&mut self.rng) % n.max(1)
    }
}
