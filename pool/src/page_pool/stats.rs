//! `struct page_pool_stats`: the counters a pool keeps, and their netlink
//! attributes.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::registry::PagePoolStatsAttrs;

/// `struct page_pool_alloc_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PagePoolAllocStats {
    /// Successful fast path allocations.
    pub fast: u64,
    /// Slow path order-0 allocations (once per bulk).
    pub slow: u64,
    /// Slow path high order allocations.
    pub slow_high_order: u64,
    /// Ring empty, so a slow path allocation was forced.
    pub empty: u64,
    /// An allocation that refilled the cache from the ring.
    pub refill: u64,
    /// Ring pages released for a NUMA mismatch.
    pub waive: u64,
}

/// `struct page_pool_recycle_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PagePoolRecycleStats {
    /// Recycled into the alloc cache.
    pub cached: u64,
    /// Alloc cache was full.
    pub cache_full: u64,
    /// Recycled into the ring.
    pub ring: u64,
    /// Ring full: page released.
    pub ring_full: u64,
    /// Released (not recycled) because refcount > 1.
    pub released_refcnt: u64,
}

/// `struct page_pool_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PagePoolStats {
    /// Allocation side.
    pub alloc_stats: PagePoolAllocStats,
    /// Recycling side.
    pub recycle_stats: PagePoolRecycleStats,
}

/// The live counters of one pool (the owner writes most of them alone).
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) fast: AtomicU64,
    pub(super) slow: AtomicU64,
    pub(super) slow_high_order: AtomicU64,
    pub(super) empty: AtomicU64,
    pub(super) refill: AtomicU64,
    pub(super) waive: AtomicU64,
    pub(super) cached: AtomicU64,
    pub(super) cache_full: AtomicU64,
    pub(super) ring_full: AtomicU64,
    pub(super) released_refcnt: AtomicU64,
}

/// Increment of a counter with a single writer (the owner): no atomic RMW.
#[inline]
pub(super) fn inc1(c: &AtomicU64) {
    c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

impl From<PagePoolStats> for PagePoolStatsAttrs {
    fn from(s: PagePoolStats) -> Self {
        let (a, r) = (s.alloc_stats, s.recycle_stats);
        Self {
            alloc_fast: a.fast,
            alloc_slow: a.slow,
            alloc_slow_high_order: a.slow_high_order,
            alloc_empty: a.empty,
            alloc_refill: a.refill,
            alloc_waive: a.waive,
            recycle_cached: r.cached,
            recycle_cache_full: r.cache_full,
            recycle_ring: r.ring,
            recycle_ring_full: r.ring_full,
            recycle_released_refcnt: r.released_refcnt,
        }
    }
}
