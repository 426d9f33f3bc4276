//! The page pool's laws as checks ([`PagePool::check_invariants`] and,
//! for every pool of a memory, [`crate::PoolRegistry::check_invariants`]);
//! each law and the kernel function it comes from is stated on its
//! [`InvariantKind`]. The owner sees its alloc cache and ring; the registry
//! sees a live pool's pooled pages through their location tags.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use super::params::{PP_ALLOC_CACHE_REFILL, PP_ALLOC_CACHE_SIZE};
use super::pool::PagePool;
use super::shared::PoolShared;
use crate::invariant::{InvariantKind, PoolInvariantViolation};
use crate::lock::lock;
use crate::mem::{pfn_to_host, FrameState, PoolLocation};

impl PagePool {
    /// Every law of the kernel's page pool this pool's state breaks now:
    /// the counters' laws, and every page in the alloc cache and the ring
    /// checked where it is.
    pub fn check_invariants(&self) -> Vec<PoolInvariantViolation> {
        let sh = &*self.shared;
        let mut out = sh.counter_laws();
        if self.cache.len() > PP_ALLOC_CACHE_SIZE {
            out.push(sh.broken(InvariantKind::CacheOverfull {
                len: self.cache.len(),
            }));
        }
        let ring = self
            .consumer
            .as_ref()
            .map(|c| c.snapshot())
            .unwrap_or_default();
        let mut seen = HashSet::with_capacity(self.cache.len() + ring.len());
        let cache = self.cache.iter().map(|&p| (p, PoolLocation::AllocCache));
        for (pfn, found) in cache.chain(ring.iter().map(|&p| (p, PoolLocation::Ring))) {
            if !seen.insert(pfn) {
                out.push(sh.broken(InvariantKind::TwiceInPool {
                    page: pfn_to_host(pfn),
                }));
            }
            sh.pooled_page_laws(pfn, found, &mut out);
        }
        sh.pooled_count_law(seen.len() as u64, &mut out);
        out
    }
}

impl PoolShared {
    /// The laws of a pool as the registry sees it: the counters, the ring
    /// of a destroyed pool, and the pages tagged as in this pool.
    pub(super) fn check_invariants(&self) -> Vec<PoolInvariantViolation> {
        let mut out = self.counter_laws();
        let ring = lock(&self.shutdown)
            .consumer
            .as_ref()
            .map(|c| c.snapshot())
            .unwrap_or_default();
        let mut seen = HashSet::with_capacity(ring.len());
        for &pfn in &ring {
            if !seen.insert(pfn) {
                out.push(self.broken(InvariantKind::TwiceInPool {
                    page: pfn_to_host(pfn),
                }));
            }
            self.pooled_page_laws(pfn, PoolLocation::Ring, &mut out);
        }
        for (pfn, loc) in self.tagged_pages() {
            if seen.insert(pfn) {
                self.pooled_page_laws(pfn, loc, &mut out);
            }
        }
        self.pooled_count_law(seen.len() as u64, &mut out);
        out
    }

    /// Every head page whose tag says it is in this pool.
    fn tagged_pages(&self) -> Vec<(u64, PoolLocation)> {
        let inner = &self.mem.inner;
        (0..inner.total_frames())
            .filter_map(|pfn| {
                let m = &inner.meta[pfn as usize];
                let loc = m.pool_location();
                let ours = loc.in_pool() && m.pp_id.load(Ordering::Acquire) == self.id;
                ours.then_some((pfn, loc))
            })
            .filter(|&(pfn, _)| {
                matches!(lock(&inner.frames[pfn as usize]).state, FrameState::Allocated { head, .. } if head == pfn)
            })
            .collect()
    }

    #[cold]
    fn broken(&self, kind: InvariantKind) -> PoolInvariantViolation {
        PoolInvariantViolation {
            cycle: self.mem.cycle(),
            pool: self.id,
            kind,
        }
    }

    /// The laws of the hold/release counts and the stats.
    fn counter_laws(&self) -> Vec<PoolInvariantViolation> {
        let mut out = Vec::new();
        let hold = self.hold_cnt.load(Ordering::Acquire);
        let release = self.release_cnt.load(Ordering::Acquire);
        if self.inflight() < 0 {
            out.push(self.broken(InvariantKind::NegativeInflight { hold, release }));
        }
        let s = self.stats();
        let (a, r) = (s.alloc_stats, s.recycle_stats);
        let adopted = u64::from(hold);
        let slow_ok = if self.order == 0 {
            a.slow_high_order == 0
                && a.slow <= adopted
                && adopted <= a.slow * PP_ALLOC_CACHE_REFILL as u64
        } else {
            a.slow == 0 && a.slow_high_order == adopted
        };
        if !slow_ok {
            out.push(self.broken(InvariantKind::SlowPathStats {
                order: self.order,
                hold,
                slow: a.slow,
                slow_high_order: a.slow_high_order,
            }));
        }
        let ring = self.producer.pushed();
        if a.refill + a.waive > ring {
            out.push(self.broken(InvariantKind::RefillAboveRing {
                refill_waive: a.refill + a.waive,
                ring,
            }));
        }
        self.dma_mapped_law(&mut out);
        // A system pool's recycle counters are those of every system pool.
        if self.system.is_none() && r.released_refcnt + r.ring_full > u64::from(release) {
            out.push(self.broken(InvariantKind::ReleasesBelowRecycleStats {
                released_refcnt_ring_full: r.released_refcnt + r.ring_full,
                release,
            }));
        }
        out
    }

    /// The laws of one page found `found` (cache or ring).
    fn pooled_page_laws(
        &self,
        pfn: u64,
        found: PoolLocation,
        out: &mut Vec<PoolInvariantViolation>,
    ) {
        let page = pfn_to_host(pfn);
        let m = self.meta(pfn);
        let tagged = m.pool_location();
        if tagged != found {
            out.push(self.broken(InvariantKind::WrongLocation {
                page,
                found,
                tagged,
            }));
        }
        let owner = m.pp_id.load(Ordering::Acquire);
        if owner != self.id {
            out.push(self.broken(InvariantKind::ForeignPage { page, owner }));
            return;
        }
        let pp_ref = m.pp_ref.load(Ordering::Acquire);
        let page_ref = m.page_ref.load(Ordering::Acquire);
        if pp_ref != 1 || page_ref != 1 {
            out.push(self.broken(InvariantKind::RecycledRefCount {
                page,
                pp_ref,
                page_ref,
            }));
        }
        if self.dma_map && m.dma.load(Ordering::Acquire) == 0 {
            out.push(self.broken(InvariantKind::RecycledUnmapped { page }));
        }
        if m.pfmemalloc.load(Ordering::Acquire) {
            out.push(self.broken(InvariantKind::RecycledPfmemalloc { page }));
        }
    }

    /// [`InvariantKind::DmaMappedCount`] (a negative in-flight count is
    /// reported on its own).
    fn dma_mapped_law(&self, out: &mut Vec<PoolInvariantViolation>) {
        let Ok(inflight) = u64::try_from(self.inflight()) else {
            return;
        };
        let live = self.dma_map && !self.destroyed.load(Ordering::Acquire);
        let expected = if live { inflight } else { 0 };
        let tracked = self.dma_mapped_pages() as u64;
        if tracked != expected {
            out.push(self.broken(InvariantKind::DmaMappedCount { tracked, expected }));
        }
    }

    fn pooled_count_law(&self, pooled: u64, out: &mut Vec<PoolInvariantViolation>) {
        let inflight = i64::from(self.inflight());
        if pooled as i64 > inflight {
            out.push(self.broken(InvariantKind::PooledAboveInflight { pooled, inflight }));
        }
    }
}
