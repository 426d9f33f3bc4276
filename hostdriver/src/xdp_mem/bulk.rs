//! `struct xdp_frame_bulk` and the bulk return of net/core/xdp.c (6.12):
//! `xdp_return_frame_bulk` queues frames of one mem id, and
//! `xdp_flush_frame_bulk` hands them to their pool with one
//! `page_pool_put_page_bulk`. The bulk is flushed when it holds
//! [`XDP_BULK_QUEUE_SIZE`] frames, when a frame of another mem id comes,
//! and by the caller at the end (a TX completion).

use pool::{NapiCtx, PagePoolHandle, PpPage};

use super::log::{XdpMemLog, XdpMemViolation};
use super::ret::xdp_return;
use super::table::{self, MemAllocator};
use super::{XdpMemInfo, XdpMemType};

/// `XDP_BULK_QUEUE_SIZE`.
pub const XDP_BULK_QUEUE_SIZE: usize = 16;

/// `struct xdp_frame_bulk`: frames waiting to go back to one pool.
#[derive(Debug)]
pub struct XdpFrameBulk {
    q: Vec<Option<PpPage>>,
    xa: Option<MemAllocator>,
    log: XdpMemLog,
}

impl XdpFrameBulk {
    /// `xdp_frame_bulk_init`: empty, no allocator looked up yet.
    pub fn new(log: XdpMemLog) -> Self {
        Self {
            q: Vec::with_capacity(XDP_BULK_QUEUE_SIZE),
            xa: None,
            log,
        }
    }

    /// Frames queued.
    pub fn len(&self) -> usize {
        self.q.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    /// `xdp_return_frame_bulk` of a frame given as its parts: the page, its
    /// pool (`page->pp`) and the frame's `mem` (the public entry is
    /// [`crate::xdp::xdp_return_frame_bulk`]).
    pub(crate) fn return_page(
        &mut self,
        page: PpPage,
        pool: PagePoolHandle,
        mem: XdpMemInfo,
        mut napi: Option<&mut NapiCtx<'_>>,
    ) {
        if mem.mem_type != XdpMemType::PagePool {
            self.log.count(|s| s.bulk_not_page_pool += 1);
            xdp_return(page, &pool, mem, false, napi);
            return;
        }
        if self.xa.is_none() {
            self.q.clear();
            self.xa = self.lookup(mem.id);
        }
        if self.q.len() == XDP_BULK_QUEUE_SIZE {
            self.log.count(|s| s.bulk_flush_full += 1);
            self.xdp_flush_frame_bulk(napi.as_deref_mut());
        }
        if self.xa.as_ref().map(|xa| xa.mem.id) != Some(mem.id) {
            if self.xa.is_some() {
                self.log.count(|s| s.bulk_flush_mem_id_change += 1);
                self.xdp_flush_frame_bulk(napi.as_deref_mut());
            }
            self.xa = self.lookup(mem.id);
        }
        let Some(xa) = &self.xa else {
            // The kernel dereferences the NULL allocator here.
            self.log
                .record(XdpMemViolation::UnknownMemId { id: mem.id });
            xdp_return(page, &pool, mem, false, napi);
            return;
        };
        if xa.pool.id() != page.pool_id() {
            self.log.record(XdpMemViolation::MemIdOfAnotherPool {
                id: mem.id,
                table_pool: xa.pool.id(),
                page_pool: page.pool_id(),
            });
            xdp_return(page, &pool, mem, false, napi);
            return;
        }
        self.log.count(|s| s.bulk_frames += 1);
        self.q.push(Some(page));
    }

    fn lookup(&self, id: u32) -> Option<MemAllocator> {
        self.log.count(|s| s.bulk_lookups += 1);
        table::rhashtable_lookup(id)
    }

    /// `xdp_flush_frame_bulk`: one `page_pool_put_page_bulk(xa->page_pool,
    /// q, count)`, called from `napi` (`None`: outside any NAPI poll). The
    /// pool decides direct recycling for the whole call by its context
    /// (`page_pool_napi_local`), so the call goes through the pool's
    /// [`NapiCtx`] when `napi` is that pool's, and through its handle
    /// otherwise. The allocator is kept for the next frames (the kernel
    /// does not clear `bq->xa`).
    pub fn xdp_flush_frame_bulk(&mut self, napi: Option<&mut NapiCtx<'_>>) {
        let Some(xa) = &self.xa else {
            return;
        };
        if self.q.is_empty() {
            return;
        }
        let n = self.q.len() as u64;
        match napi {
            Some(ctx) if ctx.id() == xa.pool.id() => {
                self.log.count(|s| s.put_page_bulk_napi_local += 1);
                ctx.put_page_bulk(&mut self.q);
            }
            _ => {
                self.log.count(|s| s.put_page_bulk_remote += 1);
                xa.pool.put_page_bulk(&mut self.q);
            }
        }
        self.log.count(|s| s.put_page_bulk_pages += n);
        self.q.clear();
    }
}

impl Drop for XdpFrameBulk {
    fn drop(&mut self) {
        if !self.q.is_empty() {
            tracing::warn!(
                frames = self.q.len(),
                "xdp_frame_bulk dropped without xdp_flush_frame_bulk: flushed from outside NAPI"
            );
            self.xdp_flush_frame_bulk(None);
        }
    }
}
