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
//! * `ownership/device-write-not-synced`: a device write into bytes never
//!   handed to it with a sync for the device since the CPU last had them
//!   (a map with `DMA_ATTR_SKIP_CPU_SYNC` and no `sync_for_device` after
//!   it, a missing or short `sync_for_device` of a recycled RX buffer). In
//!   non-coherent mode a dirty or later evicted CPU line can clobber what
//!   the device wrote; checked at byte precision in both modes.
//!
//! Coherent buffers (`dma_alloc_coherent`) and `DMA_TO_DEVICE` mappings are
//! never subject to ownership. The accesses themselves still happen; the
//! violations are recorded in the memory ([`HostMemory::ownership_violations`])
//! with the page, and each device reports the ones on pages it mapped with
//! their mapping history.

use std::fmt;

use serde::Serialize;

use crate::addr::HostAddr;

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
    /// A device write into bytes never synced for the device since the CPU had them.
    DeviceWriteNotSynced,
}

impl OwnershipKind {
    /// The stable name of the bug class.
    pub fn class(self) -> &'static str {
        match self {
            OwnershipKind::CpuReadDeviceOwned => "ownership/cpu-read-device-owned",
            OwnershipKind::CpuWriteDeviceOwned => "ownership/cpu-write-device-owned",
            OwnershipKind::DeviceReadCpuWritten => "ownership/device-read-cpu-written",
            OwnershipKind::DeviceWriteCpuWritten => "ownership/device-write-cpu-written",
            OwnershipKind::DeviceWriteNotSynced => "ownership/device-write-not-synced",
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
            OwnershipKind::DeviceWriteNotSynced => {
                "expected dma_sync_single_range_for_device (or a map without DMA_ATTR_SKIP_CPU_SYNC) of these bytes before the device writes them"
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
            OwnershipKind::CpuWriteDeviceOwned
            | OwnershipKind::DeviceWriteCpuWritten
            | OwnershipKind::DeviceWriteNotSynced => "write",
        };
        let owner = match self.kind {
            OwnershipKind::CpuReadDeviceOwned => "is owned by the device",
            OwnershipKind::CpuWriteDeviceOwned => "is owned by the device, which wrote it",
            OwnershipKind::DeviceWriteNotSynced => {
                "was not synced for the device since the CPU last had it"
            }
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
