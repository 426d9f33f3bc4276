//! How a scenario is run beyond the scenario itself, and why a run could
//! not start.

use std::ops::Range;
use std::path::PathBuf;

use hostdriver::DriverError;
use pool::{MemError, PoolError};

use crate::SimError;

/// Where a run is, for progress displays.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Frames offered so far (wire in + xmit).
    pub offered: u64,
    /// Frames to offer.
    pub total: u64,
    /// Simulated cycle.
    pub cycle: u64,
}

/// A progress callback (called every few thousand cycles).
pub type ProgressFn<'a> = Box<dyn FnMut(&Progress) + 'a>;

/// `--waves PATH [--waves-window A..B]`.
#[derive(Debug, Clone)]
pub struct WavesOpt {
    /// FST file.
    pub path: PathBuf,
    /// Cycle window (whole run when absent).
    pub window: Option<Range<u64>>,
}

/// How to run (beyond the scenario itself).
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Write an FST waveform.
    pub waves: Option<WavesOpt>,
    /// With a waveform: the RX and TX pools' pages in flight and a strobe
    /// per DMA sync as driver markers next to the RTL signals.
    pub pool_markers: bool,
    /// Switch the testbench's wire capture on ([`crate::Sim::capture_wire`]):
    /// every frame seen on the wire lands in [`super::Report::wire_frames`].
    pub record_wire: bool,
    /// Frames to send instead of generated ones (`--pcap-in`).
    pub frames: Option<Vec<Vec<u8>>>,
    /// Turn the DMA ledger off (benchmarks): the sync summary is then empty.
    pub no_ledger: bool,
    /// Turn the contract monitor and scoreboard off
    /// ([`crate::SimConfig::contract`]): their two checks say so.
    pub no_contract: bool,
    /// Turn the byte-precise DMA ownership checks of host memory off
    /// (`HostMemory::set_ownership_checks`).
    pub no_ownership: bool,
    /// Skip the page pool's laws (`PoolRegistry::check_invariants`); their
    /// check says so.
    pub no_pool_invariants: bool,
    /// Progress callback.
    pub progress: Option<ProgressFn<'a>>,
    /// Clock a model without assertions with two evals per cycle too
    /// ([`crate::SimConfig::two_evals`]).
    pub two_evals: bool,
    /// The contract monitors the driver runs over (ring auditor, NAPI
    /// contract, watchdog; all on by default).
    pub monitors: checkers::MonitorConfig,
}

/// A run that could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The waveform could not be opened (bad input: the output path).
    #[error("--waves {}: {source}", path.display())]
    Waves {
        /// The waveform's path.
        path: PathBuf,
        /// Why it could not be opened.
        #[source]
        source: SimError,
    },
    /// The scenario's host memory is not a machine.
    #[error("host memory: {0}")]
    Memory(#[source] MemError),
    /// The testbench could not be built.
    #[error("testbench: {0}")]
    Testbench(#[source] SimError),
    /// The driver's probe failed.
    #[error("driver probe: {0}")]
    Probe(#[source] DriverError),
    /// The XDP program was refused.
    #[error("XDP program: {0}")]
    XdpProgram(#[source] DriverError),
    /// The stack's copy pool could not be created.
    #[error("stack copy pool: {0}")]
    CopyPool(#[source] PoolError),
    /// The driver's open failed.
    #[error("driver open: {0}")]
    Open(#[source] DriverError),
}

impl RunError {
    /// Whether the caller's input was at fault (an option value, an output
    /// path) rather than the testbench, driver probe or open.
    pub fn is_input(&self) -> bool {
        matches!(self, RunError::Waves { .. })
    }
}
