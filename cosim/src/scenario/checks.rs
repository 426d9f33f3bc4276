//! The conservation and health checks every run is held to: every frame
//! accounted for (in = written + dropped by reason, completions, verdicts,
//! the stack's and the wire's frames intact and in order, echoes, TX), every
//! page (none in flight after close, pools freed, no DMA mapping left) and
//! no misuse (RTL assertion, DMA error, DMA-API violation, NIC DMA fault,
//! page-pool or skb misuse). One function per check; [`conservation`] runs
//! them all, in report order.

use hostdriver::conservation::check;
pub use hostdriver::conservation::{
    frame_conservation, page_conservation, Check, CopyPool, FrameCounts,
};
use hostdriver::CloseReport;

use super::format::Direction;
use super::traffic_close::{GenerationEnd, TrafficClose};
use super::wire::WireCounts;

/// How many of something were found, and the first one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// How many.
    pub count: usize,
    /// The first, rendered.
    pub first: Option<String>,
}

impl Findings {
    /// Counts `items` and renders the first.
    pub fn of<T>(items: &[T], render: impl Fn(&T) -> String) -> Findings {
        Findings {
            count: items.len(),
            first: items.first().map(render),
        }
    }

    /// Appends `more` (keeping the first found).
    pub fn extend(&mut self, more: Findings) {
        self.count += more.count;
        if self.first.is_none() {
            self.first = more.first;
        }
    }

    fn detail(&self, noun: &str) -> String {
        self.first.as_ref().map_or_else(
            || "none".into(),
            |x| format!("{} {noun}; first: {x}", self.count),
        )
    }
}

/// What one contract monitor (`checkers`) found in the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorFindings {
    /// The monitor.
    pub checker: checkers::Checker,
    /// Whether it ran.
    pub enabled: bool,
    /// Its findings (the first as its one-line message).
    pub found: Findings,
}

/// RX completions the driver had not processed when it went idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftBehind {
    /// Completions produced (RX_CQ_PROD) minus those processed.
    pub completions: u16,
    /// IRQ_STATUS then.
    pub irq_status: u32,
    /// IRQ_MASK then.
    pub irq_mask: u32,
    /// The interrupt line then.
    pub irq_line: bool,
}

/// The stack's echoes (`stack.echo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Echoes {
    /// Frames sent back out.
    pub sent: u64,
    /// Frames still queued to be sent.
    pub queued: usize,
}

/// Everything the checks read, gathered once a run has closed.
#[derive(Debug, Clone)]
pub struct Accounts {
    /// Why the traffic loop ended early, if it did.
    pub failure: Option<String>,
    /// Completions left behind when the driver went idle (when the loop
    /// ended normally and the registers could be read).
    pub left_behind: Option<LeftBehind>,
    /// The RTL's assertion or stop, if one fired.
    pub rtl_stop: Option<String>,
    /// Where the frames went.
    pub direction: Direction,
    /// Frames offered and delivered, the NIC's and the driver's counters.
    pub counts: FrameCounts,
    /// Frames and bytes each way (the stack's included).
    pub wire: WireCounts,
    /// Hashes of the frames offered, in order.
    pub offered_hashes: Vec<u64>,
    /// How many of them the driver accepted for transmit.
    pub transmitted: usize,
    /// Hashes of the frames the stack received, in order.
    pub stack_hashes: Vec<u64>,
    /// Hashes of the frames the NIC sent out, in order.
    pub out_hashes: Vec<u64>,
    /// The stack's echoes, when it echoes.
    pub echoes: Option<Echoes>,
    /// AXI bursts answered with an error.
    pub dma_error_bursts: u64,
    /// What close found, or why it failed.
    pub close: Result<CloseReport, String>,
    /// The closes under traffic (`faults.down_at_frames`), in order.
    pub traffic_closes: Vec<TrafficClose>,
    /// Their pool generations at the end of the run.
    pub generations: Vec<GenerationEnd>,
    /// The stack's copy pool, when it has one.
    pub copy_pool: Option<CopyPool>,
    /// DMA-API violations.
    pub dma_violations: Findings,
    /// NIC accesses the DMA domain refused.
    pub nic_faults: Findings,
    /// Page-pool and skb misuse, and the stack's own errors.
    pub misuse: Findings,
    /// The page pool's laws broken (`PoolRegistry::check_invariants`),
    /// while the interface was up and after close.
    /// `None` when switched off.
    pub pool_invariants: Option<Findings>,
    /// The contract monitors', one entry per monitor.
    pub monitors: Vec<MonitorFindings>,
    /// The contract monitor's violations (`None`: monitor off).
    pub contract: Option<Findings>,
    /// The scoreboard's mismatches (`None`: monitor off).
    pub scoreboard: Option<Findings>,
}

/// Every check of a run, in report order.
pub fn conservation(a: &Accounts) -> Vec<Check> {
    let mut checks = vec![run_completed(a)];
    checks.extend(no_completion_left_behind(a));
    checks.push(no_rtl_assertion(a));
    checks.extend(frame_conservation(&a.counts));
    checks.extend([stack_got_every_pass_frame(a), stack_frames_intact(a)]);
    checks.extend(stack_echoed_every_frame(a));
    checks.extend([
        wire_out_frames_intact(a),
        tx_queued_is_completed(a),
        wire_out_is_nic_sent(a),
        no_dma_error(a),
    ]);
    match &a.close {
        Ok(r) => checks.extend(page_conservation(r, a.copy_pool)),
        Err(e) => checks.push(check("close", false, e.clone())),
    }
    checks.extend(closed_under_traffic(a));
    checks.extend(closed_generations_freed(a));
    checks.extend([no_dma_api_violation(a), no_nic_dma_fault(a), no_misuse(a)]);
    checks
}

/// One check per contract monitor: none found anything.
pub fn monitors(a: &Accounts) -> Vec<Check> {
    let mut checks: Vec<Check> = a.monitors.iter().map(monitor_check).collect();
    checks.extend([
        rtl_contract_kept(a),
        scoreboard_agrees(a),
        pool_invariants_hold(a),
    ]);
    checks
}

fn monitor_check(m: &MonitorFindings) -> Check {
    let what = match m.checker {
        checkers::Checker::Ring => "ring auditor: descriptors, doorbells and completions agree",
        checkers::Checker::Napi => "NAPI contract: budget, complete, unmask and ack order",
        checkers::Checker::Barrier => {
            "barrier auditor: doorbells after wmb, completions after dma_rmb"
        }
        checkers::Checker::Watchdog => "watchdog: within the cycle bound, never stalled",
    };
    let detail = if m.enabled {
        m.found.detail("found")
    } else {
        "switched off".into()
    };
    check(what, m.found.count == 0, detail)
}

fn run_completed(a: &Accounts) -> Check {
    check(
        "run completed",
        a.failure.is_none(),
        a.failure
            .clone()
            .unwrap_or_else(|| "traffic offered, driver idle".into()),
    )
}

fn no_completion_left_behind(a: &Accounts) -> Option<Check> {
    let l = a.left_behind?;
    Some(check(
        "driver idle with no completion left behind",
        l.completions == 0,
        format!(
            "{} RX completions unprocessed when the driver went idle (IRQ_STATUS {:#x}, IRQ_MASK {:#x}, irq line {})",
            l.completions, l.irq_status, l.irq_mask, l.irq_line
        ),
    ))
}

fn no_rtl_assertion(a: &Accounts) -> Check {
    check(
        "no RTL assertion",
        a.rtl_stop.is_none(),
        a.rtl_stop.clone().unwrap_or_else(|| "none fired".into()),
    )
}

fn stack_got_every_pass_frame(a: &Accounts) -> Check {
    check(
        "stack got every PASS frame",
        a.wire.stack_frames == a.counts.stats.rx_pass,
        format!(
            "stack received {} of {} passed",
            a.wire.stack_frames, a.counts.stats.rx_pass
        ),
    )
}

fn stack_frames_intact(a: &Accounts) -> Check {
    let want: &[u64] = match a.direction {
        Direction::Rx => &a.offered_hashes,
        _ => &a.offered_hashes[..a.transmitted],
    };
    let intact = subsequence(&a.stack_hashes, want);
    check(
        "stack frames intact and in order",
        intact.is_ok(),
        intact.err().unwrap_or_else(|| {
            format!("{} frames byte-exact, in wire order", a.stack_hashes.len())
        }),
    )
}

fn stack_echoed_every_frame(a: &Accounts) -> Option<Check> {
    let e = a.echoes?;
    let received = a.wire.stack_frames;
    Some(check(
        "stack echoed every frame it received",
        e.sent == received && e.queued == 0,
        format!(
            "{} of {received} received frames sent back, {} still queued",
            e.sent, e.queued
        ),
    ))
}

fn wire_out_frames_intact(a: &Accounts) -> Check {
    let want: &[u64] = match a.direction {
        Direction::Tx => &a.offered_hashes[..a.transmitted],
        Direction::Rx => &a.offered_hashes,
        Direction::Loopback => &[],
    };
    let intact = subsequence(&a.out_hashes, want);
    check(
        "wire-out frames intact and in order",
        intact.is_ok(),
        intact
            .err()
            .unwrap_or_else(|| format!("{} frames byte-exact, in order", a.out_hashes.len())),
    )
}

fn tx_queued_is_completed(a: &Accounts) -> Check {
    let s = &a.counts.stats;
    let tx_in = s.tx_xmit + s.rx_xdp_tx + s.rx_xdp_redirect
        - s.rx_xdp_tx_errors.min(s.rx_xdp_tx + s.rx_xdp_redirect);
    let tx_out = s.tx_packets + s.tx_bad_desc + s.tx_dropped_at_close;
    check(
        "TX queued = completed",
        tx_in == tx_out,
        format!(
            "xmit {} + xdp_tx {} + redirect {} - ring full {} = sent {} + bad_desc {} + dropped at close {}",
            s.tx_xmit,
            s.rx_xdp_tx,
            s.rx_xdp_redirect,
            s.rx_xdp_tx_errors,
            s.tx_packets,
            s.tx_bad_desc,
            s.tx_dropped_at_close
        ),
    )
}

fn wire_out_is_nic_sent(a: &Accounts) -> Check {
    let hw = &a.counts.hw;
    let expect = if a.direction == Direction::Loopback {
        0
    } else {
        hw.hw_tx_frames
    };
    check(
        "wire out = frames sent by the NIC",
        a.wire.tx_frames == expect && hw.hw_tx_frames == a.counts.stats.tx_packets,
        format!(
            "wire out {} (expected {expect}), NIC STAT_TX_FRAMES {}, TX completions {}",
            a.wire.tx_frames, hw.hw_tx_frames, a.counts.stats.tx_packets
        ),
    )
}

fn no_dma_error(a: &Accounts) -> Check {
    check(
        "no DMA error",
        a.counts.hw.hw_dma_errors == 0 && a.dma_error_bursts == 0,
        format!(
            "STAT_DMA_ERRORS {}, error bursts {}",
            a.counts.hw.hw_dma_errors, a.dma_error_bursts
        ),
    )
}

/// Every close under traffic closed and the interface came up again.
fn closed_under_traffic(a: &Accounts) -> Option<Check> {
    if a.traffic_closes.is_empty() {
        return None;
    }
    let closed = a.traffic_closes.iter().filter(|c| c.close.is_ok()).count();
    let reopened = a
        .traffic_closes
        .iter()
        .filter(|c| c.reopened.is_some())
        .count();
    let busy = a.traffic_closes.iter().filter(|c| c.nic_busy).count();
    let n = a.traffic_closes.len();
    let first_err = a.traffic_closes.iter().find_map(|c| c.close.as_ref().err());
    Some(check(
        "closes under traffic closed and reopened",
        closed == n && reopened == n,
        match first_err {
            Some(e) => format!("{closed} of {n} closed; first failure: {e}"),
            None => {
                format!("{closed} of {n} closed ({busy} with the NIC busy), {reopened} reopened")
            }
        },
    ))
}

/// The pools of every generation closed under traffic got all their pages
/// back and were freed by the end of the run.
fn closed_generations_freed(a: &Accounts) -> Option<Check> {
    if a.generations.is_empty() {
        return None;
    }
    let bad = a.generations.iter().find(|g| g.inflight != 0 || !g.freed);
    Some(check(
        "closed pool generations: every page back, pools freed",
        bad.is_none(),
        match bad {
            Some(g) => format!(
                "pools closed at frame {}: {} pages in flight, freed {}",
                g.at_frame, g.inflight, g.freed
            ),
            None => format!(
                "{} generations, 0 pages in flight, all freed",
                a.generations.len()
            ),
        },
    ))
}

fn no_dma_api_violation(a: &Accounts) -> Check {
    check(
        "no DMA-API violation",
        a.dma_violations.count == 0,
        a.dma_violations.detail("violations"),
    )
}

fn no_nic_dma_fault(a: &Accounts) -> Check {
    check(
        "no NIC DMA fault",
        a.nic_faults.count == 0,
        a.nic_faults.detail("faults"),
    )
}

fn no_misuse(a: &Accounts) -> Check {
    check(
        "no page-pool or skb misuse",
        a.misuse.count == 0,
        a.misuse.detail("found"),
    )
}

fn pool_invariants_hold(a: &Accounts) -> Check {
    switchable(
        "page pool invariants hold",
        a.pool_invariants.as_ref(),
        "broken",
    )
}

fn switchable(name: &str, f: Option<&Findings>, noun: &str) -> Check {
    match f {
        Some(f) => check(name, f.count == 0, f.detail(noun)),
        None => check(name, true, "switched off".into()),
    }
}

fn rtl_contract_kept(a: &Accounts) -> Check {
    switchable("RTL contract (monitor)", a.contract.as_ref(), "violations")
}

fn scoreboard_agrees(a: &Accounts) -> Check {
    switchable("scoreboard", a.scoreboard.as_ref(), "mismatches")
}

/// `got` is `want` with some elements left out, in order.
fn subsequence(got: &[u64], want: &[u64]) -> Result<(), String> {
    let mut w = want.iter();
    for (i, g) in got.iter().enumerate() {
        if !w.any(|x| x == g) {
            return Err(format!(
                "frame {i} of {} delivered is not one of the frames sent, or out of order",
                got.len()
            ));
        }
    }
    Ok(())
}
