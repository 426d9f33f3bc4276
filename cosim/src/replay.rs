//! Waveforms around a failure, without tracing the whole run.
//!
//! Every random choice of a co-simulation comes from its seed, so a failing
//! run can be run again and fail at the same cycle. [`with_failure_waves`]
//! runs a closure once without waves; if it fails (an error, or a panic:
//! an RTL assertion, a DMA fault, a DMA-API violation, a test's own
//! check), it runs it again with a [`WaveSpec`] whose window is the last
//! `n_cycles` before the failure cycle (plus a few after), and returns the
//! original failure with the waveform's path.
//!
//! The failure cycle is the one the error names ([`FailureCycle`]), else
//! the cycle the testbench had reached when it was dropped (every [`Sim`]
//! records it on drop, also while a panic unwinds).
//!
//! [`Sim`]: crate::Sim

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use crate::sim::take_last_dropped_cycle;
pub use crate::sim::{WaveFormat, WaveSpec};
use crate::SimError;

/// Environment variable naming the directory for failure waveforms (CI
/// keeps it as an artifact; `ci/test.sh` sets it).
pub const FAIL_WAVES_DIR_ENV: &str = "COSIM_FAIL_WAVES_DIR";

/// Cycles traced after the failure cycle (the failure is inside the file).
pub const CYCLES_AFTER: u64 = 4;

/// The cycle an error names, if it names one.
pub trait FailureCycle {
    fn failure_cycle(&self) -> Option<u64>;
}

impl FailureCycle for SimError {
    fn failure_cycle(&self) -> Option<u64> {
        use crate::bus::AxiError as A;
        match self {
            SimError::Rtl { cycle, .. }
            | SimError::Axil { cycle, .. }
            | SimError::Timeout { cycle, .. }
            | SimError::CombPath { cycle, .. } => Some(*cycle),
            SimError::Axi(e) => match e {
                A::Crosses4k { cycle, .. }
                | A::BurstType { cycle, .. }
                | A::Size { cycle, .. }
                | A::TooLong { cycle, .. }
                | A::EarlyWlast { cycle, .. }
                | A::MissingWlast { cycle, .. }
                | A::StrobeOutside { cycle, .. }
                | A::ValidDropped { cycle, .. }
                | A::PayloadChanged { cycle, .. }
                | A::WithoutAddress { cycle, .. } => Some(*cycle),
                A::Config(_) => None,
            },
            SimError::Stream(_) | SimError::Wave(_) | SimError::Model(_) => None,
        }
    }
}

impl FailureCycle for hostdriver::DriverError {
    fn failure_cycle(&self) -> Option<u64> {
        None
    }
}

impl FailureCycle for pool::DmaFault {
    fn failure_cycle(&self) -> Option<u64> {
        Some(self.cycle)
    }
}

/// A failure found by a test's own check at a known cycle (e.g. the cycle
/// of a DMA fault or DMA-API violation the pool recorded), so that the
/// replay's window ends there rather than where the testbench stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtCycle {
    /// None: unknown (the replay falls back to the testbench's last cycle).
    pub cycle: Option<u64>,
    pub what: String,
}

impl AtCycle {
    pub fn new(cycle: u64, what: impl std::fmt::Display) -> Self {
        AtCycle {
            cycle: Some(cycle),
            what: what.to_string(),
        }
    }
}

impl std::fmt::Display for AtCycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.cycle {
            Some(c) => write!(f, "cycle {c}: {}", self.what),
            None => f.write_str(&self.what),
        }
    }
}

impl std::error::Error for AtCycle {}

impl FailureCycle for AtCycle {
    fn failure_cycle(&self) -> Option<u64> {
        self.cycle
    }
}

impl From<SimError> for AtCycle {
    fn from(e: SimError) -> Self {
        AtCycle {
            cycle: e.failure_cycle(),
            what: e.to_string(),
        }
    }
}

impl FailureCycle for String {
    fn failure_cycle(&self) -> Option<u64> {
        None
    }
}

/// How the run failed.
#[derive(Debug)]
pub enum Failure<E> {
    Error(E),
    Panic(String),
}

impl<E: std::fmt::Display> std::fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Error(e) => write!(f, "{e}"),
            Failure::Panic(m) => write!(f, "panicked: {m}"),
        }
    }
}

/// A failed run, with the waveform of its last cycles when one was made.
#[derive(Debug, thiserror::Error)]
#[error("{failure}{}", self.waves_note())]
pub struct FailedRun<E: std::fmt::Display + std::fmt::Debug> {
    pub failure: Failure<E>,
    /// The failure cycle (see the module docs), if known.
    pub cycle: Option<u64>,
    /// The waveform and its save file, if the rerun made them.
    pub waves: Option<PathBuf>,
    pub save_file: Option<PathBuf>,
    /// The cycles the waveform covers.
    pub window: Option<Range<u64>>,
    /// Why there is no waveform, or what differed in the rerun.
    pub note: Option<String>,
}

impl<E: std::fmt::Display + std::fmt::Debug> FailedRun<E> {
    fn waves_note(&self) -> String {
        let mut s = String::new();
        if let (Some(w), Some(win)) = (&self.waves, &self.window) {
            s.push_str(&format!(
                "\n  waveform of cycles {}..{} (failure at cycle {}): {}",
                win.start,
                win.end,
                self.cycle.unwrap_or(0),
                w.display()
            ));
            if let Some(g) = &self.save_file {
                s.push_str(&format!(
                    "\n  open with: gtkwave {} {}",
                    w.display(),
                    g.display()
                ));
            }
        }
        if let Some(n) = &self.note {
            s.push_str(&format!("\n  ({n})"));
        }
        s
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-text panic payload)".to_string()
    }
}

fn run_once<T, E>(
    f: &mut impl FnMut(Option<&WaveSpec>) -> Result<T, E>,
    spec: Option<&WaveSpec>,
) -> Result<T, (Failure<E>, Option<u64>)>
where
    E: FailureCycle,
{
    let _ = take_last_dropped_cycle();
    match catch_unwind(AssertUnwindSafe(|| f(spec))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => {
            let c = e.failure_cycle().or_else(take_last_dropped_cycle);
            Err((Failure::Error(e), c))
        }
        Err(p) => Err((Failure::Panic(panic_message(&p)), take_last_dropped_cycle())),
    }
}

/// Runs `f(None)`; if it fails, runs `f(Some(spec))` again with waves on
/// for the `n_cycles` before the failure cycle (and [`CYCLES_AFTER`] after)
/// into `<dir>/<name>.fst` (plus `<name>.gtkw`), and returns the first
/// run's failure (boxed: it is large) with the waveform's path. `dir`: `None` reads
/// [`FAIL_WAVES_DIR_ENV`]; with neither, failures are returned without a
/// waveform. The closure must apply the spec to its testbench
/// ([`crate::Sim::waves_spec`]) and be deterministic.
pub fn with_failure_waves<T, E>(
    name: &str,
    dir: Option<&Path>,
    n_cycles: u64,
    f: impl FnMut(Option<&WaveSpec>) -> Result<T, E>,
) -> Result<T, Box<FailedRun<E>>>
where
    E: FailureCycle + std::fmt::Display + std::fmt::Debug,
{
    let dir = dir
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(FAIL_WAVES_DIR_ENV).map(PathBuf::from));
    replay_failure(name, dir.as_deref(), n_cycles, f)
}

/// [`with_failure_waves`] without the environment: `dir` `None` means no
/// waveform (the failure is returned with a note saying how to get one).
pub fn replay_failure<T, E>(
    name: &str,
    dir: Option<&Path>,
    n_cycles: u64,
    mut f: impl FnMut(Option<&WaveSpec>) -> Result<T, E>,
) -> Result<T, Box<FailedRun<E>>>
where
    E: FailureCycle + std::fmt::Display + std::fmt::Debug,
{
    let (failure, cycle) = match run_once(&mut f, None) {
        Ok(v) => return Ok(v),
        Err(x) => x,
    };
    let mut run = Box::new(FailedRun {
        failure,
        cycle,
        waves: None,
        save_file: None,
        window: None,
        note: None,
    });
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => {
            run.note = Some(format!(
                "set {FAIL_WAVES_DIR_ENV} for a waveform of the failure"
            ));
            return Err(run);
        }
    };
    let Some(fail) = cycle else {
        run.note = Some("the failure cycle is unknown: no waveform".into());
        return Err(run);
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        run.note = Some(format!("cannot create {}: {e}", dir.display()));
        return Err(run);
    }
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let window = fail.saturating_sub(n_cycles)..fail.saturating_add(CYCLES_AFTER + 1);
    let spec = WaveSpec {
        window: Some(window.clone()),
        marker_cycle: Some(fail),
        ..WaveSpec::new(dir.join(format!("{safe}.fst")))
    };
    tracing::warn!(name, cycle = fail, path = %spec.path.display(), "cosim: run failed; running it again with waves on for cycles {window:?}");
    match run_once(&mut f, Some(&spec)) {
        Ok(_) => {
            run.note = Some("the rerun with waves passed: the run is not deterministic".into());
        }
        Err((again, c2)) => {
            if c2 != Some(fail) {
                run.note = Some(format!(
                    "the rerun failed at cycle {c2:?} instead ({again}): the run is not deterministic"
                ));
            }
        }
    }
    if spec.path.exists() {
        run.waves = Some(spec.path.clone());
        run.window = Some(window);
        let g = spec.save_file_path();
        if g.exists() {
            run.save_file = Some(g);
        }
    } else if run.note.is_none() {
        run.note = Some("the rerun wrote no waveform (did the closure apply the WaveSpec?)".into());
    }
    Err(run)
}
