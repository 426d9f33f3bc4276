//! What goes wrong with DMA: driver-side API errors, refused device
//! accesses (faults), the violations a device records, and mappings left at
//! teardown.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

use super::burst::Burst;
use super::direction::{Access, DmaDirection};
use super::ledger::LedgerEntry;
use super::mapping::MappingInfo;
use crate::addr::{DmaAddr, HostAddr};
use crate::mem::{MemError, OwnershipViolation, PoolLocation};

/// Errors of the driver-side DMA API (`dma_map_page` & co). Each one is also
/// recorded as a [`DmaViolation`] except [`DmaError::MapFailed`] and
/// [`DmaError::Mem`].
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DmaError {
    /// Sync/unmap/free of an address that is not mapped.
    #[error("{device}: {op} of DMA address {addr} that is not mapped (cycle {cycle})")]
    NotMapped {
        /// Device.
        device: String,
        /// Operation name.
        op: &'static str,
        /// Address.
        addr: DmaAddr,
        /// Cycle.
        cycle: u64,
    },
    /// Unmap with a size other than the mapped one.
    #[error("{device}: unmap of {addr} with size {requested:#x}, mapped with size {mapped:#x}")]
    UnmapSizeMismatch {
        /// Device.
        device: String,
        /// Address.
        addr: DmaAddr,
        /// Mapped size.
        mapped: u64,
        /// Size given to unmap.
        requested: u64,
    },
    /// Unmap/sync with a direction other than the mapped one.
    #[error("{device}: {op} of {addr} with direction {requested}, mapped as {mapped}")]
    DirectionMismatch {
        /// Device.
        device: String,
        /// Operation name.
        op: &'static str,
        /// Address.
        addr: DmaAddr,
        /// Mapped direction.
        mapped: DmaDirection,
        /// Direction given.
        requested: DmaDirection,
    },
    /// Streaming unmap of a coherent buffer or the reverse.
    #[error("{device}: {op} of {addr}, which was mapped as {mapped_as}")]
    TypeMismatch {
        /// Device.
        device: String,
        /// Operation name.
        op: &'static str,
        /// Address.
        addr: DmaAddr,
        /// "coherent" or "streaming".
        mapped_as: &'static str,
    },
    /// Sync range outside its mapping.
    #[error("{device}: {op} of {addr}+{offset:#x} len {len:#x} outside the mapping {mapping_start} len {mapping_len:#x}")]
    SyncOutOfRange {
        /// Device.
        device: String,
        /// Operation name.
        op: &'static str,
        /// Address given.
        addr: DmaAddr,
        /// Offset given.
        offset: u64,
        /// Length given.
        len: u64,
        /// The mapping containing `addr`.
        mapping_start: DmaAddr,
        /// Its length.
        mapping_len: u64,
    },
    /// Sync for the CPU of memory the device only reads (DMA_TO_DEVICE).
    #[error(
        "{device}: sync_for_cpu({requested}) of device read-only (DMA_TO_DEVICE) memory at {addr}"
    )]
    SyncForCpuOfDeviceReadOnly {
        /// Device.
        device: String,
        /// Address.
        addr: DmaAddr,
        /// Direction given.
        requested: DmaDirection,
    },
    /// Sync for the device of memory the device only writes (DMA_FROM_DEVICE).
    #[error("{device}: sync_for_device({requested}) of device write-only (DMA_FROM_DEVICE) memory at {addr}")]
    SyncForDeviceOfDeviceWriteOnly {
        /// Device.
        device: String,
        /// Address.
        addr: DmaAddr,
        /// Direction given.
        requested: DmaDirection,
    },
    /// Map range outside the page, or of length 0.
    #[error("{device}: map of page {page} offset {offset:#x} len {len:#x}: outside the {page_len:#x}-byte page or empty")]
    BadMapRange {
        /// Device.
        device: String,
        /// Page.
        page: HostAddr,
        /// Offset.
        offset: u64,
        /// Length.
        len: u64,
        /// Page length.
        page_len: u64,
    },
    /// `dma_mapping_error()`: the mapping could not be created (injected).
    #[error("{device}: dma_map of page {page} failed (injected mapping failure)")]
    MapFailed {
        /// Device.
        device: String,
        /// Page.
        page: HostAddr,
    },
    /// The underlying memory refused.
    #[error("{device}: {source}")]
    Mem {
        /// Device.
        device: String,
        /// Cause.
        source: MemError,
    },
}

/// Why a device access faulted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum FaultKind {
    /// Some byte is not covered by any live mapping.
    NotMapped {
        /// First uncovered byte.
        first: DmaAddr,
    },
    /// Covered, but only by mappings whose direction forbids the access.
    WrongDirection {
        /// First byte not covered by a mapping allowing the access.
        first: DmaAddr,
        /// Direction of the mapping there.
        dir: DmaDirection,
    },
    /// A write into cache lines the CPU currently owns (synced for the CPU
    /// and not yet back for the device).
    CpuOwnedLines {
        /// First byte of the first such line.
        first: DmaAddr,
    },
    /// The address is outside the device's DMA window.
    OutsideWindow,
}

/// A device access the IOMMU-like domain refused. Nothing was transferred.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize)]
pub struct DmaFault {
    /// Device.
    pub device: String,
    /// Simulated cycle.
    pub cycle: u64,
    /// First byte of the access.
    pub addr: DmaAddr,
    /// Length of the access.
    pub len: usize,
    /// Read or write.
    pub access: Access,
    /// Cause.
    pub kind: FaultKind,
    /// Host page of the offending byte, if it is inside memory.
    pub page: Option<HostAddr>,
    /// The mapping history (map/unmap/sync) of that page, oldest first.
    pub history: Vec<LedgerEntry>,
}

impl fmt::Display for DmaFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.access {
            Access::Read => "read",
            Access::Write => "write",
        };
        write!(
            f,
            "DMA fault: {} {} of {} bytes at {} (cycle {}): ",
            self.device, what, self.len, self.addr, self.cycle
        )?;
        match &self.kind {
            FaultKind::NotMapped { first } => write!(f, "{first} is not mapped")?,
            FaultKind::WrongDirection { first, dir } => {
                write!(f, "{first} is mapped {dir}, which forbids a device {what}")?
            }
            FaultKind::CpuOwnedLines { first } => write!(
                f,
                "cache line at {first} is owned by the CPU (synced for cpu, not back for device)"
            )?,
            FaultKind::OutsideWindow => write!(f, "address outside the device's DMA window")?,
        }
        match self.page {
            Some(p) if self.history.is_empty() => write!(f, "\n  page {p}: never mapped"),
            Some(p) => {
                write!(f, "\n  mapping history of page {p}:")?;
                for e in &self.history {
                    write!(f, "\n    {e}")?;
                }
                Ok(())
            }
            None => Ok(()),
        }
    }
}

/// A DMA-API-debug style violation recorded on a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DmaViolation {
    /// A driver-side API misuse (also returned as the error).
    Api {
        /// Cycle.
        cycle: u64,
        /// The error.
        error: DmaError,
    },
    /// A refused device access (also returned as the fault).
    Fault(Box<DmaFault>),
    /// A device read of lines the CPU owns (not refused: in non-coherent mode
    /// the device reads stale RAM).
    DeviceReadCpuOwned {
        /// Cycle.
        cycle: u64,
        /// Device.
        device: String,
        /// First byte of the first such line.
        addr: DmaAddr,
        /// Access length.
        len: usize,
    },
    /// A mapping still alive at [`DmaDev::check_teardown`](crate::DmaDev::check_teardown).
    LeakedMapping {
        /// Cycle.
        cycle: u64,
        /// Device.
        device: String,
        /// The mapping.
        mapping: MappingInfo,
    },
    /// `dma_unmap_page*` (or `dma_free_coherent`) of a mapping a device
    /// burst is still moving (accepted, last response not yet out). The
    /// unmap still happens.
    UnmapDuringDma {
        /// Cycle of the unmap.
        cycle: u64,
        /// Device.
        device: String,
        /// The burst in flight.
        burst: Burst,
        /// The mapping being unmapped.
        mapping: MappingInfo,
    },
    /// A device access into a page that is back in its page pool (alloc
    /// cache or ptr_ring): the driver recycled a page the device still had
    /// (use after recycle). The access still happens.
    DeviceAccessPooledPage {
        /// Cycle.
        cycle: u64,
        /// Device.
        device: String,
        /// First byte of the access.
        addr: DmaAddr,
        /// Access length.
        len: usize,
        /// Read or write.
        access: Access,
        /// Host address of the (head) page.
        page: HostAddr,
        /// Id of its pool.
        pool: u32,
        /// Where the pool keeps it.
        location: PoolLocation,
    },
    /// A broken DMA ownership rule (see [`OwnershipViolation`]) on a page
    /// this device mapped, with the page's mapping history.
    Ownership {
        /// The violation as the memory recorded it.
        violation: Box<OwnershipViolation>,
        /// The page's map/unmap/sync history on this device up to then.
        history: Vec<LedgerEntry>,
    },
    /// `add_dma_entry`'s "cacheline tracking EEXIST, overlapping mappings
    /// aren't supported": a mapping the device may write starts in the same
    /// cache line (`L1_CACHE_BYTES`) as a live one of any device, so a sync
    /// of one can invalidate or write back the other's bytes. Reported
    /// unless the map passed `DMA_ATTR_SKIP_CPU_SYNC`; the mapping is made.
    OverlappingCacheline {
        /// Cycle of the second map.
        cycle: u64,
        /// Device of the second map.
        device: String,
        /// Its DMA handle.
        dma: DmaAddr,
        /// Its length.
        len: u64,
        /// Its direction.
        dir: DmaDirection,
        /// Device of the mapping that holds the line.
        first_device: String,
        /// Its DMA handle.
        first_dma: DmaAddr,
    },
    /// [`DmaDev::device_access_end`](crate::DmaDev::device_access_end) with
    /// no burst of that address, length and access in flight (a bus model
    /// that does not pair its begins and ends).
    UnmatchedBurstEnd {
        /// Cycle.
        cycle: u64,
        /// Device.
        device: String,
        /// Address given.
        addr: DmaAddr,
        /// Length given.
        len: usize,
        /// Access given.
        access: Access,
    },
}

impl DmaViolation {
    /// The stable name of the bug class, `dma/...`.
    pub fn class(&self) -> &'static str {
        match self {
            DmaViolation::Api { error, .. } => error.class(),
            DmaViolation::Fault(fault) => match fault.kind {
                FaultKind::NotMapped { .. } => "dma/fault-not-mapped",
                FaultKind::WrongDirection { .. } => "dma/fault-wrong-direction",
                FaultKind::CpuOwnedLines { .. } => "dma/fault-cpu-owned-lines",
                FaultKind::OutsideWindow => "dma/fault-outside-window",
            },
            DmaViolation::DeviceReadCpuOwned { .. } => "dma/device-read-cpu-owned",
            DmaViolation::LeakedMapping { .. } => "dma/leaked-mapping",
            DmaViolation::UnmapDuringDma { .. } => "dma/unmap-during-dma",
            DmaViolation::UnmatchedBurstEnd { .. } => "dma/unmatched-burst-end",
            DmaViolation::OverlappingCacheline { .. } => "dma/overlapping-cacheline",
            DmaViolation::Ownership { violation, .. } => violation.class(),
            DmaViolation::DeviceAccessPooledPage { .. } => "pool/device-access-pooled-page",
        }
    }

    /// The simulated cycle it happened at.
    pub fn cycle(&self) -> u64 {
        match self {
            DmaViolation::Api { cycle, .. }
            | DmaViolation::DeviceReadCpuOwned { cycle, .. }
            | DmaViolation::LeakedMapping { cycle, .. }
            | DmaViolation::UnmapDuringDma { cycle, .. }
            | DmaViolation::UnmatchedBurstEnd { cycle, .. }
            | DmaViolation::OverlappingCacheline { cycle, .. }
            | DmaViolation::DeviceAccessPooledPage { cycle, .. } => *cycle,
            DmaViolation::Fault(fault) => fault.cycle,
            DmaViolation::Ownership { violation, .. } => violation.cycle,
        }
    }
}

impl DmaError {
    /// The stable name of the bug class, `dma/api-...`.
    pub fn class(&self) -> &'static str {
        match self {
            DmaError::NotMapped { .. } => "dma/api-not-mapped",
            DmaError::UnmapSizeMismatch { .. } => "dma/api-unmap-size-mismatch",
            DmaError::DirectionMismatch { .. } => "dma/api-direction-mismatch",
            DmaError::TypeMismatch { .. } => "dma/api-type-mismatch",
            DmaError::SyncOutOfRange { .. } => "dma/api-sync-out-of-range",
            DmaError::SyncForCpuOfDeviceReadOnly { .. } => "dma/api-sync-for-cpu-of-to-device",
            DmaError::SyncForDeviceOfDeviceWriteOnly { .. } => {
                "dma/api-sync-for-device-of-from-device"
            }
            DmaError::BadMapRange { .. } => "dma/api-bad-map-range",
            DmaError::MapFailed { .. } => "dma/api-map-failed",
            DmaError::Mem { .. } => "dma/api-memory",
        }
    }
}

impl fmt::Display for DmaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DmaViolation::Api { cycle, error } => {
                write!(f, "{}: cycle {cycle}: DMA-API: {error}", error.class())
            }
            DmaViolation::Fault(fault) => write!(f, "{}: {fault}", self.class()),
            DmaViolation::DeviceReadCpuOwned {
                cycle,
                device,
                addr,
                len,
            } => write!(
                f,
                "dma/device-read-cpu-owned: cycle {cycle}: {device}: device read of {len} bytes reads CPU-owned cache line at {addr} (missing sync_for_device?)"
            ),
            DmaViolation::LeakedMapping {
                cycle,
                device,
                mapping,
            } => write!(
                f,
                "dma/leaked-mapping: cycle {cycle}: {device}: device driver has pending DMA mapping at teardown: {mapping}"
            ),
            DmaViolation::UnmapDuringDma {
                cycle,
                device,
                burst,
                mapping,
            } => write!(
                f,
                "dma/unmap-during-dma: cycle {cycle}: {device}: unmap of {} while its {burst} is in flight (expected no DMA in flight at unmap)\n  mapping: {mapping}",
                mapping.dma
            ),
            DmaViolation::DeviceAccessPooledPage {
                cycle,
                device,
                addr,
                len,
                access,
                page,
                pool,
                location,
            } => write!(
                f,
                "pool/device-access-pooled-page: cycle {cycle}: {device}: device {access:?} of {len} bytes at {addr} into page {page}, which is back in page pool {pool} ({location}; expected a page posted to the device, use after recycle?)"
            ),
            DmaViolation::Ownership { violation, history } => {
                write!(f, "{violation}\n  sync history of page {}:", violation.page)?;
                for e in history {
                    write!(f, "\n    {e}")?;
                }
                Ok(())
            }
            DmaViolation::OverlappingCacheline {
                cycle,
                device,
                dma,
                len,
                dir,
                first_device,
                first_dma,
            } => write!(
                f,
                "dma/overlapping-cacheline: cycle {cycle}: {device}: cacheline tracking EEXIST, overlapping mappings aren't supported: map of {dma} len {len:#x} {dir} starts in the cache line of {first_device}'s live mapping {first_dma} (expected buffers the device writes not to share a cache line)"
            ),
            DmaViolation::UnmatchedBurstEnd {
                cycle,
                device,
                addr,
                len,
                access,
            } => write!(
                f,
                "dma/unmatched-burst-end: cycle {cycle}: {device}: end of a {access:?} burst of {len} bytes at {addr} that never began"
            ),
        }
    }
}

/// Mappings still alive at teardown.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{device}: {} DMA mapping(s) still alive at teardown: {}", .mappings.len(), list(.mappings))]
pub struct TeardownError {
    /// Device.
    pub device: String,
    /// The live mappings.
    pub mappings: Vec<MappingInfo>,
}

fn list(m: &[MappingInfo]) -> String {
    m.iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}
