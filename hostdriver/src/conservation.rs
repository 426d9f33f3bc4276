//! The conservation laws every run of the driver is held to, as checks:
//! every frame the wire offered is written or dropped by a named reason,
//! every written frame is a completion the driver processed and has a
//! verdict ([`frame_conservation`]); after close no page is in flight, every
//! pool was freed and no DMA mapping is left ([`page_conservation`]).
//!
//! One home for the laws: the co-simulation's runner and demo
//! (`cosim::scenario::conservation`) and the driver tests
//! (`test_utils`) all judge a run with these functions.

use pool::DestroyOutcome;
use serde::Serialize;

use crate::{CloseReport, DriverStats, HwStats};

/// One conservation or health check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What is checked.
    pub name: String,
    /// Whether it held.
    pub ok: bool,
    /// The numbers.
    pub detail: String,
}

/// The stack's copy pool (`stack.copy_pool_order`), after destroy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyPool {
    /// Pages in flight.
    pub inflight: u32,
    /// What destroy did.
    pub outcome: DestroyOutcome,
}

/// The frame counts of a run: what the wire offered and delivered, the
/// NIC's and the driver's counters.
#[derive(Debug, Clone, Copy)]
pub struct FrameCounts {
    /// Frames to offer on the wire.
    pub wire_offered: u64,
    /// Frames that left the wire source.
    pub wire_sent: u64,
    /// Frames the NIC looped back from TX to RX (loopback).
    pub looped: u64,
    /// The NIC's counters.
    pub hw: HwStats,
    /// The driver's counters.
    pub stats: DriverStats,
}

/// Every frame the wire offered left it, and entered the NIC: frames in =
/// written + dropped by reason; written = completions the driver processed
/// = the sum of its verdicts.
pub fn frame_conservation(c: &FrameCounts) -> [Check; 4] {
    [
        wire_delivered_every_frame(c),
        nic_in_is_written_plus_dropped(c),
        completions_are_frames_written(c),
        verdicts_add_up(c),
    ]
}

/// After close: no page in flight (RX, TX, the stack's copy pool), every
/// pool freed at destroy, no DMA mapping left.
pub fn page_conservation(r: &CloseReport, copy_pool: Option<CopyPool>) -> [Check; 3] {
    [
        no_page_in_flight(r, copy_pool),
        pools_freed(r, copy_pool),
        no_dma_mapping_left(r),
    ]
}

/// A check named `name` that held when `ok`, with its numbers.
pub fn check(name: &str, ok: bool, detail: String) -> Check {
    Check {
        name: name.to_string(),
        ok,
        detail,
    }
}

fn wire_delivered_every_frame(a: &FrameCounts) -> Check {
    check(
        "wire delivered every frame",
        a.wire_sent == a.wire_offered,
        format!(
            "{} of {} frames left the wire source",
            a.wire_sent, a.wire_offered
        ),
    )
}

fn nic_in_is_written_plus_dropped(a: &FrameCounts) -> Check {
    let hw = &a.hw;
    let looped = a.looped;
    let rx_n = a.wire_offered;
    check(
        "NIC in = written + dropped by reason",
        hw.rx_frames_in() == rx_n + looped,
        format!(
            "{} in (wire {rx_n} + looped {looped}) = written {} + no_desc {} + too_long {} + off {} + dma_err {}",
            rx_n + looped,
            hw.hw_rx_frames,
            hw.hw_rx_drop_no_desc,
            hw.hw_rx_drop_too_long,
            hw.hw_rx_drop_off,
            hw.hw_rx_drop_dma_err
        ),
    )
}

fn completions_are_frames_written(a: &FrameCounts) -> Check {
    check(
        "completions = frames written",
        a.stats.rx_packets == a.hw.hw_rx_frames,
        format!(
            "driver rx_packets {} vs NIC STAT_RX_FRAMES {}",
            a.stats.rx_packets, a.hw.hw_rx_frames
        ),
    )
}

fn verdicts_add_up(a: &FrameCounts) -> Check {
    let s = &a.stats;
    let verdicts = s.rx_pass
        + s.rx_xdp_drop
        + s.rx_xdp_aborted
        + s.rx_xdp_tx
        + s.rx_xdp_redirect
        + s.rx_len_errors;
    check(
        "verdicts add up",
        s.rx_packets == verdicts,
        format!(
            "rx_packets {} = pass {} + drop {} + aborted {} + tx {} + redirect {} + len_errors {}",
            s.rx_packets,
            s.rx_pass,
            s.rx_xdp_drop,
            s.rx_xdp_aborted,
            s.rx_xdp_tx,
            s.rx_xdp_redirect,
            s.rx_len_errors
        ),
    )
}

fn no_page_in_flight(r: &CloseReport, copy_pool: Option<CopyPool>) -> Check {
    let copy_inflight = copy_pool.map_or(0, |c| c.inflight);
    check(
        "no page in flight after close",
        r.rx_inflight == 0 && r.tx_inflight == 0 && copy_inflight == 0,
        format!(
            "RX pool {}, TX pool {}, stack copy pool {copy_inflight} pages in flight (close drained {} RX completions, released {} posted buffers, {} TX unsent)",
            r.rx_inflight, r.tx_inflight, r.rx_drained, r.rx_buffers_released, r.tx_unsent
        ),
    )
}

fn pools_freed(r: &CloseReport, copy_pool: Option<CopyPool>) -> Check {
    let copy_freed = copy_pool.is_none_or(|c| c.outcome == DestroyOutcome::Freed);
    check(
        "pools freed at destroy",
        r.rx_pool == DestroyOutcome::Freed && r.tx_pool == DestroyOutcome::Freed && copy_freed,
        format!("RX {:?}, TX {:?}", r.rx_pool, r.tx_pool),
    )
}

fn no_dma_mapping_left(r: &CloseReport) -> Check {
    check(
        "no DMA mapping left",
        r.live_mappings == 0,
        format!("{} live mappings after close", r.live_mappings),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 10 frames offered: 7 written (5 PASS, 2 XDP_DROP), 3 dropped for
    /// want of a descriptor.
    fn balanced() -> FrameCounts {
        let mut c = FrameCounts {
            wire_offered: 10,
            wire_sent: 10,
            looped: 0,
            hw: HwStats::default(),
            stats: DriverStats::default(),
        };
        c.hw.hw_rx_frames = 7;
        c.hw.hw_rx_drop_no_desc = 3;
        c.stats.rx_packets = 7;
        c.stats.rx_pass = 5;
        c.stats.rx_xdp_drop = 2;
        c
    }

    fn failed(checks: &[Check]) -> Vec<&str> {
        checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name.as_str())
            .collect()
    }

    #[test]
    fn frame_laws_hold_on_a_balanced_run() {
        assert!(failed(&frame_conservation(&balanced())).is_empty());
    }

    #[test]
    fn each_frame_law_names_its_own_failure() {
        let mut lost = balanced();
        lost.hw.hw_rx_drop_no_desc = 2;
        assert_eq!(
            failed(&frame_conservation(&lost)),
            ["NIC in = written + dropped by reason"]
        );
        let mut stuck = balanced();
        stuck.wire_sent = 9;
        assert_eq!(
            failed(&frame_conservation(&stuck)),
            ["wire delivered every frame"]
        );
        let mut unprocessed = balanced();
        unprocessed.stats.rx_packets = 6;
        unprocessed.stats.rx_pass = 4;
        assert_eq!(
            failed(&frame_conservation(&unprocessed)),
            ["completions = frames written"]
        );
        let mut no_verdict = balanced();
        no_verdict.stats.rx_pass = 4;
        assert_eq!(
            failed(&frame_conservation(&no_verdict)),
            ["verdicts add up"]
        );
    }

    fn closed() -> CloseReport {
        CloseReport {
            rx_drained: 0,
            rx_buffers_released: 64,
            tx_unsent: 0,
            rx_inflight: 0,
            tx_inflight: 0,
            rx_pool: DestroyOutcome::Freed,
            tx_pool: DestroyOutcome::Freed,
            hw: HwStats::default(),
            live_mappings: 0,
        }
    }

    #[test]
    fn page_laws_name_the_page_left_behind() {
        assert!(failed(&page_conservation(&closed(), None)).is_empty());
        let mut held = closed();
        held.rx_inflight = 1;
        assert_eq!(
            failed(&page_conservation(&held, None)),
            ["no page in flight after close"]
        );
        let mut mapped = closed();
        mapped.live_mappings = 2;
        assert_eq!(
            failed(&page_conservation(&mapped, None)),
            ["no DMA mapping left"]
        );
        let copy = CopyPool {
            inflight: 1,
            outcome: DestroyOutcome::Detached { inflight: 1 },
        };
        assert_eq!(
            failed(&page_conservation(&closed(), Some(copy))),
            ["no page in flight after close", "pools freed at destroy"]
        );
    }
}
