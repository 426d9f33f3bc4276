#![deny(unsafe_code)]
//! Co-simulation of the NIC RTL, clocked from Rust.
//!
//! * [`bridge`]: the Verilated model behind a cxx bridge, ports as raw
//!   pointers (the only `unsafe` in the crate);
//! * [`bus`]: bus models as plain state machines (AXI4 host memory slave over
//!   a [`bus::DmaStorage`], AXI4-Lite master, AXI-Stream source and sink,
//!   interrupt observer);
//! * [`Sim`]: the testbench that clocks them together;
//! * [`pool_storage`]: the memory model's storage on the project's simulated
//!   host memory (`pool`).

pub mod bridge;
pub mod bus;
pub mod cli;
pub mod device;
pub mod pool_storage;
pub mod rng;
pub mod sim;

pub use bridge::{Model, Ports, RtlStop, RtlStopKind, PORTS};
pub use pool_storage::PoolStorage;
pub use rng::{Chance, SplitMix64};
pub use sim::{DriverMarkers, Sim, SimConfig, SimError};
