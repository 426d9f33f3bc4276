//! One close of the interface under traffic (`faults.down_at_frames`), as
//! it happened, and what became of its pool generation by the end of the
//! run: the data the report and the checks read (the schedule that makes
//! the closes is `updown`).

use hostdriver::CloseReport;
use pool::PagePoolHandle;

/// One close under traffic, as it happened.
#[derive(Debug, Clone)]
pub struct TrafficClose {
    /// Frames that had left the wire when the interface went down.
    pub at_frame: u64,
    /// Cycle of the close.
    pub cycle: u64,
    /// Whether the NIC was busy (STATUS.IDLE clear) just before the close.
    pub nic_busy: bool,
    /// Cycle the interface was up again (`None`: the reopen failed or the
    /// run ended first).
    pub reopened: Option<u64>,
    /// What close found, or why it failed.
    pub close: Result<CloseReport, String>,
    /// The closed generation's RX and TX pools (destroyed at close).
    pub pools: Vec<(&'static str, PagePoolHandle)>,
}

/// The closed generation's pools once the run is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerationEnd {
    /// Frames that had left the wire when it was closed.
    pub at_frame: u64,
    /// Pages of its pools still in flight.
    pub inflight: i32,
    /// Whether all its pools were freed (the last page came back).
    pub freed: bool,
}

impl TrafficClose {
    /// Its pools now: pages in flight and whether they were freed.
    pub fn generation_end(&self) -> GenerationEnd {
        GenerationEnd {
            at_frame: self.at_frame,
            inflight: self.pools.iter().map(|(_, h)| h.inflight()).sum(),
            freed: self.pools.iter().all(|(_, h)| h.is_freed()),
        }
    }
}
