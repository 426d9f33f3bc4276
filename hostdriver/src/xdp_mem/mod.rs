//! The XDP memory model of net/core/xdp.c (Linux 6.12): every RX queue
//! registers its `xdp_rxq_info` and its memory model
//! (`xdp_rxq_info_reg_mem_model(MEM_TYPE_PAGE_POOL, pool)`, which hands out
//! a `mem.id` and enters the pool in the id table), every `xdp_frame`
//! carries that `xdp_mem_info`, and frames coming back after XDP_TX or
//! XDP_REDIRECT return through it (`xdp_return_frame`,
//! `xdp_return_frame_rx_napi`, and the bulk return of the TX completion,
//! `xdp_return_frame_bulk` + `xdp_flush_frame_bulk`: one
//! `page_pool_put_page_bulk` per run of up to [`XDP_BULK_QUEUE_SIZE`]
//! frames of one mem id).
//!
//! * `table`: the mem id allocator (`__mem_id_cyclic_get`, ids
//!   [`MEM_ID_MIN`]..=[`MEM_ID_MAX`]) and the id table (`mem_id_ht`,
//!   `rhashtable_lookup`), one per process as in the kernel;
//! * `rxq`: [`XdpRxqInfo`] and its registration state;
//! * `bulk`: [`XdpFrameBulk`] (queued by [`crate::xdp::xdp_return_frame_bulk`]);
//! * `ret`: `__xdp_return`;
//! * `log`: [`XdpMemLog`], the driver bugs the kernel WARNs on (or oopses
//!   on) as [`XdpMemViolation`]s, and the return path's counters
//!   ([`XdpReturnStats`]).

mod bulk;
mod log;
mod ret;
mod rxq;
mod table;

pub use bulk::{XdpFrameBulk, XDP_BULK_QUEUE_SIZE};
pub use log::{XdpMemLog, XdpMemViolation, XdpReturnStats};
pub(crate) use ret::xdp_return;
pub use rxq::{RxqRegState, XdpMemError, XdpRxqInfo};
pub use table::{MEM_ID_MAX, MEM_ID_MIN};

/// `enum xdp_mem_type` (include/net/xdp.h), in the kernel's order: the
/// zeroed `xdp_mem_info` of an unregistered queue reads as
/// [`XdpMemType::PageShared`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum XdpMemType {
    /// `MEM_TYPE_PAGE_SHARED` (0): `page_frag_free` on return.
    #[default]
    PageShared,
    /// `MEM_TYPE_PAGE_ORDER0`: `put_page` on return.
    PageOrder0,
    /// `MEM_TYPE_PAGE_POOL`: back to the page pool.
    PagePool,
    /// `MEM_TYPE_XSK_BUFF_POOL`: AF_XDP zero copy (not modelled).
    XskBuffPool,
}

/// `struct xdp_mem_info`: what an `xdp_frame` carries to find its way home.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct XdpMemInfo {
    /// `mem.type`.
    pub mem_type: XdpMemType,
    /// `mem.id` (0: none allocated).
    pub id: u32,
}
