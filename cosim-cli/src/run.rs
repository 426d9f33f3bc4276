//! `cosim run <scenario>`: one scenario through the RTL and the driver,
//! with a summary a person reads at a glance (or `--json`).

use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::{pcap, CliError};
use cosim::scenario::{
    self, FrameSize, Mode, Report, RunOptions, Scenario, ScenarioError, Verdict, WavesOpt,
};
use pool::Platform;

/// Options of `cosim run`.
#[derive(Debug, Clone, Args, Default)]
pub struct RunArgs {
    /// A built-in scenario (see `cosim list`) or a scenario TOML file.
    pub scenario: String,
    /// Frames to send (1..=1000000).
    #[arg(long)]
    pub frames: Option<u32>,
    /// Frame size: a length (64), an inclusive range (60..=1518) or `imix`.
    #[arg(long, value_parser = parse_size)]
    pub size: Option<FrameSize>,
    /// Seed of frame sizes, contents and bus timing.
    #[arg(long)]
    pub seed: Option<u64>,
    /// RX buffer layout: page or frag.
    #[arg(long, value_parser = parse_mode)]
    pub mode: Option<Mode>,
    /// XDP verdict for every frame: none (no program), pass, drop, tx,
    /// redirect or aborted.
    #[arg(long, value_parser = parse_verdict)]
    pub verdict: Option<Verdict>,
    /// Host memory read latency in cycles.
    #[arg(long)]
    pub read_latency: Option<u32>,
    /// Host memory write latency in cycles.
    #[arg(long)]
    pub write_latency: Option<u32>,
    /// AXI backpressure: percent chance per cycle that each ready/valid of
    /// the memory is withheld (0..=95).
    #[arg(long)]
    pub backpressure: Option<u32>,
    /// The platform: x86-64 (coherent DMA, 64-byte lines, fragments not
    /// rounded), arm64-64 (non-coherent, 64-byte lines, fragments rounded
    /// to 128) or arm64-128 (non-coherent, 128-byte lines, fragments
    /// rounded to 128).
    #[arg(long, value_name = "NAME", value_parser = parse_platform)]
    pub platform: Option<Platform>,
    /// Coherent DMA: the same as --platform x86-64.
    #[arg(long, conflicts_with_all = ["non_coherent", "platform"])]
    pub coherent: bool,
    /// Non-coherent DMA (CPU and device see their own cache lines until a
    /// sync moves them): the scenario's platform if it is non-coherent,
    /// else arm64-64.
    #[arg(long, conflicts_with = "platform")]
    pub non_coherent: bool,
    /// Order of the RX pool's pages: 0 (4 KiB) to 3 (32 KiB); jumbo frames
    /// need 2 or more.
    #[arg(long)]
    pub page_order: Option<u32>,
    /// NAPI budget.
    #[arg(long)]
    pub budget: Option<u32>,
    /// Interrupt coalescing: completions per interrupt (IRQ_COAL_FRAMES).
    #[arg(long)]
    pub coal_frames: Option<u32>,
    /// Interrupt coalescing timer in cycles (IRQ_COAL_CYCLES, 0 = off).
    #[arg(long)]
    pub coal_cycles: Option<u32>,
    /// Write a waveform here (FST; VCD if the name ends in .vcd), with a
    /// GTKWave save file next to it.
    #[arg(long, value_name = "PATH")]
    pub waves: Option<PathBuf>,
    /// Only dump the cycles A..B (needs --waves).
    #[arg(long, value_name = "A..B", value_parser = parse_window, requires = "waves")]
    pub waves_window: Option<Range<u64>>,
    /// Write the frames seen on the wire, both directions, as a pcap file.
    #[arg(long, value_name = "PATH")]
    pub pcap_out: Option<PathBuf>,
    /// Send the frames of this pcap file instead of generated ones.
    #[arg(long, value_name = "PATH")]
    pub pcap_in: Option<PathBuf>,
    /// The NIC's data path width, 64 or 128 bits (AXI_DATA_W: DMA bus and
    /// MAC streams).
    #[arg(long, value_name = "BITS")]
    pub data_width: Option<u32>,
    /// Run the NIC model built without its SystemVerilog assertions: about
    /// 1.5x faster, but an RTL protocol bug then goes unreported.
    #[arg(long)]
    pub no_assertions: bool,
    /// With --no-assertions: clock the NIC with two evals per cycle like the
    /// build with assertions, and check every cycle that no output changed
    /// with the inputs (debugging; same results, slower).
    #[arg(long)]
    pub two_evals: bool,
    #[command(flatten)]
    pub checks: crate::switches::CheckSwitches,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

fn parse_size(s: &str) -> Result<FrameSize, String> {
    s.parse()
}
fn parse_mode(s: &str) -> Result<Mode, String> {
    s.parse()
}
fn parse_verdict(s: &str) -> Result<Verdict, String> {
    s.parse()
}
fn parse_platform(s: &str) -> Result<Platform, String> {
    s.parse().map_err(|e: pool::UnknownPlatform| e.to_string())
}

/// `A..B` with A < B.
pub fn parse_window(s: &str) -> Result<Range<u64>, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("`{s}`: expected a cycle window A..B"))?;
    let num = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{s}`: `{t}` is not a cycle number"))
    };
    let (a, b) = (num(a)?, num(b)?);
    if a >= b {
        return Err(format!("`{s}`: empty window ({a} >= {b})"));
    }
    Ok(a..b)
}

/// The scenario with the command-line overrides applied and validated.
pub fn effective_scenario(args: &RunArgs) -> Result<Scenario, CliError> {
    let mut sc = Scenario::load(&args.scenario)
        .map_err(|source| CliError::Scenario { source, flag: None })?;
    if let Some(v) = args.frames {
        sc.traffic.frames = v;
    }
    if let Some(v) = args.size {
        sc.traffic.size = v;
    }
    if let Some(v) = args.seed {
        sc.traffic.seed = v;
    }
    if let Some(v) = args.mode {
        sc.driver.mode = v;
    }
    if let Some(v) = args.verdict {
        sc.driver.verdict = v;
    }
    if let Some(v) = args.read_latency {
        sc.memory.read_latency = v;
    }
    if let Some(v) = args.write_latency {
        sc.memory.write_latency = v;
    }
    if let Some(v) = args.backpressure {
        sc.memory.backpressure = v;
    }
    if let Some(p) = args.platform {
        sc.memory.set_platform(p);
    }
    if args.coherent {
        sc.memory.set_coherent(true);
    }
    if args.non_coherent {
        sc.memory.set_coherent(false);
    }
    if let Some(v) = args.page_order {
        sc.driver.page_order = v;
    }
    if let Some(v) = args.budget {
        sc.driver.budget = v;
    }
    if let Some(v) = args.coal_frames {
        sc.driver.coal_frames = v;
    }
    if let Some(v) = args.coal_cycles {
        sc.driver.coal_cycles = v;
    }
    if let Some(v) = args.data_width {
        sc.nic.data_width = v;
    }
    if args.no_assertions {
        sc.nic.assertions = false;
    }
    sc.validate(&format!(
        "scenario {} with the command-line options",
        sc.name
    ))
    .map_err(|source| {
        let flag = match &source {
            ScenarioError::Invalid { field, .. } => flag_that_set(args, field),
            _ => None,
        };
        CliError::Scenario { source, flag }
    })?;
    Ok(sc)
}

/// The option of `args` that set the scenario field `field`, if given.
fn flag_that_set(args: &RunArgs, field: &str) -> Option<&'static str> {
    let set: &[(&str, &'static str, bool)] = &[
        ("traffic.frames", "--frames", args.frames.is_some()),
        ("traffic.size", "--size", args.size.is_some()),
        ("driver.mode", "--mode", args.mode.is_some()),
        (
            "driver.page_order",
            "--page-order",
            args.page_order.is_some(),
        ),
        ("driver.verdict", "--verdict", args.verdict.is_some()),
        (
            "memory.read_latency",
            "--read-latency",
            args.read_latency.is_some(),
        ),
        (
            "memory.write_latency",
            "--write-latency",
            args.write_latency.is_some(),
        ),
        (
            "memory.backpressure",
            "--backpressure",
            args.backpressure.is_some(),
        ),
        ("driver.budget", "--budget", args.budget.is_some()),
        (
            "driver.coal_frames",
            "--coal-frames",
            args.coal_frames.is_some(),
        ),
        (
            "driver.coal_cycles",
            "--coal-cycles",
            args.coal_cycles.is_some(),
        ),
        ("nic.data_width", "--data-width", args.data_width.is_some()),
    ];
    set.iter()
        .find(|(f, _, given)| *f == field && *given)
        .map(|(_, flag, _)| *flag)
}

/// An output file written under a temporary name and renamed once
/// complete, so an interrupted or refused run never leaves a file that
/// looks finished.
#[derive(Debug)]
pub struct OutFile {
    /// Where it ends up.
    pub path: PathBuf,
    /// Where it is written meanwhile.
    pub tmp: PathBuf,
}

impl OutFile {
    /// Checks that the directory exists and picks the temporary name.
    pub fn new(opt: &str, path: &Path) -> Result<OutFile, CliError> {
        let name = path
            .file_name()
            .ok_or_else(|| CliError::Input(format!("{opt} {}: not a file path", path.display())))?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(CliError::Input(format!(
                "{opt} {}: directory {} does not exist",
                path.display(),
                dir.display()
            )));
        }
        if path.is_dir() {
            return Err(CliError::Input(format!(
                "{opt} {}: is a directory",
                path.display()
            )));
        }
        // `.<stem>.partial-<pid>.<ext>`: hidden, and the extension kept
        // (the waveform format follows it).
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(path.file_stem().unwrap_or(name));
        tmp_name.push(format!(".partial-{}", std::process::id()));
        if let Some(ext) = path.extension() {
            tmp_name.push(".");
            tmp_name.push(ext);
        }
        Ok(OutFile {
            path: path.to_path_buf(),
            tmp: dir.join(tmp_name),
        })
    }

    /// Renames the finished file into place (no-op if nothing was written).
    pub fn commit(&self) -> Result<(), CliError> {
        if self.tmp.exists() {
            std::fs::rename(&self.tmp, &self.path).map_err(CliError::io(format!(
                "cannot move {} to {}",
                self.tmp.display(),
                self.path.display()
            )))?;
        }
        Ok(())
    }

    /// Removes the partial file.
    pub fn discard(&self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Prints progress on stderr when it is a terminal.
pub fn progress_line(label: String) -> Option<scenario::ProgressFn<'static>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let start = std::time::Instant::now();
    Some(Box::new(move |p: &scenario::Progress| {
        let secs = start.elapsed().as_secs_f64();
        let pct = if p.total == 0 {
            100.0
        } else {
            100.0 * p.offered as f64 / p.total as f64
        };
        let width = 30;
        let filled = ((pct / 100.0) * width as f64) as usize;
        eprint!(
            "\r{label} [{}{}] {:>5.1}% {} / {} frames, cycle {}, {:.0} cycles/s   ",
            "#".repeat(filled.min(width)),
            " ".repeat(width - filled.min(width)),
            pct,
            p.offered,
            p.total,
            p.cycle,
            p.cycle as f64 / secs.max(1e-9)
        );
        let _ = std::io::stderr().flush();
    }))
}

/// Runs the scenario; writes the summary (or JSON) to `out`. Returns the
/// report, or the error to exit with (a failed check is
/// [`CliError::Check`], after the summary was written).
pub fn execute(args: &RunArgs, out: &mut dyn Write) -> Result<Report, CliError> {
    let mut sc = effective_scenario(args)?;
    // Every input is checked before anything runs or any file is created.
    let frames = match &args.pcap_in {
        Some(p) => {
            let f = pcap::read(p, sc.driver.max_frame_len).map_err(CliError::PcapIn)?;
            // The summary shows what was sent.
            sc.traffic.frames = f.len().min(u32::MAX as usize) as u32;
            Some(f)
        }
        None => None,
    };
    let waves_out = match &args.waves {
        Some(p) => Some(OutFile::new("--waves", p)?),
        None => None,
    };
    let pcap_out = match &args.pcap_out {
        Some(p) => Some(OutFile::new("--pcap-out", p)?),
        None => None,
    };
    let progress = progress_line(format!("{} seed {}", sc.name, sc.traffic.seed));
    let had_progress = progress.is_some();
    let mut opts = RunOptions {
        waves: waves_out.as_ref().map(|w| WavesOpt {
            path: w.tmp.clone(),
            window: args.waves_window.clone(),
        }),
        record_wire: pcap_out.is_some(),
        frames,
        pool_markers: false,
        no_ledger: false,
        progress,
        two_evals: args.two_evals,
        ..RunOptions::default()
    };
    args.checks.apply(&mut opts);
    tracing::info!(scenario = %sc.name, seed = sc.traffic.seed, "cosim run");
    let result = scenario::run(&sc, opts);
    if had_progress {
        eprintln!();
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            for f in waves_out.iter().chain(pcap_out.iter()) {
                f.discard();
            }
            return Err(e.into());
        }
    };
    let mut waves_note = None;
    if let Some(w) = &waves_out {
        if w.tmp.exists() {
            w.commit()?;
            // The GTKWave save file, next to the final name.
            let mut spec = cosim::WaveSpec::new(&w.path);
            spec.format = cosim::WaveFormat::Fst;
            if let Err(e) = spec.finish() {
                tracing::warn!(path = %w.path.display(), "no GTKWave save file: {e}");
            }
        } else {
            waves_note = Some(format!(
                "no waveform written: the run ended at cycle {} before the window opened",
                report.cycles
            ));
        }
    }
    if let Some(p) = &pcap_out {
        let bytes = pcap::encode(&report.wire_frames, pool::MemConfig::default().clock_hz);
        std::fs::write(&p.tmp, bytes).map_err(|e| {
            p.discard();
            CliError::io(format!("--pcap-out {}", p.path.display()))(e)
        })?;
        p.commit()?;
    }
    let text = if args.json {
        serde_json::to_string_pretty(&report).map_err(CliError::json(""))? + "\n"
    } else {
        let mut t = report.render_human();
        if let Some(w) = &args.waves {
            match &waves_note {
                Some(n) => t.push_str(&format!("waves     {}: {n}\n", w.display())),
                None => t.push_str(&format!(
                    "waves     {} (open with: gtkwave {} {})\n",
                    w.display(),
                    w.display(),
                    w.with_extension("gtkw").display()
                )),
            }
        }
        if let Some(p) = &args.pcap_out {
            t.push_str(&format!(
                "pcap      {} ({} frames, Linux cooked link type, both directions)\n",
                p.display(),
                report.wire_frames.len()
            ));
        }
        t
    };
    out.write_all(text.as_bytes())
        .map_err(CliError::io("writing the summary"))?;
    let failed = report.failures();
    if !failed.is_empty() {
        let names: Vec<String> = failed
            .iter()
            .map(|c| format!("{} ({})", c.name, c.detail))
            .collect();
        return Err(CliError::Check(format!(
            "scenario {} seed {}: {} check(s) failed: {}",
            report.scenario,
            report.seed,
            failed.len(),
            names.join("; ")
        )));
    }
    Ok(report)
}

/// `cosim run`.
pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    execute(args, &mut lock).map(|_| ())
}
