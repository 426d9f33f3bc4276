//! The API-contract ownership of one frame's bytes (see `ownership`): which
//! bytes the device owns under a mapping that lets it write, and which of
//! them it wrote since it got them. One bit per byte, made the first time
//! the device is given bytes of the frame.

use std::ops::Range;

use bitvec::prelude::*;

use crate::layout::PAGE_SIZE;

/// One bit per byte of a frame.
type ByteBits = BitArr!(for PAGE_SIZE, in u64, Lsb0);

/// The API-contract ownership of one frame's bytes.
#[derive(Debug)]
pub(crate) struct ByteOwnership {
    /// Bytes the device owns under a mapping that lets it write.
    device: ByteBits,
    /// Of those, the bytes the device wrote since it got them (a device
    /// write anywhere else is refused by the line checks first).
    written: ByteBits,
    /// Of those, the bytes handed over with a sync for the device (a map
    /// without `DMA_ATTR_SKIP_CPU_SYNC`, or `sync_for_device`): the only
    /// bytes the device may write in non-coherent memory.
    synced: ByteBits,
}

impl ByteOwnership {
    /// No byte owned by the device.
    pub(super) fn new() -> Self {
        Self {
            device: ByteBits::ZERO,
            written: ByteBits::ZERO,
            synced: ByteBits::ZERO,
        }
    }

    /// Gives `bytes` to the device, not yet written; `synced` when the
    /// CPU's copy was written back for it (no `DMA_ATTR_SKIP_CPU_SYNC`).
    pub(super) fn give(&mut self, bytes: Range<usize>, synced: bool) {
        self.device[bytes.clone()].fill(true);
        self.written[bytes.clone()].fill(false);
        if synced {
            self.synced[bytes].fill(true);
        }
    }

    /// Takes `bytes` back for the CPU.
    #[inline]
    pub(super) fn take(&mut self, bytes: Range<usize>) {
        self.device[bytes.clone()].fill(false);
        self.written[bytes.clone()].fill(false);
        self.synced[bytes].fill(false);
    }

    /// The device wrote `bytes`.
    #[inline]
    pub(super) fn note_write(&mut self, bytes: Range<usize>) {
        self.written[bytes].fill(true);
    }

    /// Forgets everything (a fresh allocation).
    pub(super) fn clear(&mut self) {
        self.device.fill(false);
        self.written.fill(false);
        self.synced.fill(false);
    }

    /// First byte of `bytes` the device owns.
    #[inline]
    pub(super) fn first_owned(&self, bytes: Range<usize>) -> Option<usize> {
        let start = bytes.start;
        self.device[bytes].first_one().map(|i| i + start)
    }

    /// First byte of `bytes` the device owns and wrote.
    #[inline]
    pub(super) fn first_written(&self, bytes: Range<usize>) -> Option<usize> {
        let start = bytes.start;
        self.written[bytes].first_one().map(|i| i + start)
    }

    /// First byte of `bytes` not handed to the device with a sync for it.
    #[inline]
    pub(super) fn first_unsynced(&self, bytes: Range<usize>) -> Option<usize> {
        let start = bytes.start;
        self.synced[bytes].first_zero().map(|i| i + start)
    }
}
