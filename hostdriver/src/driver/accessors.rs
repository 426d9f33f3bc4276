//! What an open (or closed) driver lets its user see and take: the socket
//! queue, redirected frames, queue state, the RX pool from another NAPI
//! instance's poll, the NAPI protocol record, the configuration, the device
//! and its memory.

use pool::{DmaDev, HostMemory, NapiCtx, NapiId, PagePoolHandle};

use super::napi::{DmaErrorRecord, NapiEvent};
use super::rings::OpenState;
use super::Driver;
use crate::config::DriverConfig;
use crate::skb::{SkBuff, SkbViolation};
use crate::xdp::XdpFrame;
use crate::xdp_mem::{XdpMemLog, XdpRxqInfo};
use crate::NicDevice;

impl<D: NicDevice> Driver<D> {
    /// Frames REDIRECTed to other interfaces since the last call
    /// (`xdp_do_flush`): pass them to the target's [`Self::xdp_xmit`].
    pub fn take_redirects(&mut self) -> Vec<XdpFrame> {
        std::mem::take(&mut self.redirects)
    }

    /// The next skb on the socket queue (PASS frames not consumed by the rx
    /// handler).
    pub fn recv(&mut self) -> Option<SkBuff> {
        self.socket.pop_front()
    }

    /// Every queued skb.
    pub fn drain_rx(&mut self) -> Vec<SkBuff> {
        self.socket.drain(..).collect()
    }

    /// Skbs waiting on the socket queue.
    pub fn rx_queued(&self) -> usize {
        self.socket.len()
    }

    /// The RX pool (also after close, to watch a detached pool).
    pub fn rx_pool(&self) -> Option<&PagePoolHandle> {
        self.rx_pool_h.as_ref()
    }

    /// The RX pool as the NAPI poll of `napi`, another NAPI instance than
    /// this driver's, sees it: for a stack that frees this driver's skbs in
    /// that poll (another device's TX-completion NAPI, another CPU's backlog
    /// NAPI), outside this driver's poll. Puts through it follow the pool's
    /// rules for a foreign NAPI (to the ring). `None` while closed, and for
    /// this driver's own NAPI id (its poll is [`Self::napi_poll`]).
    pub fn rx_pool_in_other_napi(&mut self, napi: NapiId) -> Option<NapiCtx<'_>> {
        if napi == self.cfg.napi_id {
            return None;
        }
        self.open.as_mut().map(|o| o.rx_pool.napi_ctx(napi))
    }

    /// The RX queue's `xdp_rxq_info` (`None` while closed).
    pub fn xdp_rxq_info(&self) -> Option<&XdpRxqInfo> {
        self.open.as_ref().map(|o| &o.rxq)
    }

    /// The XDP memory model's log: violations and the return path's
    /// counters (`xdp_return_frame*`, the bulk and its
    /// `page_pool_put_page_bulk` calls by context).
    pub fn xdp_mem_log(&self) -> &XdpMemLog {
        &self.xdp_mem_log
    }

    /// The TX pool.
    pub fn tx_pool(&self) -> Option<&PagePoolHandle> {
        self.tx_pool_h.as_ref()
    }

    pub fn rx_posted(&self) -> u16 {
        self.open.as_ref().map_or(0, OpenState::rx_posted)
    }

    /// RX completions consumed since the interface was opened (the
    /// completion ring's consumer index, wrapping; `None` while closed).
    pub fn rx_cq_consumed(&self) -> Option<u16> {
        self.open.as_ref().map(|o| o.rx_cq_cons)
    }

    /// TX descriptors in flight.
    pub fn tx_in_flight(&self) -> u16 {
        self.open.as_ref().map_or(0, OpenState::tx_in_flight)
    }

    /// Frames waiting in the TX backlog.
    pub fn tx_backlog_len(&self) -> usize {
        self.open.as_ref().map_or(0, |o| o.tx_backlog.len())
    }

    /// Whether the TX queue is stopped (ring full).
    pub fn tx_queue_stopped(&self) -> bool {
        self.open.as_ref().is_some_and(|o| o.tx_stopped)
    }

    /// Whether NAPI is scheduled (interrupt masked).
    pub fn napi_scheduled(&self) -> bool {
        self.napi_scheduled
    }

    /// The interrupt/NAPI protocol so far.
    pub fn events(&self) -> &[NapiEvent] {
        &self.events
    }

    /// Takes the recorded protocol events.
    pub fn take_events(&mut self) -> Vec<NapiEvent> {
        std::mem::take(&mut self.events)
    }

    /// What the skb return hook caught.
    pub fn skb_violations(&self) -> Vec<SkbViolation> {
        self.skb_log.list()
    }

    /// The first DMA error the NIC reported since open.
    pub fn dma_error(&self) -> Option<DmaErrorRecord> {
        self.dma_error
    }

    /// The configuration.
    pub fn config(&self) -> &DriverConfig {
        &self.cfg
    }

    /// The device.
    pub fn dev(&self) -> &D {
        &self.dev
    }

    /// The device, mutably (to feed the wire, advance time, read registers).
    pub fn dev_mut(&mut self) -> &mut D {
        &mut self.dev
    }

    /// The device's DMA domain.
    pub fn dma_dev(&self) -> &DmaDev {
        &self.dma
    }

    /// Host memory.
    pub fn host_mem(&self) -> &HostMemory {
        &self.mem
    }
}
