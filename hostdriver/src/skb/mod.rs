//! An skb-like buffer for the PASS path, following net/core/skbuff.c of
//! Linux 6.12 and the page pool's skb return-hook notes
//! (`/work/shared/seeds/page_pool-skb-return-hook-notes.txt`):
//!
//! * the head and the frags may be page pool pages; an skb built on a pool
//!   page carries the recycle mark (`skb->pp_recycle`), and freeing it
//!   returns every pool page of its data, head and frags, through
//!   `napi_pp_put_page` (directly into the cache only when freed inside the
//!   pool's NAPI poll, [`SkBuff::free_in_napi`]);
//! * [`SkBuff::skb_clone`] shares the data (`__skb_clone`: `dataref` + 1)
//!   and copies `pp_recycle`: no page reference is taken, and the pages are
//!   recycled when the last of the skbs sharing them is freed
//!   (`skb_release_data` on the last `dataref`);
//! * a page reference taken with `get_page` ([`SkBuff::skb_frag_ref`],
//!   [`SkBuff::head_page_ref`]) is something else: while it is held the
//!   page's refcount is above 1, so the pool's put takes the
//!   `released_refcnt` path (the pool lets go of the page, the reference
//!   keeps the memory);
//! * [`SkBuff::skb_copy`] makes new memory that does not carry the mark;
//!   a copy that inherited it (the bug in the notes: recycling memory that
//!   never came from the pool) is caught by the return hook, which, like
//!   the kernel's `napi_pp_put_page`, checks the head's page with
//!   `page_pool_page_is_pp()` ([`pool::HostMemory::page_pool_of`], the
//!   `pp_magic` signature) before recycling; a marked head that is not a
//!   page of the skb's pool is refused, freed normally, and recorded as an
//!   [`SkbViolation`];
//! * [`SkBuff::try_coalesce`] (`skb_try_coalesce`) turns the source's head
//!   into a frag of the target, keeping its pool state as 6.12 does
//!   ([`CoalescePolicy::KeepPoolState`]), releasing it first
//!   ([`CoalescePolicy::ReleasePoolState`], `page_pool_release_page`) or
//!   refusing ([`CoalescePolicy::Refuse`]).
//!
//! `shinfo`: the shared data and `skb_release_data`; `coalesce`:
//! `skb_try_coalesce`; `violation`: what the return hook records.

mod coalesce;
mod shinfo;
mod violation;

use std::sync::Arc;

use pool::{HostAddr, HostMemory, MemError, NapiCtx, PagePoolHandle, PageRef, PpPage, PAGE_SIZE};

pub use coalesce::{CoalesceError, CoalescePolicy};
use shinfo::{HeapBuf, ReleaseCtx, SkbMem, SkbShared};
pub use violation::{SkbViolation, SkbViolationKind, SkbViolations};

/// An skb-like buffer. Dropping it frees it from process context (like
/// `kfree_skb` outside the NAPI poll).
#[derive(Debug)]
pub struct SkBuff {
    mem: HostMemory,
    /// The head and `skb_shared_info`; the strong count is `dataref`.
    /// `None` once released.
    shared: Option<Arc<SkbShared>>,
    data_off: u32,
    head_len: u32,
    truesize: u32,
    pp_recycle: bool,
    log: SkbViolations,
}

impl SkBuff {
    /// `build_skb` over a pool page + `skb_mark_for_recycle`.
    pub(crate) fn from_pool_page(
        mem: HostMemory,
        page: PpPage,
        pool: PagePoolHandle,
        data_off: u32,
        len: u32,
        truesize: u32,
        log: SkbViolations,
    ) -> Self {
        Self {
            mem,
            shared: Some(Arc::new(SkbShared {
                head: Some(SkbMem::Pp { page, pool }),
                frags: Vec::new(),
            })),
            data_off,
            head_len: len,
            truesize,
            pp_recycle: true,
            log,
        }
    }

    fn data(&self) -> Option<&SkbShared> {
        self.shared.as_deref()
    }

    /// Total data length (head and fragments).
    pub fn len(&self) -> usize {
        let frags = self
            .data()
            .map_or(0, |d| d.frags.iter().map(|f| f.len as usize).sum::<usize>());
        self.head_len as usize + frags
    }
    /// Whether it carries no data.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Bytes in the head.
    pub fn head_len(&self) -> usize {
        self.head_len as usize
    }
    /// Number of fragments.
    pub fn nr_frags(&self) -> usize {
        self.data().map_or(0, |d| d.frags.len())
    }
    /// Memory accounted to the buffer.
    pub fn truesize(&self) -> u32 {
        self.truesize
    }
    /// `skb->pp_recycle`.
    pub fn pp_recycle(&self) -> bool {
        self.pp_recycle
    }
    /// `skb_cloned`: another skb shares the data (`dataref` > 1).
    pub fn skb_cloned(&self) -> bool {
        self.dataref() > 1
    }
    /// `atomic_read(&skb_shinfo(skb)->dataref)`: the skbs sharing the data.
    pub fn dataref(&self) -> usize {
        self.shared.as_ref().map_or(0, Arc::strong_count)
    }
    /// Whether the head is a page pool page (and which pool).
    pub fn head_pool(&self) -> Option<u32> {
        match self.data()?.head.as_ref()? {
            SkbMem::Pp { page, .. } => Some(page.pool_id()),
            _ => None,
        }
    }
    /// The pool of each fragment that is a page pool page (`None` for a
    /// fragment that is not).
    pub fn frag_pools(&self) -> Vec<Option<u32>> {
        self.data().map_or_else(Vec::new, |d| {
            d.frags
                .iter()
                .map(|f| match &f.mem {
                    SkbMem::Pp { page, .. } => Some(page.pool_id()),
                    _ => None,
                })
                .collect()
        })
    }
    /// Host address of the first data byte.
    pub fn data_addr(&self) -> Option<HostAddr> {
        let head = self.data()?.head.as_ref()?;
        Some(HostAddr::new(
            head.addr().raw_value() + u64::from(self.data_off),
        ))
    }

    /// The data, head then fragments, read through the CPU's view.
    pub fn to_vec(&self) -> Result<Vec<u8>, MemError> {
        let mut out = vec![0u8; self.len()];
        let mut pos = self.head_len as usize;
        if let Some(addr) = self.data_addr() {
            self.mem.cpu_read(addr, &mut out[..pos])?;
        }
        for f in self.data().map_or(&[][..], |d| &d.frags[..]) {
            let n = f.len as usize;
            self.mem.cpu_read(f.addr(), &mut out[pos..pos + n])?;
            pos += n;
        }
        Ok(out)
    }

    /// `skb_clone` (`__skb_clone`): a second skb over the same data.
    /// `dataref` goes up, `pp_recycle` is copied, no page reference is
    /// taken: the pages go back to their pools when the last of the two is
    /// freed.
    pub fn skb_clone(&self) -> SkBuff {
        SkBuff {
            mem: self.mem.clone(),
            shared: self.shared.clone(),
            data_off: self.data_off,
            head_len: self.head_len,
            truesize: self.truesize,
            pp_recycle: self.pp_recycle,
            log: self.log.clone(),
        }
    }

    /// `get_page(virt_to_head_page(skb->head))`: a plain reference on the
    /// head's page pool page (`None` if the head is not one). While held,
    /// the page is not recyclable: its pool put counts `released_refcnt`.
    pub fn head_page_ref(&self) -> Option<PageRef> {
        match self.data()?.head.as_ref()? {
            SkbMem::Pp { page, pool } => Some(pool.get_page(page)),
            _ => None,
        }
    }

    /// `skb_frag_ref(skb, f)` (6.12: `get_page` of the frag's page) on a
    /// page pool fragment: a plain page reference (`None` if fragment `f`
    /// is not a page pool page). While held, the page is not recyclable.
    pub fn skb_frag_ref(&self, f: usize) -> Option<PageRef> {
        match &self.data()?.frags.get(f)?.mem {
            SkbMem::Pp { page, pool } => Some(pool.get_page(page)),
            _ => None,
        }
    }

    /// `skb_copy`: new, linear memory from the page allocator holding the
    /// same bytes. It does not carry the recycle mark.
    pub fn skb_copy(&self) -> Result<SkBuff, MemError> {
        self.copy_inner(false)
    }

    /// The bug of the notes, for tests only: a copy that inherits the
    /// recycle mark (as `__copy_skb_header` copying `xdp_mem_info` did).
    /// Freeing it is caught by the return hook.
    #[doc(hidden)]
    pub fn skb_copy_inheriting_mark_for_test(&self) -> Result<SkBuff, MemError> {
        self.copy_inner(self.pp_recycle)
    }

    fn copy_inner(&self, pp_recycle: bool) -> Result<SkBuff, MemError> {
        let data = self.to_vec()?;
        let pages = data.len().div_ceil(PAGE_SIZE).max(1);
        let order = pages.next_power_of_two().trailing_zeros();
        let page = self.mem.alloc_pages(order, self.mem.local_node())?;
        self.mem.cpu_write(page.host_addr(), &data)?;
        let truesize = (PAGE_SIZE << order) as u32;
        Ok(SkBuff {
            mem: self.mem.clone(),
            shared: Some(Arc::new(SkbShared {
                head: Some(SkbMem::Heap(Arc::new(HeapBuf {
                    mem: self.mem.clone(),
                    page: Some(page),
                }))),
                frags: Vec::new(),
            })),
            data_off: 0,
            head_len: data.len() as u32,
            truesize,
            pp_recycle,
            log: self.log.clone(),
        })
    }

    /// `kfree_skb` from process context: pool pages go back through their
    /// pools' rings.
    pub fn free(mut self) {
        self.release(None);
    }

    /// `napi_consume_skb` inside the NAPI poll of `napi`: pages of that
    /// poll's pool may recycle directly into its cache.
    pub fn free_in_napi(mut self, napi: &mut NapiCtx<'_>) {
        self.release(Some(napi));
    }

    /// `skb_release_data`: drops this skb's `dataref`; the last one
    /// releases the data.
    fn release(&mut self, napi: Option<&mut NapiCtx<'_>>) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        let Some(data) = Arc::into_inner(shared) else {
            // Another skb still shares the data (skb->cloned and
            // atomic_sub_return(1, &shinfo->dataref) != 0).
            return;
        };
        let mut ctx = ReleaseCtx {
            mem: &self.mem,
            log: &self.log,
            napi,
        };
        data.skb_release_data(self.pp_recycle, &mut ctx);
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        self.release(None);
    }
}
