//! Allocation: the alloc cache (fast path, inlined), its refill from the
//! ring, and the slow path from the page allocator (cold), each with its
//! named counter.

use std::sync::atomic::Ordering;

use super::error::PoolAllocError;
use super::page::{Cached, PpPage};
use super::params::PP_ALLOC_CACHE_REFILL;
use super::pool::PagePool;
use super::stats::inc1;
use crate::dma::DmaAttrs;
use crate::layout::PAGE_SIZE;
use crate::mem::PoolLocation;

impl PagePool {
    /// `page_pool_dev_alloc_pages`: one whole page.
    #[inline]
    pub fn dev_alloc_pages(&mut self) -> Result<PpPage, PoolAllocError> {
        let c = self.alloc_netmem()?;
        Ok(self.handout(c))
    }

    #[inline]
    pub(super) fn handout(&self, c: Cached) -> PpPage {
        PpPage {
            pfn: c.pfn,
            dma: c.dma,
            order: self.shared.order,
            pool: self.shared.id,
        }
    }

    /// A page from the alloc cache, with its DMA address from `struct page`.
    #[inline]
    pub(super) fn cached(&self, pfn: u64) -> Cached {
        Cached {
            pfn,
            dma: self.mem.meta[pfn as usize].dma.load(Ordering::Relaxed),
        }
    }

    /// `page_pool_alloc_netmems`: cache, then ring refill, then slow path.
    #[inline]
    pub(super) fn alloc_netmem(&mut self) -> Result<Cached, PoolAllocError> {
        if self.inject_armed {
            self.check_injection()?;
        }
        if let Some(pfn) = self.cache.pop() {
            self.shared.leave_cache(pfn);
            inc1(&self.shared.stats.fast);
            return Ok(self.cached(pfn));
        }
        if let Some(c) = self.refill_alloc_cache() {
            return Ok(c);
        }
        self.alloc_slow()
    }

    #[cold]
    pub(super) fn check_injection(&mut self) -> Result<(), PoolAllocError> {
        let fail = self.inject.should_fail();
        self.inject_armed = self.inject.armed();
        if fail {
            tracing::debug!(
                pool = self.shared.id,
                "injected page pool allocation failure"
            );
            return Err(PoolAllocError::Injected {
                pool: self.shared.id,
            });
        }
        Ok(())
    }

    #[inline]
    pub(super) fn pref_nid(&self) -> u32 {
        self.nid.unwrap_or_else(|| self.shared.mem.local_node())
    }

    /// `page_pool_refill_alloc_cache`.
    #[cold]
    pub(super) fn refill_alloc_cache(&mut self) -> Option<Cached> {
        let pref = self.pref_nid();
        let ppn = self.mem.cfg.pages_per_node as u64;
        let (lo, hi) = (u64::from(pref) * ppn, u64::from(pref + 1) * ppn);
        let consumer = self.consumer.as_mut()?;
        if consumer.is_empty() {
            inc1(&self.shared.stats.empty);
            return None;
        }
        while let Some(pfn) = consumer.pop() {
            let dma = self.mem.meta[pfn as usize].dma.load(Ordering::Relaxed);
            if (lo..hi).contains(&pfn) {
                self.shared.ring_to_cache(pfn);
                self.cache.push(pfn);
            } else {
                // NUMA mismatch: release one page, fall through to the slow path.
                self.shared.return_page(pfn, dma);
                inc1(&self.shared.stats.waive);
                break;
            }
            if self.cache.len() >= PP_ALLOC_CACHE_REFILL {
                break;
            }
        }
        let pfn = self.cache.pop()?;
        self.shared.leave_cache(pfn);
        inc1(&self.shared.stats.refill);
        Some(self.cached(pfn))
    }

    /// Maps a fresh page and makes it ours (`page_pool_dma_map` +
    /// `page_pool_set_pp_info`); false if the mapping failed.
    pub(super) fn adopt(&mut self, pfn: u64) -> Option<Cached> {
        let sh = &*self.shared;
        let mut dma = 0;
        if sh.dma_map {
            let dev = sh.dev.as_ref()?;
            match dev.map_raw(
                pfn,
                sh.order,
                0,
                PAGE_SIZE << sh.order,
                sh.dma_dir,
                DmaAttrs {
                    skip_cpu_sync: true,
                },
            ) {
                Ok(a) => dma = a.raw_value(),
                Err(e) => {
                    tracing::debug!(pool = sh.id, "slow path: DMA map failed: {e}");
                    sh.mem.inner.put_page_ref(pfn, sh.order);
                    return None;
                }
            }
            sh.register_dma_index(pfn);
            sh.sync_for_device(dma, i64::from(sh.max_len));
        }
        let meta = sh.meta(pfn);
        meta.dma.store(dma, Ordering::Relaxed);
        meta.pp_id.store(sh.id, Ordering::Relaxed);
        meta.pp_ref.store(1, Ordering::Release);
        sh.hold_cnt.fetch_add(1, Ordering::AcqRel);
        Some(Cached { pfn, dma })
    }

    /// `__page_pool_alloc_netmems_slow`.
    #[cold]
    pub(super) fn alloc_slow(&mut self) -> Result<Cached, PoolAllocError> {
        let nid = self.pref_nid();
        let order = self.shared.order;
        let exhausted = PoolAllocError::Exhausted {
            pool: self.shared.id,
        };
        if order > 0 {
            let pfn = match self.mem.alloc_block(order, nid) {
                Ok(pfn) => pfn,
                Err(e) => {
                    tracing::debug!(pool = self.shared.id, "slow path: {e}");
                    return Err(exhausted);
                }
            };
            let c = self.adopt(pfn).ok_or(exhausted)?;
            inc1(&self.shared.stats.slow_high_order);
            return Ok(c);
        }
        let mut bulk = std::mem::take(&mut self.bulk);
        bulk.clear();
        let got = self.mem.alloc_bulk(nid, PP_ALLOC_CACHE_REFILL, &mut bulk);
        if got == 0 {
            tracing::debug!(
                pool = self.shared.id,
                nid,
                "slow path: page allocator empty"
            );
        }
        for &pfn in &bulk {
            if let Some(c) = self.adopt(pfn) {
                self.shared.enter_pool(c.pfn, PoolLocation::AllocCache);
                self.cache.push(c.pfn);
            }
        }
        self.bulk = bulk;
        let pfn = self.cache.pop().ok_or(exhausted)?;
        self.shared.leave_cache(pfn);
        inc1(&self.shared.stats.slow);
        Ok(self.cached(pfn))
    }
}
