//! The pool's DMA-mapped pages (`pool->dma_mapped`, an `XA_FLAGS_ALLOC1`
//! xarray), 6.12 LTS as backported from 6.15 ("page_pool: Track DMA-mapped
//! pages and unmap them when destroying the pool"): every page the pool
//! maps gets the lowest free id from 1 (`page_pool_register_dma_index`,
//! `xa_alloc`); releasing the page takes its id back
//! (`page_pool_release_dma_index`, `xa_cmpxchg`), and only a page whose id
//! was still there is unmapped; destroy unmaps every page still tracked, in
//! id order (`page_pool_scrub`, `xa_for_each`). The index's lock is held
//! across each unmap, so a release racing the scrub unmaps a page exactly
//! once.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// `pool->dma_mapped` with the id each page carries (the kernel keeps it in
/// the upper bits of `page->pp_magic`).
#[derive(Debug, Default)]
pub(super) struct DmaIndex {
    /// id -> page frame, in id order (`xa_for_each`).
    by_id: BTreeMap<u32, u64>,
    /// page frame -> id (`netmem_get_dma_index`).
    id_of: HashMap<u64, u32>,
    /// Ids below `next` given back, reused lowest first (`xa_alloc`).
    free: BTreeSet<u32>,
    /// The lowest id never handed out.
    next: u32,
}

impl DmaIndex {
    /// `page_pool_register_dma_index`: tracks `pfn` under the lowest free
    /// id (1 and up); returns the id.
    pub(super) fn register(&mut self, pfn: u64) -> u32 {
        let id = match self.free.pop_first() {
            Some(id) => id,
            None => {
                self.next = self.next.max(1);
                let id = self.next;
                self.next += 1;
                id
            }
        };
        self.by_id.insert(id, pfn);
        self.id_of.insert(pfn, id);
        id
    }

    /// `page_pool_release_dma_index`: stops tracking `pfn`; false when it
    /// was not tracked (already unmapped by `page_pool_scrub`): the caller
    /// must not unmap it again.
    pub(super) fn release(&mut self, pfn: u64) -> bool {
        let Some(id) = self.id_of.remove(&pfn) else {
            return false;
        };
        self.by_id.remove(&id);
        self.free.insert(id);
        true
    }

    /// The tracked page with the lowest id, no longer tracked (one step of
    /// `page_pool_scrub`'s `xa_for_each`).
    pub(super) fn take_first(&mut self) -> Option<u64> {
        let (id, pfn) = self.by_id.pop_first()?;
        self.id_of.remove(&pfn);
        self.free.insert(id);
        Some(pfn)
    }

    /// Pages tracked.
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::DmaIndex;

    /// `xa_alloc` on an `XA_FLAGS_ALLOC1` array: ids from 1, the lowest
    /// free one first; `xa_for_each` in id order.
    #[test]
    fn ids_start_at_one_and_reuse_the_lowest_free() {
        let mut x = DmaIndex::default();
        assert_eq!([x.register(10), x.register(11), x.register(12)], [1, 2, 3]);
        assert!(x.release(11));
        assert!(!x.release(11), "released once");
        assert_eq!(x.register(13), 2);
        assert_eq!(x.register(14), 4);
        let order: Vec<u64> = std::iter::from_fn(|| x.take_first()).collect();
        assert_eq!(order, [10, 13, 12, 14]);
        assert_eq!(x.len(), 0);
        assert!(!x.release(12), "scrubbed: not tracked any more");
    }
}
