//! Protocol violations by the master, and misuses of the model.

use ::axi::Burst;

use super::signals::Channel;

/// A protocol violation by the master (or a misuse of the model). `txn` is
/// the burst as its address handshake requested it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AxiError {
    #[error("cycle {cycle}: {txn}: crosses a 4 KiB boundary ({bytes} bytes from {:#x})", txn.addr)]
    Crosses4k { cycle: u64, txn: Burst, bytes: u64 },
    #[error("cycle {cycle}: {txn}: burst type {} is not INCR (1)", txn.burst)]
    BurstType { cycle: u64, txn: Burst },
    #[error("cycle {cycle}: {txn}: size {} is not the full bus width (size {expected})", txn.size)]
    Size {
        cycle: u64,
        txn: Burst,
        expected: u8,
    },
    #[error("cycle {cycle}: {txn}: {} beats exceed the maximum of {max}", txn.beats)]
    TooLong { cycle: u64, txn: Burst, max: u16 },
    #[error("cycle {cycle}: {txn}: WLAST on beat {beat} of {beats}")]
    EarlyWlast {
        cycle: u64,
        txn: Burst,
        beat: u16,
        beats: u16,
    },
    #[error("cycle {cycle}: {txn}: no WLAST on the last beat ({beats})")]
    MissingWlast { cycle: u64, txn: Burst, beats: u16 },
    #[error("cycle {cycle}: {txn}: beat {beat} strobe {strb:#x} outside the transfer (allowed {allowed:#x})")]
    StrobeOutside {
        cycle: u64,
        txn: Burst,
        beat: u16,
        strb: u16,
        allowed: u16,
    },
    #[error("cycle {cycle}: {channel:?}VALID dropped before the handshake (was {was})")]
    ValidDropped {
        cycle: u64,
        channel: Channel,
        was: String,
    },
    #[error(
        "cycle {cycle}: {channel:?} payload changed while VALID and not READY: {was} -> {now}"
    )]
    PayloadChanged {
        cycle: u64,
        channel: Channel,
        was: String,
        now: String,
    },
    #[error("cycle {cycle}: {beats} W beats arrived with no write address to carry them")]
    WithoutAddress { cycle: u64, beats: usize },
    #[error("invalid memory model configuration: {0}")]
    Config(String),
}
