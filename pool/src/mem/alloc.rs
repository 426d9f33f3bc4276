//! The page allocator: naturally aligned blocks per node, bulk order-0
//! allocation, freeing, the page reference count that frees a block, and
//! the emergency reserve (pfmemalloc pages) under memory pressure.

use std::sync::atomic::Ordering;

use super::error::MemError;
use super::frames::{pfn_to_host, FrameState, LineBits, PoolLocation};
use super::memory::{HostMemory, MemInner};
use super::node::NodeAlloc;
use super::page::{Page, PageRef};
use crate::layout::PAGE_SIZE;
use crate::lock::lock;
use crate::platform::Coherence;

/// Highest page order the allocator hands out (the kernel's `MAX_PAGE_ORDER`).
pub const MAX_PAGE_ORDER: u32 = 10;

impl HostMemory {
    /// Allocates a (compound) page of `2^order` frames on node `nid`.
    pub fn alloc_pages(&self, order: u32, nid: u32) -> Result<Page, MemError> {
        let pfn = self.inner.alloc_block(order, nid)?;
        Ok(Page::from_raw(pfn, order, nid))
    }

    /// Frees a page from [`Self::alloc_pages`] (drops its reference; the
    /// frames return to the node when no [`PageRef`] remains).
    pub fn free_pages(&self, page: Page) -> Result<(), MemError> {
        self.inner.check_free(page.pfn(), page.order())?;
        self.inner.put_page_ref(page.pfn(), page.order());
        Ok(())
    }

    /// Takes an extra reference on a page (`get_page()`).
    pub fn get_page(&self, page: &Page) -> PageRef {
        self.inner.get_page_ref(self, page.pfn(), page.order())
    }

    /// Frames currently allocated on node `nid`.
    pub fn allocated_pages(&self, nid: u32) -> Result<usize, MemError> {
        self.inner.check_node(nid)?;
        Ok(lock(&self.inner.nodes[nid as usize]).allocated)
    }
}

impl MemInner {
    /// Allocates one naturally aligned block; returns the head pfn.
    pub(crate) fn alloc_block(&self, order: u32, nid: u32) -> Result<u64, MemError> {
        self.check_node(nid)?;
        if order > MAX_PAGE_ORDER {
            return Err(MemError::OrderTooHigh {
                order,
                max: MAX_PAGE_ORDER,
            });
        }
        if self.take_injected() {
            return Err(MemError::Injected { order, nid });
        }
        let (idx, pfmemalloc) = {
            let mut node = lock(&self.nodes[nid as usize]);
            let from_reserve = self.below_min_watermark(&node, 1 << order);
            let idx = node
                .find_block(order)
                .ok_or(MemError::OutOfMemory { order, nid })?;
            (idx, from_reserve)
        };
        let head = nid as u64 * self.cfg.pages_per_node as u64 + idx as u64;
        self.init_block(head, order, pfmemalloc);
        Ok(head)
    }

    /// Whether taking `frames` more frames of `node` dips into the
    /// emergency reserve ([`MemConfig::pfmemalloc_reserve`](super::MemConfig::pfmemalloc_reserve)):
    /// the page allocator then serves the allocation ignoring the
    /// watermarks (`ALLOC_NO_WATERMARKS`) and marks the page pfmemalloc
    /// (`page_set_pfmemalloc` in `get_page_from_freelist`).
    #[inline]
    fn below_min_watermark(&self, node: &NodeAlloc, frames: usize) -> bool {
        let reserve = self.cfg.pfmemalloc_reserve;
        let free = self.cfg.pages_per_node - node.allocated;
        reserve > 0 && free < reserve + frames
    }

    /// Allocates up to `n` order-0 pages on `nid` (`alloc_pages_bulk_node`);
    /// may return fewer, or none.
    pub(crate) fn alloc_bulk(&self, nid: u32, n: usize, out: &mut Vec<u64>) -> usize {
        if self.check_node(nid).is_err() {
            return 0;
        }
        let base = nid as u64 * self.cfg.pages_per_node as u64;
        let start = out.len();
        let mut pfmemalloc = false;
        {
            let mut node = lock(&self.nodes[nid as usize]);
            // `__alloc_pages_bulk`: no zone above `watermark + nr_pages`:
            // one page from the single-page allocator (`goto failed`).
            let n = if self.below_min_watermark(&node, n) {
                pfmemalloc = self.below_min_watermark(&node, 1);
                n.min(1)
            } else {
                n
            };
            for _ in 0..n {
                if self.take_injected() {
                    break;
                }
                match node.find_block(0) {
                    Some(idx) => out.push(base + idx as u64),
                    None => break,
                }
            }
        }
        for &pfn in &out[start..] {
            self.init_block(pfn, 0, pfmemalloc);
        }
        out.len() - start
    }

    fn init_block(&self, head: u64, order: u32, pfmemalloc: bool) {
        let coherent_cpu = self.cfg.platform.coherence() == Coherence::Coherent;
        for pfn in head..head + (1u64 << order) {
            let mut f = lock(&self.frames[pfn as usize]);
            if f.ram.is_empty() {
                f.ram = vec![0; PAGE_SIZE];
                if !coherent_cpu {
                    f.cpu = vec![0; PAGE_SIZE];
                }
            }
            f.state = FrameState::Allocated { head, order };
            f.dirty = LineBits::ZERO;
            f.dev_owned = LineBits::ZERO;
            f.clear_ownership();
            f.coherent = false;
            f.map_count = 0;
        }
        let m = &self.meta[head as usize];
        m.pp_ref.store(0, Ordering::Relaxed);
        m.pp_id.store(0, Ordering::Relaxed);
        m.dma.store(0, Ordering::Relaxed);
        m.pp_loc.store(PoolLocation::Out as u8, Ordering::Relaxed);
        m.pfmemalloc.store(pfmemalloc, Ordering::Relaxed);
        m.page_ref.store(1, Ordering::Release);
    }

    fn check_free(&self, head: u64, order: u32) -> Result<(), MemError> {
        let f = lock(&self.frames[head as usize]);
        if f.state != (FrameState::Allocated { head, order }) {
            return Err(MemError::BadFree {
                addr: pfn_to_host(head),
                order,
            });
        }
        drop(f);
        let mapped: u32 = (head..head + (1u64 << order))
            .map(|p| lock(&self.frames[p as usize]).map_count)
            .sum();
        if mapped > 0 {
            return Err(MemError::FreeMapped {
                addr: pfn_to_host(head),
                mappings: mapped,
            });
        }
        Ok(())
    }

    pub(crate) fn get_page_ref(&self, mem: &HostMemory, head: u64, order: u32) -> PageRef {
        self.meta[head as usize]
            .page_ref
            .fetch_add(1, Ordering::AcqRel);
        PageRef::adopt(mem, head, order)
    }

    /// Drops one `_refcount`; frees the block when it was the last.
    pub(crate) fn put_page_ref(&self, head: u64, order: u32) {
        let prev = self.meta[head as usize]
            .page_ref
            .fetch_sub(1, Ordering::AcqRel);
        if prev == 1 {
            self.release_block(head, order);
        } else if prev == 0 {
            tracing::error!(page = %pfn_to_host(head), "put_page on a page with refcount 0");
            self.meta[head as usize]
                .page_ref
                .store(0, Ordering::Release);
        }
    }

    fn release_block(&self, head: u64, order: u32) {
        for pfn in head..head + (1u64 << order) {
            let mut f = lock(&self.frames[pfn as usize]);
            f.state = FrameState::Free;
            f.coherent = false;
        }
        let nid = self.nid_of(head);
        let idx = (head - nid as u64 * self.cfg.pages_per_node as u64) as usize;
        lock(&self.nodes[nid as usize]).free_block(idx, order);
    }
}
