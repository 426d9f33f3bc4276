//! The descriptor and completion rings of an open interface and what is
//! posted on them: the RX and TX buffers, the slots and the free-running
//! producer and consumer indices.

use std::collections::VecDeque;

use nic_hw::wire::Descriptor;
use pool::{CoherentBuf, DmaAddr, DmaDirection, HostAddr, PagePool, PagePoolHandle, PpPage};

use crate::xdp_mem::{XdpMemInfo, XdpRxqInfo};

/// An RX buffer posted to the device: a whole page or a fragment of one.
pub(super) struct RxBuf {
    /// The pool page.
    pub(super) page: PpPage,
    /// Offset of the buffer (its headroom) in the page.
    pub(super) page_off: u32,
    /// Bytes the device may write after the headroom: the descriptor's
    /// `len` (`rx_buf_len`, at most the buffer space).
    pub(super) buf_len: u32,
    /// Bytes of the page the buffer accounts for (`skb->truesize`).
    pub(super) truesize: u32,
}

/// What put a frame on the TX ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TxKind {
    /// `xmit`: a copy in a TX pool page.
    Xmit,
    /// XDP_TX (or a redirect to this device): the RX page itself.
    XdpTx,
    /// `ndo_xdp_xmit`: a frame redirected from another interface.
    Redirect,
}

/// A frame posted (or backlogged) for transmit, with the page it lives in.
pub(super) struct TxBuf {
    /// The page holding the frame.
    pub(super) page: PpPage,
    /// The page's own pool (for a redirected frame: the source device's).
    pub(super) pool: PagePoolHandle,
    /// Device address of the frame's first byte.
    pub(super) dma: DmaAddr,
    /// Frame length.
    pub(super) len: u32,
    /// What put it there.
    pub(super) kind: TxKind,
    /// A mapping (handle, length) this device made for the frame (a
    /// zero-copy redirect from another device; `dma` points into it):
    /// `dma_unmap_page(handle, length, XDP_XMIT_MAP_DIR)` before the page
    /// goes back to its pool.
    pub(super) mapped_here: Option<(DmaAddr, u32)>,
    /// The `xdp_mem_info` of an XDP frame (XDP_TX, redirect): its TX
    /// completion returns it with `xdp_return_frame_bulk`. `None` for a
    /// copy made by `xmit`.
    pub(super) xdp_mem: Option<XdpMemInfo>,
}

/// A descriptor or completion ring in coherent memory.
pub(super) struct Ring {
    /// The coherent allocation.
    pub(super) buf: CoherentBuf,
    /// Entries (a power of two).
    pub(super) size: u16,
}

impl Ring {
    /// Host address of the entry for the free-running index `idx`.
    pub(super) fn entry(&self, idx: u16) -> HostAddr {
        let slot = u64::from(idx & (self.size - 1));
        HostAddr::new(self.buf.host.raw_value() + slot * Descriptor::SIZE as u64)
    }
}

/// Everything an open interface owns: its pools, the four rings, the
/// buffers in the slots, the producer and consumer indices, the TX backlog.
pub(super) struct OpenState {
    pub(super) rx_pool: PagePool,
    pub(super) tx_pool: PagePool,
    pub(super) rx_pool_h: PagePoolHandle,
    pub(super) tx_pool_h: PagePoolHandle,
    pub(super) dma_dir: DmaDirection,
    /// The RX queue's `xdp_rxq_info`, registered with the RX pool as its
    /// memory model while open.
    pub(super) rxq: XdpRxqInfo,
    pub(super) rx_ring: Ring,
    pub(super) rx_cq: Ring,
    pub(super) tx_ring: Ring,
    pub(super) tx_cq: Ring,
    pub(super) rx_slots: Vec<Option<RxBuf>>,
    pub(super) rx_prod: u16,
    pub(super) rx_cq_cons: u16,
    pub(super) tx_slots: Vec<Option<TxBuf>>,
    pub(super) tx_prod: u16,
    pub(super) tx_cq_cons: u16,
    pub(super) tx_doorbell_pending: bool,
    pub(super) tx_backlog: VecDeque<TxBuf>,
    pub(super) tx_stopped: bool,
}

impl OpenState {
    /// TX descriptors posted and not yet completed.
    pub(super) fn tx_in_flight(&self) -> u16 {
        self.tx_prod.wrapping_sub(self.tx_cq_cons)
    }
    /// Whether every TX slot is in flight.
    pub(super) fn tx_ring_full(&self) -> bool {
        self.tx_in_flight() >= self.tx_ring.size
    }
    /// RX buffers posted and not yet completed.
    pub(super) fn rx_posted(&self) -> u16 {
        self.rx_prod.wrapping_sub(self.rx_cq_cons)
    }
}

/// `a + off`.
pub(super) fn dma_add(a: DmaAddr, off: u32) -> DmaAddr {
    DmaAddr::new(a.raw_value() + u64::from(off))
}
/// `a + off`.
pub(super) fn host_add(a: HostAddr, off: u32) -> HostAddr {
    HostAddr::new(a.raw_value() + u64::from(off))
}
