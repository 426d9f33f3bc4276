//! The verdict hook (an XDP program), redirected frames, and the hook the
//! "stack" receives PASS buffers through.

use pool::{DmaDev, HostMemory, IfIndex, NapiCtx, PagePoolHandle, PpPage};

use crate::skb::SkBuff;
use crate::xdp_mem::{xdp_return, XdpFrameBulk, XdpMemInfo, XdpMemLog};

/// Where a REDIRECT sends the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RedirectTarget {
    /// The TX ring of the interface with this index (this driver's own
    /// ifindex means its own TX ring).
    Ifindex(IfIndex),
}

/// An XDP verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum XdpAction {
    /// Build an skb and hand it to the stack.
    Pass,
    /// Drop: the page is recycled directly into the pool's cache.
    Drop,
    /// Send the same page back out of this interface (no copy).
    Tx,
    /// Send to another TX ring.
    Redirect(RedirectTarget),
    /// A program error: dropped like DROP and counted (trace_xdp_exception).
    Aborted,
}

/// The frame as an XDP program sees it. The driver synced it for the CPU
/// and read it; bytes changed through [`XdpBuff::data_mut`] are written
/// back to the page before the verdict is carried out.
#[derive(Debug)]
pub struct XdpBuff {
    pub(crate) data: Vec<u8>,
    pub(crate) modified: bool,
    pub(crate) ifindex: IfIndex,
    pub(crate) cycle: u64,
}

impl XdpBuff {
    /// The frame.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// The frame, writable in place.
    pub fn data_mut(&mut self) -> &mut [u8] {
        self.modified = true;
        &mut self.data
    }
    /// Frame length.
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// Never true for a received frame.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// The receiving interface.
    pub fn ingress_ifindex(&self) -> IfIndex {
        self.ifindex
    }
    /// The device cycle at which the program runs.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }
}

/// An XDP program: called once per received frame inside the NAPI poll.
pub trait XdpProg {
    /// The verdict for `xdp`.
    fn run(&mut self, xdp: &mut XdpBuff) -> XdpAction;
}

impl<F: FnMut(&mut XdpBuff) -> XdpAction> XdpProg for F {
    fn run(&mut self, xdp: &mut XdpBuff) -> XdpAction {
        self(xdp)
    }
}

/// The stack's receive hook, called inside the NAPI poll for every PASS
/// buffer (`napi_gro_receive`). Return `None` when the skb was consumed
/// (freed here, inside the poll: its page may recycle directly), or
/// `Some(skb)` to queue it on the socket queue for later (freed from process
/// context: its page goes to the pool's ring).
pub trait RxHandler {
    /// Receives one skb.
    fn receive(&mut self, skb: SkBuff, napi: &mut NapiCtx<'_>) -> Option<SkBuff>;
}

impl<F> RxHandler for F
where
    F: FnMut(SkBuff, &mut NapiCtx<'_>) -> Option<SkBuff>,
{
    fn receive(&mut self, skb: SkBuff, napi: &mut NapiCtx<'_>) -> Option<SkBuff> {
        self(skb, napi)
    }
}

/// A frame redirected to another interface (`struct xdp_frame`): still in
/// its page pool page, carrying the `xdp_mem_info` of the queue that
/// received it ([`XdpFrame::mem_info`]). Hand it to the target's
/// [`crate::Driver::xdp_xmit`], or free it with [`XdpFrame::free`]
/// (`xdp_return_frame`) or, inside the receiving pool's NAPI poll,
/// [`XdpFrame::return_rx_napi`] (`xdp_return_frame_rx_napi`); dropping it
/// frees it too (and logs that nobody took it).
#[derive(Debug)]
pub struct XdpFrame {
    pub(crate) page: Option<PpPage>,
    pub(crate) pool: PagePoolHandle,
    pub(crate) dev: DmaDev,
    pub(crate) mem: HostMemory,
    /// Offset of the frame in the page.
    pub(crate) offset: u32,
    pub(crate) len: u32,
    pub(crate) target: RedirectTarget,
    pub(crate) from: IfIndex,
    /// `xdpf->mem`.
    pub(crate) xdp_mem: XdpMemInfo,
    /// The receiving driver's XDP memory log.
    pub(crate) log: XdpMemLog,
}

impl XdpFrame {
    /// Where it is going.
    pub fn target(&self) -> RedirectTarget {
        self.target
    }
    /// The interface that received it.
    pub fn ingress(&self) -> IfIndex {
        self.from
    }
    /// Frame length.
    pub fn len(&self) -> usize {
        self.len as usize
    }
    /// Never true.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The device whose IOMMU domain the page is mapped in.
    pub fn dma_dev(&self) -> &DmaDev {
        &self.dev
    }
    /// Reads the frame through the CPU's view.
    pub fn data(&self) -> Result<Vec<u8>, pool::MemError> {
        let mut v = vec![0; self.len as usize];
        if let Some(p) = &self.page {
            self.mem.cpu_read(
                pool::HostAddr::new(p.host_addr().raw_value() + u64::from(self.offset)),
                &mut v,
            )?;
        }
        Ok(v)
    }
    /// `xdpf->mem`: the memory model the frame returns through.
    pub fn mem_info(&self) -> XdpMemInfo {
        self.xdp_mem
    }
    /// For tests only: the frame with another `mem` (as a driver bug
    /// would stamp it), to exercise the return path's checks.
    #[doc(hidden)]
    pub fn with_mem_info_for_test(mut self, mem: XdpMemInfo) -> Self {
        self.xdp_mem = mem;
        self
    }
    /// `xdp_return_frame` outside any NAPI poll: `__xdp_return` with
    /// `napi_direct = false`, so the page goes back to its pool's ring.
    pub fn free(mut self) {
        if let Some(p) = self.page.take() {
            self.log.count(|s| s.return_frame += 1);
            xdp_return(p, &self.pool, self.xdp_mem, false, None);
        }
    }
    /// `xdp_return_frame_rx_napi` from the NAPI poll `napi`: `__xdp_return`
    /// with `napi_direct = true`, which only the receiving pool's own poll
    /// may claim (the pool reports a claim from any other context).
    pub fn return_rx_napi(mut self, napi: &mut NapiCtx<'_>) {
        if let Some(p) = self.page.take() {
            self.log.count(|s| s.return_frame_rx_napi += 1);
            xdp_return(p, &self.pool, self.xdp_mem, true, Some(napi));
        }
    }
    pub(crate) fn take_page(&mut self) -> Option<PpPage> {
        self.page.take()
    }
}

impl Drop for XdpFrame {
    fn drop(&mut self) {
        if let Some(p) = self.page.take() {
            tracing::debug!(
                from = self.from.0,
                "redirected frame dropped without xmit: returned to its pool"
            );
            self.log.count(|s| s.return_frame += 1);
            xdp_return(p, &self.pool, self.xdp_mem, false, None);
        }
    }
}

/// `xdp_return_frame_bulk(xdpf, bq)` from the context `napi` (the caller's
/// NAPI poll, `None` outside any): see [`XdpFrameBulk`].
pub fn xdp_return_frame_bulk(
    mut frame: XdpFrame,
    bq: &mut XdpFrameBulk,
    napi: Option<&mut NapiCtx<'_>>,
) {
    if let Some(page) = frame.take_page() {
        bq.return_page(page, frame.pool.clone(), frame.xdp_mem, napi);
    }
}
