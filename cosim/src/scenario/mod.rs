//! Traffic scenarios as data: TOML files (`cosim/scenarios/*.toml`, built
//! into the binary, or any file a user copies and edits), validated on load
//! with errors that name the file and the field; a runner that pushes the
//! traffic through the Verilated NIC and the NAPI driver and returns a
//! [`Report`]: frames and bytes each way, drops by reason, pool stats with
//! the kernel's names, the DMA sync ledger summarised as ranges, the NIC's
//! counters, and conservation checks.
//!
//! See `docs/SCENARIOS.md` for the file format.

mod accounting;
mod bench;
mod checks;
mod format;
mod frames;
mod options;
mod report;
mod runner;
mod stack;
mod switches;
mod traffic;
mod traffic_close;
mod updown;
mod validate;
mod wire;

pub use checks::{
    conservation, frame_conservation, page_conservation, Accounts, Check, CopyPool, Echoes,
    Findings, FrameCounts, LeftBehind, MonitorFindings,
};
pub use format::{
    Bug, Consume, Direction, DriverSection, FaultSection, FrameSize, MemMisbehave, MemorySection,
    Mode, Scenario, ScenarioError, StackSection, Traffic, Verdict, BUILTIN, DEMO, IMIX,
};
pub use frames::{frame_hash, generate_frames};
pub use options::{Progress, ProgressFn, RunError, RunOptions, WavesOpt};
pub use report::{fnv1a, Counters, DmaSummary, PoolReport, Report, SyncRange};
pub use runner::run;
pub use switches::{CheckName, UnknownCheck};
pub use traffic_close::{GenerationEnd, TrafficClose};
pub use wire::{WireCounts, WireDir, WireFrame};
