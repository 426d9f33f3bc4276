//! The accounting of a finished run: the driver's, the NIC's and the
//! pools' counters, drops by reason, the DMA ledger and the AXI
//! transaction log summarised and hashed.

use hostdriver::{DriverStats, HwStats};
use pool::LedgerEntry;

use super::bench::Drv;
use super::checks::Findings;
use super::report::{fnv1a, Counters, DmaSummary, PoolReport};
use super::traffic_close::TrafficClose;
use crate::bus::{Dir, DmaRecord, Resp};

/// Drops by reason, NIC and driver.
/// The contract monitor's violations and the scoreboard's mismatches (both
/// `None` with the monitor off), after ending its run unless the
/// testbench halted (its transactions then stopped mid-flight).
pub(super) fn contract(drv: &mut Drv) -> (Option<Findings>, Option<Findings>) {
    let sim = drv.dev_mut().inner_mut();
    let c = if sim.halted().is_none() {
        sim.finish_contract()
    } else {
        sim.contract()
    };
    let Some(c) = c else {
        return (None, None);
    };
    (
        Some(Findings::of(c.violations(), ToString::to_string)),
        Some(Findings::of(c.mismatches(), ToString::to_string)),
    )
}

pub(super) fn drops(hw: &HwStats, s: &DriverStats) -> Counters {
    let mut drops = Counters::default();
    drops.push("nic_rx_no_desc", hw.hw_rx_drop_no_desc);
    drops.push("nic_rx_too_long", hw.hw_rx_drop_too_long);
    drops.push("nic_rx_off", hw.hw_rx_drop_off);
    drops.push("nic_rx_dma_err", hw.hw_rx_drop_dma_err);
    drops.push("nic_tx_bad_desc", hw.hw_tx_bad_desc);
    drops.push("xdp_drop", s.rx_xdp_drop);
    drops.push("xdp_aborted", s.rx_xdp_aborted);
    drops.push("xdp_tx_ring_full", s.rx_xdp_tx_errors);
    drops.push("rx_len_errors", s.rx_len_errors);
    drops.push("tx_dropped_at_close", s.tx_dropped_at_close);
    drops
}

/// The driver's `ethtool -S` (its own counters if the NIC's cannot be
/// read).
pub(super) fn ethtool(drv: &mut Drv, s: &DriverStats) -> Counters {
    match drv.ethtool_stats() {
        Ok(v) => Counters(v),
        Err(_) => Counters(
            s.pairs()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ),
    }
}

/// The NIC's STAT_* registers.
pub(super) fn nic(hw: &HwStats) -> Counters {
    Counters(
        hw.pairs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// The RX, TX and stack copy pools after close; with closes under
/// traffic, first the pools of every closed generation (`rx#1`, `tx#1`,
/// ...: destroyed at that close, a new pair created at the reopen).
pub(super) fn pools(
    drv: &Drv,
    closes: &[TrafficClose],
    copy_pool: Option<&PoolReport>,
) -> Vec<PoolReport> {
    let mut pools = Vec::new();
    for (i, c) in closes.iter().enumerate() {
        for (role, h) in &c.pools {
            pools.push(PoolReport::of(format!("{role}#{}", i + 1), h));
        }
    }
    if let Some(h) = drv.rx_pool() {
        pools.push(PoolReport::of("rx", h));
    }
    if let Some(h) = drv.tx_pool() {
        pools.push(PoolReport::of("tx", h));
    }
    if let Some(report) = copy_pool {
        pools.push(report.clone());
    }
    pools
}

/// FNV-1a over every field of every ledger record (no formatting: this
/// runs over the whole log at the end of long runs).
pub(super) fn ledger_hash(ledger: &[LedgerEntry]) -> u64 {
    let mut lh = 0;
    for e in ledger {
        let mut b = [0u8; 42];
        b[0..8].copy_from_slice(&e.cycle.to_le_bytes());
        b[8] = e.op as u8;
        b[9] = e.dir as u8;
        b[10..18].copy_from_slice(&e.dma.raw_value().to_le_bytes());
        b[18..26].copy_from_slice(&e.offset.to_le_bytes());
        b[26..34].copy_from_slice(&e.len.to_le_bytes());
        b[34..42].copy_from_slice(&e.page.raw_value().to_le_bytes());
        lh = fnv1a(lh, &b);
    }
    lh
}

/// The AXI transaction log: bursts by AXI ID role, bytes, error bursts,
/// and FNV-1a over every field of every record.
pub(super) fn dma_log(log: &[DmaRecord]) -> (DmaSummary, u64) {
    let mut dh = 0;
    let mut dsum = DmaSummary::default();
    let (mut rd, mut wr) = ([0u64; 3], [0u64; 3]);
    for r in log {
        dh = fnv1a(dh, &record_bytes(r));
        if let Some(f) = &r.fault {
            dh = fnv1a(dh, f.as_bytes());
        }
        let i = usize::from(r.id.min(2));
        match r.dir {
            Dir::Read => {
                rd[i] += 1;
                dsum.read_bytes += r.bytes;
            }
            Dir::Write => {
                wr[i] += 1;
                dsum.write_bytes += r.bytes;
            }
        }
        if r.fault.is_some() || r.resp != Resp::Okay {
            dsum.error_bursts += 1;
        }
    }
    for (i, name) in ["rx_desc", "tx_desc", "tx_data"].iter().enumerate() {
        dsum.read_bursts.push(*name, rd[i]);
    }
    for (i, name) in ["rx_data", "rx_cpl", "tx_cpl"].iter().enumerate() {
        dsum.write_bursts.push(*name, wr[i]);
    }
    (dsum, dh)
}

/// The fields of one AXI transaction record, as hashed.
fn record_bytes(r: &DmaRecord) -> [u8; 46] {
    let mut b = [0u8; 46];
    b[0] = r.dir as u8;
    b[1] = r.id;
    b[2..10].copy_from_slice(&r.addr.to_le_bytes());
    b[10..18].copy_from_slice(&r.bytes.to_le_bytes());
    b[18..20].copy_from_slice(&r.beats.to_le_bytes());
    b[20..28].copy_from_slice(&r.cycle_addr.to_le_bytes());
    b[28] = u8::from(r.cycle_done.is_some());
    b[29..37].copy_from_slice(&r.cycle_done.unwrap_or(0).to_le_bytes());
    b[37] = r.resp as u8;
    b[38..46].copy_from_slice(&(r.fault.as_ref().map_or(0, |f| f.len()) as u64).to_le_bytes());
    b
}
