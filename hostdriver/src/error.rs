//! Typed errors: each says which register, field or ring and what was
//! expected.

use std::fmt;
use std::sync::Arc;

use nic_hw::wire::WireError;
use pool::{DmaError, MemError, PoolError};
use thiserror::Error;

/// Direction of an MMIO access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmioOp {
    /// A register read.
    Read,
    /// A register write.
    Write,
}

impl fmt::Display for MmioOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MmioOp::Read => "read",
            MmioOp::Write => "write",
        })
    }
}

/// Errors of a [`crate::NicDevice`].
#[derive(Debug, Clone, Error)]
pub enum DevError {
    /// The register window answered SLVERR (AXI response 2): a write to a
    /// read-only register, a locked ring register, an out-of-range value.
    #[error("MMIO {op} of {name} ({reg:#05x}) answered SLVERR (value {value:#x})")]
    SlvErr {
        /// Register offset.
        reg: u32,
        /// Register name (`"<unmapped>"` if none).
        name: &'static str,
        /// Read or write.
        op: MmioOp,
        /// The value written (0 for reads).
        value: u32,
    },
    /// The register window answered DECERR (AXI response 3): no register
    /// at that offset.
    #[error("MMIO {op} of {reg:#05x} answered DECERR: no register at that offset")]
    DecErr {
        /// Register offset.
        reg: u32,
        /// Read or write.
        op: MmioOp,
    },
    /// The simulator itself failed (assertion, halt, bridge error): the
    /// simulator's own error, as a value.
    #[error("device simulation failed: {0}")]
    Sim(#[source] Arc<dyn std::error::Error + Send + Sync>),
    /// A watchdog over the device stopped the run (a cycle bound reached,
    /// or no progress while work was outstanding): the watchdog's own
    /// finding, as a value, with where every ring and page was.
    #[error("{0}")]
    Watchdog(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl DevError {
    /// SLVERR for `reg`, naming it from the register map.
    pub fn slverr(reg: u32, op: MmioOp, value: u32) -> Self {
        DevError::SlvErr {
            reg,
            name: nic_hw::regs::name_of(reg).unwrap_or("<unmapped>"),
            op,
            value,
        }
    }
}

/// Errors of the driver.
#[derive(Debug, Error)]
pub enum DriverError {
    /// A device access failed.
    #[error(transparent)]
    Dev(#[from] DevError),
    /// The ID register does not hold this NIC's identifier.
    #[error("probe: register ID reads {got:#010x}, expected {expected:#010x} (\"NIC1\")")]
    BadId {
        /// Value read.
        got: u32,
        /// [`nic_hw::regs::DEVICE_ID`].
        expected: u32,
    },
    /// The VERSION register's major number is not the one this driver
    /// speaks.
    #[error("probe: register VERSION reads {got:#010x}: major {} is not the supported major {expected_major}", got >> 16)]
    BadVersion {
        /// Value read.
        got: u32,
        /// Supported major (`VERSION[31:16]`).
        expected_major: u32,
    },
    /// A register field did not reach the expected value in time.
    #[error("timeout after {waited_cycles} cycles waiting for {reg}.{field} to read {expected} (last {reg} value {last:#x})")]
    Timeout {
        /// Register name.
        reg: &'static str,
        /// Field name.
        field: &'static str,
        /// Expected field value.
        expected: u32,
        /// Last register value read.
        last: u32,
        /// Cycles waited.
        waited_cycles: u64,
    },
    /// The device's clock did not move when asked to (`NicDevice::advance`
    /// returned but `cycle()` stayed): every wait would spin for ever.
    #[error("device clock stuck at cycle {cycle}: advance({asked}) let no cycle pass")]
    ClockStuck {
        /// The cycle it stayed at.
        cycle: u64,
        /// Cycles asked for.
        asked: u64,
    },
    /// The configuration is unusable.
    #[error("invalid driver configuration: {field} = {value}: {why}")]
    InvalidConfig {
        /// Config field.
        field: &'static str,
        /// Its value.
        value: String,
        /// Why it is rejected.
        why: &'static str,
    },
    /// Operation needs the interface open.
    #[error("{op}: interface is not open")]
    NotOpen {
        /// What was attempted.
        op: &'static str,
    },
    /// Operation needs the interface closed.
    #[error("{op}: interface is open; close it first")]
    AlreadyOpen {
        /// What was attempted.
        op: &'static str,
    },
    /// An XDP program needs one frame per page (page mode).
    #[error("an XDP program needs RxMode::Page (one frame per page); the driver is configured for split pages")]
    XdpNeedsPageMode,
    /// Page pool creation failed.
    #[error("creating the {which} page pool: {source}")]
    Pool {
        /// "RX" or "TX".
        which: &'static str,
        /// Cause.
        #[source]
        source: PoolError,
    },
    /// A DMA API call failed (also recorded by the DMA layer).
    #[error("{what}: {source}")]
    Dma {
        /// What the driver was doing.
        what: &'static str,
        /// Cause.
        #[source]
        source: DmaError,
    },
    /// A CPU access to host memory failed.
    #[error("{what}: {source}")]
    Mem {
        /// What the driver was doing.
        what: &'static str,
        /// Cause.
        #[source]
        source: MemError,
    },
    /// A completion entry failed to parse.
    #[error("{ring} completion {idx:#06x}: {source}")]
    BadCompletion {
        /// "RX" or "TX".
        ring: &'static str,
        /// Free-running index.
        idx: u16,
        /// Cause.
        #[source]
        source: WireError,
    },
    /// A completion's field does not match the descriptor it completes.
    #[error("{ring} completion {idx:#06x}: field {field} is {got:#x}, expected {expected:#x}")]
    CompletionMismatch {
        /// "RX" or "TX".
        ring: &'static str,
        /// Free-running index.
        idx: u16,
        /// Field name (desc_idx, tag, len).
        field: &'static str,
        /// Value in the completion.
        got: u64,
        /// Expected value.
        expected: u64,
    },
    /// A completion for a ring slot the driver did not post.
    #[error("{ring} completion {idx:#06x}: slot {slot} holds no posted buffer")]
    EmptySlot {
        /// "RX" or "TX".
        ring: &'static str,
        /// Free-running index.
        idx: u16,
        /// Slot.
        slot: usize,
    },
}

impl DriverError {
    pub(crate) fn dma(what: &'static str) -> impl FnOnce(DmaError) -> DriverError {
        move |source| DriverError::Dma { what, source }
    }
    pub(crate) fn mem(what: &'static str) -> impl FnOnce(MemError) -> DriverError {
        move |source| DriverError::Mem { what, source }
    }
}

/// Why a transmit was not accepted. The frame was not sent and nothing was
/// lost: the caller still has its bytes and may retry.
#[derive(Debug, Error)]
pub enum TxError {
    /// The TX ring (and its backlog) is full: the queue is stopped; retry
    /// after TX completions were processed (`NETDEV_TX_BUSY`).
    #[error(
        "TX ring full ({in_flight} of {size} descriptors in flight): queue stopped, retry later"
    )]
    Busy {
        /// Descriptors in flight.
        in_flight: u16,
        /// Ring size.
        size: u16,
    },
    /// Length 0 or above MAX_FRAME_LEN.
    #[error("frame of {len} bytes: TX accepts 1..={max} bytes (MAX_FRAME_LEN)")]
    BadLength {
        /// Frame length.
        len: usize,
        /// MAX_FRAME_LEN.
        max: u32,
    },
    /// The TX page pool had no page.
    #[error("no TX page: {0}")]
    NoMem(#[from] pool::PoolAllocError),
    /// A driver error (device, DMA, not open).
    #[error(transparent)]
    Driver(#[from] DriverError),
}
