//! An skb-like buffer for the PASS path, following the page pool's skb
//! return-hook notes (`/work/shared/seeds/page_pool-skb-return-hook-notes.txt`):
//!
//! * only the head may be a page pool page, and only the head carries the
//!   recycle mark (`skb->pp_recycle`); freeing the skb returns the page
//!   through `put_page` (directly into the cache only when freed inside the
//!   pool's NAPI poll, [`SkBuff::free_in_napi`]);
//! * [`SkBuff::skb_clone`] shares the page: the clone holds a plain page
//!   reference, so while it lives the page's refcount is above 1 and the
//!   pool's put takes the `released_refcnt` path (the pool lets go of the
//!   page, the clone keeps the memory);
//! * [`SkBuff::skb_copy`] makes new memory that does not carry the mark;
//!   a copy that inherited it (the bug in the notes: recycling memory that
//!   never came from the pool) is caught by the return hook, which, like
//!   the kernel's `napi_pp_put_page`, checks the head's page with
//!   `page_pool_page_is_pp()` ([`pool::HostMemory::page_pool_of`], the
//!   `pp_magic` signature) before recycling; a marked head that is not a
//!   page of the skb's pool is refused, freed normally, and recorded as an
//!   [`SkbViolation`];
//! * [`SkBuff::try_coalesce`] never turns a pool page into a fragment with
//!   its pool state: it releases the pool state first
//!   ([`CoalescePolicy::ReleasePoolState`], `page_pool_release_page`: the
//!   page is unmapped and leaves the pool's in-flight count, no recycle
//!   stat moves) or refuses ([`CoalescePolicy::Refuse`]).

use std::fmt;
use std::sync::{Arc, Mutex};

use pool::{
    HostAddr, HostMemory, MemError, NapiCtx, Page, PagePoolHandle, PageRef, PpPage, PAGE_SIZE,
};

/// What the return hook caught.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkbViolationKind {
    /// An skb marked for recycle whose head memory is not a page pool page
    /// (e.g. a copy that inherited the mark). The recycle was refused and
    /// the memory freed normally.
    RecycleMarkOnForeignMemory {
        /// Host address of the head memory.
        head: HostAddr,
        /// What the head is ("heap copy", "shared page reference", "pool
        /// page").
        head_kind: &'static str,
        /// What the `pp_magic` check said about the head's page:
        /// [`pool::HostMemory::page_pool_of`] (`None`: not a page pool page).
        page_pool: Option<u32>,
    },
}

/// A recorded misuse of an skb.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkbViolation {
    /// Simulated cycle.
    pub cycle: u64,
    /// What.
    pub kind: SkbViolationKind,
}

impl fmt::Display for SkbViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SkbViolationKind::RecycleMarkOnForeignMemory {
                head,
                head_kind,
                page_pool,
            } => {
                write!(
                    f,
                    "cycle {}: skb marked for page pool recycle, but its head {head} is a {head_kind}",
                    self.cycle
                )?;
                match page_pool {
                    None => write!(f, ", not a page pool page (page_pool_page_is_pp() false)")?,
                    Some(id) => write!(
                        f,
                        " of page pool {id}, on which the skb holds no pp reference"
                    )?,
                }
                write!(f, "; recycle refused")
            }
        }
    }
}

/// The shared log of skb violations (one per driver, cloned into its skbs).
#[derive(Clone, Debug, Default)]
pub struct SkbViolations(Arc<Mutex<Vec<SkbViolation>>>);

impl SkbViolations {
    /// Every violation so far.
    pub fn list(&self) -> Vec<SkbViolation> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
    fn record(&self, v: SkbViolation) {
        tracing::error!(cycle = v.cycle, "{v}");
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(v);
    }
}

/// Memory from the page allocator (an skb copy's data), freed on drop.
#[derive(Debug)]
struct HeapBuf {
    mem: HostMemory,
    page: Option<Page>,
}

impl HeapBuf {
    fn addr(&self) -> HostAddr {
        self.page.as_ref().map_or(HostAddr::new(0), Page::host_addr)
    }
}

impl Drop for HeapBuf {
    fn drop(&mut self) {
        if let Some(p) = self.page.take() {
            if let Err(e) = self.mem.free_pages(p) {
                tracing::error!("freeing skb copy memory: {e}");
            }
        }
    }
}

#[derive(Debug)]
enum Head {
    /// A page pool page with its pp reference.
    Pool { page: PpPage, pool: PagePoolHandle },
    /// A plain reference on a page (a clone's share of its head).
    Shared(Arc<PageRef>),
    /// Page-allocator memory (a copy).
    Heap(Arc<HeapBuf>),
}

impl Head {
    fn addr(&self) -> HostAddr {
        match self {
            Head::Pool { page, .. } => page.host_addr(),
            Head::Shared(r) => r.host_addr(),
            Head::Heap(h) => h.addr(),
        }
    }
}

#[derive(Debug, Clone)]
enum FragMem {
    Page(Arc<PageRef>),
    Heap(Arc<HeapBuf>),
}

#[derive(Debug, Clone)]
struct SkbFrag {
    mem: FragMem,
    off: u32,
    len: u32,
}

impl SkbFrag {
    fn addr(&self) -> HostAddr {
        let base = match &self.mem {
            FragMem::Page(r) => r.host_addr(),
            FragMem::Heap(h) => h.addr(),
        };
        HostAddr::new(base.raw_value() + u64::from(self.off))
    }
}

/// What [`SkBuff::try_coalesce`] does with a page pool head page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoalescePolicy {
    /// `page_pool_release_page` before the page becomes a fragment: the
    /// pool unmaps it and lets go of it (no longer in flight, no recycle
    /// stat moves), and the fragment holds the plain page reference the
    /// pool held. A page with other pp references (a fragment page shared
    /// with other buffers) cannot be released: the coalesce is refused.
    ReleasePoolState,
    /// Refuse to coalesce a pool page.
    Refuse,
}

/// Why a coalesce was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoalesceError {
    /// The source's head is a page pool page and the policy refuses.
    #[error("cannot coalesce: the source skb's head is a page of page pool {pool}; pool pages may not become fragments")]
    PoolPageHead {
        /// The page's pool.
        pool: u32,
    },
    /// [`CoalescePolicy::ReleasePoolState`], but the page pool refused to
    /// release the page (it has other pp references, e.g. fragments of the
    /// same page in other buffers).
    #[error("cannot coalesce: page pool {pool} cannot release the source skb's head page (other pp references)")]
    PoolPageNotReleasable {
        /// The page's pool.
        pool: u32,
    },
}

/// An skb-like buffer. Dropping it frees it from process context (like
/// `kfree_skb` outside the NAPI poll).
#[derive(Debug)]
pub struct SkBuff {
    mem: HostMemory,
    head: Option<Head>,
    data_off: u32,
    head_len: u32,
    truesize: u32,
    pp_recycle: bool,
    frags: Vec<SkbFrag>,
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
            head: Some(Head::Pool { page, pool }),
            data_off,
            head_len: len,
            truesize,
            pp_recycle: true,
            frags: Vec::new(),
            log,
        }
    }

    /// Total data length (head and fragments).
    pub fn len(&self) -> usize {
        self.head_len as usize + self.frags.iter().map(|f| f.len as usize).sum::<usize>()
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
        self.frags.len()
    }
    /// Memory accounted to the buffer.
    pub fn truesize(&self) -> u32 {
        self.truesize
    }
    /// `skb->pp_recycle`.
    pub fn pp_recycle(&self) -> bool {
        self.pp_recycle
    }
    /// Whether the head is a page pool page (and which pool).
    pub fn head_pool(&self) -> Option<u32> {
        match &self.head {
            Some(Head::Pool { page, .. }) => Some(page.pool_id()),
            _ => None,
        }
    }
    /// Host address of the first data byte.
    pub fn data_addr(&self) -> Option<HostAddr> {
        self.head
            .as_ref()
            .map(|h| HostAddr::new(h.addr().raw_value() + u64::from(self.data_off)))
    }

    /// The data, head then fragments, read through the CPU's view.
    pub fn to_vec(&self) -> Result<Vec<u8>, MemError> {
        let mut out = vec![0u8; self.len()];
        let mut pos = self.head_len as usize;
        if let Some(addr) = self.data_addr() {
            self.mem.cpu_read(addr, &mut out[..pos])?;
        }
        for f in &self.frags {
            let n = f.len as usize;
            self.mem.cpu_read(f.addr(), &mut out[pos..pos + n])?;
            pos += n;
        }
        Ok(out)
    }

    /// `skb_clone`: a second buffer over the same memory. A pool head is
    /// shared through a plain page reference (page refcount > 1); the clone
    /// does not carry the recycle mark.
    pub fn skb_clone(&self) -> SkBuff {
        let head = self.head.as_ref().map(|h| match h {
            Head::Pool { page, pool } => Head::Shared(Arc::new(pool.get_page(page))),
            Head::Shared(r) => Head::Shared(r.clone()),
            Head::Heap(b) => Head::Heap(b.clone()),
        });
        SkBuff {
            mem: self.mem.clone(),
            head,
            data_off: self.data_off,
            head_len: self.head_len,
            truesize: self.truesize,
            pp_recycle: false,
            frags: self.frags.clone(),
            log: self.log.clone(),
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
            head: Some(Head::Heap(Arc::new(HeapBuf {
                mem: self.mem.clone(),
                page: Some(page),
            }))),
            data_off: 0,
            head_len: data.len() as u32,
            truesize,
            pp_recycle,
            frags: Vec::new(),
            log: self.log.clone(),
        })
    }

    /// `skb_try_coalesce(self, from)`: appends `from`'s data as fragments of
    /// `self`. A page pool head of `from` first loses its pool state
    /// ([`CoalescePolicy::ReleasePoolState`], `page_pool_release_page`) or
    /// the coalesce is refused and `from` handed back untouched.
    pub fn try_coalesce(
        &mut self,
        mut from: SkBuff,
        policy: CoalescePolicy,
    ) -> Result<(), (SkBuff, CoalesceError)> {
        if let (Some(Head::Pool { page, .. }), CoalescePolicy::Refuse) = (&from.head, policy) {
            let pool = page.pool_id();
            return Err((from, CoalesceError::PoolPageHead { pool }));
        }
        let head_frag = match from.head.take() {
            Some(Head::Pool { page, pool }) => {
                // page_pool_release_page: unmapped, out of the pool's
                // in-flight count; the pool's page reference becomes the
                // fragment's.
                match pool.release_page(page) {
                    Ok(r) => Some(FragMem::Page(Arc::new(r))),
                    Err(page) => {
                        let id = page.pool_id();
                        from.head = Some(Head::Pool { page, pool });
                        return Err((from, CoalesceError::PoolPageNotReleasable { pool: id }));
                    }
                }
            }
            Some(Head::Shared(r)) => Some(FragMem::Page(r)),
            Some(Head::Heap(b)) => Some(FragMem::Heap(b)),
            None => None,
        };
        if let Some(mem) = head_frag {
            if from.head_len > 0 {
                self.frags.push(SkbFrag {
                    mem,
                    off: from.data_off,
                    len: from.head_len,
                });
            }
        }
        self.frags.append(&mut from.frags);
        self.truesize += from.truesize;
        from.pp_recycle = false;
        Ok(())
    }

    /// `kfree_skb` from process context: a pool head goes back through the
    /// pool's ring.
    pub fn free(mut self) {
        self.release(None);
    }

    /// `napi_consume_skb` inside the NAPI poll of `napi`: a head page of that
    /// poll's pool may recycle directly into its cache.
    pub fn free_in_napi(mut self, napi: &mut NapiCtx<'_>) {
        self.release(Some(napi));
    }

    /// `skb_free_head` with the page pool return hook.
    fn release(&mut self, napi: Option<&mut NapiCtx<'_>>) {
        let Some(head) = self.head.take() else {
            self.frags.clear();
            return;
        };
        if !self.pp_recycle {
            match head {
                Head::Pool { page, pool } => {
                    debug_assert!(false, "a pool head always carries the mark");
                    pool.put_full_page(page, false);
                }
                other => drop(other),
            }
            self.frags.clear();
            return;
        }
        // skb_pp_recycle -> napi_pp_put_page: only a page whose pp_magic
        // says it is a page pool page goes back to a pool, and to the pool
        // the page names (page->pp).
        let owner = self.mem.page_pool_of(head.addr());
        match head {
            Head::Pool { page, pool } if owner == Some(pool.id()) => match napi {
                Some(n) if n.id() == pool.id() => n.put_full_page(page, false),
                _ => pool.put_full_page(page, false),
            },
            other => {
                let head_kind = match &other {
                    Head::Heap(_) => "heap copy",
                    Head::Shared(_) => "shared page reference",
                    Head::Pool { .. } => "pool page",
                };
                self.log.record(SkbViolation {
                    cycle: self.mem.cycle(),
                    kind: SkbViolationKind::RecycleMarkOnForeignMemory {
                        head: other.addr(),
                        head_kind,
                        page_pool: owner,
                    },
                });
                match other {
                    // Cannot happen (the pool holds its pages' pp_magic
                    // while a pp reference lives); the pool's own checks
                    // judge the put.
                    Head::Pool { page, pool } => pool.put_full_page(page, false),
                    // Freed normally (put_page / the page allocator).
                    rest => drop(rest),
                }
            }
        }
        self.frags.clear();
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        self.release(None);
    }
}
