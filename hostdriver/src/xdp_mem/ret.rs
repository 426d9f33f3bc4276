//! `__xdp_return` (net/core/xdp.c, 6.12) for a page pool page.

use pool::{NapiCtx, PagePoolHandle, PpPage};

use super::{XdpMemInfo, XdpMemType};

/// `__xdp_return(data, mem, napi_direct)` of a page pool page: in 6.12 the
/// page's own pool (`page->pp`, no table lookup) gets
/// `page_pool_put_full_page(pp, page, napi_direct)`, through its
/// [`NapiCtx`] when `napi` is that pool's poll, else through its handle
/// (another context: a claimed `napi_direct` is reported by the pool).
/// A frame whose `mem.type` is not `MEM_TYPE_PAGE_POOL` was reported when
/// it was made ([`super::XdpMemViolation::FrameWithoutPoolMem`]); the
/// kernel would free its pool page behind the pool's back
/// (`page_frag_free`), here it still goes back to its pool.
pub(crate) fn xdp_return(
    page: PpPage,
    pool: &PagePoolHandle,
    mem: XdpMemInfo,
    napi_direct: bool,
    napi: Option<&mut NapiCtx<'_>>,
) {
    if mem.mem_type != XdpMemType::PagePool {
        tracing::warn!(
            ?mem,
            "__xdp_return: Incorrect XDP memory type usage for a page pool page"
        );
    }
    match napi {
        Some(ctx) if ctx.id() == page.pool_id() => ctx.put_full_page(page, napi_direct),
        _ => pool.put_full_page(page, napi_direct),
    }
}
