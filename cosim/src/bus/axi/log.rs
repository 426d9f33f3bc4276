//! The transaction log: one record per burst the slave accepted.

use ::axi::Burst;

/// One logged DMA transaction: the shared [`Burst`] record (the same one
/// the waveform decoder produces) and why its response is an error, when
/// it is one. It reads as its [`Burst`] (`r.dir`, `r.bytes`, `r.resp`,
/// `r.cycle_done`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmaRecord {
    /// Read: `bytes` is the transfer (beats * width - the start offset);
    /// write: the bytes with their strobe set (0 until the last W beat).
    pub record: Burst,
    /// Why the response is an error: the storage fault or the injection.
    pub fault: Option<String>,
}

impl std::ops::Deref for DmaRecord {
    type Target = Burst;
    fn deref(&self) -> &Burst {
        &self.record
    }
}
