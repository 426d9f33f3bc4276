//! [`PoolInvariantViolation`]: a law of the kernel's page pool that a
//! pool's state breaks, as [`PagePool::check_invariants`](crate::PagePool::check_invariants)
//! and [`PoolRegistry::check_invariants`](crate::PoolRegistry::check_invariants)
//! report it. Each law is stated, with the kernel function it comes from
//! (`net/core/page_pool.c`, Linux 6.12), on its [`InvariantKind`] variant.

use std::fmt;

use serde::Serialize;

use crate::addr::HostAddr;
use crate::mem::PoolLocation;

/// A broken page pool law.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum InvariantKind {
    /// `pages_state_hold_cnt - pages_state_release_cnt >= 0`
    /// (`page_pool_inflight`: "Negative(%d) inflight packet-pages").
    NegativeInflight {
        /// Pages adopted from the page allocator.
        hold: u32,
        /// Pages returned to it.
        release: u32,
    },
    /// The alloc cache holds at most `PP_ALLOC_CACHE_SIZE` pages
    /// (`page_pool_recycle_in_cache` refuses, counting `cache_full`).
    CacheOverfull {
        /// Pages in the cache.
        len: usize,
    },
    /// A page is at most once in the cache and the ring together (one
    /// `page_pool_recycle_in_cache` or `page_pool_recycle_in_ring` per
    /// last reference).
    TwiceInPool {
        /// The page.
        page: HostAddr,
    },
    /// A page in the cache or ring is tagged where it is (the tag the pool's
    /// own cache and ring operations keep).
    WrongLocation {
        /// The page.
        page: HostAddr,
        /// Where it was found.
        found: PoolLocation,
        /// What its tag says.
        tagged: PoolLocation,
    },
    /// Every page in the cache or ring belongs to this pool
    /// (`page_pool_set_pp_info` set `page->pp`; `page_pool_return_page`
    /// clears it only on the way out).
    ForeignPage {
        /// The page.
        page: HostAddr,
        /// The pool id its `page->pp` names (0: none).
        owner: u32,
    },
    /// A recycled page has `pp_ref_count == 1` (`page_pool_set_pp_info`
    /// starts it at 1 with `page_pool_fragment_netmem(netmem, 1)`;
    /// `page_pool_unref_netmem` leaves the last reference's 1 in place) and
    /// `page_ref_count == 1` (`__page_pool_page_can_be_recycled`).
    RecycledRefCount {
        /// The page.
        page: HostAddr,
        /// `pp_ref_count`.
        pp_ref: i64,
        /// `page_ref_count`.
        page_ref: u32,
    },
    /// A mapping pool's recycled page keeps its DMA address
    /// (`page_pool_dma_map` stores it "for lifetime of page, until leaving
    /// pool").
    RecycledUnmapped {
        /// The page.
        page: HostAddr,
    },
    /// The pages in the cache and ring are held: at most the in-flight count
    /// (`page_pool_inflight` counts every page not yet returned).
    PooledAboveInflight {
        /// Pages in the cache and ring.
        pooled: u64,
        /// `hold - release`.
        inflight: i64,
    },
    /// The slow path's counters move with the pages it adopts: an order-0
    /// pool counts `slow` once per bulk that adopted 1 to
    /// `PP_ALLOC_CACHE_REFILL` pages and never `slow_high_order`; a
    /// high-order pool counts `slow_high_order` once per page it adopts and
    /// never `slow` (`__page_pool_alloc_pages_slow`,
    /// `__page_pool_alloc_page_order`).
    SlowPathStats {
        /// Pool order.
        order: u32,
        /// `pages_state_hold_cnt`.
        hold: u32,
        /// `alloc_stats.slow`.
        slow: u64,
        /// `alloc_stats.slow_high_order`.
        slow_high_order: u64,
    },
    /// Every `refill` and every `waive` took at least one page off the ring
    /// (`page_pool_refill_alloc_cache`): neither exceeds the ring's pushes.
    RefillAboveRing {
        /// `alloc_stats.refill + alloc_stats.waive`.
        refill_waive: u64,
        /// Pages ever pushed into the ring.
        ring: u64,
    },
    /// Every `released_refcnt` and `ring_full` is followed by one
    /// `page_pool_return_page` (`__page_pool_put_page`,
    /// `page_pool_put_unrefed_page`, `page_pool_recycle_ring_bulk`): their
    /// sum is at most `pages_state_release_cnt`.
    ReleasesBelowRecycleStats {
        /// `recycle_stats.released_refcnt + recycle_stats.ring_full`.
        released_refcnt_ring_full: u64,
        /// `pages_state_release_cnt`.
        release: u32,
    },
    /// `pool->dma_mapped` tracks exactly the pages a mapping pool holds
    /// (`page_pool_register_dma_index` at every map,
    /// `page_pool_release_dma_index` at every release) until destroy, and
    /// none after (`page_pool_scrub` unmaps them all; 6.12 LTS, from 6.15).
    DmaMappedCount {
        /// Pages tracked.
        tracked: u64,
        /// In flight for a live mapping pool, 0 otherwise.
        expected: u64,
    },
    /// No recycled page is from the emergency reserve
    /// (`__page_pool_page_can_be_recycled`: `!page_is_pfmemalloc`).
    RecycledPfmemalloc {
        /// The page.
        page: HostAddr,
    },
}

impl InvariantKind {
    /// The stable name of the bug class, `pool-invariant/...`.
    pub fn class(&self) -> &'static str {
        match self {
            InvariantKind::NegativeInflight { .. } => "pool-invariant/negative-inflight",
            InvariantKind::CacheOverfull { .. } => "pool-invariant/cache-overfull",
            InvariantKind::TwiceInPool { .. } => "pool-invariant/page-twice-in-pool",
            InvariantKind::WrongLocation { .. } => "pool-invariant/wrong-location-tag",
            InvariantKind::ForeignPage { .. } => "pool-invariant/foreign-page",
            InvariantKind::RecycledRefCount { .. } => "pool-invariant/recycled-ref-count",
            InvariantKind::RecycledUnmapped { .. } => "pool-invariant/recycled-unmapped",
            InvariantKind::PooledAboveInflight { .. } => "pool-invariant/pooled-above-inflight",
            InvariantKind::SlowPathStats { .. } => "pool-invariant/slow-path-stats",
            InvariantKind::RefillAboveRing { .. } => "pool-invariant/refill-above-ring",
            InvariantKind::ReleasesBelowRecycleStats { .. } => {
                "pool-invariant/releases-below-recycle-stats"
            }
            InvariantKind::DmaMappedCount { .. } => "pool-invariant/dma-mapped-count",
            InvariantKind::RecycledPfmemalloc { .. } => "pool-invariant/recycled-pfmemalloc",
        }
    }
}

/// A broken law of one pool, seen at `cycle`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolInvariantViolation {
    /// Simulated cycle of the check.
    pub cycle: u64,
    /// Pool id.
    pub pool: u32,
    /// The law.
    pub kind: InvariantKind,
}

impl PoolInvariantViolation {
    /// The stable name of the bug class, `pool-invariant/...`.
    pub fn class(&self) -> &'static str {
        self.kind.class()
    }

    /// The simulated cycle of the check that saw it.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }
}

impl fmt::Display for PoolInvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: cycle {}: page pool {}: ",
            self.class(),
            self.cycle,
            self.pool
        )?;
        match &self.kind {
            InvariantKind::NegativeInflight { hold, release } => write!(
                f,
                "inflight negative: hold {hold} - release {release} (expected >= 0)"
            ),
            InvariantKind::CacheOverfull { len } => {
                write!(f, "alloc cache holds {len} pages (expected at most 128)")
            }
            InvariantKind::TwiceInPool { page } => {
                write!(f, "page {page} is twice in the alloc cache and ring (expected once)")
            }
            InvariantKind::WrongLocation {
                page,
                found,
                tagged,
            } => write!(f, "page {page} found {found} but tagged {tagged}"),
            InvariantKind::ForeignPage { page, owner } => write!(
                f,
                "page {page} in the cache or ring belongs to pool {owner} (expected this pool)"
            ),
            InvariantKind::RecycledRefCount {
                page,
                pp_ref,
                page_ref,
            } => write!(
                f,
                "recycled page {page} has pp_ref_count {pp_ref} and page_ref_count {page_ref} (expected 1 and 1)"
            ),
            InvariantKind::RecycledUnmapped { page } => write!(
                f,
                "recycled page {page} of a DMA-mapping pool has no DMA address (expected its mapping)"
            ),
            InvariantKind::PooledAboveInflight { pooled, inflight } => write!(
                f,
                "{pooled} pages in the cache and ring but inflight is {inflight} (expected pooled <= inflight)"
            ),
            InvariantKind::SlowPathStats {
                order,
                hold,
                slow,
                slow_high_order,
            } => write!(
                f,
                "order-{order} pool adopted {hold} pages with slow {slow}, slow_high_order {slow_high_order} (expected slow <= hold <= 64 * slow for order 0, hold == slow_high_order otherwise)"
            ),
            InvariantKind::RefillAboveRing { refill_waive, ring } => write!(
                f,
                "refill + waive {refill_waive} above the {ring} pages ever pushed into the ring"
            ),
            InvariantKind::ReleasesBelowRecycleStats {
                released_refcnt_ring_full,
                release,
            } => write!(
                f,
                "released_refcnt + ring_full {released_refcnt_ring_full} above the {release} pages returned (expected one return each)"
            ),
            InvariantKind::DmaMappedCount { tracked, expected } => write!(
                f,
                "{tracked} pages tracked as DMA-mapped (expected {expected}: the pages in flight while the pool lives, none once destroyed)"
            ),
            InvariantKind::RecycledPfmemalloc { page } => write!(
                f,
                "recycled page {page} is pfmemalloc (expected released: emergency-reserve pages are never recycled)"
            ),
        }
    }
}
