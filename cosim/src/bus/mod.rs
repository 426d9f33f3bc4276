//! Bus models. Each is a plain state machine with a small signal struct in
//! and out, unit-testable without Verilator:
//!
//! * `drive(..)` gives the model's outputs for the cycle (from its state);
//! * `update(..)` takes the DUT's outputs sampled before the clock edge,
//!   computes the handshakes and advances.

pub mod axi;
pub mod axil;
pub mod axis;
pub mod irq;
pub mod storage;

pub use axi::{
    AddrBeat, AxiError, AxiMasterSignals, AxiMem, AxiMemConfig, AxiSlaveSignals, AxiTxn, BBeat,
    Backpressure, Channel, Dir, DmaRecord, ErrorInjection, ErrorMatch, Misbehave, RBeat, Resp,
    WBeat,
};
pub use axil::{
    AxilError, AxilMaster, AxilMasterSignals, AxilMisbehave, AxilOp, AxilSlaveSignals, RegName,
};
pub use axis::{
    AxisBeat, AxisError, AxisSink, AxisSinkConfig, AxisSource, AxisSourceConfig, RxFrame,
};
pub use irq::IrqMonitor;
pub use storage::{DmaStorage, SparseMem, StorageFault};

#[cfg(test)]
mod tests;
