//! One page frame: its RAM copy, the CPU's cached copy, per-line dirty and
//! device-ownership bits, and the `struct page` fields kept lock-free.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};

use bitvec::prelude::*;

use crate::addr::HostAddr;
use crate::layout::{DMA_CACHE_ALIGN, PAGE_SHIFT, PAGE_SIZE};

/// Host address of page frame 0 (the x86-64 direct map base, for familiar
/// looking addresses).
pub const HOST_BASE: u64 = 0xffff_8880_0000_0000;
/// Cache lines per page frame.
pub const LINES_PER_PAGE: usize = PAGE_SIZE / DMA_CACHE_ALIGN;

/// One bit per cache line of a frame.
pub(crate) type LineBits = BitArr!(for LINES_PER_PAGE, in u64, Lsb0);

/// Host address of the first byte of frame `pfn`.
#[inline]
pub(crate) fn pfn_to_host(pfn: u64) -> HostAddr {
    HostAddr::new(HOST_BASE + (pfn << PAGE_SHIFT))
}

/// Allocation state of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameState {
    Free,
    Allocated { head: u64, order: u32 },
}

/// The data and ownership state of one page frame.
#[derive(Debug)]
pub(crate) struct Frame {
    /// What devices see (and, in coherent mode, the CPU too).
    pub(crate) ram: Vec<u8>,
    /// The CPU's cached copy (non-coherent mode only; empty otherwise).
    pub(crate) cpu: Vec<u8>,
    /// CPU lines written since the last write-back (non-coherent mode).
    pub(crate) dirty: LineBits,
    /// Lines currently owned by the device (a streaming mapping was created
    /// or synced for the device and not yet synced back for the CPU).
    pub(crate) dev_owned: LineBits,
    pub(crate) state: FrameState,
    /// Part of a `dma_alloc_coherent` buffer: always coherent, never owned.
    pub(crate) coherent: bool,
    /// Live streaming mappings covering this frame, over all devices.
    pub(crate) map_count: u32,
}

impl Frame {
    pub(super) fn new() -> Self {
        Self {
            ram: Vec::new(),
            cpu: Vec::new(),
            dirty: LineBits::ZERO,
            dev_owned: LineBits::ZERO,
            state: FrameState::Free,
            coherent: false,
            map_count: 0,
        }
    }

    /// Whether a device can reach it: a coherent buffer or under a live
    /// streaming mapping.
    #[inline]
    pub(crate) fn dma_visible(&self) -> bool {
        self.coherent || self.map_count > 0
    }

    /// The copy the CPU reads and writes.
    #[inline]
    pub(crate) fn cpu_view(&mut self) -> &mut [u8] {
        if self.cpu.is_empty() || self.coherent {
            &mut self.ram
        } else {
            &mut self.cpu
        }
    }
}

/// The `struct page` fields of a frame that the page pool uses, lock-free.
#[derive(Debug, Default)]
pub(crate) struct FrameMeta {
    /// `page->_refcount` (head frame only).
    pub(crate) page_ref: AtomicU32,
    /// `page->pp_ref_count`.
    pub(crate) pp_ref: AtomicI64,
    /// Id of the owning page pool (`page->pp`), 0 = none.
    pub(crate) pp_id: AtomicU32,
    /// `page->dma_addr` as stored by the pool.
    pub(crate) dma: AtomicU64,
    /// Device bursts in flight touching this frame (any device).
    pub(crate) bursts: AtomicU32,
}

impl FrameMeta {
    /// Counts a device burst touching this frame in (`begin`) or out.
    #[inline]
    pub(crate) fn dma_in_flight(&self, begin: bool) {
        if begin {
            self.bursts.fetch_add(1, Ordering::AcqRel);
        } else {
            let _ = self
                .bursts
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        }
    }
}
