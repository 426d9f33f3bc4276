//! How the slave behaves: latencies, limits, random backpressure and
//! reordering, deliberate misbehaviour.

use crate::bus::fault::ErrorInjection;
use crate::rng::Chance;

/// Random backpressure: the chance, per cycle, that a ready is withheld or
/// that a valid is not (yet) asserted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backpressure {
    pub aw_stall: Chance,
    pub w_stall: Chance,
    pub ar_stall: Chance,
    pub r_idle: Chance,
    pub b_idle: Chance,
}

impl Backpressure {
    pub const NONE: Backpressure = Backpressure {
        aw_stall: Chance::NEVER,
        w_stall: Chance::NEVER,
        ar_stall: Chance::NEVER,
        r_idle: Chance::NEVER,
        b_idle: Chance::NEVER,
    };

    /// The same chance on every channel.
    pub const fn uniform(pct: u32) -> Backpressure {
        let c = Chance::percent(pct);
        Backpressure {
            aw_stall: c,
            w_stall: c,
            ar_stall: c,
            r_idle: c,
            b_idle: c,
        }
    }
}

/// Deliberate protocol violations by the slave, to show that the RTL's
/// assertions catch them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehave {
    /// Drop RVALID one cycle after asserting it if RREADY was low, and
    /// present the beat again later (AXI: valid must stay until ready).
    DropRValidEarly,
    /// Drop BVALID early, likewise.
    DropBValidEarly,
    /// Assert RVALID for one more beat than the burst has after RLAST.
    ExtraRBeat,
}

/// Configuration of [`super::AxiMem`].
#[derive(Debug, Clone)]
pub struct AxiMemConfig {
    /// Bytes per beat (8 for the NIC's 64-bit bus, 16 for 128).
    pub data_bytes: usize,
    /// Cycles from the AR handshake to the first R beat being offered.
    pub read_latency: u32,
    /// Cycles from the last W beat (or the AW, if later) to B being offered.
    pub write_latency: u32,
    pub backpressure: Backpressure,
    /// Bursts accepted but not yet answered, per direction; the address
    /// ready stays low while full.
    pub max_outstanding: usize,
    /// Longest burst accepted (AXI4 INCR: 256).
    pub max_burst_beats: u16,
    /// Answer bursts of different IDs in a random order (same ID: in order).
    pub reorder_ids: bool,
    /// Bursts to answer with an error: handed to the memory's
    /// [`crate::bus::FaultInjector`] layer at construction.
    pub errors: Vec<ErrorInjection>,
    pub misbehave: Option<Misbehave>,
    /// Seed of the backpressure and reordering choices.
    pub seed: u64,
}

impl Default for AxiMemConfig {
    fn default() -> Self {
        Self {
            data_bytes: 8,
            read_latency: 4,
            write_latency: 2,
            backpressure: Backpressure::NONE,
            max_outstanding: 8,
            max_burst_beats: 256,
            reorder_ids: false,
            errors: Vec::new(),
            misbehave: None,
            seed: 0,
        }
    }
}
