//! What the XDP memory model reports: the driver bugs the kernel WARNs on
//! (or dereferences NULL on), and the counters of the return path.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use super::XdpMemType;

/// A misuse of the XDP memory model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XdpMemViolation {
    /// `xdp_rxq_info_reg_mem_model` / `xdp_rxq_info_unreg_mem_model` on a
    /// queue that is not registered: `WARN(1, "Missing register, driver
    /// bug")`.
    MissingRegister {
        /// The kernel function.
        func: &'static str,
    },
    /// `xdp_rxq_info_reg` on a registered queue: `WARN(1, "Missing
    /// unregister, handled but fix driver")` (the kernel unregisters it
    /// first).
    MissingUnregister,
    /// `xdp_rxq_info_reg` on a queue marked unused: `WARN(1, "Driver
    /// promised not to register this")`.
    RegisterUnused,
    /// An `xdp_frame` made from a queue without a page-pool memory model
    /// (never registered, or after `xdp_rxq_info_unreg`, which resets
    /// `mem` to `{0, 0}` = `MEM_TYPE_PAGE_SHARED`): its pool page would go
    /// back through `page_frag_free`, behind the pool's back.
    FrameWithoutPoolMem {
        /// The frame's `mem.type`.
        mem_type: XdpMemType,
        /// The frame's `mem.id`.
        id: u32,
    },
    /// A page-pool frame whose `mem.id` is not in the id table (never
    /// registered, or its pool already freed and disconnected):
    /// `xdp_return_frame_bulk`'s `rhashtable_lookup` returns NULL and the
    /// kernel dereferences it. The frame went back to its page's own pool.
    UnknownMemId {
        /// The frame's `mem.id`.
        id: u32,
    },
    /// The id table names another pool than the frame's page
    /// (`page->pp`): the kernel would put the page into the wrong pool.
    /// The frame went back to its page's own pool.
    MemIdOfAnotherPool {
        /// The frame's `mem.id`.
        id: u32,
        /// The pool the table names.
        table_pool: u32,
        /// The page's pool.
        page_pool: u32,
    },
}

impl fmt::Display for XdpMemViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingRegister { func } => {
                write!(f, "{func}: Missing register, driver bug")
            }
            Self::MissingUnregister => {
                write!(f, "xdp_rxq_info_reg: Missing unregister, handled but fix driver")
            }
            Self::RegisterUnused => {
                write!(f, "xdp_rxq_info_reg: Driver promised not to register this")
            }
            Self::FrameWithoutPoolMem { mem_type, id } => write!(
                f,
                "xdp_frame of a page pool page carries mem {{ type {mem_type:?}, id {id} }}: the queue's page pool memory model is not registered"
            ),
            Self::UnknownMemId { id } => write!(
                f,
                "xdp_return_frame_bulk: mem id {id} is not registered (rhashtable_lookup returns NULL)"
            ),
            Self::MemIdOfAnotherPool {
                id,
                table_pool,
                page_pool,
            } => write!(
                f,
                "xdp_return_frame_bulk: mem id {id} names page pool {table_pool}, the frame's page is of page pool {page_pool}"
            ),
        }
    }
}

/// Counters of the XDP return path, one per branch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XdpReturnStats {
    /// `xdp_return_frame` calls (`__xdp_return`, `napi_direct = false`).
    pub return_frame: u64,
    /// `xdp_return_frame_rx_napi` calls (`napi_direct = true`).
    pub return_frame_rx_napi: u64,
    /// Frames queued by `xdp_return_frame_bulk`.
    pub bulk_frames: u64,
    /// `xdp_return_frame_bulk` of a frame that is not `MEM_TYPE_PAGE_POOL`
    /// (returned at once with `xdp_return_frame`).
    pub bulk_not_page_pool: u64,
    /// `rhashtable_lookup` calls of the bulk (first frame, mem id change).
    pub bulk_lookups: u64,
    /// Flushes because the queue held [`super::XDP_BULK_QUEUE_SIZE`].
    pub bulk_flush_full: u64,
    /// Flushes because the next frame had another mem id.
    pub bulk_flush_mem_id_change: u64,
    /// `page_pool_put_page_bulk` calls made from the pool's own NAPI poll
    /// (`page_pool_napi_local` holds there).
    pub put_page_bulk_napi_local: u64,
    /// `page_pool_put_page_bulk` calls made from another context (another
    /// pool's NAPI, or process context at close).
    pub put_page_bulk_remote: u64,
    /// Pages passed to those calls.
    pub put_page_bulk_pages: u64,
}

#[derive(Debug, Default)]
struct LogInner {
    violations: Vec<XdpMemViolation>,
    stats: XdpReturnStats,
}

/// The shared log of one driver's XDP memory model: its queues, its frames
/// and its TX completion write into it.
#[derive(Clone, Debug, Default)]
pub struct XdpMemLog(Arc<Mutex<LogInner>>);

impl XdpMemLog {
    /// Every violation so far.
    pub fn violations(&self) -> Vec<XdpMemViolation> {
        self.lock().violations.clone()
    }
    /// The return path's counters.
    pub fn stats(&self) -> XdpReturnStats {
        self.lock().stats
    }
    pub(crate) fn record(&self, v: XdpMemViolation) {
        tracing::warn!("xdp mem: {v}");
        self.lock().violations.push(v);
    }
    pub(crate) fn count(&self, f: impl FnOnce(&mut XdpReturnStats)) {
        f(&mut self.lock().stats);
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, LogInner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
