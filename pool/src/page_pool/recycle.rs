//! The put paths: a page's last reference comes back and the page is
//! recycled into the alloc cache (direct, from the pool's NAPI poll) or the
//! ring, or released to the page allocator, each with its named counter.

use std::sync::atomic::Ordering;

use super::error::{PoolViolationKind, PutContext};
use super::page::{PpPage, PpVa};
use super::params::PP_ALLOC_CACHE_SIZE;
use super::pool::PagePool;
use super::shared::PoolShared;
use super::stats::inc1;
use crate::addr::DmaAddr;
use crate::mem::{PageRef, PoolLocation};

impl PagePool {
    /// `page_pool_put_page` from the owner outside a NAPI poll (process
    /// context): goes to the ring; claiming `allow_direct` here is reported.
    pub fn put_page(&mut self, page: PpPage, dma_sync_size: i64, allow_direct: bool) {
        self.shared
            .put_remote(page, dma_sync_size, allow_direct, PutContext::Process);
    }

    /// `page_pool_put_full_page` from process context.
    pub fn put_full_page(&mut self, page: PpPage, allow_direct: bool) {
        self.put_page(page, -1, allow_direct);
    }

    /// `page_pool_free_va` from process context.
    pub fn free_va(&mut self, va: PpVa, allow_direct: bool) {
        self.put_page(va.page, -1, allow_direct);
    }

    /// `page_pool_put_page_bulk` from process context: every entry is taken
    /// (the slice is left all `None`); `page_pool_napi_local` is false
    /// outside softirq, so the recyclable pages go to the ring under one
    /// pass. From the pool's NAPI poll use
    /// [`NapiCtx::put_page_bulk`](crate::NapiCtx::put_page_bulk).
    pub fn put_page_bulk(&mut self, data: &mut [Option<PpPage>]) {
        self.put_bulk_decided(data, None);
    }

    /// `page_pool_put_page_bulk` with the direct decision made once for
    /// the call: `direct` is the context the pages may go into the alloc
    /// cache on behalf of (`None`: all to the ring).
    pub(super) fn put_bulk_decided(
        &mut self,
        data: &mut [Option<PpPage>],
        direct: Option<PutContext>,
    ) {
        let sh = &*self.shared;
        let cache = &mut self.cache;
        match direct {
            None => sh.put_bulk(data, |_| false),
            Some(by) => sh.put_bulk(data, |pfn| sh.recycle_in_cache(cache, pfn, by)),
        }
    }

    /// `page_pool_put_unrefed_page` with the direct decision already made:
    /// `direct` is the context the page may go into the alloc cache on
    /// behalf of (`None`: to the ring). The cache census checks that
    /// context on its own ([`PoolShared::enter_cache`]).
    #[inline]
    pub(super) fn put_unrefed(
        &mut self,
        pfn: u64,
        dma: u64,
        dma_sync_size: i64,
        direct: Option<PutContext>,
    ) {
        if !self.shared.recycle_prepare(pfn, dma, dma_sync_size) {
            return;
        }
        if let Some(by) = direct {
            if self.shared.recycle_in_cache(&mut self.cache, pfn, by) {
                return;
            }
        }
        self.shared.recycle_in_ring(pfn, dma);
    }
}

impl PoolShared {
    /// `page_pool_dma_sync_for_device`: `min(size, max_len)` bytes at `offset`.
    #[inline]
    pub(super) fn sync_for_device(&self, dma: u64, dma_sync_size: i64) {
        if !self.dma_sync.load(Ordering::Relaxed) {
            return;
        }
        self.sync_for_device_slow(dma, dma_sync_size);
    }

    #[cold]
    pub(super) fn sync_for_device_slow(&self, dma: u64, dma_sync_size: i64) {
        let size = u32::try_from(dma_sync_size)
            .unwrap_or(u32::MAX)
            .min(self.max_len);
        if let Some(dev) = &self.dev {
            if let Err(e) = dev.sync_single_range_for_device(
                DmaAddr::new(dma),
                self.offset as usize,
                size as usize,
                self.dma_dir,
            ) {
                tracing::error!(pool = self.id, "sync_for_device on recycle failed: {e}");
            }
        }
    }

    /// `__page_pool_put_page` minus the cache: returns whether the page may
    /// be recycled (synced), or releases it (`released_refcnt`).
    #[inline]
    pub(super) fn recycle_prepare(&self, pfn: u64, dma: u64, dma_sync_size: i64) -> bool {
        if self.page_can_be_recycled(pfn) {
            self.sync_for_device(dma, dma_sync_size);
            return true;
        }
        match &self.system {
            None => &self.stats.released_refcnt,
            Some(sys) => &sys.released_refcnt,
        }
        .fetch_add(1, Ordering::Relaxed);
        self.return_page(pfn, dma);
        false
    }

    /// `page_pool_recycle_in_cache`: into the owner's alloc `cache` on
    /// behalf of `by` (`cached`), or `cache_full` and false when it holds
    /// [`PP_ALLOC_CACHE_SIZE`] pages.
    #[inline]
    pub(super) fn recycle_in_cache(&self, cache: &mut Vec<u64>, pfn: u64, by: PutContext) -> bool {
        if cache.len() >= PP_ALLOC_CACHE_SIZE {
            self.stat_cache_full();
            return false;
        }
        self.enter_cache(pfn, by);
        cache.push(pfn);
        self.stat_cached();
        true
    }

    /// `__page_pool_page_can_be_recycled`: the pool holds the only page
    /// reference and the page is not from the emergency reserve
    /// (`!page_is_pfmemalloc`).
    #[inline]
    pub(super) fn page_can_be_recycled(&self, pfn: u64) -> bool {
        let meta = self.meta(pfn);
        meta.page_ref.load(Ordering::Acquire) == 1 && !meta.pfmemalloc.load(Ordering::Relaxed)
    }

    /// `recycle_stat_inc(pool, cached)` (owner only).
    #[inline]
    pub(super) fn stat_cached(&self) {
        match &self.system {
            None => inc1(&self.stats.cached),
            Some(sys) => _ = sys.cached.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// `recycle_stat_inc(pool, cache_full)` (owner only).
    #[inline]
    pub(super) fn stat_cache_full(&self) {
        match &self.system {
            None => inc1(&self.stats.cache_full),
            Some(sys) => _ = sys.cache_full.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// `recycle_stat_inc(pool, ring_full)`.
    #[inline]
    pub(super) fn stat_ring_full(&self) {
        match &self.system {
            None => &self.stats.ring_full,
            Some(sys) => &sys.ring_full,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// `recycle_stat_add(pool, ring, n)`: a pool's own count is read off its
    /// ring's push count; the shared system count is kept explicitly.
    #[inline]
    pub(super) fn stat_ring(&self, n: u64) {
        if let Some(sys) = &self.system {
            sys.ring.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// `page_pool_recycle_in_ring` + the ring-full fallback.
    #[inline]
    pub(super) fn recycle_in_ring(&self, pfn: u64, dma: u64) {
        // Tagged before the push: the consumer may pop it at once.
        self.enter_pool(pfn, PoolLocation::Ring);
        if self.producer.push(pfn).is_ok() {
            self.stat_ring(1);
        } else {
            self.ring_refused(pfn);
            self.stat_ring_full();
            self.return_page(pfn, dma);
        }
    }

    /// `page_pool_return_netmem`: unmap, count the release, drop our page
    /// reference (other holders keep the page alive).
    #[cold]
    pub(super) fn return_page(&self, pfn: u64, dma: u64) {
        self.release_state(pfn, dma);
        self.mem.inner.put_page_ref(pfn, self.order);
    }

    /// `page_pool_release_page`: unmap, count the release, clear the pp
    /// info; the page reference the pool held is left to the caller.
    #[cold]
    pub(super) fn release_state(&self, pfn: u64, dma: u64) {
        self.release_page_dma(pfn, dma);
        let released = self
            .release_cnt
            .fetch_add(1, Ordering::AcqRel)
            .wrapping_add(1);
        let hold = self.hold_cnt.load(Ordering::Acquire);
        if (hold.wrapping_sub(released) as i32) < 0 {
            self.negative_inflight_at_release(hold, released);
        }
        let meta = self.meta(pfn);
        meta.move_to(PoolLocation::Out);
        meta.pp_id.store(0, Ordering::Relaxed);
        meta.dma.store(0, Ordering::Relaxed);
        meta.pp_ref.store(0, Ordering::Relaxed);
    }

    /// `page_pool_inflight`'s law, checked at the release that breaks it.
    #[cold]
    fn negative_inflight_at_release(&self, hold: u32, released: u32) {
        self.violation(PoolViolationKind::NegativeInflight {
            inflight: hold.wrapping_sub(released) as i32,
        });
    }

    /// See [`PagePoolHandle::release_page`].
    pub(super) fn release_page(&self, page: PpPage) -> Result<PageRef, PpPage> {
        if !self.owns(page.pfn) {
            return Err(page);
        }
        if self.meta(page.pfn).pp_ref.load(Ordering::Acquire) != 1 {
            return Err(page);
        }
        let order = page.order;
        let (pfn, dma) = page.into_raw();
        self.release_state(pfn, dma);
        Ok(PageRef::adopt(&self.mem, pfn, order))
    }

    /// A put from a context that may not recycle directly.
    #[inline]
    pub(super) fn put_remote(
        &self,
        page: PpPage,
        dma_sync_size: i64,
        allow_direct: bool,
        ctx: PutContext,
    ) {
        if allow_direct {
            self.violation(PoolViolationKind::DirectRecycleOutsideNapi { context: ctx });
        }
        let (pfn, dma) = page.into_raw();
        if !self.owns(pfn) || self.unref(pfn, 1) != 0 {
            return;
        }
        if self.recycle_prepare(pfn, dma, dma_sync_size) {
            self.recycle_in_ring(pfn, dma);
        }
    }

    /// `page_pool_put_page_bulk` (6.12): each entry that is the last
    /// reference (`page_pool_is_last_ref`) gets `__page_pool_put_page(pool,
    /// netmem, -1, allow_direct)`: released if not recyclable, else synced
    /// and offered to `in_cache` (the alloc cache when direct recycling was
    /// decided, see [`PagePool::put_bulk_decided`]); the pages it refuses
    /// go to the ring together.
    pub(super) fn put_bulk(
        &self,
        data: &mut [Option<PpPage>],
        mut in_cache: impl FnMut(u64) -> bool,
    ) {
        let mut bulk: Vec<(u64, u64)> = Vec::with_capacity(data.len());
        for slot in data.iter_mut() {
            let Some(page) = slot.take() else { continue };
            let (pfn, dma) = page.into_raw();
            if !self.owns(pfn) || self.unref(pfn, 1) != 0 {
                continue;
            }
            if self.recycle_prepare(pfn, dma, -1) && !in_cache(pfn) {
                bulk.push((pfn, dma));
            }
        }
        self.recycle_ring_bulk(&bulk);
    }

    /// The ring half of 6.12's `page_pool_put_page_bulk` (a function of its
    /// own, `page_pool_recycle_ring_bulk`, from 6.13): `__ptr_ring_produce`
    /// each page under one producer lock, `ring += n`; at the first refused
    /// one `ring_full += 1` once, and it and every page after it are
    /// released.
    fn recycle_ring_bulk(&self, bulk: &[(u64, u64)]) {
        let mut rest = bulk.iter();
        let mut pushed = 0;
        for &(pfn, dma) in rest.by_ref() {
            self.enter_pool(pfn, PoolLocation::Ring);
            if self.producer.push(pfn).is_err() {
                self.ring_refused(pfn);
                self.stat_ring_full();
                self.return_page(pfn, dma);
                break;
            }
            pushed += 1;
        }
        self.stat_ring(pushed);
        for &(pfn, dma) in rest {
            self.return_page(pfn, dma);
        }
    }

    pub(super) fn ref_page(&self, page: &PpPage) -> PpPage {
        self.meta(page.pfn).pp_ref.fetch_add(1, Ordering::AcqRel);
        PpPage {
            pfn: page.pfn,
            dma: page.dma,
            order: page.order,
            pool: page.pool,
        }
    }
}
