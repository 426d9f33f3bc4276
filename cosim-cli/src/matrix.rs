//! `cosim matrix`: many scenarios x seeds in parallel (one thread per
//! core; each run has its own Verilated model and context), progress on
//! stderr, a table on stdout, and a JUnit XML report for CI.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use clap::Args;

use crate::run::{effective_scenario, OutFile, RunArgs};
use crate::CliError;
use cosim::scenario::{self, Report, RunOptions, Scenario, BUILTIN};

/// Options of `cosim matrix`.
#[derive(Debug, Clone, Args, Default)]
pub struct MatrixArgs {
    /// Scenarios (built-in names or TOML files); all built-in ones if none.
    pub scenarios: Vec<String>,
    /// Seeds: a list (1,2,3) or an inclusive range (1..=8); default: each
    /// scenario's own seed.
    #[arg(long, value_parser = parse_seeds)]
    pub seeds: Option<Seeds>,
    /// Override every scenario's frame count.
    #[arg(long)]
    pub frames: Option<u32>,
    /// Parallel runs (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Run every scenario on the NIC build with this data width (64 or 128).
    #[arg(long, value_name = "BITS")]
    pub data_width: Option<u32>,
    /// Run every scenario on the NIC build without assertions (faster; for
    /// soak runs of a design that passes with them).
    #[arg(long)]
    pub no_assertions: bool,
    #[command(flatten)]
    pub checks: crate::switches::CheckSwitches,
}

/// A list of seeds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Seeds(pub Vec<u64>);

/// `1,2,3` or `1..=8`.
pub fn parse_seeds(s: &str) -> Result<Seeds, String> {
    let num = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{s}`: `{t}` is not a seed"))
    };
    let v: Vec<u64> = if let Some((a, b)) = s.split_once("..=") {
        let (a, b) = (num(a)?, num(b)?);
        if a > b || b - a >= 10_000 {
            return Err(format!(
                "`{s}`: expected A..=B with A <= B and at most 10000 seeds"
            ));
        }
        (a..=b).collect()
    } else {
        s.split(',').map(num).collect::<Result<_, _>>()?
    };
    if v.is_empty() {
        return Err(format!("`{s}`: no seeds"));
    }
    Ok(Seeds(v))
}

/// One run of the matrix.
#[derive(Debug)]
pub struct JobResult {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// The report, or why the run could not start.
    pub outcome: Result<Report, String>,
    /// Wall seconds.
    pub secs: f64,
}

impl JobResult {
    /// Whether the run started and every check held.
    pub fn passed(&self) -> bool {
        matches!(&self.outcome, Ok(r) if r.passed())
    }
    fn failure_text(&self) -> Option<String> {
        match &self.outcome {
            Err(e) => Some(e.clone()),
            Ok(r) if !r.passed() => Some(
                r.failures()
                    .iter()
                    .map(|c| format!("{}: {}", c.name, c.detail))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Ok(_) => None,
        }
    }
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// The JUnit XML report of `results` (one testcase per scenario and seed).
pub fn junit_xml(results: &[JobResult], total_secs: f64) -> String {
    let failures = results.iter().filter(|r| !r.passed()).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"cosim matrix\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{total_secs:.3}\">\n",
        results.len()
    ));
    x.push_str(&format!(
        "  <testsuite name=\"cosim.scenarios\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{total_secs:.3}\">\n",
        results.len()
    ));
    for r in results {
        x.push_str(&format!(
            "    <testcase classname=\"cosim.{}\" name=\"seed {}\" time=\"{:.3}\"",
            xml_escape(&r.scenario),
            r.seed,
            r.secs
        ));
        let summary = r.outcome.as_ref().ok().map(Report::render_human);
        match r.failure_text() {
            None => {
                x.push_str(">\n");
            }
            Some(f) => {
                let first = f.lines().next().unwrap_or("").to_string();
                x.push_str(&format!(
                    ">\n      <failure type=\"check\" message=\"{}\">{}</failure>\n",
                    xml_escape(&first),
                    xml_escape(&f)
                ));
            }
        }
        if let Some(s) = summary {
            x.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                xml_escape(&s)
            ));
        }
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// Runs the matrix, writes the table to `out`; returns every result.
pub fn execute(args: &MatrixArgs, out: &mut dyn Write) -> Result<Vec<JobResult>, CliError> {
    let names: Vec<String> = if args.scenarios.is_empty() {
        BUILTIN.iter().map(|(n, _)| n.to_string()).collect()
    } else {
        args.scenarios.clone()
    };
    if args.jobs == Some(0) {
        return Err(CliError::Input("--jobs 0: expected at least 1".into()));
    }
    // Everything is validated before the first run.
    let mut jobs: Vec<Scenario> = Vec::new();
    for name in &names {
        let seeds: Vec<Option<u64>> = match &args.seeds {
            Some(s) => s.0.iter().map(|&x| Some(x)).collect(),
            None => vec![None],
        };
        for seed in seeds {
            let ra = RunArgs {
                scenario: name.clone(),
                frames: args.frames,
                seed,
                data_width: args.data_width,
                no_assertions: args.no_assertions,
                ..RunArgs::default()
            };
            jobs.push(effective_scenario(&ra)?);
        }
    }
    let junit = match &args.junit {
        Some(p) => Some(OutFile::new("--junit", p)?),
        None => None,
    };
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .min(jobs.len())
        .max(1);
    let tty = std::io::stderr().is_terminal();
    let t0 = Instant::now();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<JobResult>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(sc) = jobs.get(i) else { break };
                let t = Instant::now();
                let mut opts = RunOptions::default();
                args.checks.apply(&mut opts);
                let outcome = scenario::run(sc, opts).map_err(|e| e.to_string());
                let r = JobResult {
                    scenario: sc.name.clone(),
                    seed: sc.traffic.seed,
                    outcome,
                    secs: t.elapsed().as_secs_f64(),
                };
                let ok = r.passed();
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::info!(scenario = %r.scenario, seed = r.seed, ok, "matrix: run done");
                if tty {
                    eprint!(
                        "\rcosim matrix: {k}/{} runs done, {} failed, {:.1} s   ",
                        jobs.len(),
                        failed.load(Ordering::Relaxed),
                        t0.elapsed().as_secs_f64()
                    );
                }
                if let Ok(mut v) = slots.lock() {
                    v[i] = Some(r);
                }
            });
        }
    });
    if tty {
        eprintln!();
    }
    let total = t0.elapsed().as_secs_f64();
    let results: Vec<JobResult> = slots
        .into_inner()
        .map_err(|_| CliError::Check("a matrix worker panicked".into()))?
        .into_iter()
        .flatten()
        .collect();
    if results.len() != jobs.len() {
        return Err(CliError::Check(format!(
            "only {} of {} runs reported (a worker panicked)",
            results.len(),
            jobs.len()
        )));
    }
    let mut t = String::new();
    let w = names.iter().map(String::len).max().unwrap_or(8);
    for r in &results {
        let (status, cycles, what) = match &r.outcome {
            Ok(rep) if rep.passed() => ("PASS", rep.cycles, String::new()),
            Ok(rep) => (
                "FAIL",
                rep.cycles,
                rep.failures()
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Err(e) => ("FAIL", 0, e.clone()),
        };
        t.push_str(&format!(
            "{status}  {:<w$}  seed {:<6} {:>9} cycles {:>7.2} s  {what}\n",
            r.scenario, r.seed, cycles, r.secs
        ));
    }
    let nfail = results.iter().filter(|r| !r.passed()).count();
    t.push_str(&format!(
        "{} runs on {threads} threads in {total:.1} s: {} passed, {nfail} failed\n",
        results.len(),
        results.len() - nfail
    ));
    out.write_all(t.as_bytes()).map_err(CliError::Output)?;
    if let Some(j) = &junit {
        std::fs::write(&j.tmp, junit_xml(&results, total)).map_err(|e| {
            j.discard();
            CliError::io(format!("--junit {}", j.path.display()))(e)
        })?;
        j.commit()?;
    }
    Ok(results)
}

/// `cosim matrix`.
pub fn run(args: &MatrixArgs) -> Result<(), CliError> {
    let results = execute(args, &mut std::io::stdout().lock())?;
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| format!("{} seed {}", r.scenario, r.seed))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Check(format!(
            "{} of {} runs failed: {}",
            failed.len(),
            results.len(),
            failed.join(", ")
        )))
    }
}
