//! Fragments: several allocations share one page under the bias reference
//! count (`page_pool_dev_alloc_frag`, `page_pool_dev_alloc`,
//! `page_pool_dev_alloc_va`).

use std::sync::atomic::Ordering;

use super::error::PoolAllocError;
use super::page::{Cached, PpPage, PpVa};
use super::params::BIAS_MAX;
use super::pool::PagePool;
use super::stats::inc1;
use crate::layout::PAGE_SIZE;

impl PagePool {
    /// `page_pool_dev_alloc_frag` (`page_pool_alloc_frag_netmem`): `size`
    /// bytes (rounded up to the platform's `dma_get_cache_alignment()`,
    /// [`crate::Platform::dma_get_cache_alignment`]: 1 on x86-64, 128 on
    /// arm64) of a shared page, at `*offset`.
    ///
    /// Every fragment counts in the alloc stats as in Linux 6.12 LTS: the
    /// first of a fresh page through the page's own allocation, a further
    /// fragment that fits `alloc_fast`, a drained page reused at once
    /// `alloc_fast` only. (6.13's "net: page_pool: do not count normal frag
    /// allocation in stats", commit ef04d290c013, dropped the further
    /// fragment's `fast` and added `recycle_cached` to the reuse; it is not
    /// in 6.12.y.)
    pub fn dev_alloc_frag(
        &mut self,
        offset: &mut u32,
        size: u32,
    ) -> Result<PpPage, PoolAllocError> {
        let max_size = (PAGE_SIZE << self.shared.order) as u32;
        if size > max_size {
            return Err(PoolAllocError::FragTooLarge {
                pool: self.shared.id,
                size,
                max: max_size,
            });
        }
        let size = size.next_multiple_of(self.shared.mem.platform().dma_get_cache_alignment());
        *offset = self.frag_offset;
        let mut page = self.frag_page;
        if let Some(p) = page {
            if *offset + size > max_size {
                page = self.drain_frag(p);
                if page.is_some() {
                    // the drained page reused at once: alloc_stat_inc(pool, fast)
                    inc1(&self.shared.stats.fast);
                }
            } else {
                // a further fragment of the current page: alloc_stat_inc(pool, fast)
                self.frag_users += 1;
                self.frag_offset = *offset + size;
                inc1(&self.shared.stats.fast);
                return Ok(self.handout(p));
            }
        }
        let p = match page {
            Some(p) => p,
            None => match self.alloc_netmem() {
                Ok(p) => p,
                Err(e) => {
                    self.frag_page = None;
                    return Err(e);
                }
            },
        };
        self.frag_page = Some(p);
        self.frag_users = 1;
        *offset = 0;
        self.frag_offset = size;
        self.shared
            .meta(p.pfn)
            .pp_ref
            .store(BIAS_MAX, Ordering::Release);
        Ok(self.handout(p))
    }

    /// `page_pool_dev_alloc`: a whole page when `*size` is more than half a
    /// page (`*size` becomes the page size), a fragment otherwise (the last
    /// fragment of a page takes the rest of it, so truesize is right).
    pub fn dev_alloc(
        &mut self,
        offset: &mut u32,
        size: &mut u32,
    ) -> Result<PpPage, PoolAllocError> {
        let max_size = (PAGE_SIZE << self.shared.order) as u32;
        if u64::from(*size) << 1 > u64::from(max_size) {
            *size = max_size;
            *offset = 0;
            return self.dev_alloc_pages();
        }
        let page = self.dev_alloc_frag(offset, *size)?;
        if self.frag_offset + *size > max_size {
            *size = max_size - *offset;
            self.frag_offset = max_size;
        }
        Ok(page)
    }

    /// `page_pool_dev_alloc_va`: like [`Self::dev_alloc`], returning the
    /// buffer's address with its reference.
    pub fn dev_alloc_va(&mut self, size: &mut u32) -> Result<PpVa, PoolAllocError> {
        let mut offset = 0;
        let page = self.dev_alloc(&mut offset, size)?;
        Ok(PpVa { page, offset })
    }

    /// `page_pool_drain_frag`.
    pub(super) fn drain_frag(&mut self, p: Cached) -> Option<Cached> {
        let drain = BIAS_MAX - self.frag_users;
        if self.shared.unref(p.pfn, drain) != 0 {
            return None;
        }
        if self.shared.page_can_be_recycled(p.pfn) {
            self.shared.sync_for_device(p.dma, -1);
            return Some(p);
        }
        self.shared.return_page(p.pfn, p.dma);
        None
    }
}
