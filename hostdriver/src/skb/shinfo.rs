//! What clones of an skb share (net/core/skbuff.c, 6.12): the head buffer
//! and `struct skb_shared_info` with its frags. `__skb_clone` raises
//! `shinfo->dataref` and shares them, so an [`Arc`] of [`SkbShared`] is
//! the data and its strong count is `dataref`. The last skb freed runs
//! `skb_release_data`: every frag through `skb_page_unref(frag,
//! skb->pp_recycle)` (`napi_pp_put_page` for a page pool page), then the
//! head through `skb_free_head` (`skb_pp_recycle`).

use std::sync::Arc;

use pool::{HostAddr, HostMemory, NapiCtx, Page, PagePoolHandle, PageRef, PpPage};

use super::violation::{SkbViolation, SkbViolationKind, SkbViolations};

/// Memory from the page allocator (an skb copy's data), freed on drop.
#[derive(Debug)]
pub(super) struct HeapBuf {
    pub(super) mem: HostMemory,
    pub(super) page: Option<Page>,
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

/// The memory behind the head or a frag.
#[derive(Debug)]
pub(super) enum SkbMem {
    /// A page pool page with its pp reference; `pool` is `page->pp`.
    Pp { page: PpPage, pool: PagePoolHandle },
    /// A plain page reference (`get_page`), e.g. a page whose pool state
    /// was released.
    Page(Arc<PageRef>),
    /// Page-allocator memory (a copy).
    Heap(Arc<HeapBuf>),
}

impl SkbMem {
    pub(super) fn addr(&self) -> HostAddr {
        match self {
            SkbMem::Pp { page, .. } => page.host_addr(),
            SkbMem::Page(r) => r.host_addr(),
            SkbMem::Heap(h) => h.addr(),
        }
    }
    fn kind(&self) -> &'static str {
        match self {
            SkbMem::Pp { .. } => "pool page",
            SkbMem::Page(_) => "plain page reference",
            SkbMem::Heap(_) => "heap copy",
        }
    }
}

/// `skb_frag_t`: a part of a page.
#[derive(Debug)]
pub(super) struct SkbFrag {
    pub(super) mem: SkbMem,
    pub(super) off: u32,
    pub(super) len: u32,
}

impl SkbFrag {
    pub(super) fn addr(&self) -> HostAddr {
        HostAddr::new(self.mem.addr().raw_value() + u64::from(self.off))
    }
}

/// The head buffer and `skb_shared_info`, shared by an skb and its clones.
#[derive(Debug, Default)]
pub(super) struct SkbShared {
    pub(super) head: Option<SkbMem>,
    pub(super) frags: Vec<SkbFrag>,
}

/// Where `skb_release_data` runs: the memory, the log, and the NAPI poll
/// it runs in (`None`: process context).
pub(super) struct ReleaseCtx<'a, 'b> {
    pub(super) mem: &'a HostMemory,
    pub(super) log: &'a SkbViolations,
    pub(super) napi: Option<&'a mut NapiCtx<'b>>,
}

impl SkbShared {
    /// `skb_release_data` after the last `dataref` went: each frag with
    /// `skb_page_unref(frag, recycle)`, then `skb_free_head`. `recycle` is
    /// the `pp_recycle` of the skb freed last (clones copy it).
    pub(super) fn skb_release_data(self, recycle: bool, ctx: &mut ReleaseCtx<'_, '_>) {
        for f in self.frags {
            skb_page_unref(f.mem, recycle, ctx);
        }
        if let Some(head) = self.head {
            skb_free_head(head, recycle, ctx);
        }
    }
}

/// `skb_page_unref(netmem, recycle)`: a page pool page of a recycling skb
/// goes back with `napi_pp_put_page`; anything else is `put_page`.
fn skb_page_unref(mem: SkbMem, recycle: bool, ctx: &mut ReleaseCtx<'_, '_>) {
    match mem {
        SkbMem::Pp { page, pool } if recycle => napi_pp_put_page(page, &pool, ctx),
        SkbMem::Pp { page, pool } => {
            // put_page on a pp page behind its pool's back: the kernel
            // leaks the pool's state; here the pool still gets it back.
            tracing::warn!(
                pool = pool.id(),
                "skb without pp_recycle frees a page pool frag"
            );
            pool.put_full_page(page, false);
        }
        other => drop(other),
    }
}

/// `napi_pp_put_page`: `page_pool_put_full_netmem(page->pp, page, false)`,
/// direct recycling decided by the pool (`page_pool_napi_local`: only in
/// the pool's own NAPI poll).
fn napi_pp_put_page(page: PpPage, pool: &PagePoolHandle, ctx: &mut ReleaseCtx<'_, '_>) {
    match ctx.napi.as_deref_mut() {
        Some(n) if n.id() == pool.id() => n.put_full_page(page, false),
        _ => pool.put_full_page(page, false),
    }
}

/// `skb_free_head` with `skb_pp_recycle`: a marked head goes back to the
/// pool its `pp_magic` names (`napi_pp_put_page`), checked with
/// `page_pool_page_is_pp()`; a marked head that is not a page pool page of
/// the skb's pool is refused, freed normally and recorded.
fn skb_free_head(head: SkbMem, recycle: bool, ctx: &mut ReleaseCtx<'_, '_>) {
    if !recycle {
        return skb_page_unref(head, false, ctx);
    }
    let owner = ctx.mem.page_pool_of(head.addr());
    match head {
        SkbMem::Pp { page, pool } if owner == Some(pool.id()) => {
            napi_pp_put_page(page, &pool, ctx);
        }
        other => {
            ctx.log.record(SkbViolation {
                cycle: ctx.mem.cycle(),
                kind: SkbViolationKind::RecycleMarkOnForeignMemory {
                    head: other.addr(),
                    head_kind: other.kind(),
                    page_pool: owner,
                },
            });
            match other {
                // Cannot happen (the pool holds its pages' pp_magic while
                // a pp reference lives); the pool's own checks judge it.
                SkbMem::Pp { page, pool } => pool.put_full_page(page, false),
                // Freed normally (put_page / the page allocator).
                rest => drop(rest),
            }
        }
    }
}
