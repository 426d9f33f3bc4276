//! Page handles: the owning [`Page`] from the allocator, the extra
//! reference [`PageRef`], and the `struct page` queries on an address.

use std::sync::atomic::Ordering;

use super::error::MemError;
use super::frames::{pfn_to_host, FrameState};
use super::memory::HostMemory;
use crate::addr::HostAddr;
use crate::layout::PAGE_SIZE;
use crate::lock::lock;

/// A (compound) page frame handed out by [`HostMemory::alloc_pages`]. It is
/// an owning handle: give it back with [`HostMemory::free_pages`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a Page leaks unless freed with HostMemory::free_pages"]
pub struct Page {
    pfn: u64,
    order: u32,
    nid: u32,
}

impl Page {
    pub(crate) fn from_raw(pfn: u64, order: u32, nid: u32) -> Self {
        Self { pfn, order, nid }
    }
    /// Host address of the first byte.
    #[inline]
    pub fn host_addr(&self) -> HostAddr {
        pfn_to_host(self.pfn)
    }
    /// Allocation order.
    #[inline]
    pub fn order(&self) -> u32 {
        self.order
    }
    /// NUMA node.
    #[inline]
    pub fn nid(&self) -> u32 {
        self.nid
    }
    /// Page frame number of the head frame.
    #[inline]
    pub fn pfn(&self) -> u64 {
        self.pfn
    }
    /// Size in bytes (`PAGE_SIZE << order`).
    #[inline]
    pub fn len(&self) -> usize {
        PAGE_SIZE << self.order
    }
    /// Never true; present for clippy's `len_without_is_empty`.
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// An extra reference on a page (the kernel's `get_page()`), as held by
/// something outside the page pool, e.g. an skb that took the page as a
/// plain fragment. While it lives, a page pool cannot recycle the page and
/// releases it instead (`recycle-released-refcnt`). Dropping it puts the
/// reference; the last reference frees the page.
#[derive(Debug)]
pub struct PageRef {
    mem: HostMemory,
    pfn: u64,
    order: u32,
}

impl PageRef {
    /// Takes over a page reference someone already holds (e.g. the one a
    /// page pool held, at `page_pool_release_page`).
    pub(crate) fn adopt(mem: &HostMemory, pfn: u64, order: u32) -> Self {
        Self {
            mem: mem.clone(),
            pfn,
            order,
        }
    }
    /// Host address of the page.
    pub fn host_addr(&self) -> HostAddr {
        pfn_to_host(self.pfn)
    }
    /// Page frame number of the head frame.
    pub fn pfn(&self) -> u64 {
        self.pfn
    }
    /// Page order.
    pub fn order(&self) -> u32 {
        self.order
    }
    /// Bytes in the page (`PAGE_SIZE << order`).
    pub fn len(&self) -> usize {
        PAGE_SIZE << self.order
    }
    /// Never true; present for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl Drop for PageRef {
    fn drop(&mut self) {
        self.mem.inner.put_page_ref(self.pfn, self.order);
    }
}

impl HostMemory {
    /// Current `_refcount` of the page at `addr` (0 if free).
    pub fn page_ref_count(&self, addr: HostAddr) -> Result<u32, MemError> {
        let pfn = self.inner.host_to_pfn(addr, 1)?;
        let head = match lock(&self.inner.frames[pfn as usize]).state {
            FrameState::Free => return Ok(0),
            FrameState::Allocated { head, .. } => head,
        };
        Ok(self.inner.meta[head as usize]
            .page_ref
            .load(Ordering::Acquire))
    }

    /// The id of the page pool the page holding `addr` belongs to (any
    /// address inside a compound page counts for its head page), or `None`
    /// for a free page, an address outside memory, or a page that is not a
    /// page pool page (never was, or was released from its pool). The
    /// kernel's `page_pool_page_is_pp()` (the `pp_magic` signature check)
    /// followed by `page->pp->user.id`. A page in a pool's cache or ring
    /// still belongs to it.
    pub fn page_pool_of(&self, addr: HostAddr) -> Option<u32> {
        let pfn = self.inner.host_to_pfn(addr, 1).ok()?;
        let head = match lock(&self.inner.frames[pfn as usize]).state {
            FrameState::Free => return None,
            FrameState::Allocated { head, .. } => head,
        };
        let id = self.inner.meta[head as usize].pp_id.load(Ordering::Acquire);
        (id != 0).then_some(id)
    }

    /// Whether the page holding `addr` is a page pool page
    /// (`page_pool_page_is_pp()`); see [`Self::page_pool_of`].
    pub fn page_is_pp(&self, addr: HostAddr) -> bool {
        self.page_pool_of(addr).is_some()
    }

    /// Whether the page holding `addr` came from the emergency reserve
    /// (`page_is_pfmemalloc()`; see [`MemConfig::pfmemalloc_reserve`](super::MemConfig::pfmemalloc_reserve)).
    /// False for a free page or an address outside memory.
    pub fn page_is_pfmemalloc(&self, addr: HostAddr) -> bool {
        let Ok(pfn) = self.inner.host_to_pfn(addr, 1) else {
            return false;
        };
        let head = match lock(&self.inner.frames[pfn as usize]).state {
            FrameState::Free => return false,
            FrameState::Allocated { head, .. } => head,
        };
        self.inner.meta[head as usize]
            .pfmemalloc
            .load(Ordering::Acquire)
    }
}
