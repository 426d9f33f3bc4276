//! The driver of one NIC: probe, open, NAPI poll, RX refill, verdicts, TX,
//! close. [`Driver`] is defined here; its methods live with their concern:
//!
//! * `lifecycle`: probe, open, close ([`CloseReport`]);
//! * `napi`: the interrupt handler and the NAPI poll ([`NapiEvent`],
//!   [`PollOutcome`], [`DmaErrorRecord`]);
//! * `rx` and `refill`: RX completions and verdicts, posting RX buffers;
//! * `tx` and `xdp_tx`: transmit and TX completions, the TX side of XDP;
//! * `rings`, `completion` and `mmio`: the rings and their buffers, reading
//!   completions, register access;
//! * `counters` and `accessors`: stats and what the user may look at.

use std::collections::VecDeque;

use pool::{DmaDev, HostMemory, PagePoolHandle};

use crate::config::DriverConfig;
use crate::skb::{SkBuff, SkbViolations};
use crate::stats::{DriverStats, HwStats};
use crate::xdp::{RxHandler, XdpFrame, XdpProg};
use crate::xdp_mem::XdpMemLog;
use crate::NicDevice;

mod accessors;
mod completion;
mod counters;
mod lifecycle;
mod mmio;
mod napi;
mod refill;
mod rings;
mod rx;
mod tx;
mod xdp_tx;

pub use lifecycle::CloseReport;
pub use napi::{DmaErrorRecord, NapiEvent, PollOutcome};

use rings::OpenState;

/// The driver of one NIC (one RX and one TX queue).
pub struct Driver<D: NicDevice> {
    dev: D,
    mem: HostMemory,
    dma: DmaDev,
    cfg: DriverConfig,
    open: Option<OpenState>,
    xdp: Option<Box<dyn XdpProg>>,
    rx_handler: Option<Box<dyn RxHandler>>,
    socket: VecDeque<SkBuff>,
    redirects: Vec<XdpFrame>,
    stats: DriverStats,
    napi_scheduled: bool,
    events: Vec<NapiEvent>,
    skb_log: SkbViolations,
    /// The XDP memory model's log: the RX queue's registration, its
    /// frames and their return.
    xdp_mem_log: XdpMemLog,
    rx_pool_h: Option<PagePoolHandle>,
    tx_pool_h: Option<PagePoolHandle>,
    dma_error: Option<DmaErrorRecord>,
    /// The NIC's counters up to the last soft reset at a reopen (the reset
    /// clears the STAT_* registers); [`Driver::hw_stats`] adds the
    /// registers to it.
    hw_before_reset: HwStats,
    /// Closes so far (a reopen folds the counters into `hw_before_reset`).
    closes: u32,
}

impl<D: NicDevice> std::fmt::Debug for Driver<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("name", &self.cfg.name)
            .field("open", &self.open.is_some())
            .field("napi_scheduled", &self.napi_scheduled)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}
