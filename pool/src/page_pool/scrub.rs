//! The pool's side of `pool->dma_mapped` ([`super::dma_index::DmaIndex`]):
//! registering a page at map time (`page_pool_register_dma_index`), the
//! release that unmaps it only when its id was still there
//! (`page_pool_release_dma_index`), and destroy's unmap of every page still
//! tracked (`page_pool_scrub`).

use std::sync::atomic::Ordering;

use super::shared::PoolShared;
use crate::addr::DmaAddr;
use crate::dma::DmaAttrs;
use crate::layout::PAGE_SIZE;
use crate::lock::lock;

impl PoolShared {
    /// `page_pool_register_dma_index`, after `page_pool_dma_map` mapped `pfn`.
    #[cold]
    pub(super) fn register_dma_index(&self, pfn: u64) {
        let id = lock(&self.dma_mapped).register(pfn);
        tracing::trace!(pool = self.id, pfn, id, "DMA mapping tracked");
    }

    /// `__page_pool_release_page_dma`: unmaps a page leaving the pool,
    /// unless `page_pool_scrub` already did (`page_pool_release_dma_index`
    /// found no index): no second unmap.
    #[cold]
    pub(super) fn release_page_dma(&self, pfn: u64, dma: u64) {
        if !self.dma_map {
            return;
        }
        let mut index = lock(&self.dma_mapped);
        if !index.release(pfn) {
            tracing::debug!(pool = self.id, pfn, "release: unmapped at destroy already");
            return;
        }
        self.unmap_page_dma(dma);
        drop(index);
    }

    /// `page_pool_scrub`'s unmap (6.12 LTS, from 6.15): every page still
    /// tracked -- in flight, or in the ring -- is unmapped now, in id
    /// order; the caller turned `dma_sync` off first. Returns how many.
    #[cold]
    pub(super) fn scrub_dma(&self) -> usize {
        let mut unmapped = 0;
        let mut index = lock(&self.dma_mapped);
        while let Some(pfn) = index.take_first() {
            self.unmap_page_dma(self.meta(pfn).dma.load(Ordering::Relaxed));
            unmapped += 1;
        }
        drop(index);
        unmapped
    }

    /// Pages whose DMA mapping the pool still tracks.
    pub(super) fn dma_mapped_pages(&self) -> usize {
        lock(&self.dma_mapped).len()
    }

    /// `dma_unmap_page_attrs(dev, dma, PAGE_SIZE << order, dir,
    /// DMA_ATTR_SKIP_CPU_SYNC)`.
    fn unmap_page_dma(&self, dma: u64) {
        let Some(dev) = &self.dev else { return };
        if let Err(e) = dev.unmap_page_attrs(
            DmaAddr::new(dma),
            PAGE_SIZE << self.order,
            self.dma_dir,
            DmaAttrs {
                skip_cpu_sync: true,
            },
        ) {
            tracing::error!(pool = self.id, "unmap on release failed: {e}");
        }
    }
}
