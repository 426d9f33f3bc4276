//! The location tag of every pool page (out, alloc cache, ptr_ring), kept
//! by the pool's own cache and ring operations, and the checks it allows
//! where a page moves:
//!
//! * `pool/double-recycle`: a page recycled (into the cache or the ring)
//!   while its tag says it is already in the pool (a second put of a page
//!   whose `pp_ref_count` the kernel leaves at 1 recycles it twice).
//! * `pool/page-in-two-places`: the alloc cache hands out a page whose tag
//!   says it is already out (it was in the cache twice).
//! * `pool/recycle-during-dma`: a page recycled while a device burst into
//!   it is still in flight.
//! * `pool/cache-entry-outside-napi`: a put recycles a page into the
//!   lockless alloc cache on behalf of a context that may not touch it. The
//!   put path carries its [`PutContext`] down to here, and the census judges
//!   it against the pool's binding on its own, so a wrong direct decision
//!   anywhere upstream (in [`NapiCtx::put_page`](crate::NapiCtx::put_page)
//!   or any later caller of the cache) is named where the page lands.
//!
//! The DMA layer reads the same tag: a device access into a page that is
//! in a pool is `pool/device-access-pooled-page` (a
//! [`DmaViolation`](crate::DmaViolation) of the device).

use super::error::{PoolViolationKind, PutContext};
use super::shared::PoolShared;
use crate::mem::{pfn_to_host, PoolLocation};

impl PoolShared {
    /// The page enters the alloc cache or the ring (`to`).
    #[inline]
    pub(super) fn enter_pool(&self, pfn: u64, to: PoolLocation) {
        let was = self.meta(pfn).move_to(to);
        if was.in_pool() {
            self.double_recycle(pfn, was, to);
        }
        if self.dma_busy(pfn) {
            self.recycle_during_dma(pfn, to);
        }
    }

    /// A put recycles the page into the alloc cache on behalf of `by`.
    #[inline]
    pub(super) fn enter_cache(&self, pfn: u64, by: PutContext) {
        if !self.may_touch_cache(by) {
            self.cache_entry_outside_napi(pfn, by);
        }
        self.enter_pool(pfn, PoolLocation::AllocCache);
    }

    /// Who may put into the lockless alloc cache: a NAPI poll that is the
    /// pool's own (the kernel's `page_pool_napi_local()`: the pool's NAPI
    /// runs on this CPU; the model has no CPUs, and another NAPI instance
    /// stands for one polled elsewhere), or, for a pool bound to no NAPI, a
    /// NAPI poll whose caller claims `allow_direct`. No other context: not
    /// process context, not a handle, not a destroyed pool.
    #[inline]
    fn may_touch_cache(&self, by: PutContext) -> bool {
        match (by, self.napi) {
            (PutContext::NapiPoll { napi, .. }, Some(own)) => napi == own,
            (PutContext::NapiPoll { allow_direct, .. }, None) => allow_direct,
            _ => false,
        }
    }

    /// The page leaves the ring for the alloc cache (a refill).
    #[inline]
    pub(super) fn ring_to_cache(&self, pfn: u64) {
        self.meta(pfn).move_to(PoolLocation::AllocCache);
    }

    /// The alloc cache hands the page out.
    #[inline]
    pub(super) fn leave_cache(&self, pfn: u64) {
        let was = self.meta(pfn).move_to(PoolLocation::Out);
        if was != PoolLocation::AllocCache {
            self.in_two_places(pfn, was);
        }
    }

    /// The ring refused the page (full): it was never in.
    #[inline]
    pub(super) fn ring_refused(&self, pfn: u64) {
        self.meta(pfn).move_to(PoolLocation::Out);
    }

    #[inline]
    fn dma_busy(&self, pfn: u64) -> bool {
        let frames = pfn..pfn + (1u64 << self.order);
        frames
            .into_iter()
            .any(|p| self.mem.inner.meta[p as usize].dma_busy())
    }

    #[cold]
    fn double_recycle(&self, pfn: u64, already: PoolLocation, into: PoolLocation) {
        self.violation(PoolViolationKind::DoubleRecycle {
            page: pfn_to_host(pfn),
            already,
            into,
        });
    }

    #[cold]
    fn cache_entry_outside_napi(&self, pfn: u64, context: PutContext) {
        self.violation(PoolViolationKind::CacheEntryOutsideNapi {
            page: pfn_to_host(pfn),
            context,
            pool_napi: self.napi,
        });
    }

    #[cold]
    fn in_two_places(&self, pfn: u64, location: PoolLocation) {
        self.violation(PoolViolationKind::PageInTwoPlaces {
            page: pfn_to_host(pfn),
            location,
        });
    }

    #[cold]
    fn recycle_during_dma(&self, pfn: u64, into: PoolLocation) {
        let bursts = (pfn..pfn + (1u64 << self.order))
            .map(|p| {
                self.mem.inner.meta[p as usize]
                    .bursts
                    .load(std::sync::atomic::Ordering::Acquire)
            })
            .sum();
        self.violation(PoolViolationKind::RecycleDuringDma {
            page: pfn_to_host(pfn),
            into,
            bursts,
        });
    }
}
