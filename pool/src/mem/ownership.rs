//! Byte-precise ownership of streaming DMA buffers, the contract of the
//! DMA API as opposed to the per-line hardware truth of `dev_owned`, and
//! the [`OwnershipViolation`]s of it.
//!
//! The DMA layer gives bytes to the device (a map, or a sync for the
//! device, of a mapping that lets the device write: `DMA_FROM_DEVICE` or
//! `DMA_BIDIRECTIONAL`) and takes them back (a sync for the CPU, or an
//! unmap), exactly the ranges of the calls. Memory checks the CPU against
//! it, in both coherence modes:
//!
//! * `ownership/cpu-read-device-owned`: a CPU read of bytes the device
//!   owns (an RX frame read before its `sync_for_cpu`, or outside the
//!   synced range: a short length, forgotten headroom, a wrong fragment
//!   offset). In non-coherent mode the read returns the CPU's stale copy.
//! * `ownership/cpu-write-device-owned`: a CPU write into bytes the device
//!   owns and has written since it got them (the CPU overwrites, or in
//!   non-coherent mode later loses to an invalidate, data the device
//!   delivered and nobody synced). A write into device-owned bytes the
//!   device did not write (a TX page refilled before its next
//!   `sync_for_device`) is how TX buffers are filled and is not one.
//!
//! The DMA layer adds the device side, from the CPU-written line bits
//! (`Frame::dirty`, kept in both modes):
//!
//! * `ownership/device-read-cpu-written`: a device read of lines the CPU
//!   wrote since their last sync for the device (a TX buffer written and
//!   handed over without `dma_sync_single_range_for_device`: stale RAM in
//!   non-coherent mode, silently right in coherent mode).
//! * `ownership/device-write-cpu-written`: a device write into such lines
//!   (the CPU wrote into a buffer posted to the device; in non-coherent
//!   mode the dirty line's write-back can clobber what the device wrote).
//!
//! Coherent buffers (`dma_alloc_coherent`) and `DMA_TO_DEVICE` mappings are
//! never subject to ownership. The accesses themselves still happen; the
//! violations are recorded in the memory ([`HostMemory::ownership_violations`])
//! with the page, and each device reports the ones on pages it mapped with
//! their mapping history.

use std::fmt;
use std::ops::Range;

use bitvec::prelude::*;
use serde::Serialize;

use super::frames::{pfn_to_host, Frame};
use super::memory::{HostMemory, MemInner};
use crate::addr::HostAddr;
use crate::layout::{DMA_CACHE_ALIGN, PAGE_SIZE};
use crate::lock::lock;

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
}

/// Which ownership rule an access broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum OwnershipKind {
    /// A CPU read of bytes the device owns.
    CpuReadDeviceOwned,
    /// A CPU write into bytes the device owns and wrote.
    CpuWriteDeviceOwned,
    /// A device read of lines the CPU wrote since their last sync for the device.
    DeviceReadCpuWritten,
    /// A device write into lines the CPU wrote since their last sync for the device.
    DeviceWriteCpuWritten,
}

impl OwnershipKind {
    /// The stable name of the bug class.
    pub fn class(self) -> &'static str {
        match self {
            OwnershipKind::CpuReadDeviceOwned => "ownership/cpu-read-device-owned",
            OwnershipKind::CpuWriteDeviceOwned => "ownership/cpu-write-device-owned",
            OwnershipKind::DeviceReadCpuWritten => "ownership/device-read-cpu-written",
            OwnershipKind::DeviceWriteCpuWritten => "ownership/device-write-cpu-written",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            OwnershipKind::CpuReadDeviceOwned => {
                "expected dma_sync_single_range_for_cpu (or unmap) of these bytes before the CPU reads them"
            }
            OwnershipKind::CpuWriteDeviceOwned => {
                "expected dma_sync_single_range_for_cpu (or unmap) of these bytes before the CPU writes them"
            }
            OwnershipKind::DeviceReadCpuWritten => {
                "expected dma_sync_single_range_for_device after the CPU wrote them, before the device reads"
            }
            OwnershipKind::DeviceWriteCpuWritten => {
                "expected no CPU write into a buffer the device owns (or a sync for the device after it)"
            }
        }
    }
}

/// A broken ownership rule: who touched which bytes of which page, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnershipViolation {
    /// The rule.
    pub kind: OwnershipKind,
    /// Simulated cycle.
    pub cycle: u64,
    /// The device, for a device access.
    pub device: Option<String>,
    /// Host address of the first byte of the access.
    pub addr: HostAddr,
    /// Length of the access.
    pub len: usize,
    /// Host address of the first offending byte (the first byte of the
    /// first offending line, for the device-side rules).
    pub first: HostAddr,
    /// Host address of the page frame holding `first`.
    pub page: HostAddr,
    /// Page frame number of `page`.
    pub pfn: u64,
}

impl OwnershipViolation {
    /// The stable name of the bug class, `ownership/...`.
    pub fn class(&self) -> &'static str {
        self.kind.class()
    }

    /// The simulated cycle of the access.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }
}

impl fmt::Display for OwnershipViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = match &self.device {
            Some(d) => format!("device {d}"),
            None => "CPU".to_owned(),
        };
        let what = match self.kind {
            OwnershipKind::CpuReadDeviceOwned | OwnershipKind::DeviceReadCpuWritten => "read",
            OwnershipKind::CpuWriteDeviceOwned | OwnershipKind::DeviceWriteCpuWritten => "write",
        };
        let owner = match self.kind {
            OwnershipKind::CpuReadDeviceOwned => "is owned by the device",
            OwnershipKind::CpuWriteDeviceOwned => "is owned by the device, which wrote it",
            _ => "was written by the CPU since its last sync for the device",
        };
        write!(
            f,
            "{}: cycle {}: {who} {what} of {} bytes at {}: byte {} (page {}) {owner}; {}",
            self.class(),
            self.cycle,
            self.len,
            self.addr,
            self.first,
            self.page,
            self.kind.expected()
        )
    }
}

impl Frame {
    /// Gives `bytes` to the device (a map or sync for the device of a
    /// mapping that lets it write).
    pub(crate) fn give_device_bytes(&mut self, bytes: Range<usize>) {
        let own = self.bytes.get_or_insert_with(|| {
            Box::new(ByteOwnership {
                device: ByteBits::ZERO,
                written: ByteBits::ZERO,
            })
        });
        own.device[bytes.clone()].fill(true);
        own.written[bytes].fill(false);
    }

    /// Takes `bytes` back for the CPU (a sync for the CPU, or an unmap).
    #[inline]
    pub(crate) fn take_device_bytes(&mut self, bytes: Range<usize>) {
        if let Some(own) = &mut self.bytes {
            own.device[bytes.clone()].fill(false);
            own.written[bytes].fill(false);
        }
    }

    /// The device wrote `bytes`.
    #[inline]
    pub(crate) fn note_device_write(&mut self, bytes: Range<usize>) {
        if let Some(own) = &mut self.bytes {
            own.written[bytes].fill(true);
        }
    }

    /// Forgets every byte's ownership (a fresh allocation).
    pub(super) fn clear_ownership(&mut self) {
        if let Some(own) = &mut self.bytes {
            own.device.fill(false);
            own.written.fill(false);
        }
    }

    /// First byte of `bytes` the device owns, if the CPU may not read it.
    #[inline]
    fn first_device_owned(&self, bytes: Range<usize>) -> Option<usize> {
        let own = self.bytes.as_deref().filter(|_| !self.coherent)?;
        let start = bytes.start;
        own.device[bytes].first_one().map(|i| i + start)
    }

    /// First byte of `bytes` the device owns and wrote.
    #[inline]
    fn first_device_written(&self, bytes: Range<usize>) -> Option<usize> {
        let own = self.bytes.as_deref().filter(|_| !self.coherent)?;
        let start = bytes.start;
        own.written[bytes].first_one().map(|i| i + start)
    }

    /// First line of `bytes` the CPU wrote since its last sync for the
    /// device, for a device access (none in coherent buffers).
    #[inline]
    pub(crate) fn first_cpu_written_line(&self, bytes: Range<usize>) -> Option<usize> {
        if self.coherent || bytes.is_empty() {
            return None;
        }
        let lines = bytes.start / DMA_CACHE_ALIGN..bytes.end.div_ceil(DMA_CACHE_ALIGN);
        let start = lines.start;
        self.dirty[lines].first_one().map(|i| i + start)
    }

    /// The ownership rule a CPU access of `bytes` breaks: its first byte.
    #[inline]
    pub(super) fn cpu_access_offender(&self, bytes: Range<usize>, write: bool) -> Option<usize> {
        if write {
            self.first_device_written(bytes)
        } else {
            self.first_device_owned(bytes)
        }
    }
}

impl HostMemory {
    /// Every ownership violation recorded so far (CPU and device side, all
    /// devices), oldest first. [`crate::DmaDev::violations`] reports the ones
    /// on pages a device mapped, with their mapping history.
    pub fn ownership_violations(&self) -> Vec<OwnershipViolation> {
        lock(&self.inner.ownership).clone()
    }

    /// Turns the ownership checks on or off (on by default).
    pub fn set_ownership_checks(&self, on: bool) {
        self.inner
            .ownership_on
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }
}

impl MemInner {
    /// Whether the ownership checks are on.
    #[inline]
    pub(crate) fn ownership_checked(&self) -> bool {
        self.ownership_on.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records a violation of `kind` at byte `off` of frame `pfn`.
    #[cold]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_ownership(
        &self,
        kind: OwnershipKind,
        device: Option<&str>,
        addr: HostAddr,
        len: usize,
        pfn: u64,
        off: usize,
    ) {
        let page = pfn_to_host(pfn);
        let v = OwnershipViolation {
            kind,
            cycle: self.cycle.load(std::sync::atomic::Ordering::Relaxed),
            device: device.map(str::to_owned),
            addr,
            len,
            first: HostAddr::new(page.raw_value() + off as u64),
            page,
            pfn,
        };
        tracing::warn!("{v}");
        lock(&self.ownership).push(v);
    }
}
