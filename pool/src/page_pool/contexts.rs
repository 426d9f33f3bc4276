//! The calling contexts of a pool: [`NapiCtx`] (inside the pool's NAPI
//! poll, the only context that may recycle directly) and [`PagePoolHandle`]
//! (every other context or thread), and the registry's lookup of a handle.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::error::{PoolViolation, PutContext};
use super::page::{PpPage, PpVa};
use super::pool::PagePool;
use super::shared::PoolShared;
use super::stats::PagePoolStats;
use crate::addr::DmaAddr;
use crate::dma::DmaDirection;
use crate::lock::lock;
use crate::mem::PageRef;
use crate::netdev::NapiId;
use crate::registry::{PagePoolInfo, PoolRegistry};

impl PagePool {
    /// A handle for puts and queries from any other context or thread.
    pub fn handle(&self) -> PagePoolHandle {
        PagePoolHandle {
            shared: self.shared.clone(),
        }
    }

    /// Enters the NAPI poll of `napi`: puts through the returned context may
    /// recycle directly when `napi` is the pool's NAPI (or, for a pool bound
    /// to no NAPI, when the caller claims `allow_direct`).
    pub fn napi_ctx(&mut self, napi: NapiId) -> NapiCtx<'_> {
        NapiCtx { pool: self, napi }
    }
}

/// "We are in the NAPI poll of this instance": the only context from which
/// pages may be recycled directly into the alloc cache. Derefs to the pool
/// for allocation.
pub struct NapiCtx<'a> {
    pool: &'a mut PagePool,
    napi: NapiId,
}

impl fmt::Debug for NapiCtx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NapiCtx")
            .field("napi", &self.napi)
            .field("pool", &self.pool.shared.id)
            .finish()
    }
}

impl Deref for NapiCtx<'_> {
    type Target = PagePool;
    fn deref(&self) -> &PagePool {
        self.pool
    }
}

impl DerefMut for NapiCtx<'_> {
    fn deref_mut(&mut self) -> &mut PagePool {
        self.pool
    }
}

impl NapiCtx<'_> {
    /// The NAPI instance this context runs.
    pub fn napi_id(&self) -> NapiId {
        self.napi
    }

    /// `page_pool_put_page` from this NAPI poll, deciding like the kernel's
    /// `page_pool_put_unrefed_netmem()`: the page goes into the alloc cache
    /// when the caller claims `allow_direct` (and may, here) or, without a
    /// claim, when `page_pool_napi_local()` holds: this is the pool's own
    /// NAPI. Every other put goes to the ptr_ring (`recycle_ring`).
    ///
    /// That includes the skb pages another NAPI instance frees: the
    /// kernel's `napi_pp_put_page()` (skbuff.c) puts every one with
    /// `page_pool_put_full_netmem(pp, netmem, false)`, so from another
    /// device's TX-completion NAPI or another CPU's backlog NAPI
    /// `page_pool_napi_local()` decides, and it is false there: the pool's
    /// NAPI (`napi->list_owner`) is polled on another CPU. The model has no
    /// CPUs; a NAPI instance other than the pool's stands for one polled on
    /// another CPU.
    #[inline]
    pub fn put_page(&mut self, page: PpPage, dma_sync_size: i64, allow_direct: bool) {
        let bound = self.pool.shared.napi;
        let own = bound == Some(self.napi);
        let claim_ok = bound.is_none() || own;
        if allow_direct && !claim_ok {
            self.pool.shared.put_remote(
                page,
                dma_sync_size,
                true,
                PutContext::OtherNapi(self.napi),
            );
            return;
        }
        self.put_decided(page, dma_sync_size, allow_direct, allow_direct || own);
    }

    /// The put once the direct decision is made: into the alloc cache on
    /// behalf of this NAPI poll when `direct`, else to the ring.
    #[inline]
    fn put_decided(&mut self, page: PpPage, dma_sync_size: i64, allow_direct: bool, direct: bool) {
        let (pfn, dma) = page.into_raw();
        let sh = &*self.pool.shared;
        if !sh.owns(pfn) || sh.unref(pfn, 1) != 0 {
            return;
        }
        let by = PutContext::NapiPoll {
            napi: self.napi,
            allow_direct,
        };
        self.pool
            .put_unrefed(pfn, dma, dma_sync_size, direct.then_some(by));
    }

    /// For the cache census's tests only: a full-page put from this NAPI
    /// poll with the direct decision given instead of made, as a broken
    /// decision would make it. A wrong `direct = true` still puts the page
    /// into the alloc cache; the census names it.
    #[doc(hidden)]
    pub fn put_full_page_decided_for_test(
        &mut self,
        page: PpPage,
        allow_direct: bool,
        direct: bool,
    ) {
        self.put_decided(page, -1, allow_direct, direct);
    }

    /// `page_pool_put_page_bulk` from this NAPI poll (6.8 to 6.12): direct
    /// recycling is decided once for the whole call by
    /// `page_pool_napi_local()`, true when this is the pool's own NAPI (a
    /// pool bound to no NAPI: never). Then every page goes into the alloc
    /// cache (`cached`; `cache_full` once it holds 128, and the rest to
    /// the ring), else all to the ring. Every entry is taken (the slice is
    /// left all `None`).
    pub fn put_page_bulk(&mut self, data: &mut [Option<PpPage>]) {
        let own = self.pool.shared.napi == Some(self.napi);
        self.put_bulk_decided(data, own);
    }

    /// The bulk put once the direct decision is made: into the alloc cache
    /// on behalf of this NAPI poll when `direct`, else to the ring.
    fn put_bulk_decided(&mut self, data: &mut [Option<PpPage>], direct: bool) {
        let by = PutContext::NapiPoll {
            napi: self.napi,
            allow_direct: false,
        };
        self.pool.put_bulk_decided(data, direct.then_some(by));
    }

    /// For the cache census's tests only: a bulk put from this NAPI poll
    /// with the direct decision given instead of made (see
    /// [`Self::put_full_page_decided_for_test`]).
    #[doc(hidden)]
    pub fn put_page_bulk_decided_for_test(&mut self, data: &mut [Option<PpPage>], direct: bool) {
        self.put_bulk_decided(data, direct);
    }

    /// `page_pool_put_full_page` from this NAPI poll.
    #[inline]
    pub fn put_full_page(&mut self, page: PpPage, allow_direct: bool) {
        self.put_page(page, -1, allow_direct);
    }

    /// `page_pool_recycle_direct`: put with `dma_sync_size = -1`, direct.
    #[inline]
    pub fn recycle_direct(&mut self, page: PpPage) {
        self.put_page(page, -1, true);
    }

    /// `page_pool_free_va` from this NAPI poll.
    pub fn free_va(&mut self, va: PpVa, allow_direct: bool) {
        self.put_page(va.page, -1, allow_direct);
    }
}

/// A `Clone + Send + Sync` handle on a pool for every context other than its
/// NAPI poll: puts go to the recycle ring.
#[derive(Clone)]
pub struct PagePoolHandle {
    shared: Arc<PoolShared>,
}

impl fmt::Debug for PagePoolHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

impl PagePoolHandle {
    pub(crate) fn from_shared(shared: Arc<PoolShared>) -> Self {
        Self { shared }
    }
    /// The pool's id.
    pub fn id(&self) -> u32 {
        self.shared.id
    }
    /// `page_pool_put_page` from another context: to the ring. Claiming
    /// `allow_direct` here is reported and ignored.
    #[inline]
    pub fn put_page(&self, page: PpPage, dma_sync_size: i64, allow_direct: bool) {
        let ctx = if allow_direct && self.shared.destroyed.load(Ordering::Acquire) {
            PutContext::Destroyed
        } else {
            PutContext::Remote
        };
        self.shared
            .put_remote(page, dma_sync_size, allow_direct, ctx);
    }
    /// `page_pool_put_full_page` from another context.
    #[inline]
    pub fn put_full_page(&self, page: PpPage, allow_direct: bool) {
        self.put_page(page, -1, allow_direct);
    }
    /// `page_pool_free_va` from another context.
    pub fn free_va(&self, va: PpVa, allow_direct: bool) {
        self.put_page(va.page, -1, allow_direct);
    }
    /// `page_pool_put_page_bulk` from another context: `page_pool_napi_local`
    /// is false here, so the recyclable pages go to the ring.
    pub fn put_page_bulk(&self, data: &mut [Option<PpPage>]) {
        self.shared.put_bulk(data, |_| false);
    }
    /// Another pp reference on `page` (`page_pool_ref_page`).
    pub fn ref_page(&self, page: &PpPage) -> PpPage {
        self.shared.ref_page(page)
    }
    /// A plain page reference (`get_page`).
    pub fn get_page(&self, page: &PpPage) -> PageRef {
        self.shared
            .mem
            .inner
            .get_page_ref(&self.shared.mem, page.pfn, page.order)
    }
    /// `page_pool_release_page` (the kernel's before 6.4; the skb
    /// coalesce / frags path of the seed notes, "release page_pool state"):
    /// disconnects `page` from the pool so it lives on as a plain page.
    /// The DMA mapping is removed (`dma_unmap_page_attrs`, skipping the CPU
    /// sync), the page leaves the in-flight count (`release_cnt += 1`, no
    /// stat moves), it is no longer a pp page
    /// ([`crate::HostMemory::page_pool_of`] says `None`), and the page
    /// reference the pool held comes back as a [`PageRef`]: dropping it
    /// (the kernel's `put_page`) frees the page.
    ///
    /// `page` must be the only pp reference: a page with other pp references
    /// (fragments, [`Self::ref_page`]) is given back unchanged in `Err`, as
    /// is a page of another pool (also recorded as a violation).
    pub fn release_page(&self, page: PpPage) -> Result<PageRef, PpPage> {
        self.shared.release_page(page)
    }
    /// `page_pool_get_dma_addr`.
    pub fn get_dma_addr(&self, page: &PpPage) -> Option<DmaAddr> {
        page.dma_addr()
    }
    /// `page_pool_get_dma_dir`.
    pub fn get_dma_dir(&self) -> DmaDirection {
        self.shared.dma_dir
    }
    /// `page_pool_get_stats`.
    pub fn get_stats(&self) -> PagePoolStats {
        self.shared.stats()
    }
    /// `hold_cnt - release_cnt`.
    pub fn inflight(&self) -> i32 {
        self.shared.inflight()
    }
    /// Recorded misuse.
    pub fn violations(&self) -> Vec<PoolViolation> {
        self.shared.violations()
    }
    /// The netlink view of this pool.
    pub fn info(&self) -> PagePoolInfo {
        self.shared.info()
    }
    /// Whether the pool was destroyed and every page came back.
    pub fn is_freed(&self) -> bool {
        lock(&self.shared.shutdown).freed
    }
}

impl PoolRegistry {
    /// A handle on the listed pool `id` (alive or detached), e.g. the owner
    /// [`crate::HostMemory::page_pool_of`] named (the kernel's `page->pp`).
    pub fn handle(&self, id: u32) -> Option<PagePoolHandle> {
        let shared = self.find(id)?.into_any().downcast::<PoolShared>().ok()?;
        Some(PagePoolHandle::from_shared(shared))
    }
}
