//! Bus models. Each is a plain state machine with a small signal struct in
//! and out, unit-testable without Verilator:
//!
//! * `drive(..)` gives the model's outputs for the cycle (from its state);
//! * `update(..)` takes the DUT's outputs sampled before the clock edge,
//!   computes the handshakes and advances.
//!
//! The AXI4 vocabulary ([`Dir`], [`Resp`], the [`Burst`] record) comes from
//! the `axi` crate (written `::axi` here, apart from the [`axi`] module, the
//! memory slave). The slave sits on a [`DmaStorage`] inside the
//! [`FaultInjector`] layer; imports point slave -> fault layer -> storage.

pub mod axi;
pub mod axil;
pub mod axis;
pub mod fault;
pub mod irq;
pub mod storage;

pub use ::axi::{Burst, Dir, Resp};
pub use axi::{
    AddrBeat, AxiError, AxiMasterSignals, AxiMem, AxiMemConfig, AxiSlaveSignals, BBeat,
    Backpressure, Channel, DmaRecord, Misbehave, RBeat, WBeat,
};
pub use axil::{
    AxilError, AxilEvent, AxilMaster, AxilMasterSignals, AxilMisbehave, AxilOp, AxilSlaveSignals,
    RegName,
};
pub use axis::{
    AxisBeat, AxisError, AxisSink, AxisSinkConfig, AxisSource, AxisSourceConfig, RxFrame,
};
pub use fault::{ErrorInjection, ErrorMatch, FaultInjector};
pub use irq::IrqMonitor;
pub use storage::{DmaStorage, SparseMem, StorageFault};
