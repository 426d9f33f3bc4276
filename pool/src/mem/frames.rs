//! One page frame: its RAM copy, the CPU's cached copy, per-line dirty and
//! device-ownership bits (one per [`LINE_GRANULE`] of 64 bytes; a 128-byte
//! line is a pair of them, always set and cleared together), and the
//! `struct page` fields kept lock-free.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicU8, Ordering};

use serde::Serialize;

use bitvec::prelude::*;

use super::bytes::ByteOwnership;
use crate::addr::HostAddr;
use std::ops::Range;

use crate::layout::{LINE_GRANULE, PAGE_SHIFT, PAGE_SIZE};
use crate::platform::CacheLine;

/// Host address of page frame 0 (the x86-64 direct map base, for familiar
/// looking addresses).
pub const HOST_BASE: u64 = 0xffff_8880_0000_0000;
/// Line-tracking granules ([`LINE_GRANULE`]) per page frame.
pub const GRANULES_PER_PAGE: usize = PAGE_SIZE / LINE_GRANULE;

/// One bit per tracking granule of a frame.
pub(crate) type LineBits = BitArr!(for GRANULES_PER_PAGE, in u64, Lsb0);

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
    /// CPU lines written since their last write-back (a sync for the
    /// device), in both modes: in non-coherent mode the lines of the CPU's
    /// copy that RAM does not have yet.
    pub(crate) dirty: LineBits,
    /// Lines currently owned by the device (a streaming mapping was created
    /// or synced for the device and not yet synced back for the CPU).
    pub(crate) dev_owned: LineBits,
    pub(crate) state: FrameState,
    /// Part of a `dma_alloc_coherent` buffer: always coherent, never owned.
    pub(crate) coherent: bool,
    /// Live streaming mappings covering this frame, over all devices.
    pub(crate) map_count: u32,
    /// The API-contract ownership of each byte, from the first time the
    /// device was given bytes of the frame under a mapping it may write.
    pub(crate) bytes: Option<Box<ByteOwnership>>,
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
            bytes: None,
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
    /// Where the page pool keeps the page (head frame only), a
    /// [`PoolLocation`] as its `u8`.
    pub(crate) pp_loc: AtomicU8,
    /// `page->pfmemalloc` (head frame only): allocated from the emergency
    /// reserve.
    pub(crate) pfmemalloc: AtomicBool,
}

/// Where a page pool page is: out (with the driver, the stack, ... or not
/// a pool page at all), in its pool's alloc cache, or in its ptr_ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum PoolLocation {
    /// Not inside a pool.
    Out,
    /// In the pool's lockless alloc cache.
    AllocCache,
    /// In the pool's recycle ring (`ptr_ring`).
    Ring,
}

impl PoolLocation {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => PoolLocation::AllocCache,
            2 => PoolLocation::Ring,
            _ => PoolLocation::Out,
        }
    }

    /// Whether the page is back inside a pool.
    #[inline]
    pub fn in_pool(self) -> bool {
        self != PoolLocation::Out
    }
}

impl fmt::Display for PoolLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PoolLocation::Out => "out of the pool",
            PoolLocation::AllocCache => "in the alloc cache",
            PoolLocation::Ring => "in the ptr_ring",
        })
    }
}

impl FrameMeta {
    /// Where the pool keeps the page.
    #[inline]
    pub(crate) fn pool_location(&self) -> PoolLocation {
        PoolLocation::from_u8(self.pp_loc.load(Ordering::Acquire))
    }

    /// Moves the page to `loc`; returns where it was.
    #[inline]
    pub(crate) fn move_to(&self, loc: PoolLocation) -> PoolLocation {
        PoolLocation::from_u8(self.pp_loc.swap(loc as u8, Ordering::AcqRel))
    }

    /// Whether a device burst is in flight into the frame.
    #[inline]
    pub(crate) fn dma_busy(&self) -> bool {
        self.bursts.load(Ordering::Acquire) > 0
    }

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

/// The API-contract ownership of the frame's bytes (see `ownership`).
impl Frame {
    /// Gives `bytes` to the device (a map or sync for the device of a
    /// mapping that lets it write); `synced` unless the CPU sync was
    /// skipped (a map with `DMA_ATTR_SKIP_CPU_SYNC`).
    pub(crate) fn give_device_bytes(&mut self, bytes: Range<usize>, synced: bool) {
        self.bytes
            .get_or_insert_with(|| Box::new(ByteOwnership::new()))
            .give(bytes, synced);
    }

    /// Takes `bytes` back for the CPU (a sync for the CPU, or an unmap).
    #[inline]
    pub(crate) fn take_device_bytes(&mut self, bytes: Range<usize>) {
        if let Some(own) = &mut self.bytes {
            own.take(bytes);
        }
    }

    /// The device wrote `bytes`.
    #[inline]
    pub(crate) fn note_device_write(&mut self, bytes: Range<usize>) {
        if let Some(own) = &mut self.bytes {
            own.note_write(bytes);
        }
    }

    /// Forgets every byte's ownership (a fresh allocation).
    pub(super) fn clear_ownership(&mut self) {
        if let Some(own) = &mut self.bytes {
            own.clear();
        }
    }

    /// The first byte of `bytes` a CPU access breaks the ownership rules
    /// on: a read of a device-owned byte, a write into one the device wrote.
    #[inline]
    pub(super) fn cpu_access_offender(&self, bytes: Range<usize>, write: bool) -> Option<usize> {
        let own = self.bytes.as_deref().filter(|_| !self.coherent)?;
        if write {
            own.first_written(bytes)
        } else {
            own.first_owned(bytes)
        }
    }

    /// The first byte of `bytes` a device write may not touch: one never
    /// handed to the device with a sync for it since the CPU last had it
    /// (none in coherent buffers).
    #[inline]
    pub(crate) fn first_device_unsynced(&self, bytes: Range<usize>) -> Option<usize> {
        if self.coherent || bytes.is_empty() {
            return None;
        }
        match self.bytes.as_deref() {
            Some(own) => own.first_unsynced(bytes),
            None => Some(bytes.start),
        }
    }

    /// The first byte of the first `line` of `bytes` the CPU wrote since
    /// its last sync for the device, for a device access (none in coherent
    /// buffers).
    #[inline]
    pub(crate) fn first_cpu_written_line(
        &self,
        bytes: Range<usize>,
        line: CacheLine,
    ) -> Option<usize> {
        if self.coherent || bytes.is_empty() {
            return None;
        }
        let granules = line.granules(bytes);
        let start = granules.start;
        let first = self.dirty[granules].first_one()?;
        Some(line.line_start((first + start) * LINE_GRANULE))
    }
}
