//! Channel statistics of a decoded waveform: counts, bytes, bandwidth,
//! backpressure and latency percentiles.

use serde::Serialize;

use crate::dma::{ChannelStats, Decoded, Dir, Transaction};

/// Latency percentiles in cycles (nearest-rank).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    pub mean: f64,
}

impl Percentiles {
    pub fn of(mut v: Vec<u64>) -> Option<Percentiles> {
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let n = v.len();
        let rank = |p: f64| v[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        Some(Percentiles {
            count: n as u64,
            min: v[0],
            p50: rank(0.50),
            p90: rank(0.90),
            p99: rank(0.99),
            max: v[n - 1],
            mean: v.iter().sum::<u64>() as f64 / n as f64,
        })
    }
}

/// One channel's line of the summary.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelLine {
    pub channel: &'static str,
    pub handshakes: u64,
    /// W and R: payload bytes (write: strobed; read: transfer bytes).
    pub bytes: Option<u64>,
    /// Bytes per cycle over the summarised cycles, and per second at the
    /// clock frequency given to [`summarize`].
    pub bytes_per_cycle: Option<f64>,
    pub bytes_per_second: Option<f64>,
    /// Share of cycles the channel moved a beat.
    pub utilisation: f64,
    /// Of the cycles with VALID high, the share READY was low.
    pub backpressure: f64,
    pub valid_cycles: u64,
    pub stall_cycles: u64,
}

/// Latencies of one direction (optionally one ID).
#[derive(Debug, Clone, Serialize)]
pub struct LatencyLine {
    pub dir: Dir,
    /// None: every ID.
    pub id: Option<u32>,
    pub bursts: u64,
    pub bytes: u64,
    /// Address handshake to the last data beat (W or R); 0 when every W
    /// beat went before the address (AXI allows W before AW).
    pub addr_to_last_data: Option<Percentiles>,
    /// Address handshake to the response (B; for reads the last R beat,
    /// which carries the response).
    pub addr_to_response: Option<Percentiles>,
    pub errors: u64,
}

/// The summary of a decoded waveform.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The clock frequency bandwidths are computed at.
    pub clock_hz: f64,
    pub first_cycle: u64,
    pub last_cycle: u64,
    pub cycles: u64,
    pub bus_bytes: u32,
    pub channels: Vec<ChannelLine>,
    pub latency: Vec<LatencyLine>,
    pub incomplete: u64,
    pub orphan_beats: u64,
}

/// Summarises the transactions `txns` of `d` (filter them first for a
/// subset) and the channel activity over the cycles `[c0, c1)` (None: the
/// whole file); bandwidth per second at `clock_hz`.
pub fn summarize(
    d: &Decoded,
    txns: &[&Transaction],
    cycles: Option<(u64, u64)>,
    clock_hz: f64,
) -> Summary {
    let (c0, c1) = cycles.unwrap_or((d.first_cycle, d.last_cycle + 1));
    let (c0, c1) = (c0.max(d.first_cycle), c1.min(d.last_cycle + 1).max(c0));
    let ch = d.channels_in(c0, c1);
    let first_cycle = c0;
    let n_cycles = c1 - c0;
    let cycles = n_cycles.max(1);
    let secs = cycles as f64 / clock_hz;
    let wbytes: u64 = txns
        .iter()
        .filter(|t| t.dir == Dir::Write)
        .map(|t| t.bytes)
        .sum();
    let rbytes: u64 = txns
        .iter()
        .filter(|t| t.dir == Dir::Read && t.is_complete())
        .map(|t| t.bytes)
        .sum();
    let line = |name: &'static str, s: &ChannelStats, bytes: Option<u64>| ChannelLine {
        channel: name,
        handshakes: s.beats,
        bytes,
        bytes_per_cycle: bytes.map(|b| b as f64 / cycles as f64),
        bytes_per_second: bytes.filter(|_| secs > 0.0).map(|b| b as f64 / secs),
        utilisation: s.beats as f64 / cycles as f64,
        backpressure: if s.valid_cycles == 0 {
            0.0
        } else {
            s.stall_cycles as f64 / s.valid_cycles as f64
        },
        valid_cycles: s.valid_cycles,
        stall_cycles: s.stall_cycles,
    };
    let c = &ch;
    let channels = vec![
        line("AW", &c.aw, None),
        line("W", &c.w, Some(wbytes)),
        line("B", &c.b, None),
        line("AR", &c.ar, None),
        line("R", &c.r, Some(rbytes)),
    ];
    let mut latency = Vec::new();
    for dir in [Dir::Read, Dir::Write] {
        let mut ids: Vec<u32> = txns
            .iter()
            .filter(|t| t.dir == dir)
            .map(|t| u32::from(t.id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for id in std::iter::once(None).chain(ids.into_iter().map(Some)) {
            let sel: Vec<&&Transaction> = txns
                .iter()
                .filter(|t| t.dir == dir && id.is_none_or(|i| u32::from(t.id) == i))
                .collect();
            if sel.is_empty() {
                continue;
            }
            latency.push(LatencyLine {
                dir,
                id,
                bursts: sel.len() as u64,
                bytes: sel.iter().map(|t| t.bytes).sum(),
                addr_to_last_data: Percentiles::of(
                    sel.iter()
                        .filter(|t| t.beats_seen == t.beats)
                        .filter_map(|t| t.cycle_last_data.map(|c| c.saturating_sub(t.cycle_addr)))
                        .collect(),
                ),
                addr_to_response: Percentiles::of(
                    sel.iter()
                        .filter_map(|t| t.cycle_done.map(|c| c.saturating_sub(t.cycle_addr)))
                        .collect(),
                ),
                errors: sel
                    .iter()
                    .filter(|t| t.is_complete() && t.resp.is_err())
                    .count() as u64,
            });
        }
    }
    Summary {
        clock_hz,
        first_cycle,
        last_cycle: c1.saturating_sub(1),
        cycles: n_cycles,
        bus_bytes: d.bus_bytes,
        channels,
        latency,
        incomplete: txns.iter().filter(|t| !t.is_complete()).count() as u64,
        orphan_beats: d.orphans.w_beats + d.orphans.r_beats + d.orphans.b_resps,
    }
}

impl Summary {
    /// The summary as text tables.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "cycles {}..={} ({} cycles), bus {} bytes/beat",
            self.first_cycle, self.last_cycle, self.cycles, self.bus_bytes
        );
        let _ = writeln!(
            s,
            "\n{:<4} {:>10} {:>10} {:>9} {:>11} {:>6} {:>12}",
            "chan",
            "handshakes",
            "bytes",
            "B/cycle",
            format!("MB/s@{:.0}MHz", self.clock_hz / 1e6),
            "util",
            "backpressure"
        );
        for c in &self.channels {
            let opt = |x: Option<f64>, p: usize| {
                x.map(|v| format!("{v:.p$}")).unwrap_or_else(|| "-".into())
            };
            let _ = writeln!(
                s,
                "{:<4} {:>10} {:>10} {:>9} {:>11} {:>5.1}% {:>11.1}%",
                c.channel,
                c.handshakes,
                c.bytes.map(|b| b.to_string()).unwrap_or_else(|| "-".into()),
                opt(c.bytes_per_cycle, 3),
                opt(c.bytes_per_second.map(|b| b / 1e6), 1),
                100.0 * c.utilisation,
                100.0 * c.backpressure
            );
        }
        let _ = writeln!(
            s,
            "\n{:<5} {:>3} {:>7} {:>9}  {:<30} {:<30} {:>6}",
            "dir",
            "id",
            "bursts",
            "bytes",
            "addr->last data p50/p90/p99/max",
            "addr->response p50/p90/p99/max",
            "errors"
        );
        for l in &self.latency {
            let p = |x: &Option<Percentiles>| {
                x.map(|p| format!("{}/{}/{}/{}", p.p50, p.p90, p.p99, p.max))
                    .unwrap_or_else(|| "-".into())
            };
            let _ = writeln!(
                s,
                "{:<5} {:>3} {:>7} {:>9}  {:<30} {:<30} {:>6}",
                l.dir.to_string(),
                l.id.map(|i| i.to_string()).unwrap_or_else(|| "all".into()),
                l.bursts,
                l.bytes,
                p(&l.addr_to_last_data),
                p(&l.addr_to_response),
                l.errors
            );
        }
        if self.incomplete > 0 || self.orphan_beats > 0 {
            let _ = writeln!(
                s,
                "\n{} burst(s) still open at the end of the waveform, {} beat(s) of bursts begun before it",
                self.incomplete, self.orphan_beats
            );
        }
        s
    }
}
