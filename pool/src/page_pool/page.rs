//! The pages a pool hands out: [`PpPage`] (one `pp_ref_count` reference)
//! and [`PpVa`] (a buffer address with its reference).

use std::fmt;

use crate::addr::{DmaAddr, HostAddr};
use crate::dma::DmaPage;
use crate::layout::PAGE_SIZE;
use crate::mem::pfn_to_host;

/// A page (or fragment reference) handed out by a pool: one
/// `pp_ref_count` reference. Not `Clone`: give it back exactly once with a
/// put (or take more references with [`PagePoolHandle::ref_page`](crate::PagePoolHandle::ref_page)). Dropping
/// it without a put leaks it in flight, as in the kernel, and logs a warning.
#[must_use = "a PpPage stays in flight until put back into its pool"]
pub struct PpPage {
    pub(super) pfn: u64,
    pub(super) dma: u64,
    pub(super) order: u32,
    pub(super) pool: u32,
}

impl fmt::Debug for PpPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PpPage")
            .field("page", &self.host_addr())
            .field("dma", &self.dma_addr())
            .field("order", &self.order)
            .field("pool", &self.pool)
            .finish()
    }
}

impl PpPage {
    /// Host address of the (head) page.
    #[inline]
    pub fn host_addr(&self) -> HostAddr {
        pfn_to_host(self.pfn)
    }
    /// Page frame number of the head frame.
    #[inline]
    pub fn pfn(&self) -> u64 {
        self.pfn
    }
    /// DMA address of the page (`page_pool_get_dma_addr`), if the pool maps.
    #[inline]
    pub fn dma_addr(&self) -> Option<DmaAddr> {
        (self.dma != 0).then_some(DmaAddr::new(self.dma))
    }
    /// Page order.
    #[inline]
    pub fn order(&self) -> u32 {
        self.order
    }
    /// Bytes in the page (`PAGE_SIZE << order`).
    #[inline]
    pub fn len(&self) -> usize {
        PAGE_SIZE << self.order
    }
    /// Never true; present for clippy's `len_without_is_empty`.
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Id of the pool it came from.
    #[inline]
    pub fn pool_id(&self) -> u32 {
        self.pool
    }

    #[inline]
    pub(super) fn into_raw(self) -> (u64, u64) {
        let raw = (self.pfn, self.dma);
        std::mem::forget(self);
        raw
    }
}

impl Drop for PpPage {
    fn drop(&mut self) {
        tracing::warn!(
            pool = self.pool,
            page = %self.host_addr(),
            "page pool page dropped without put: it stays in flight (leak)"
        );
    }
}

/// A buffer from [`PagePool::dev_alloc_va`](crate::PagePool::dev_alloc_va): the kernel returns a bare
/// virtual address; here the address comes with the reference it stands for.
#[derive(Debug)]
#[must_use = "a PpVa stays in flight until freed with free_va"]
pub struct PpVa {
    pub(super) page: PpPage,
    pub(super) offset: u32,
}

impl PpVa {
    /// The buffer's host address (`page_address(page) + offset`).
    pub fn addr(&self) -> HostAddr {
        HostAddr::new(self.page.host_addr().raw_value() + u64::from(self.offset))
    }
    /// The buffer's DMA address, if the pool maps.
    pub fn dma_addr(&self) -> Option<DmaAddr> {
        self.page
            .dma_addr()
            .map(|d| DmaAddr::new(d.raw_value() + u64::from(self.offset)))
    }
    /// Offset in its page.
    pub fn offset(&self) -> u32 {
        self.offset
    }
    /// The page it lies in.
    pub fn page(&self) -> &PpPage {
        &self.page
    }
    /// Turns it back into the page reference (`virt_to_head_page`).
    pub fn into_page(self) -> PpPage {
        self.page
    }
}

/// A page as the alloc cache and the fragment state hold it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cached {
    pub(super) pfn: u64,
    pub(super) dma: u64,
}

impl DmaPage for PpPage {
    #[inline]
    fn pfn(&self) -> u64 {
        self.pfn
    }
    #[inline]
    fn order(&self) -> u32 {
        self.order
    }
}
