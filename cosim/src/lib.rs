#![deny(unsafe_code)]
//! Co-simulation of the NIC RTL, clocked from Rust.
//!
//! * [`bridge`]: the Verilated model behind a cxx bridge, ports as raw
//!   pointers (the only `unsafe` in the crate);
//! * [`bus`]: bus models as plain state machines (AXI4 host memory slave over
//!   a [`bus::DmaStorage`], AXI4-Lite master, AXI-Stream source and sink,
//!   interrupt observer);
//! * [`Sim`]: the testbench that clocks them together, with its layers
//!   (waveform window, driver markers, [`WireCapture`] of the wire ports);
//! * [`contract`]: the hardware/software contract checked from outside the
//!   RTL ([`ContractMonitor`]) and the transaction-level scoreboard, a
//!   layer of [`Sim`], on by default;
//! * [`ModelConfig`]: which verilated build (data width, assertions) it runs;
//! * [`pool_storage`]: the memory model's storage on the project's simulated
//!   host memory (`pool`);
//! * [`replay`] and [`markers`]: waveforms around failures, driver-side
//!   markers in waveforms.

pub mod bridge;
pub mod bus;
pub mod contract;
pub mod device;
pub mod markers;
pub mod pool_storage;
pub mod replay;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod variant;

pub use bridge::{port_info, Model, Ports, RtlStop, RtlStopKind};
/// The waveform crate (decoding, save files), re-exported for tests.
pub use checkers;
pub use contract::{ContractMonitor, RtlViolation, ScoreboardMismatch};
pub use pool_storage::PoolStorage;
pub use replay::{with_failure_waves, WaveFormat, WaveSpec};
pub use rng::{Chance, SplitMix64};
pub use sim::{
    DriverMarkers, MarkerProbe, Sim, SimConfig, SimError, WireCapture, WireDir, WireFrame,
};
pub use variant::{ModelConfig, UnknownModel};
pub use waves;
