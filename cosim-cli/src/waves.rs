//! `cosim waves`: read DMA traffic back out of FST/VCD waveforms, write
//! GTKWave save files, and measure what tracing costs.
//!
//! ```text
//! cosim waves dma run.fst [--json] [--addr 0x100000..0x200000] [--cycles 1000..5000]
//!                         [--time 2000..10000] [--dir read|write] [--id 2]
//! cosim waves summary run.fst [--json] [same filters]
//! cosim waves gtkw run.fst [--marker-cycle N]
//! cosim waves bench [--cycles 200000] [--out DIR]
//! ```
//!
//! Exit codes: 0 success, 2 bad input (a missing, empty, truncated or
//! non-waveform file, one without the DMA signals, a bad option), 1 when
//! the bench's own run fails.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};
use nic_hw::regs;
use nic_hw::wire::Descriptor;
use waves::dma::{AxiNames, DecodeOptions, Filter};

use crate::CliError;
use cosim::bus::{Backpressure, SparseMem};
use cosim::replay::{WaveFormat, WaveSpec};
use cosim::{Chance, Sim, SimConfig, SimError, SplitMix64};

/// `cosim waves ...`
#[derive(Debug, Args)]
pub struct WavesArgs {
    #[command(subcommand)]
    pub command: WavesCommand,
}

#[derive(Debug, Subcommand)]
pub enum WavesCommand {
    /// Decode the AXI4 DMA transactions (bursts, beats, strobes, responses)
    /// of a waveform and print them as a table or JSON.
    Dma(DecodeArgs),
    /// Per-channel counts, bytes, bandwidth, backpressure and latency
    /// percentiles of a waveform's DMA traffic.
    Summary(DecodeArgs),
    /// Write a GTKWave save file (<file stem>.gtkw) next to a waveform.
    Gtkw(GtkwArgs),
    /// Measure the cost of tracing (untraced vs windowed vs full, FST and
    /// VCD) and the decode time per million cycles; prints a Markdown table.
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The FST or VCD file.
    pub file: PathBuf,
    /// JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only bursts touching [LO, HI): `LO..HI` (hex with 0x, or decimal).
    #[arg(long, value_parser = parse_range)]
    pub addr: Option<(u64, u64)>,
    /// Only bursts whose address handshake is in cycles [A, B): `A..B`.
    #[arg(long, value_parser = parse_range)]
    pub cycles: Option<(u64, u64)>,
    /// Only bursts whose address handshake is at times [A, B) (file units).
    #[arg(long, value_parser = parse_range)]
    pub time: Option<(u64, u64)>,
    /// Only one direction.
    #[arg(long, value_parser = ["read", "write"])]
    pub dir: Option<String>,
    /// Only one AXI ID.
    #[arg(long)]
    pub id: Option<u32>,
    /// `summary`: the clock frequency for bandwidth in MB/s (the simulation
    /// itself has no time unit: one cycle is two time steps).
    #[arg(long, default_value_t = 250.0)]
    pub clock_mhz: f64,
    /// The scope of the interface (dotted); default: the shallowest scope
    /// that has every `m_axi_*` signal and the clock.
    #[arg(long)]
    pub scope: Option<String>,
    /// Signal name prefix of the AXI master.
    #[arg(long, default_value = "m_axi_")]
    pub prefix: String,
    /// The clock's name.
    #[arg(long, default_value = "clk_i")]
    pub clock: String,
}

#[derive(Debug, Args)]
pub struct GtkwArgs {
    pub file: PathBuf,
    /// Put GTKWave's marker on this cycle.
    #[arg(long)]
    pub marker_cycle: Option<u64>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Cycles per run.
    #[arg(long, default_value_t = 200_000)]
    pub cycles: u64,
    /// Cycles of the windowed runs (the last ones of the run).
    #[arg(long, default_value_t = 10_000)]
    pub window: u64,
    /// Where the waveforms go (default: a temporary directory, removed).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Runs per configuration (the fastest counts), after one untimed
    /// warm-up run.
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
}

/// `A..B`, `A:B`; numbers decimal or 0x hex; `_` allowed.
pub fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s
        .split_once("..")
        .or_else(|| s.split_once(':'))
        .ok_or_else(|| format!("{s:?}: expected LO..HI"))?;
    let num = |t: &str| -> Result<u64, String> {
        let t = t.trim().replace('_', "");
        let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            Some(h) => u64::from_str_radix(h, 16),
            None => t.parse(),
        };
        r.map_err(|e| format!("{t:?}: {e}"))
    };
    let (a, b) = (num(a)?, num(b)?);
    if b <= a {
        return Err(format!("{s:?}: empty range"));
    }
    Ok((a, b))
}

pub fn run(args: &WavesArgs) -> Result<(), CliError> {
    match &args.command {
        WavesCommand::Dma(a) => dma(a),
        WavesCommand::Summary(a) => summary(a),
        WavesCommand::Gtkw(a) => gtkw(a),
        WavesCommand::Bench(a) => bench(a),
    }
}

fn decode(a: &DecodeArgs) -> Result<waves::Decoded, CliError> {
    let mut w = waves::open(&a.file)?;
    let opts = DecodeOptions {
        names: AxiNames {
            prefix: a.prefix.clone(),
            clock: a.clock.clone(),
            scope: a.scope.clone(),
            ..AxiNames::default()
        },
    };
    Ok(waves::decode(&mut w, &opts)?)
}

fn selected<'a>(a: &DecodeArgs, d: &'a waves::Decoded) -> Vec<&'a waves::Transaction> {
    let f = Filter {
        addr: a.addr,
        cycles: a.cycles,
        times: a.time,
    };
    d.transactions
        .iter()
        .filter(|t| f.keep(t))
        .filter(|t| a.dir.as_deref().is_none_or(|x| x == t.dir.to_string()))
        .filter(|t| a.id.is_none_or(|i| u32::from(t.id) == i))
        .collect()
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly.
fn out(text: &str) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut o = std::io::stdout().lock();
    match o.write_all(text.as_bytes()).and_then(|_| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::io("stdout")(e)),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(v).map_err(CliError::json("JSON: "))
}

fn dma(a: &DecodeArgs) -> Result<(), CliError> {
    let d = decode(a)?;
    let sel = selected(a, &d);
    if a.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            file: &'a Path,
            scope: &'a str,
            bus_bytes: u32,
            first_cycle: u64,
            last_cycle: u64,
            orphans: waves::dma::Orphans,
            transactions: Vec<&'a waves::Transaction>,
        }
        let doc = Out {
            file: &a.file,
            scope: &d.scope,
            bus_bytes: d.bus_bytes,
            first_cycle: d.first_cycle,
            last_cycle: d.last_cycle,
            orphans: d.orphans,
            transactions: sel,
        };
        out(&(json(&doc)? + "\n"))?;
    } else {
        out(&waves::dma::table(&d, &sel))?;
        out(&format!(
            "{} of {} transactions, cycles {}..={} of {} ({}, {} bytes/beat)\n",
            sel.len(),
            d.transactions.len(),
            d.first_cycle,
            d.last_cycle,
            a.file.display(),
            d.scope,
            d.bus_bytes
        ))?;
    }
    Ok(())
}

fn summary(a: &DecodeArgs) -> Result<(), CliError> {
    let d = decode(a)?;
    let sel = selected(a, &d);
    if !(a.clock_mhz > 0.0 && a.clock_mhz.is_finite()) {
        return Err(CliError::Input(format!(
            "--clock-mhz {}: must be positive",
            a.clock_mhz
        )));
    }
    // The channel statistics follow the cycle (or time) window.
    let window = a.cycles.or(a
        .time
        .map(|(t0, t1)| (t0 / d.period, t1.div_ceil(d.period))));
    let s = waves::summarize(&d, &sel, window, a.clock_mhz * 1e6);
    if a.json {
        out(&(json(&s)? + "\n"))?;
    } else {
        out(&format!(
            "{}: {} ({} transactions)\n{}",
            a.file.display(),
            d.scope,
            sel.len(),
            s.to_text()
        ))?;
    }
    Ok(())
}

fn gtkw(a: &GtkwArgs) -> Result<(), CliError> {
    let w = waves::open(&a.file)?;
    let (path, layout) = waves::gtkw::write_for(&w, a.marker_cycle.map(|c| 2 * c + 1))?;
    println!("{}", path.display());
    if !layout.missing.is_empty() {
        eprintln!(
            "cosim: {} signal(s) of the layout are not in {}: {}",
            layout.missing.len(),
            a.file.display(),
            layout.missing.join(", ")
        );
    }
    Ok(())
}

// ---- bench -----------------------------------------------------------------

const RING: u16 = 64;
const RX_RING: u64 = 0x0001_0000;
const RX_CQ: u64 = 0x0002_0000;
const TX_RING: u64 = 0x0003_0000;
const TX_CQ: u64 = 0x0004_0000;
const RX_BUF: u64 = 0x0010_0000;
const TX_BUF: u64 = 0x0100_0000;

/// Continuous RX and TX traffic for `cycles` cycles (seeded, with memory
/// latency and backpressure), the workload of `cosim waves bench`.
pub fn bench_traffic(sim: &mut Sim<SparseMem>, seed: u64, cycles: u64) -> Result<(), SimError> {
    let mut rng = SplitMix64::new(seed);
    for base in [RX_RING, RX_CQ, TX_RING, TX_CQ] {
        sim.storage_mut().poke(base, &[0; RING as usize * 16]);
    }
    for (lo, hi, base) in [
        (regs::RX_RING_BASE_LO, regs::RX_RING_BASE_HI, RX_RING),
        (regs::RX_CQ_BASE_LO, regs::RX_CQ_BASE_HI, RX_CQ),
        (regs::TX_RING_BASE_LO, regs::TX_RING_BASE_HI, TX_RING),
        (regs::TX_CQ_BASE_LO, regs::TX_CQ_BASE_HI, TX_CQ),
    ] {
        sim.write_reg(lo, base as u32)?;
        sim.write_reg(hi, (base >> 32) as u32)?;
    }
    sim.write_reg(regs::RX_RING_SIZE, u32::from(RING))?;
    sim.write_reg(regs::TX_RING_SIZE, u32::from(RING))?;
    sim.write_reg(regs::CTRL, regs::ctrl::ENABLE)?;
    let mut prod: u32 = 0;
    let batch = 16u32;
    while sim.cycle() < cycles {
        for k in 0..batch {
            let i = prod + k;
            let slot = u64::from(i % u32::from(RING));
            let d = Descriptor::new(RX_BUF + slot * 0x1000, 2048, i);
            sim.storage_mut().poke(RX_RING + slot * 16, &d.to_bytes());
            let len = 60 + rng.below(1400) as usize;
            let at = TX_BUF + slot * 0x1000 + (slot * 8) % 64;
            sim.storage_mut().poke(at, &vec![i as u8; len]);
            let d = Descriptor::new(at, len as u32, i);
            sim.storage_mut().poke(TX_RING + slot * 16, &d.to_bytes());
            let len = 60 + rng.below(1400) as usize;
            sim.send_frame(vec![k as u8; len])?;
        }
        prod += batch;
        sim.write_reg(regs::RX_PROD, prod & 0xffff)?;
        sim.write_reg(regs::TX_PROD, prod & 0xffff)?;
        loop {
            sim.step_n(256)?;
            let rx = sim.read_reg(regs::RX_CQ_PROD)?;
            let tx = sim.read_reg(regs::TX_CQ_PROD)?;
            if rx == prod & 0xffff && tx == prod & 0xffff || sim.cycle() >= cycles {
                break;
            }
        }
        sim.take_tx_frames();
    }
    Ok(())
}

fn bench_cfg() -> SimConfig {
    let mut cfg = SimConfig {
        seed: 6,
        ..SimConfig::default()
    };
    cfg.mem.read_latency = 20;
    cfg.mem.write_latency = 8;
    cfg.mem.backpressure = Backpressure::uniform(10);
    cfg.mem.reorder_ids = true;
    cfg.rx.idle_between_frames = Chance::percent(10);
    cfg
}

/// One measured run: seconds and the waveform's size.
fn timed_run(cycles: u64, spec: Option<&WaveSpec>) -> Result<(f64, u64), CliError> {
    let sim_err = |bad_input| {
        move |source| CliError::Sim {
            what: "bench",
            source,
            bad_input,
        }
    };
    let mut sim = Sim::new(bench_cfg(), SparseMem::new()).map_err(sim_err(false))?;
    let t = Instant::now();
    if let Some(s) = spec {
        sim.waves_spec(s).map_err(sim_err(true))?;
    }
    bench_traffic(&mut sim, 6, cycles).map_err(sim_err(false))?;
    sim.waves_close();
    let secs = t.elapsed().as_secs_f64();
    let size = spec
        .and_then(|s| std::fs::metadata(&s.path).ok())
        .map(|m| m.len())
        .unwrap_or(0);
    Ok((secs, size))
}

fn bench(a: &BenchArgs) -> Result<(), CliError> {
    if a.window == 0 || a.window > a.cycles {
        return Err(CliError::Input(format!(
            "--window {} must be in 1..={} (--cycles)",
            a.window, a.cycles
        )));
    }
    let (dir, temp) = match &a.out {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("cosim-waves-bench-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir).map_err(|source| CliError::Io {
        what: dir.display().to_string(),
        source,
        bad_input: true,
    })?;
    let n = a.cycles;
    let win = n - a.window..n;
    let spec = |name: &str, format, window: Option<std::ops::Range<u64>>| WaveSpec {
        format,
        window,
        save_file: false,
        ..WaveSpec::new(dir.join(name))
    };
    let runs: Vec<(&str, Option<WaveSpec>)> = vec![
        ("untraced", None),
        (
            "FST, window",
            Some(spec("win.fst", WaveFormat::Fst, Some(win.clone()))),
        ),
        ("FST, full", Some(spec("full.fst", WaveFormat::Fst, None))),
        (
            "VCD, window",
            Some(spec("win.vcd", WaveFormat::Vcd, Some(win.clone()))),
        ),
        ("VCD, full", Some(spec("full.vcd", WaveFormat::Vcd, None))),
    ];
    // Warm-up: allocator, page cache, CPU frequency.
    timed_run(n, None)?;
    let mut rows = Vec::new();
    for (name, s) in &runs {
        let mut best = (f64::INFINITY, 0);
        for _ in 0..a.repeat.max(1) {
            let (secs, size) = timed_run(n, s.as_ref())?;
            tracing::info!(run = name, secs, size, "bench run");
            if secs < best.0 {
                best = (secs, size);
            }
        }
        rows.push((*name, best.0, best.1));
    }
    let base = rows[0].1;
    println!(
        "Tracing cost, {n} cycles of RX+TX traffic (window: the last {} cycles; \
         fastest of {} runs each, after a warm-up run):\n",
        a.window,
        a.repeat.max(1)
    );
    println!("| run | seconds | ratio to untraced | kcycles/s | file MB |");
    println!("|---|---|---|---|---|");
    for (name, secs, size) in &rows {
        println!(
            "| {name} | {secs:.2} | {:.2} | {:.0} | {:.1} |",
            secs / base,
            n as f64 / secs / 1e3,
            *size as f64 / 1e6
        );
    }
    println!("\nDecoding (`cosim waves dma`: open + decode every AXI transaction):\n");
    println!("| file | cycles | transactions | seconds | seconds per M cycles |");
    println!("|---|---|---|---|---|");
    for f in ["full.fst", "full.vcd", "win.fst"] {
        let p = dir.join(f);
        let t = Instant::now();
        let mut w = waves::open(&p)?;
        let d = waves::decode(&mut w, &DecodeOptions::default())?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "| {f} | {} | {} | {secs:.3} | {:.3} |",
            d.cycles(),
            d.transactions.len(),
            secs / (d.cycles() as f64 / 1e6)
        );
    }
    if temp {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
