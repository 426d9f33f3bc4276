//! What the scoreboard reports: the NIC did something else than the
//! stimulus and the register settings predict.

use std::fmt;

use super::violation::Ring;

/// Why the NIC drops an RX frame, with its counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    NoDesc,
    TooLong,
    Off,
    DmaErr,
}

impl DropReason {
    pub const ALL: [DropReason; 4] = [
        DropReason::NoDesc,
        DropReason::TooLong,
        DropReason::Off,
        DropReason::DmaErr,
    ];

    /// The NIC's counter of this reason.
    pub fn register(self) -> u32 {
        use nic_hw::regs;
        match self {
            DropReason::NoDesc => regs::STAT_RX_DROP_NO_DESC,
            DropReason::TooLong => regs::STAT_RX_DROP_TOO_LONG,
            DropReason::Off => regs::STAT_RX_DROP_OFF,
            DropReason::DmaErr => regs::STAT_RX_DROP_DMA_ERR,
        }
    }

    /// The reason whose counter is `reg`.
    pub fn of_register(reg: u32) -> Option<DropReason> {
        Self::ALL.into_iter().find(|r| r.register() == reg)
    }

    pub(super) fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::NoDesc => "STAT_RX_DROP_NO_DESC",
            DropReason::TooLong => "STAT_RX_DROP_TOO_LONG",
            DropReason::Off => "STAT_RX_DROP_OFF",
            DropReason::DmaErr => "STAT_RX_DROP_DMA_ERR",
        })
    }
}

/// A per-direction interrupt cause that coalescing raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IrqCause {
    RxCq,
    TxCq,
}

impl fmt::Display for IrqCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IrqCause::RxCq => "IRQ_STATUS.RX_CQ",
            IrqCause::TxCq => "IRQ_STATUS.TX_CQ",
        })
    }
}

/// A difference between what the NIC did and what the scoreboard predicted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScoreboardMismatch {
    /// An RX completion whose frame (length or bytes in the buffer) is not
    /// the next frame that entered and could not have been dropped.
    RxFrameMismatch {
        idx: u16,
        frame: u64,
        expected_len: usize,
        seen_len: u32,
        first_diff: Option<usize>,
        cycle: u64,
    },
    /// An RX completion with no frame left to complete.
    RxCompletionWithoutFrame { idx: u16, len: u32, cycle: u64 },
    /// A frame that entered and never completed, with no drop reason the
    /// stimulus explains (RX on, a descriptor available, length fits).
    RxDropUnexplained {
        frame: u64,
        len: usize,
        entered: u64,
        cycle: u64,
    },
    /// A completion skipped descriptors: a drop consumed one.
    RxDescriptorSkipped {
        expected: u16,
        seen: u16,
        cycle: u64,
    },
    /// A drop counter outside what the frames explain.
    DropCounter {
        reason: DropReason,
        value: u32,
        min: u64,
        max: u64,
        cycle: u64,
    },
    /// A TX frame on the wire that is not the next frame the NIC read.
    TxFrameMismatch {
        idx: u16,
        expected_len: usize,
        seen_len: usize,
        first_diff: Option<usize>,
        cycle: u64,
    },
    /// A TX frame on the wire that no descriptor read.
    TxFrameUnexpected { len: usize, cycle: u64 },
    /// A TX frame read and completed that never reached the wire.
    TxFrameMissing { idx: u16, len: usize, cycle: u64 },
    /// A TX completion whose status disagrees with the descriptor's length.
    TxStatus {
        idx: u16,
        desc_len: u32,
        max_frame_len: u32,
        bad_len_seen: bool,
        cycle: u64,
    },
    /// A coalescing cause due and unmasked, and the line stayed low.
    IrqLate {
        cause: IrqCause,
        due: u64,
        deadline: u64,
        cycle: u64,
    },
    /// The line rose with nothing pending for any cause.
    IrqSpurious { mask: u32, cycle: u64 },
}

impl ScoreboardMismatch {
    /// The stable name of the bug class.
    pub fn class(&self) -> &'static str {
        match self {
            ScoreboardMismatch::RxFrameMismatch { .. } => "scoreboard/rx-frame-mismatch",
            ScoreboardMismatch::RxCompletionWithoutFrame { .. } => {
                "scoreboard/rx-completion-without-frame"
            }
            ScoreboardMismatch::RxDropUnexplained { .. } => "scoreboard/rx-drop-unexplained",
            ScoreboardMismatch::RxDescriptorSkipped { .. } => "scoreboard/rx-descriptor-skipped",
            ScoreboardMismatch::DropCounter { .. } => "scoreboard/drop-counter",
            ScoreboardMismatch::TxFrameMismatch { .. } => "scoreboard/tx-frame-mismatch",
            ScoreboardMismatch::TxFrameUnexpected { .. } => "scoreboard/tx-frame-unexpected",
            ScoreboardMismatch::TxFrameMissing { .. } => "scoreboard/tx-frame-missing",
            ScoreboardMismatch::TxStatus { .. } => "scoreboard/tx-status",
            ScoreboardMismatch::IrqLate { .. } => "scoreboard/irq-late",
            ScoreboardMismatch::IrqSpurious { .. } => "scoreboard/irq-spurious",
        }
    }

    /// The cycle it was seen.
    pub fn cycle(&self) -> u64 {
        match self {
            ScoreboardMismatch::RxFrameMismatch { cycle, .. }
            | ScoreboardMismatch::RxCompletionWithoutFrame { cycle, .. }
            | ScoreboardMismatch::RxDropUnexplained { cycle, .. }
            | ScoreboardMismatch::RxDescriptorSkipped { cycle, .. }
            | ScoreboardMismatch::DropCounter { cycle, .. }
            | ScoreboardMismatch::TxFrameMismatch { cycle, .. }
            | ScoreboardMismatch::TxFrameUnexpected { cycle, .. }
            | ScoreboardMismatch::TxFrameMissing { cycle, .. }
            | ScoreboardMismatch::TxStatus { cycle, .. }
            | ScoreboardMismatch::IrqLate { cycle, .. }
            | ScoreboardMismatch::IrqSpurious { cycle, .. } => *cycle,
        }
    }
}

fn diff(d: &Option<usize>) -> String {
    d.map_or_else(
        || "same bytes".into(),
        |i| format!("first differing byte {i}"),
    )
}

impl fmt::Display for ScoreboardMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at cycle {}: ", self.class(), self.cycle())?;
        let rx = Ring::Rx;
        match self {
            ScoreboardMismatch::RxFrameMismatch { idx, frame, expected_len, seen_len, first_diff, .. } => write!(
                f,
                "{rx} descriptor {idx} completed with {seen_len} bytes, expected frame {frame} of {expected_len} bytes ({})",
                diff(first_diff)
            ),
            ScoreboardMismatch::RxCompletionWithoutFrame { idx, len, .. } => write!(
                f,
                "{rx} descriptor {idx} completed with {len} bytes, but no frame that entered is left to complete"
            ),
            ScoreboardMismatch::RxDropUnexplained { frame, len, entered, .. } => write!(
                f,
                "RX frame {frame} ({len} bytes, entered at cycle {entered}) never completed, and nothing explains a drop (RX on, a descriptor available, length fits)"
            ),
            ScoreboardMismatch::RxDescriptorSkipped { expected, seen, .. } => write!(
                f,
                "{rx} completion for descriptor {seen}, expected descriptor {expected}: a drop consumed a descriptor"
            ),
            ScoreboardMismatch::DropCounter { reason, value, min, max, .. } => write!(
                f,
                "{reason} read {value}, expected {} from the frames that entered",
                if min == max { format!("{min}") } else { format!("{min}..={max}") }
            ),
            ScoreboardMismatch::TxFrameMismatch { idx, expected_len, seen_len, first_diff, .. } => write!(
                f,
                "TX frame on the wire ({seen_len} bytes) is not the {expected_len} bytes read for descriptor {idx} ({})",
                diff(first_diff)
            ),
            ScoreboardMismatch::TxFrameUnexpected { len, .. } => write!(
                f,
                "TX frame of {len} bytes on the wire, but no descriptor's payload is waiting to be sent"
            ),
            ScoreboardMismatch::TxFrameMissing { idx, len, .. } => write!(
                f,
                "TX descriptor {idx} ({len} bytes) was read and completed but never reached the wire"
            ),
            ScoreboardMismatch::TxStatus { idx, desc_len, max_frame_len, bad_len_seen, .. } => write!(
                f,
                "TX descriptor {idx} of length {desc_len} (MAX_FRAME_LEN {max_frame_len}): expected status {}, seen {}",
                if *bad_len_seen { "OK" } else { "BAD_LEN" },
                if *bad_len_seen { "BAD_LEN" } else { "OK" }
            ),
            ScoreboardMismatch::IrqLate { cause, due, deadline, .. } => write!(
                f,
                "{cause} due at cycle {due} (coalescing) and unmasked, but irq_o stayed low until cycle {deadline}"
            ),
            ScoreboardMismatch::IrqSpurious { mask, .. } => write!(
                f,
                "irq_o rose with nothing pending for any cause (IRQ_MASK {mask:#x})"
            ),
        }
    }
}
