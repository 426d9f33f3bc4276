//! Simulated cycles per second of the Rust-driven NIC model with every bus
//! model active, next to the pure C++ Verilator harness (`rtl/harness`,
//! `tb_nic --bench N`) driving the same RTL with the same traffic, measured
//! in the same run, the harness built with the same Verilator flags as
//! cosim's model (`--trace-fst` included). Three pairs: the default build (64-bit, assertions, two
//! evals per cycle on both sides) with `cosim`'s registered-outputs check on
//! and off (off: like for like with the C++ loop), and the fast build
//! (128-bit, no assertions: the harness still takes two evals per cycle,
//! `cosim` one). Not a test: run with
//!
//! ```text
//! cargo bench -p cosim --bench cycles            # N = 100000 frames, 3 rounds
//! COSIM_BENCH_FRAMES=20000 COSIM_BENCH_ROUNDS=1 cargo bench -p cosim --bench cycles
//! COSIM_BENCH_PAIRS=1 cargo bench -p cosim --bench cycles   # only the second pair
//! ```
//!
//! Traffic (mirrors the header of rtl/harness/tb_nic.cpp): 64- or 128-bit data,
//! memory read latency 10, write latency 4, no backpressure, no errors; RX
//! ring of 256 descriptors (2048-byte buffers at 0x2000_0000 + i*2048),
//! completion ring at 0x1001_0000, IRQ masked; 64-byte frames back to back;
//! a driver that polls the next completion every cycle, re-posts the
//! descriptor and rings the RX doorbell (non-blocking, one write in flight)
//! whenever the register master is idle and the producer index moved.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use cosim::bus::SparseMem;
use cosim::{ModelConfig, Sim, SimConfig};
use nic_hw::regs;
use nic_hw::wire::{Completion, Descriptor};

const RING: u64 = 0x1000_0000;
const CQ: u64 = 0x1001_0000;
const BUFS: u64 = 0x2000_0000;
const SIZE: u16 = 256;

struct Run {
    cycles: u64,
    seconds: f64,
}

impl Run {
    fn rate(&self) -> f64 {
        self.cycles as f64 / self.seconds
    }
}

fn rust_run(frames: u64, model: ModelConfig, check_outputs: bool) -> Run {
    let mut cfg = SimConfig {
        seed: 1,
        model,
        check_registered_outputs: check_outputs,
        ..SimConfig::default()
    };
    cfg.mem.read_latency = 10;
    cfg.mem.write_latency = 4;
    let mut sim = Sim::new(cfg, SparseMem::new()).expect("sim");
    let w = |sim: &mut Sim<SparseMem>, r: u32, v: u32| sim.write_reg(r, v).expect("register write");
    w(&mut sim, regs::RX_RING_BASE_LO, RING as u32);
    w(&mut sim, regs::RX_RING_BASE_HI, 0);
    w(&mut sim, regs::RX_CQ_BASE_LO, CQ as u32);
    w(&mut sim, regs::RX_CQ_BASE_HI, 0);
    w(&mut sim, regs::RX_RING_SIZE, u32::from(SIZE));
    w(&mut sim, regs::RX_HEADROOM, 0);
    w(&mut sim, regs::IRQ_MASK, 0xF);
    let post = |sim: &mut Sim<SparseMem>, prod: u16| {
        let slot = u64::from(prod % SIZE);
        let d = Descriptor::new(BUFS + slot * 2048, 2048, slot as u32);
        sim.storage_mut().poke(RING + 16 * slot, &d.to_bytes());
    };
    let mut prod: u16 = 0;
    for _ in 0..SIZE {
        post(&mut sim, prod);
        prod = prod.wrapping_add(1);
    }
    sim.storage_mut().poke(CQ, &[0; 16 * SIZE as usize]);
    w(&mut sim, regs::RX_PROD, u32::from(prod));
    w(&mut sim, regs::CTRL, regs::ctrl::ENABLE);

    let mut queued = 0u64;
    let refill = |sim: &mut Sim<SparseMem>, queued: &mut u64| {
        while sim.rx().pending() < 4 && *queued < frames + 64 {
            let f: Vec<u8> = (0..64u64).map(|j| (*queued * 7 + j) as u8).collect();
            sim.send_frame(f).expect("frame");
            *queued += 1;
        }
    };
    refill(&mut sim, &mut queued);
    let mut last_db = prod;
    let (mut seen, mut bad) = (0u64, 0u64);
    let c0 = sim.cycle();
    let t0 = Instant::now();
    let mut cpl = [0u8; 16];
    while seen < frames {
        sim.step().expect("step");
        let idx = seen as u16;
        sim.storage()
            .peek(CQ + 16 * u64::from(idx % SIZE), &mut cpl);
        if cpl[11] & 1 == u8::from(Completion::expected_phase(idx, SIZE)) {
            bad += u64::from(u32::from_le_bytes([cpl[0], cpl[1], cpl[2], cpl[3]]) != 64);
            post(&mut sim, prod);
            prod = prod.wrapping_add(1);
            seen += 1;
        }
        if sim.axil_mut().is_idle() && prod != last_db {
            sim.axil_mut()
                .start_write(regs::RX_PROD, u32::from(prod))
                .expect("doorbell");
            last_db = prod;
        }
        if sim.rx().pending() < 2 {
            refill(&mut sim, &mut queued);
        }
        assert!(
            sim.cycle() - c0 < frames * 200 + 100_000,
            "bench traffic stalled"
        );
    }
    let seconds = t0.elapsed().as_secs_f64();
    assert_eq!(bad, 0, "completion lengths");
    Run {
        cycles: sim.cycle() - c0,
        seconds,
    }
}

fn harness_bin(root: &Path, model: ModelConfig) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let obj = target.join(format!("rtl-harness-bench/{}-trace", model.short_name()));
    let st = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(root.join("rtl/harness"))
        .arg("build")
        .arg(format!("W={}", model.data_width))
        .arg(format!("ASSERT={}", u8::from(model.assertions)))
        // The same Verilator flags as cosim's model, tracing compiled in
        // included (it costs about 5 % of the model's instructions even with
        // no waveform open).
        .arg("TRACE=1")
        .arg(format!("OBJ={}", obj.display()))
        .status()
        .expect("run make for rtl/harness");
    assert!(st.success(), "building the C++ harness failed");
    obj.join("tb_nic")
}

fn cpp_run(bin: &Path, frames: u64) -> Run {
    let out = Command::new(bin)
        .arg("--bench")
        .arg(frames.to_string())
        .arg("--seed")
        .arg("1")
        .output()
        .expect("run tb_nic");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tb_nic --bench failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let field = |k: &str| -> f64 {
        text.split_whitespace()
            .find_map(|t| t.strip_prefix(k))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {k} in {text:?}"))
    };
    Run {
        cycles: field("cycles=") as u64,
        seconds: field("seconds="),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then
    // run a tiny smoke version so the target stays checked.
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let frames: u64 = std::env::var("COSIM_BENCH_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench_mode { 100_000 } else { 500 });
    let rounds: usize = std::env::var("COSIM_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench_mode { 3 } else { 1 });
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    println!("cosim cycles bench: {frames} RX frames of 64 bytes, {rounds} round(s), alternating C++ / Rust");
    // COSIM_BENCH_PAIRS=0,2 runs only those pairs (e.g. under `perf stat`).
    let pairs: Option<Vec<usize>> = std::env::var("COSIM_BENCH_PAIRS")
        .ok()
        .map(|v| v.split(',').filter_map(|t| t.trim().parse().ok()).collect());
    for (i, (model, check)) in [
        (ModelConfig::default(), true),
        (ModelConfig::default(), false),
        (ModelConfig::FAST, true),
    ]
    .into_iter()
    .enumerate()
    {
        if pairs.as_ref().is_some_and(|p| !p.contains(&i)) {
            continue;
        }
        let bin = harness_bin(&root, model);
        println!(
            "-- {model} ({}), Rust {}",
            model.short_name(),
            match (model.assertions, check) {
                (true, true) => "two evals per cycle, registered outputs checked every cycle",
                (true, false) =>
                    "two evals per cycle, no output check (like for like with the C++ loop)",
                _ => "one eval per cycle",
            }
        );
        let (mut best_cpp, mut best_rust) = (0f64, 0f64);
        let mut ratios = Vec::new();
        for round in 0..rounds {
            let c = cpp_run(&bin, frames);
            let r = rust_run(frames, model, check);
            assert_eq!(c.cycles, r.cycles, "both sides simulate the same traffic");
            println!(
                "round {round}: C++ {} cycles in {:.3} s = {:.0} cycles/s | Rust {} cycles in {:.3} s = {:.0} cycles/s | ratio {:.3}",
                c.cycles,
                c.seconds,
                c.rate(),
                r.cycles,
                r.seconds,
                r.rate(),
                r.rate() / c.rate()
            );
            ratios.push(r.rate() / c.rate());
            best_cpp = best_cpp.max(c.rate());
            best_rust = best_rust.max(r.rate());
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "best: C++ {best_cpp:.0} cycles/s, Rust {best_rust:.0} cycles/s, ratio of bests Rust/C++ = {:.3}; median per-round ratio {:.3}",
            best_rust / best_cpp,
            ratios[ratios.len() / 2]
        );
    }
}
