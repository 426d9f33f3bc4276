//! What the contract monitor and the scoreboard report: typed findings,
//! each with a stable class name, the cycle, and a one-line message
//! naming the ring, the descriptor index and the address.

use std::fmt;

/// A descriptor ring (and its completion ring).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ring {
    Rx,
    Tx,
}

impl fmt::Display for Ring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ring::Rx => "RX",
            Ring::Tx => "TX",
        })
    }
}

/// What kind of NIC transaction, by its AXI ID and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnKind {
    RxDescFetch,
    TxDescFetch,
    TxPayloadRead,
    RxPayloadWrite,
    RxCplWrite,
    TxCplWrite,
}

impl TxnKind {
    /// The queue the transaction belongs to.
    pub fn ring(self) -> Ring {
        match self {
            TxnKind::RxDescFetch | TxnKind::RxPayloadWrite | TxnKind::RxCplWrite => Ring::Rx,
            _ => Ring::Tx,
        }
    }
}

impl fmt::Display for TxnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TxnKind::RxDescFetch => "RX descriptor fetch (read ID 0)",
            TxnKind::TxDescFetch => "TX descriptor fetch (read ID 1)",
            TxnKind::TxPayloadRead => "TX payload read (read ID 2)",
            TxnKind::RxPayloadWrite => "RX payload write (write ID 0)",
            TxnKind::RxCplWrite => "RX completion write (write ID 1)",
            TxnKind::TxCplWrite => "TX completion write (write ID 2)",
        })
    }
}

/// A completion field that disagrees with the descriptor or the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CplField {
    Len,
    Tag,
    Status,
    Phase,
}

impl fmt::Display for CplField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CplField::Len => "len",
            CplField::Tag => "tag",
            CplField::Status => "status",
            CplField::Phase => "phase",
        })
    }
}

/// A rule of ARCHITECTURE.md's hardware/software contract that the NIC's
/// bus traffic broke, as seen from outside the RTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtlViolation {
    /// A descriptor fetch of an index the driver had not doorbelled.
    FetchNotDoorbelled {
        ring: Ring,
        idx: u16,
        doorbell: u16,
        addr: u64,
        cycle: u64,
    },
    /// A descriptor fetch not at the ring slot of the next index.
    FetchWrongAddress {
        ring: Ring,
        idx: u16,
        expected: u64,
        addr: u64,
        cycle: u64,
    },
    /// RX payload bytes outside `addr + RX_HEADROOM .. + len` of every
    /// descriptor the frame could have been assigned (`idx`: the one
    /// receiving payload, if any).
    RxPayloadOutsideBuffer {
        idx: Option<u16>,
        addr: u64,
        len: u64,
        buffer: Option<(u64, u64)>,
        cycle: u64,
    },
    /// RX payload bytes past the frame's length.
    RxPayloadBeyondFrame {
        idx: u16,
        addr: u64,
        frame_end: u64,
        cycle: u64,
    },
    /// A completion issued before every payload transaction of its frame
    /// finished (RX: got its B; TX: got its last R).
    CplBeforePayload {
        ring: Ring,
        idx: u16,
        addr: u64,
        payload_done: Option<u64>,
        cycle: u64,
    },
    /// A completion at another slot than `cq_base + 16 * (desc_idx % size)`.
    CplWrongSlot {
        ring: Ring,
        idx: u16,
        expected: u64,
        addr: u64,
        cycle: u64,
    },
    /// A second completion for one descriptor.
    CplDuplicate {
        ring: Ring,
        idx: u16,
        addr: u64,
        cycle: u64,
    },
    /// A completion for a descriptor the NIC never fetched.
    CplNotFetched {
        ring: Ring,
        idx: u16,
        addr: u64,
        cycle: u64,
    },
    /// A completion field that disagrees with the descriptor or the frame.
    CplFieldMismatch {
        ring: Ring,
        idx: u16,
        field: CplField,
        expected: u64,
        seen: u64,
        addr: u64,
        cycle: u64,
    },
    /// A completion write that is not one 16-byte, 16-byte aligned write.
    CplMalformed {
        ring: Ring,
        addr: u64,
        bytes: u64,
        cycle: u64,
    },
    /// A TX payload read outside the fetched descriptor's `addr .. + len`
    /// (widened to the bus width).
    TxReadOutsideBuffer {
        idx: Option<u16>,
        addr: u64,
        len: u64,
        buffer: Option<(u64, u64)>,
        cycle: u64,
    },
    /// A new transaction of a queue stopped by a DMA error.
    AfterDmaError {
        kind: TxnKind,
        addr: u64,
        error_cycle: u64,
        cycle: u64,
    },
    /// A new transaction after CTRL.SOFT_RESET was written, before the
    /// reset completed.
    DuringSoftReset {
        kind: TxnKind,
        addr: u64,
        reset_cycle: u64,
        cycle: u64,
    },
    /// An AXI ID the contract does not assign.
    UnknownId {
        write: bool,
        id: u8,
        addr: u64,
        cycle: u64,
    },
}

impl RtlViolation {
    /// The stable name of the bug class.
    pub fn class(&self) -> &'static str {
        match self {
            RtlViolation::FetchNotDoorbelled { .. } => "rtl/desc-fetch-not-doorbelled",
            RtlViolation::FetchWrongAddress { .. } => "rtl/desc-fetch-wrong-address",
            RtlViolation::RxPayloadOutsideBuffer { .. } => "rtl/rx-payload-outside-buffer",
            RtlViolation::RxPayloadBeyondFrame { .. } => "rtl/rx-payload-beyond-frame",
            RtlViolation::CplBeforePayload { .. } => "rtl/cpl-before-payload-done",
            RtlViolation::CplWrongSlot { .. } => "rtl/cpl-wrong-slot",
            RtlViolation::CplDuplicate { .. } => "rtl/cpl-duplicate",
            RtlViolation::CplNotFetched { .. } => "rtl/cpl-not-fetched",
            RtlViolation::CplFieldMismatch { .. } => "rtl/cpl-field-mismatch",
            RtlViolation::CplMalformed { .. } => "rtl/cpl-malformed",
            RtlViolation::TxReadOutsideBuffer { .. } => "rtl/tx-read-outside-buffer",
            RtlViolation::AfterDmaError { .. } => "rtl/txn-after-dma-error",
            RtlViolation::DuringSoftReset { .. } => "rtl/txn-during-soft-reset",
            RtlViolation::UnknownId { .. } => "rtl/unknown-axi-id",
        }
    }

    /// The cycle it was seen.
    pub fn cycle(&self) -> u64 {
        match self {
            RtlViolation::FetchNotDoorbelled { cycle, .. }
            | RtlViolation::FetchWrongAddress { cycle, .. }
            | RtlViolation::RxPayloadOutsideBuffer { cycle, .. }
            | RtlViolation::RxPayloadBeyondFrame { cycle, .. }
            | RtlViolation::CplBeforePayload { cycle, .. }
            | RtlViolation::CplWrongSlot { cycle, .. }
            | RtlViolation::CplDuplicate { cycle, .. }
            | RtlViolation::CplNotFetched { cycle, .. }
            | RtlViolation::CplFieldMismatch { cycle, .. }
            | RtlViolation::CplMalformed { cycle, .. }
            | RtlViolation::TxReadOutsideBuffer { cycle, .. }
            | RtlViolation::AfterDmaError { cycle, .. }
            | RtlViolation::DuringSoftReset { cycle, .. }
            | RtlViolation::UnknownId { cycle, .. } => *cycle,
        }
    }
}

/// `[a, b)` as text, or "none".
fn range(r: Option<(u64, u64)>) -> String {
    r.map_or_else(|| "none".into(), |(a, b)| format!("{a:#x}..{b:#x}"))
}

fn desc(idx: Option<u16>) -> String {
    idx.map_or_else(|| "no descriptor".into(), |i| format!("descriptor {i}"))
}

impl fmt::Display for RtlViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at cycle {}: ", self.class(), self.cycle())?;
        match self {
            RtlViolation::FetchNotDoorbelled { ring, idx, doorbell, addr, .. } => write!(
                f,
                "{ring} descriptor {idx} fetched at {addr:#x}, but the driver's doorbell ({ring}_PROD) is {doorbell}"
            ),
            RtlViolation::FetchWrongAddress { ring, idx, expected, addr, .. } => write!(
                f,
                "{ring} descriptor fetch at {addr:#x}, expected the slot of descriptor {idx} at {expected:#x}"
            ),
            RtlViolation::RxPayloadOutsideBuffer { idx, addr, len, buffer, .. } => write!(
                f,
                "RX payload bytes {addr:#x}+{len} outside the buffer of {} (addr + RX_HEADROOM .. + len: {})",
                desc(*idx),
                range(*buffer)
            ),
            RtlViolation::RxPayloadBeyondFrame { idx, addr, frame_end, .. } => write!(
                f,
                "RX descriptor {idx}: payload byte {addr:#x} written past the frame's end {frame_end:#x}"
            ),
            RtlViolation::CplBeforePayload { ring, idx, addr, payload_done, .. } => write!(
                f,
                "{ring} completion of descriptor {idx} at {addr:#x} issued before its payload finished (expected every payload {} before the completion's AW, seen {})",
                if *ring == Ring::Rx { "B response" } else { "last R beat" },
                payload_done.map_or_else(|| "one still outstanding".into(), |c| format!("the last at cycle {c}"))
            ),
            RtlViolation::CplWrongSlot { ring, idx, expected, addr, .. } => write!(
                f,
                "{ring} completion of descriptor {idx} written at {addr:#x}, expected slot desc_idx % size at {expected:#x}"
            ),
            RtlViolation::CplDuplicate { ring, idx, addr, .. } => write!(
                f,
                "{ring} descriptor {idx} completed a second time (at {addr:#x})"
            ),
            RtlViolation::CplNotFetched { ring, idx, addr, .. } => write!(
                f,
                "{ring} completion at {addr:#x} for descriptor {idx}, which the NIC never fetched"
            ),
            RtlViolation::CplFieldMismatch { ring, idx, field, expected, seen, addr, .. } => write!(
                f,
                "{ring} completion of descriptor {idx} at {addr:#x}: {field} expected {expected:#x}, seen {seen:#x}"
            ),
            RtlViolation::CplMalformed { ring, addr, bytes, .. } => write!(
                f,
                "{ring} completion write at {addr:#x} of {bytes} strobed bytes, expected one aligned 16-byte entry"
            ),
            RtlViolation::TxReadOutsideBuffer { idx, addr, len, buffer, .. } => write!(
                f,
                "TX payload read {addr:#x}+{len} outside the buffer of {} (addr .. + len, bus-aligned: {})",
                desc(*idx),
                range(*buffer)
            ),
            RtlViolation::AfterDmaError { kind, addr, error_cycle, .. } => write!(
                f,
                "{kind} at {addr:#x} issued after the {} queue stopped on a DMA error at cycle {error_cycle}",
                kind.ring()
            ),
            RtlViolation::DuringSoftReset { kind, addr, reset_cycle, .. } => write!(
                f,
                "{kind} at {addr:#x} issued after CTRL.SOFT_RESET was written at cycle {reset_cycle}"
            ),
            RtlViolation::UnknownId { write, id, addr, .. } => write!(
                f,
                "{} burst at {addr:#x} with ID {id}, which no engine owns (reads 0-2, writes 0-2)",
                if *write { "write" } else { "read" }
            ),
        }
    }
}
