//! Why a simulation step or a testbench operation failed.

use crate::bridge::{RtlStop, RtlStopKind};
use crate::bus::{AxiError, AxilError, AxisError};
use crate::variant::UnknownModel;

/// Why a simulation step or a testbench operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("cycle {cycle}: RTL {stop}")]
    Rtl { cycle: u64, stop: RtlStop },
    #[error("AXI memory model: {0}")]
    Axi(#[from] AxiError),
    #[error("AXI-Stream: {0}")]
    Stream(#[from] AxisError),
    #[error("cycle {cycle}: register access: {source}")]
    Axil { cycle: u64, source: AxilError },
    #[error("cycle {cycle}: timed out after {waited} cycles waiting for {what}")]
    Timeout {
        cycle: u64,
        what: String,
        waited: u64,
    },
    #[error("waveform: {0}")]
    Wave(String),
    #[error("{0}")]
    Model(#[from] UnknownModel),
    #[error("cycle {cycle}: NIC output(s) {outputs} changed with the inputs before the clock edge: the RTL has a combinational path from an input to an output, which the single-eval models (assertions off) cannot simulate")]
    CombPath { cycle: u64, outputs: String },
}

impl SimError {
    /// The RTL stop (assertion, `$fatal`, ...) behind this error, if any.
    pub fn rtl_stop(&self) -> Option<&RtlStop> {
        match self {
            SimError::Rtl { stop, .. } => Some(stop),
            _ => None,
        }
    }
    pub fn is_assertion(&self) -> bool {
        self.rtl_stop()
            .is_some_and(|s| s.kind == RtlStopKind::Assertion)
    }
}
