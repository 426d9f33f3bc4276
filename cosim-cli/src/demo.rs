//! `cosim demo`: the main demo. The built-in demo scenario
//! (`cosim/scenarios/demo.toml`) through the scenario runner: frames of
//! seeded random length go from the wire through the Verilated NIC's RX
//! engine, by DMA into page-pool pages, through the NAPI driver to the
//! stack, which echoes each one back out through the TX ring. The demo's
//! renderer shows the two directions, timing, NAPI, pool and DMA counters,
//! and the run's conservation checks in four lines.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use cosim::scenario::{self, Report, RunOptions, Scenario, WavesOpt};

use crate::CliError;

/// Options of `cosim demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Frames to send (1..=100000).
    #[arg(long, default_value_t = 512)]
    pub frames: u32,
    /// Seed of every random choice (frame lengths and contents, bus timing).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write an FST waveform of the whole run here.
    #[arg(long, value_name = "PATH")]
    pub waves: Option<PathBuf>,
    #[command(flatten)]
    pub checks: crate::switches::CheckSwitches,
}

/// Runs the demo and prints its summary.
pub fn run(args: &DemoArgs) -> Result<(), CliError> {
    if !(1..=100_000).contains(&args.frames) {
        return Err(CliError::Input(format!(
            "--frames {}: expected 1..=100000",
            args.frames
        )));
    }
    let mut sc = Scenario::demo().map_err(|source| CliError::Scenario { source, flag: None })?;
    sc.traffic.frames = args.frames;
    sc.traffic.seed = args.seed;
    println!(
        "cosim demo: seed {}, {} frames of {} bytes, page mode, the stack echoes every frame",
        args.seed, args.frames, sc.traffic.size
    );
    let mut opts = RunOptions {
        waves: args.waves.as_ref().map(|path| WavesOpt {
            path: path.clone(),
            window: None,
        }),
        pool_markers: true,
        progress: Some(Box::new(|p: &scenario::Progress| {
            tracing::info!(
                cycle = p.cycle,
                offered = p.offered,
                total = p.total,
                "progress"
            )
        })),
        ..RunOptions::default()
    };
    args.checks.apply(&mut opts);
    tracing::info!(frames = args.frames, seed = args.seed, "cosim demo");
    let report = scenario::run(&sc, opts)?;
    if let Some(path) = &args.waves {
        // The GTKWave save file next to the waveform.
        let mut spec = cosim::WaveSpec::new(path);
        spec.format = cosim::WaveFormat::Fst;
        if let Err(e) = spec.finish() {
            tracing::warn!(path = %path.display(), "no GTKWave save file: {e}");
        }
    }
    let (text, failed) = render(&report);
    print!("{text}");
    if let Some(path) = &args.waves {
        println!("  waves: {}", path.display());
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Check(format!(
            "{} check(s) failed: {}",
            failed.len(),
            failed.join("; ")
        )))
    }
}

/// Frames of `got` that differ from the frame of `sent` at the same
/// place (or have none there).
fn differ(got: &[u64], sent: &[u64]) -> usize {
    got.iter()
        .enumerate()
        .filter(|(i, h)| sent.get(*i) != Some(*h))
        .count()
}

/// Whether every check of `report` named in `names` held.
fn held(report: &Report, names: &[&str]) -> bool {
    report
        .checks
        .iter()
        .filter(|c| names.contains(&c.name.as_str()))
        .all(|c| c.ok)
}

/// The demo's summary of `report`, and the conservation lines that failed.
pub fn render(report: &Report) -> (String, Vec<String>) {
    let a = &report.accounts;
    let (s, hw, w) = (&a.counts.stats, &a.counts.hw, &report.wire);
    let n = a.counts.wire_offered;
    let received = w.stack_frames;
    let rx_differ = differ(&a.stack_hashes, &a.offered_hashes);
    let tx_differ = differ(&a.out_hashes, &a.offered_hashes);
    let mut t = String::new();
    let _ = writeln!(t);
    let _ = writeln!(
        t,
        "  RX   wire -> NIC -> DMA -> pool pages -> NAPI -> stack: {received} frames, {} bytes, {rx_differ} differ",
        s.rx_bytes
    );
    let _ = writeln!(
        t,
        "  TX   stack -> TX ring -> NIC DMA -> wire:              {} frames, {} bytes, {tx_differ} differ",
        w.tx_frames, w.tx_bytes
    );
    let _ = writeln!(
        t,
        "  time {} simulated cycles in {:.2} s wall: {:.0} cycles/s",
        report.cycles, report.wall_secs, report.cycles_per_sec
    );
    let _ = writeln!(
        t,
        "  NAPI {} interrupts, {} polls, {} used the whole budget, {} doorbells",
        s.irqs, s.napi_polls, s.napi_budget_exhausted, s.rx_doorbells
    );
    let _ = writeln!(t, "  page pool (kernel stat names):");
    for (name, v) in report
        .ethtool
        .0
        .iter()
        .filter(|(k, _)| k.starts_with("rx_pp_"))
    {
        let _ = writeln!(t, "    {name:<32} {v}");
    }
    render_dma(&mut t, report);
    let _ = writeln!(
        t,
        "  NIC  rx_frames {} rx_bytes {} drops no_desc {} too_long {} off {} dma_err {}; tx_frames {} tx_bytes {}",
        hw.hw_rx_frames,
        hw.hw_rx_bytes,
        hw.hw_rx_drop_no_desc,
        hw.hw_rx_drop_too_long,
        hw.hw_rx_drop_off,
        hw.hw_rx_drop_dma_err,
        hw.hw_tx_frames,
        hw.hw_tx_bytes
    );
    let dropped = hw.rx_frames_in() - hw.hw_rx_frames;
    let (rx_inflight, tx_inflight, mappings) = match &a.close {
        Ok(r) => (r.rx_inflight, r.tx_inflight, r.live_mappings),
        Err(_) => (-1, -1, 0),
    };
    let lines = [
        (
            format!("frames in {n} = received {received} + dropped {dropped}, every byte equal"),
            held(
                report,
                &[
                    "run completed",
                    "wire delivered every frame",
                    "NIC in = written + dropped by reason",
                    "stack got every PASS frame",
                    "stack frames intact and in order",
                ],
            ) && received + dropped == n
                && rx_differ == 0
                && s.rx_bytes == w.rx_bytes,
        ),
        (
            format!("frames echoed {} = received {received}, every byte equal", w.tx_frames),
            held(
                report,
                &[
                    "stack echoed every frame it received",
                    "wire-out frames intact and in order",
                ],
            ) && w.tx_frames == received
                && tx_differ == 0,
        ),
        (
            format!(
                "pool pages in flight after close: RX {rx_inflight} TX {tx_inflight}; live DMA mappings {mappings}"
            ),
            a.close.is_ok() && held(report, &["no page in flight after close", "no DMA mapping left"]),
        ),
        (
            format!(
                "DMA-API violations {}, skb recycle violations {}",
                a.dma_violations.count, a.misuse.count
            ),
            held(report, &["no DMA-API violation", "no page-pool or skb misuse"]),
        ),
        (
            format!(
                "checkers (ring, NAPI, barriers, watchdog, RTL contract, scoreboard, pool laws): {} of {} found something",
                report.monitors.iter().filter(|c| !c.ok).count(),
                report.monitors.len()
            ),
            report.monitors.iter().all(|c| c.ok),
        ),
    ];
    let _ = writeln!(t, "  conservation:");
    let mut failed = Vec::new();
    for (line, ok) in &lines {
        let _ = writeln!(t, "    [{}] {line}", if *ok { " ok " } else { "FAIL" });
        if !ok {
            failed.push(line.clone());
        }
    }
    // Every failed check of the run fails the demo, also one no summary
    // line above stands for (a checker's finding).
    for c in report.failures() {
        let _ = writeln!(t, "    {}: {}", c.name, c.detail);
        failed.push(c.name.clone());
    }
    (t, failed)
}

/// The DMA line: maps, unmaps, and the syncs each way with their bytes.
fn render_dma(t: &mut String, report: &Report) {
    let ops = |prefix: &str| -> u64 {
        report
            .ledger_ops
            .0
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v)
            .sum()
    };
    let syncs = |op: &str| {
        report
            .sync_ranges(op)
            .iter()
            .fold((0u64, 0u64), |(c, b), r| (c + r.count, b + r.count * r.len))
    };
    let (cpu_n, cpu_b) = syncs("sync_for_cpu");
    let (dev_n, dev_b) = syncs("sync_for_device");
    let _ = writeln!(
        t,
        "  DMA  {} maps, {} unmaps, {cpu_n} syncs for the CPU ({cpu_b} bytes), {dev_n} syncs for the device ({dev_b} bytes)",
        ops("map "),
        ops("unmap ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A short demo run.
    fn demo_report() -> Report {
        let mut sc = Scenario::demo().expect("demo scenario");
        sc.traffic.frames = 8;
        scenario::run(&sc, RunOptions::default()).expect("demo runs")
    }

    #[test]
    fn a_correct_demo_run_fails_nothing() {
        let (_, failed) = render(&demo_report());
        assert!(failed.is_empty(), "{failed:?}");
    }

    /// A check no summary line stands for (as a checker's) still fails the
    /// demo, and is printed with its detail.
    #[test]
    fn any_failed_check_fails_the_demo() {
        let mut report = demo_report();
        report.checks.push(hostdriver::conservation::Check {
            name: "some checker".into(),
            ok: false,
            detail: "1 violation; first: cycle 7: made up".into(),
        });
        let (text, failed) = render(&report);
        assert_eq!(failed, vec!["some checker".to_string()]);
        assert!(text.contains("some checker: 1 violation; first: cycle 7: made up"));
    }
}
