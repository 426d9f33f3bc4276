//! Runs a [`Scenario`]: builds the bench, runs the traffic loop, closes the
//! interface, then the accounting and the checks.

use std::collections::VecDeque;
use std::time::Instant;

use hostdriver::NicDevice;
use pool::{DestroyOutcome, PoolViolation};

use super::accounting;
use super::bench::{Bench, Drv};
use super::checks::{
    self, Accounts, CopyPool, Echoes, Findings, FrameCounts, LeftBehind, MonitorFindings,
};
use super::format::{Direction, Scenario};
use super::frames::{frame_hash, generate_frames};
use super::options::{RunError, RunOptions};
use super::report::{summarise_ledger, PoolReport, Report};
use super::traffic::TrafficLoop;
use super::traffic_close::TrafficClose;
use crate::WireCapture;

/// The stack's copy pool after destroy: its stats, what destroy did, the
/// misuse it saw.
type CopyPoolEnd = (PoolReport, DestroyOutcome, Vec<PoolViolation>);

/// Runs `sc` and accounts for every frame and every page.
pub fn run(sc: &Scenario, mut opts: RunOptions<'_>) -> Result<Report, RunError> {
    let t0 = Instant::now();
    let t = &sc.traffic;
    let mut bench = Bench::build(sc, &opts)?;
    let frames = opts
        .frames
        .take()
        .unwrap_or_else(|| generate_frames(t.frames, t.size, t.seed));
    if opts.record_wire {
        bench.drv.dev_mut().inner_mut().capture_wire();
    }
    let mut traffic = TrafficLoop::new(sc, frames);
    let failure = traffic.run(&mut bench, &mut opts);
    let left_behind = if failure.is_none() {
        left_behind(&mut bench.drv)
    } else {
        None
    };
    // `page-pool-get` and `page-pool-stats-get` dumps while the interface
    // is up.
    let registry = pool::PoolRegistry::of(&bench.mem);
    let pool_dump = registry.netdev_nl_page_pool_get_dumpit();
    let pool_stats_dump = registry.netdev_nl_page_pool_stats_get_dumpit();
    // The page pool's laws, while the pools hold pages and after close.
    let laws = |mem: &pool::HostMemory| pool::PoolRegistry::of(mem).check_invariants();
    let up = (!opts.no_pool_invariants).then(|| laws(&bench.mem));
    let (close, copy_pool) = close_down(&mut bench, &mut traffic);
    let pool_laws_broken = up.map(|mut v| {
        v.extend(laws(&bench.mem));
        v
    });
    let wire_frames = bench
        .drv
        .dev_mut()
        .inner_mut()
        .take_wire_capture()
        .map_or_else(Vec::new, WireCapture::into_frames);
    let cycles = bench.drv.dev().cycle();
    let wall = t0.elapsed().as_secs_f64();

    let drv = &mut bench.drv;
    let (contract, scoreboard) = accounting::contract(drv);
    let s = drv.stats();
    let hw = match &close {
        Ok(r) => r.hw,
        Err(_) => drv.hw_stats().unwrap_or_default(),
    };
    let ethtool = accounting::ethtool(drv, &s);
    let closes = std::mem::take(&mut traffic.updown.closes);
    let pools = accounting::pools(drv, &closes, copy_pool.as_ref().map(|(i, _, _)| i));
    let ledger = bench.dma.ledger();
    let (syncs, ledger_ops) = summarise_ledger(&ledger);
    let log = drv.dev().inner().mem().log();
    let (dma, dma_log_hash) = accounting::dma_log(log);

    let mut wire = traffic.wire;
    let st = bench.stack.borrow();
    wire.stack_frames = st.frames;
    wire.stack_bytes = st.bytes;
    let mut misuse = Findings::default();
    let earlier = closes.iter().flat_map(|c| c.pools.iter().map(|(_, h)| h));
    for h in earlier.chain([drv.rx_pool(), drv.tx_pool()].into_iter().flatten()) {
        misuse.extend(Findings::of(&h.violations(), ToString::to_string));
    }
    if let Some((_, _, v)) = &copy_pool {
        misuse.extend(Findings::of(v, ToString::to_string));
    }
    misuse.extend(Findings::of(&drv.skb_violations(), |x| format!("{x:?}")));
    misuse.extend(Findings::of(&st.errors, String::clone));
    let accounts = Accounts {
        failure,
        left_behind,
        rtl_stop: drv.dev().inner().halted().map(|e| e.to_string()),
        direction: t.direction,
        counts: FrameCounts {
            wire_offered: traffic.rx_n as u64,
            wire_sent: drv.dev().inner().rx().sent(),
            looped: if t.direction == Direction::Loopback {
                hw.hw_tx_frames
            } else {
                0
            },
            hw,
            stats: s,
        },
        wire,
        offered_hashes: traffic.frames.iter().map(|f| frame_hash(f)).collect(),
        transmitted: traffic.tx_next,
        stack_hashes: st.got.clone(),
        out_hashes: std::mem::take(&mut traffic.out_hashes),
        echoes: sc.stack.echo.then(|| Echoes {
            sent: traffic.echoed,
            queued: st.echo.as_ref().map_or(0, VecDeque::len),
        }),
        dma_error_bursts: dma.error_bursts,
        close: close.map_err(|e| e.to_string()),
        generations: closes.iter().map(TrafficClose::generation_end).collect(),
        traffic_closes: closes,
        copy_pool: copy_pool.as_ref().map(|(report, outcome, _)| CopyPool {
            inflight: report.info.inflight,
            outcome: *outcome,
        }),
        dma_violations: Findings::of(&bench.dma.violations(), |x| x.to_string()),
        nic_faults: Findings::of(drv.dev().inner().storage().faults(), |x| x.to_string()),
        misuse,
        pool_invariants: pool_laws_broken
            .as_ref()
            .map(|v| Findings::of(v, ToString::to_string)),
        monitors: monitor_findings(drv),
        contract,
        scoreboard,
    };
    drop(st);
    let checks = checks::conservation(&accounts);
    let monitors = checks::monitors(&accounts);

    Ok(Report {
        scenario: sc.name.clone(),
        description: sc.description.clone(),
        seed: t.seed,
        config: sc.clone(),
        wire,
        cycles,
        wall_secs: wall,
        cycles_per_sec: cycles as f64 / wall.max(1e-9),
        frames_per_sec: (wire.rx_frames + wire.xmit_frames) as f64 / wall.max(1e-9),
        drops: accounting::drops(&hw, &s),
        ethtool,
        nic: accounting::nic(&hw),
        pools,
        pool_dump,
        pool_stats_dump,
        syncs,
        ledger_ops,
        dma,
        checks,
        monitors,
        ledger_entries: ledger.len() as u64,
        ledger_hash: format!("{:016x}", accounting::ledger_hash(&ledger)),
        dma_log_entries: log.len() as u64,
        dma_log_hash: format!("{dma_log_hash:016x}"),
        wire_frames,
        accounts,
    })
}

/// What each contract monitor found.
fn monitor_findings(drv: &Drv) -> Vec<MonitorFindings> {
    let mon = drv.dev();
    checkers::Checker::ALL
        .iter()
        .map(|&c| MonitorFindings {
            checker: c,
            enabled: mon.config().enabled(c),
            found: Findings::of(&mon.findings_of(c), checkers::Violation::headline),
        })
        .collect()
}

/// Completions the driver has not processed although it went idle (a lost
/// interrupt would leave some behind); `None` if the registers cannot be
/// read.
fn left_behind(drv: &mut Drv) -> Option<LeftBehind> {
    let regs_now = (|| -> Result<(u32, u32, u32), hostdriver::DevError> {
        let d = drv.dev_mut();
        Ok((
            d.mmio_read(nic_hw::regs::RX_CQ_PROD)?,
            d.mmio_read(nic_hw::regs::IRQ_STATUS)?,
            d.mmio_read(nic_hw::regs::IRQ_MASK)?,
        ))
    })();
    let (prod, irq_status, irq_mask) = regs_now.ok()?;
    Some(LeftBehind {
        // Both count from the last open (its soft reset restarts the ring).
        completions: (prod as u16).wrapping_sub(drv.rx_cq_consumed()?),
        irq_status,
        irq_mask,
        irq_line: drv.dev().irq_asserted(),
    })
}

/// The stack lets go of everything it held (the pools detached at closes
/// under traffic are released), the interface goes down, the
/// completions drained by close reach the stack and the frames sent
/// meanwhile the wire; the waveform closes and the stack's copy pool is
/// destroyed.
fn close_down(
    b: &mut Bench,
    traffic: &mut TrafficLoop<'_>,
) -> (
    Result<hostdriver::CloseReport, hostdriver::DriverError>,
    Option<CopyPoolEnd>,
) {
    b.stack.borrow_mut().release_all();
    if !traffic.updown.closes.is_empty() {
        // The pools destroyed at a close under traffic were detached while
        // the stack held their pages; now that it let go, their deferred
        // release (page_pool_release_retry, every simulated second) frees
        // them, as it would a second later.
        let hz = b.mem.config().clock_hz;
        pool::PoolRegistry::of(&b.mem).service(b.drv.dev().cycle() + 2 * hz);
    }
    let close = b.drv.close();
    {
        let mut st = b.stack.borrow_mut();
        for skb in b.drv.drain_rx() {
            st.in_process(skb);
        }
        st.release_all();
    }
    traffic.take_wire_out(&mut b.drv);
    b.drv.dev_mut().inner_mut().waves_close();
    let copy_pool = b.stack.borrow_mut().copy_pool.take().map(|pp| {
        let h = pp.handle();
        let out = pp.destroy();
        (PoolReport::of("stack-copy", &h), out, h.violations())
    });
    (close, copy_pool)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{WireDir, WireFrame};

    #[test]
    fn wire_capture_records_every_frame_both_ways_only_when_asked() {
        let mut sc = Scenario::load("xdp_tx_reflect").expect("built-in scenario");
        sc.traffic.frames = 12;
        let want = generate_frames(12, sc.traffic.size, sc.traffic.seed);
        let r = run(
            &sc,
            RunOptions {
                record_wire: true,
                ..RunOptions::default()
            },
        )
        .expect("scenario starts");
        assert!(r.passed(), "{}", r.render_human());
        let of =
            |dir| -> Vec<&WireFrame> { r.wire_frames.iter().filter(|f| f.dir == dir).collect() };
        let ins = of(WireDir::In);
        let outs = of(WireDir::Out);
        assert_eq!(
            ins.iter().map(|f| f.data.clone()).collect::<Vec<_>>(),
            want,
            "every frame into the NIC, in order, byte for byte"
        );
        assert_eq!(
            outs.iter().map(|f| frame_hash(&f.data)).collect::<Vec<_>>(),
            r.accounts.out_hashes,
            "every frame out of the NIC, as the TX sink collected them"
        );
        assert_eq!(
            outs.iter().map(|f| f.data.clone()).collect::<Vec<_>>(),
            want,
            "XDP_TX sends every frame back unchanged"
        );
        assert!(r.wire_frames.windows(2).all(|w| w[0].cycle <= w[1].cycle));
        assert!(ins.windows(2).all(|w| w[0].cycle < w[1].cycle));
        assert!(r.wire_frames.iter().all(|f| f.cycle < r.cycles));

        let r = run(&sc, RunOptions::default()).expect("scenario starts");
        assert!(r.passed(), "{}", r.render_human());
        assert_eq!(r.wire.rx_frames, 12);
        assert!(r.wire_frames.is_empty(), "capture off: nothing recorded");
    }
}
