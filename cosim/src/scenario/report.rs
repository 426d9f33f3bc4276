//! What a scenario run found, and its two renderings: the human summary
//! (`cosim run`) and the deterministic snapshot text (no wall time).

use std::fmt::Write as _;

use pool::{
    LedgerEntry, LedgerOp, PagePoolHandle, PagePoolInfo, PagePoolStatsAttrs, PagePoolStatsReply,
    PAGE_SIZE,
};
use serde::ser::SerializeMap;
use serde::Serialize;

use super::checks::{Accounts, Check};
use super::format::Scenario;
use super::wire::{WireCounts, WireFrame};

/// FNV-1a over `data`, continuing from `h` (0 starts afresh).
pub fn fnv1a(h: u64, data: &[u8]) -> u64 {
    let mut h = if h == 0 { 0xcbf2_9ce4_8422_2325 } else { h };
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Named counters, in a fixed order (a JSON object in that order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters(pub Vec<(String, u64)>);

impl Counters {
    /// The value of `name` (0 if absent).
    pub fn get(&self, name: &str) -> u64 {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or(0, |(_, v)| *v)
    }
    /// Appends `name = v`.
    pub fn push(&mut self, name: impl Into<String>, v: u64) {
        self.0.push((name.into(), v));
    }
    fn line(&self, skip_zero: bool) -> String {
        let v: Vec<String> = self
            .0
            .iter()
            .filter(|(_, v)| !skip_zero || *v != 0)
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        if v.is_empty() {
            "none".into()
        } else {
            v.join(", ")
        }
    }
}

impl Serialize for Counters {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One page pool after close, as the driver sees it: its `page-pool-get`
/// attributes and its `page_pool_get_stats` counters (a freed pool is no
/// longer listed, so this is not a netlink reply).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolReport {
    /// `rx`, `tx` or `stack-copy`.
    pub role: String,
    /// `page_pool_nl_fill`'s attributes.
    pub info: PagePoolInfo,
    /// `page_pool_get_stats`, with the netlink names.
    pub stats: PagePoolStatsAttrs,
}

impl PoolReport {
    /// The pool behind `h`, now, as `role`.
    pub fn of(role: impl Into<String>, h: &PagePoolHandle) -> Self {
        Self {
            role: role.into(),
            info: h.info(),
            stats: h.get_stats().into(),
        }
    }
}

/// Syncs of one kind over one byte range of a page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SyncRange {
    /// `sync_for_device` or `sync_for_cpu`.
    pub op: String,
    /// Mapping direction (kernel name).
    pub dir: String,
    /// Offset of the first synced byte within its page.
    pub offset: u64,
    /// Bytes synced.
    pub len: u64,
    /// How many syncs covered exactly this range.
    pub count: u64,
}

/// The AXI memory model's transaction log, summarised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DmaSummary {
    /// Read bursts by AXI ID role.
    pub read_bursts: Counters,
    /// Write bursts by AXI ID role.
    pub write_bursts: Counters,
    /// Bytes read.
    pub read_bytes: u64,
    /// Bytes written (strobed).
    pub write_bytes: u64,
    /// Bursts answered with an error.
    pub error_bursts: u64,
}

/// Everything a run found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Its description.
    pub description: String,
    /// The seed used.
    pub seed: u64,
    /// The effective scenario (after command-line overrides).
    pub config: Scenario,
    /// Frames and bytes each way.
    pub wire: WireCounts,
    /// Simulated cycles (reset included).
    pub cycles: u64,
    /// Wall time of the run.
    pub wall_secs: f64,
    /// Simulated cycles per wall second.
    pub cycles_per_sec: f64,
    /// Frames (in + out) per wall second.
    pub frames_per_sec: f64,
    /// Drops by reason (NIC and driver).
    pub drops: Counters,
    /// The driver's `ethtool -S` (driver, NIC and `rx_pp_*` counters).
    pub ethtool: Counters,
    /// The NIC's STAT_* registers.
    pub nic: Counters,
    /// Page pools after close, with the netdev netlink names.
    pub pools: Vec<PoolReport>,
    /// `page-pool-get` dump just before close (every pool the user can
    /// see, netdev netlink attribute names).
    pub pool_dump: Vec<PagePoolInfo>,
    /// `page-pool-stats-get` dump just before close.
    pub pool_stats_dump: Vec<PagePoolStatsReply>,
    /// DMA syncs summarised as ranges.
    pub syncs: Vec<SyncRange>,
    /// Ledger operations by kind and direction.
    pub ledger_ops: Counters,
    /// The NIC's DMA transactions.
    pub dma: DmaSummary,
    /// Conservation and health checks.
    pub checks: Vec<Check>,
    /// The contract monitors' checks, one per monitor (in the snapshot
    /// only when one fails: a passing run's snapshot is its numbers).
    pub monitors: Vec<Check>,
    /// Ledger entries recorded.
    pub ledger_entries: u64,
    /// FNV-1a of the complete ledger.
    pub ledger_hash: String,
    /// DMA transactions recorded.
    pub dma_log_entries: u64,
    /// FNV-1a of the complete DMA transaction log.
    pub dma_log_hash: String,
    /// Frames on the wire (only with `RunOptions::record_wire`).
    #[serde(skip)]
    pub wire_frames: Vec<WireFrame>,
    /// What the checks were computed from.
    #[serde(skip)]
    pub accounts: Accounts,
}

impl Report {
    /// Whether every check held.
    pub fn passed(&self) -> bool {
        self.checks.iter().chain(&self.monitors).all(|c| c.ok)
    }

    /// The checks that failed (the monitors' included).
    pub fn failures(&self) -> Vec<&Check> {
        self.checks
            .iter()
            .chain(&self.monitors)
            .filter(|c| !c.ok)
            .collect()
    }

    /// The syncs of `op` (`sync_for_device` / `sync_for_cpu`).
    pub fn sync_ranges(&self, op: &str) -> Vec<&SyncRange> {
        self.syncs.iter().filter(|s| s.op == op).collect()
    }

    /// The pool with `role`.
    pub fn pool(&self, role: &str) -> Option<&PoolReport> {
        self.pools.iter().find(|p| p.role == role)
    }

    /// The human summary: timing included.
    pub fn render_human(&self) -> String {
        self.render(true)
    }

    /// The snapshot text: everything deterministic, no wall time and no
    /// cycle counts (they would churn with every RTL timing change).
    pub fn render_snapshot(&self) -> String {
        self.render(false)
    }

    /// One line per close under traffic (none without
    /// `faults.down_at_frames`); cycles only in the human summary.
    fn render_traffic_closes(&self, s: &mut String, human: bool) {
        for (i, c) in self.accounts.traffic_closes.iter().enumerate() {
            let when = match (human, c.reopened) {
                (true, Some(up)) => format!(" at cycle {}, up at cycle {up}", c.cycle),
                (true, None) => format!(" at cycle {}, not reopened", c.cycle),
                (false, _) => String::new(),
            };
            let what = match &c.close {
                Ok(r) => format!(
                    "drained {} RX completions, released {} posted buffers, {} TX unsent, RX pool {:?}, TX pool {:?}",
                    r.rx_drained, r.rx_buffers_released, r.tx_unsent, r.rx_pool, r.tx_pool
                ),
                Err(e) => format!("failed: {e}"),
            };
            let _ = writeln!(
                s,
                "{:<9} frame {}{when}, NIC {}: {what}",
                if i == 0 { "down/up" } else { "" },
                c.at_frame,
                if c.nic_busy { "busy" } else { "idle" },
            );
        }
    }

    /// The scenario, its configuration and (when set) the RX buffer length.
    fn render_config(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "scenario {} (seed {}): {}",
            self.scenario, self.seed, self.description
        );
        let c = &self.config;
        let _ = writeln!(
            s,
            "config    {:?} {} frames, size {}, mode {:?}, page order {}, verdict {:?}, headroom {}, max_frame_len {}, budget {}, coalesce {}/{}, platform {}, latency r{}/w{}, backpressure {}%",
            c.traffic.direction,
            c.traffic.frames,
            c.traffic.size,
            c.driver.mode,
            c.driver.page_order,
            c.driver.verdict,
            c.driver.headroom,
            c.driver.max_frame_len,
            c.driver.budget,
            c.driver.coal_frames,
            c.driver.coal_cycles,
            c.memory.platform().summary(),
            c.memory.read_latency,
            c.memory.write_latency,
            c.memory.backpressure,
        );
        if c.driver.rx_buf_len != 0 {
            let _ = writeln!(
                s,
                "rx buf    {} bytes per descriptor (driver.rx_buf_len)",
                c.driver.rx_buf_len
            );
        }
    }

    fn render(&self, human: bool) -> String {
        let mut s = String::new();
        self.render_config(&mut s);
        let c = &self.config;
        let w = &self.wire;
        let _ = writeln!(s, "nic       {}", c.model_config());
        let _ = writeln!(
            s,
            "wire      in {} frames / {} bytes, out {} frames / {} bytes; xmit {} frames / {} bytes; to the stack {} frames / {} bytes",
            w.rx_frames, w.rx_bytes, w.tx_frames, w.tx_bytes, w.xmit_frames, w.xmit_bytes, w.stack_frames, w.stack_bytes
        );
        if human {
            let _ = writeln!(
                s,
                "time      {} cycles simulated in {:.3} s wall: {:.0} cycles/s, {:.0} frames/s",
                self.cycles, self.wall_secs, self.cycles_per_sec, self.frames_per_sec
            );
        }
        let _ = writeln!(s, "drops     {}", self.drops.line(true));
        self.render_traffic_closes(&mut s, human);
        let _ = writeln!(s, "pool dump before close (page-pool-get)");
        for p in &self.pool_dump {
            let _ = writeln!(s, "          {}", p.to_text().trim_end());
        }
        let _ = writeln!(s, "pool stats before close (page-pool-stats-get)");
        for p in &self.pool_stats_dump {
            for l in p.to_text().lines() {
                let _ = writeln!(s, "          {}", l.trim_start());
            }
        }
        let _ = writeln!(s, "pools after close");
        for p in &self.pools {
            let text = p.info.to_text() + &p.stats.to_text();
            let mut lines = text.lines();
            if let Some(first) = lines.next() {
                let _ = writeln!(s, "pool {:<4} {first}", p.role);
            }
            for l in lines {
                let _ = writeln!(s, "          {}", l.trim_start());
            }
        }
        let _ = writeln!(
            s,
            "syncs     (op, direction, offset in page, length: count)"
        );
        if self.syncs.is_empty() {
            let _ = writeln!(s, "          none");
        }
        let limit = if human { 12 } else { usize::MAX };
        for op in ["sync_for_device", "sync_for_cpu"] {
            let v = self.sync_ranges(op);
            let total: u64 = v.iter().map(|r| r.count).sum();
            for r in v.iter().take(limit) {
                let _ = writeln!(
                    s,
                    "          {:<15} {:<17} off {:>4} len {:>4}: {}",
                    r.op, r.dir, r.offset, r.len, r.count
                );
            }
            if v.len() > limit {
                let _ = writeln!(
                    s,
                    "          {op}: {} more ranges ({} syncs in total)",
                    v.len() - limit,
                    total
                );
            }
        }
        let _ = writeln!(s, "ledger    {}", self.ledger_ops.line(true));
        let _ = writeln!(
            s,
            "dma       reads {} ({} bytes), writes {} ({} bytes), error bursts {}",
            self.dma.read_bursts.line(true),
            self.dma.read_bytes,
            self.dma.write_bursts.line(true),
            self.dma.write_bytes,
            self.dma.error_bursts
        );
        let _ = writeln!(s, "nic       {}", self.nic.line(!human));
        if human {
            let _ = writeln!(s, "ethtool   {}", self.ethtool.line(true));
        } else {
            let _ = writeln!(s, "ethtool");
            for (k, v) in &self.ethtool.0 {
                let _ = writeln!(s, "          {k} {v}");
            }
        }
        let _ = writeln!(s, "checks");
        let monitors = self.monitors.iter().filter(|c| human || !c.ok);
        for ch in self.checks.iter().chain(monitors) {
            let _ = writeln!(
                s,
                "  {} {}: {}",
                if ch.ok { "ok  " } else { "FAIL" },
                ch.name,
                ch.detail
            );
        }
        let failed = self.failures();
        if failed.is_empty() {
            let n = self.checks.len() + if human { self.monitors.len() } else { 0 };
            let _ = writeln!(s, "result    PASS ({n} checks)");
        } else {
            let names: Vec<&str> = failed.iter().map(|c| c.name.as_str()).collect();
            let _ = writeln!(
                s,
                "result    FAIL: {} of {} checks failed: {}",
                failed.len(),
                self.checks.len() + self.monitors.len(),
                names.join("; ")
            );
        }
        s
    }
}

/// Kernel-style name of a ledger operation.
pub(crate) fn op_name(op: LedgerOp) -> &'static str {
    match op {
        LedgerOp::Map => "map",
        LedgerOp::Unmap => "unmap",
        LedgerOp::SyncForDevice => "sync_for_device",
        LedgerOp::SyncForCpu => "sync_for_cpu",
        LedgerOp::AllocCoherent => "alloc_coherent",
        LedgerOp::FreeCoherent => "free_coherent",
    }
}

/// Sync ranges and operation counts of a ledger.
pub(crate) fn summarise_ledger(ledger: &[LedgerEntry]) -> (Vec<SyncRange>, Counters) {
    use std::collections::BTreeMap;
    let mut ranges: BTreeMap<(u8, String, u64, u64), u64> = BTreeMap::new();
    let mut ops: BTreeMap<(u8, String), u64> = BTreeMap::new();
    for e in ledger {
        let order = match e.op {
            LedgerOp::SyncForDevice => 0,
            LedgerOp::SyncForCpu => 1,
            LedgerOp::Map => 2,
            LedgerOp::Unmap => 3,
            LedgerOp::AllocCoherent => 4,
            LedgerOp::FreeCoherent => 5,
        };
        *ops.entry((order, format!("{} {}", op_name(e.op), e.dir)))
            .or_default() += 1;
        if order <= 1 {
            let off = (e.dma.raw_value() + e.offset) % PAGE_SIZE as u64;
            *ranges
                .entry((order, e.dir.to_string(), off, e.len))
                .or_default() += 1;
        }
    }
    let syncs = ranges
        .into_iter()
        .map(|((o, dir, offset, len), count)| SyncRange {
            op: if o == 0 {
                "sync_for_device"
            } else {
                "sync_for_cpu"
            }
            .into(),
            dir,
            offset,
            len,
            count,
        })
        .collect();
    let counters = Counters(ops.into_iter().map(|((_, k), v)| (k, v)).collect());
    (syncs, counters)
}
