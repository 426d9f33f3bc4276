//! Simulated 64-byte frames per wall second through the whole path: wire ->
//! Verilated NIC RX engine -> DMA into page-pool pages -> NAPI poll ->
//! XDP_DROP -> direct recycle into the pool's cache -> refill -> doorbell.
//! The scenario runner does exactly what `cosim run xdp_drop_flood
//! --frames N` does (conservation checks included).
//!
//! Every row runs the scenario's NAPI setup (an interrupt per frame, budget
//! 64) unless it says otherwise. The baseline, measured in the same run, is
//! the default model (64-bit data path, assertions on, two evals per cycle)
//! with the DMA ledger on, as `cosim run xdp_drop_flood` does. The goal row
//! is the fast model (`--data-width 128 --no-assertions`: single-eval
//! cycles) with the ledger off (a debugging record, not part of the data
//! path); the rows after it show what the ledger and interrupt coalescing
//! change. Not a test: run with
//!
//! ```text
//! cargo bench -p cosim --bench frames                      # 100000 frames, 3 rounds
//! COSIM_BENCH_FRAMES=20000 COSIM_BENCH_ROUNDS=1 cargo bench -p cosim --bench frames
//! ```
//!
//! The goal is 200,000 frames per second on the 2-core machine;
//! the figures and where the time goes are in docs/PERFORMANCE.md.

use std::time::Instant;

use cosim::scenario::{run, FrameSize, RunOptions, Scenario};
use cosim::ModelConfig;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Conf {
    name: &'static str,
    model: ModelConfig,
    coal_frames: u32,
    coal_cycles: u32,
    budget: u32,
    ledger: bool,
}

fn main() {
    let frames = env_u64("COSIM_BENCH_FRAMES", 100_000) as u32;
    let rounds = env_u64("COSIM_BENCH_ROUNDS", 3);
    let fast = ModelConfig::FAST;
    let confs = [
        Conf {
            name: "baseline: w64, ledger on",
            model: ModelConfig::default(),
            coal_frames: 1,
            coal_cycles: 0,
            budget: 64,
            ledger: true,
        },
        Conf {
            name: "w64, no ledger",
            model: ModelConfig::default(),
            coal_frames: 1,
            coal_cycles: 0,
            budget: 64,
            ledger: false,
        },
        Conf {
            name: "w128, no ledger",
            model: ModelConfig {
                data_width: 128,
                assertions: true,
            },
            coal_frames: 1,
            coal_cycles: 0,
            budget: 64,
            ledger: false,
        },
        Conf {
            name: "GOAL: w128-fast, no ledger",
            model: fast,
            coal_frames: 1,
            coal_cycles: 0,
            budget: 64,
            ledger: false,
        },
        Conf {
            name: "w128-fast, ledger on",
            model: fast,
            coal_frames: 1,
            coal_cycles: 0,
            budget: 64,
            ledger: true,
        },
        Conf {
            name: "w128-fast, coalesce 32/2000, no ledger",
            model: fast,
            coal_frames: 32,
            coal_cycles: 2000,
            budget: 64,
            ledger: false,
        },
    ];
    println!(
        "cosim frames bench: {frames} frames of 64 bytes, RX -> XDP_DROP -> recycle, {rounds} round(s)"
    );
    println!(
        "{:<46} {:>10} {:>11} {:>12} {:>13} {:>11} {:>7}",
        "configuration",
        "frames/s",
        "cycles/s",
        "cycles/frame",
        "ratio to 200k",
        "x baseline",
        "wall s"
    );
    let mut baseline = None;
    for c in &confs {
        let mut best: Option<(f64, f64, f64, f64)> = None;
        for _ in 0..rounds {
            let mut sc = Scenario::load("xdp_drop_flood").expect("built-in scenario");
            sc.traffic.frames = frames;
            sc.traffic.size = FrameSize::Fixed(64);
            sc.driver.coal_frames = c.coal_frames;
            sc.driver.coal_cycles = c.coal_cycles;
            sc.driver.budget = c.budget;
            sc.nic.data_width = c.model.data_width;
            sc.nic.assertions = c.model.assertions;
            let t = Instant::now();
            let r = run(
                &sc,
                RunOptions {
                    no_ledger: !c.ledger,
                    ..RunOptions::default()
                },
            )
            .expect("run starts");
            let wall = t.elapsed().as_secs_f64();
            assert!(r.passed(), "{}", r.render_human());
            assert_eq!(r.ethtool.get("rx_xdp_drop"), u64::from(frames));
            let fps = f64::from(frames) / wall;
            let row = (
                fps,
                r.cycles as f64 / wall,
                r.cycles as f64 / f64::from(frames),
                wall,
            );
            if best.is_none_or(|b| row.0 > b.0) {
                best = Some(row);
            }
        }
        let (fps, cps, cpf, wall) = best.expect("at least one round");
        let base = *baseline.get_or_insert(fps);
        println!(
            "{:<46} {:>10.0} {:>11.0} {:>12.1} {:>13.3} {:>11.2} {:>7.2}",
            c.name,
            fps,
            cps,
            cpf,
            fps / 200_000.0,
            fps / base,
            wall
        );
    }
}
