//! DMA mapping over [`HostMemory`]: an IOMMU-like domain per device, a ledger
//! of every map/unmap/sync, the checks of the kernel's DMA-API debug mode, and
//! the device-side access path the bus models call for every burst.
//!
//! DMA addresses are a per-device window over physical memory
//! (`dma = base(device) + pfn * PAGE_SIZE + offset`, like a direct mapping
//! with a bus offset), so two adjacent mappings of one page are adjacent in
//! DMA space and a burst may span both. The domain still only lets a device
//! touch bytes covered by a live mapping whose direction allows the access.
//!
//! Cache-line ownership: mapping a streaming buffer or syncing it for the
//! device gives its lines to the device; syncing for the CPU (or unmapping)
//! gives them back. A device write into a line the CPU owns is a [`DmaFault`]
//! in both coherence modes; a device read of one is recorded as a violation
//! (and returns stale RAM in non-coherent mode).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use thiserror::Error;

use crate::addr::{DmaAddr, HostAddr};
use crate::inject::{FailureInjection, Injector};
use crate::mem::{lock, pfn_to_host, Frame, FrameState, HostMemory, MemError, Page};
use crate::{DMA_CACHE_ALIGN, PAGE_SHIFT, PAGE_SIZE};

/// Mapping events kept per page frame for fault reports.
pub const HISTORY_DEPTH: usize = 32;

/// The kernel's `enum dma_data_direction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum DmaDirection {
    /// `DMA_BIDIRECTIONAL`: the device may read and write.
    Bidirectional,
    /// `DMA_TO_DEVICE`: the device only reads.
    ToDevice,
    /// `DMA_FROM_DEVICE`: the device only writes.
    FromDevice,
}

impl DmaDirection {
    /// Whether a device may read a buffer mapped this way.
    #[inline]
    pub fn device_may_read(self) -> bool {
        !matches!(self, DmaDirection::FromDevice)
    }
    /// Whether a device may write a buffer mapped this way.
    #[inline]
    pub fn device_may_write(self) -> bool {
        !matches!(self, DmaDirection::ToDevice)
    }
    fn kernel_name(self) -> &'static str {
        match self {
            DmaDirection::Bidirectional => "DMA_BIDIRECTIONAL",
            DmaDirection::ToDevice => "DMA_TO_DEVICE",
            DmaDirection::FromDevice => "DMA_FROM_DEVICE",
        }
    }
}

impl fmt::Display for DmaDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kernel_name())
    }
}

/// `DMA_ATTR_*` flags that change behaviour here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DmaAttrs {
    /// `DMA_ATTR_SKIP_CPU_SYNC`: map/unmap without the implied sync (the page
    /// pool maps this way and syncs explicitly).
    pub skip_cpu_sync: bool,
}

/// A `dma_alloc_coherent` buffer: always coherent, even in non-coherent mode.
#[derive(Debug, PartialEq, Eq)]
pub struct CoherentBuf {
    /// CPU address.
    pub host: HostAddr,
    /// Device address.
    pub dma: DmaAddr,
    /// Length requested.
    pub len: usize,
}

/// What a ledger entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LedgerOp {
    /// `dma_map_page`.
    Map,
    /// `dma_unmap_page`.
    Unmap,
    /// `dma_sync_single_range_for_device`.
    SyncForDevice,
    /// `dma_sync_single_range_for_cpu`.
    SyncForCpu,
    /// `dma_alloc_coherent`.
    AllocCoherent,
    /// `dma_free_coherent`.
    FreeCoherent,
}

/// One successful map/unmap/sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// Simulated cycle.
    pub cycle: u64,
    /// Operation.
    pub op: LedgerOp,
    /// The mapping's DMA handle (the address passed to the call).
    pub dma: DmaAddr,
    /// Offset from `dma` (syncs; 0 otherwise).
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// Direction.
    pub dir: DmaDirection,
    /// Host address of the page frame the handle points into.
    pub page: HostAddr,
}

impl fmt::Display for LedgerEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cycle {:>8} {:<13} dma {} +{:#x} len {:#x} {} page {}",
            self.cycle,
            format!("{:?}", self.op),
            self.dma,
            self.offset,
            self.len,
            self.dir,
            self.page
        )
    }
}

/// A live mapping, as reported by [`DmaDev::live_mappings`] and teardown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MappingInfo {
    /// DMA handle.
    pub dma: DmaAddr,
    /// Length.
    pub len: u64,
    /// Direction.
    pub dir: DmaDirection,
    /// Host address of the first byte.
    pub host: HostAddr,
    /// From `dma_alloc_coherent`.
    pub coherent: bool,
    /// Cycle of the map.
    pub mapped_at: u64,
}

impl fmt::Display for MappingInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} mapping dma {} len {:#x} {} host {} (mapped at cycle {})",
            if self.coherent {
                "coherent"
            } else {
                "streaming"
            },
            self.dma,
            self.len,
            self.dir,
            self.host,
            self.mapped_at
        )
    }
}

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

/// Which side of the bus a device access is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Access {
    /// Device reads memory (AXI AR/R).
    Read,
    /// Device writes memory (AXI AW/W).
    Write,
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
    /// A mapping still alive at [`DmaDev::check_teardown`].
    LeakedMapping {
        /// Cycle.
        cycle: u64,
        /// Device.
        device: String,
        /// The mapping.
        mapping: MappingInfo,
    },
}

impl fmt::Display for DmaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DmaViolation::Api { cycle, error } => write!(f, "cycle {cycle}: DMA-API: {error}"),
            DmaViolation::Fault(fault) => write!(f, "{fault}"),
            DmaViolation::DeviceReadCpuOwned {
                cycle,
                device,
                addr,
                len,
            } => write!(
                f,
                "cycle {cycle}: {device}: device read of {len} bytes reads CPU-owned cache line at {addr} (missing sync_for_device?)"
            ),
            DmaViolation::LeakedMapping {
                cycle,
                device,
                mapping,
            } => write!(
                f,
                "cycle {cycle}: {device}: device driver has pending DMA mapping at teardown: {mapping}"
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

/// Fibonacci hashing for integer keys (page frame numbers, mapping ids).
#[derive(Default)]
pub(crate) struct IntHasher(u64);

impl Hasher for IntHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub(crate) type IntMap<V> = HashMap<u64, V, BuildHasherDefault<IntHasher>>;

#[derive(Clone, Debug)]
struct Mapping {
    start: u64,
    len: u64,
    dir: DmaDirection,
    coherent: bool,
    mapped_at: u64,
}

impl Mapping {
    #[inline]
    fn end(&self) -> u64 {
        self.start + self.len
    }
}

#[derive(Debug, Default)]
struct DevState {
    mappings: IntMap<Mapping>,
    /// Mapping ids touching each page frame.
    by_pfn: IntMap<Vec<u64>>,
    next_id: u64,
    ledger: Vec<LedgerEntry>,
    ledger_off: bool,
    history: IntMap<VecDeque<LedgerEntry>>,
    violations: Vec<DmaViolation>,
    inject: Injector,
}

struct DevInner {
    mem: HostMemory,
    name: String,
    base: u64,
    state: Mutex<DevState>,
}

/// A device (`struct device`) with its own IOMMU-like domain. A cheap handle
/// (`Arc` inside), `Send + Sync`.
#[derive(Clone)]
pub struct DmaDev {
    inner: Arc<DevInner>,
}

impl fmt::Debug for DmaDev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DmaDev({:?} @ {:#x})", self.inner.name, self.inner.base)
    }
}

struct AccessPlan {
    /// (pfn, offset in frame, length, position in the caller's buffer)
    chunks: Vec<(u64, usize, usize, usize)>,
}

impl DmaDev {
    pub(crate) fn new(mem: HostMemory, name: &str) -> Self {
        let index = mem.inner.next_dev.fetch_add(1, Ordering::Relaxed) as u64;
        Self {
            inner: Arc::new(DevInner {
                mem,
                name: name.to_owned(),
                base: (index + 1) << 40,
                state: Mutex::new(DevState::default()),
            }),
        }
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The memory this device masters.
    pub fn memory(&self) -> &HostMemory {
        &self.inner.mem
    }

    /// Whether both handles are the same device.
    pub fn same_device(&self, other: &DmaDev) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Arms mapping failure injection (`dma_mapping_error()` returns true).
    pub fn inject_map_failures(&self, mode: FailureInjection) {
        lock(&self.inner.state).inject = Injector::new(mode);
    }

    /// Turns ledger recording on or off (on by default; benchmarks turn it
    /// off). Mapping history for faults is kept either way.
    pub fn set_ledger_enabled(&self, on: bool) {
        lock(&self.inner.state).ledger_off = !on;
    }

    /// A copy of every recorded map/unmap/sync, oldest first.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        lock(&self.inner.state).ledger.clone()
    }

    /// Takes the ledger, leaving it empty.
    pub fn take_ledger(&self) -> Vec<LedgerEntry> {
        std::mem::take(&mut lock(&self.inner.state).ledger)
    }

    /// Every recorded violation, oldest first.
    pub fn violations(&self) -> Vec<DmaViolation> {
        lock(&self.inner.state).violations.clone()
    }

    /// Every live mapping, sorted by address.
    pub fn live_mappings(&self) -> Vec<MappingInfo> {
        let st = lock(&self.inner.state);
        let mut v: Vec<MappingInfo> = st.mappings.values().map(|m| self.info(m)).collect();
        v.sort_by_key(|m| (m.dma, m.len));
        v
    }

    /// The DMA-API-debug check at driver teardown: every mapping still alive
    /// is reported (and recorded as a violation).
    pub fn check_teardown(&self) -> Result<(), TeardownError> {
        let mappings = self.live_mappings();
        if mappings.is_empty() {
            return Ok(());
        }
        let cycle = self.inner.mem.cycle();
        let mut st = lock(&self.inner.state);
        for m in &mappings {
            tracing::warn!(device = %self.inner.name, "pending DMA mapping at teardown: {m}");
            st.violations.push(DmaViolation::LeakedMapping {
                cycle,
                device: self.inner.name.clone(),
                mapping: m.clone(),
            });
        }
        Err(TeardownError {
            device: self.inner.name.clone(),
            mappings,
        })
    }

    /// `dma_map_page(dev, page, offset, len, dir)`: implies a sync for the
    /// device of the range.
    pub fn map_page(
        &self,
        page: &Page,
        offset: usize,
        len: usize,
        dir: DmaDirection,
    ) -> Result<DmaAddr, DmaError> {
        self.map_page_attrs(page, offset, len, dir, DmaAttrs::default())
    }

    /// `dma_map_page_attrs`.
    pub fn map_page_attrs(
        &self,
        page: &Page,
        offset: usize,
        len: usize,
        dir: DmaDirection,
        attrs: DmaAttrs,
    ) -> Result<DmaAddr, DmaError> {
        self.map_raw(page.pfn(), page.order(), offset, len, dir, attrs)
    }

    /// `dma_map_page(dev, page, offset, len, dir)` of a page pool page on
    /// this device, whatever device its pool maps for: what a target
    /// driver's `ndo_xdp_xmit` does with a frame redirected from another
    /// device (zero copy). The mapping is this device's own, independent of
    /// the pool's (which stays in place); unmap it with [`Self::unmap_page`]
    /// before the page goes back to its pool. Like `dma_map_page`, it
    /// implies a sync for the device of the range (write-back of dirty CPU
    /// lines in non-coherent mode).
    pub fn map_pp_page(
        &self,
        page: &crate::PpPage,
        offset: usize,
        len: usize,
        dir: DmaDirection,
    ) -> Result<DmaAddr, DmaError> {
        self.map_pp_page_attrs(page, offset, len, dir, DmaAttrs::default())
    }

    /// `dma_map_page_attrs` of a page pool page; see [`Self::map_pp_page`].
    pub fn map_pp_page_attrs(
        &self,
        page: &crate::PpPage,
        offset: usize,
        len: usize,
        dir: DmaDirection,
        attrs: DmaAttrs,
    ) -> Result<DmaAddr, DmaError> {
        if page.pfn() >= self.inner.mem.inner.total_frames() {
            return Err(DmaError::Mem {
                device: self.inner.name.clone(),
                source: MemError::OutOfRange {
                    addr: page.host_addr(),
                    len,
                },
            });
        }
        self.map_raw(page.pfn(), page.order(), offset, len, dir, attrs)
    }

    /// `dma_unmap_page(dev, addr, len, dir)`: implies a sync for the CPU.
    pub fn unmap_page(&self, addr: DmaAddr, len: usize, dir: DmaDirection) -> Result<(), DmaError> {
        self.unmap_page_attrs(addr, len, dir, DmaAttrs::default())
    }

    /// `dma_unmap_page_attrs`.
    pub fn unmap_page_attrs(
        &self,
        addr: DmaAddr,
        len: usize,
        dir: DmaDirection,
        attrs: DmaAttrs,
    ) -> Result<(), DmaError> {
        let cycle = self.inner.mem.cycle();
        let mut st = lock(&self.inner.state);
        let id = self.find_exact(&st, addr, len as u64, dir);
        let Some(id) = id else {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::NotMapped {
                    device: self.inner.name.clone(),
                    op: "dma_unmap_page",
                    addr,
                    cycle,
                },
            ));
        };
        let m = st.mappings[&id].clone();
        if m.coherent {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::TypeMismatch {
                    device: self.inner.name.clone(),
                    op: "dma_unmap_page",
                    addr,
                    mapped_as: "coherent (dma_alloc_coherent)",
                },
            ));
        }
        if m.len != len as u64 {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::UnmapSizeMismatch {
                    device: self.inner.name.clone(),
                    addr,
                    mapped: m.len,
                    requested: len as u64,
                },
            ));
        }
        if m.dir != dir {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::DirectionMismatch {
                    device: self.inner.name.clone(),
                    op: "dma_unmap_page",
                    addr,
                    mapped: m.dir,
                    requested: dir,
                },
            ));
        }
        self.remove_mapping(&mut st, id, &m);
        self.for_lines(&m, 0, m.len, |f, lines, bytes| {
            if !attrs.skip_cpu_sync {
                invalidate(f, bytes, dir);
            }
            f.dev_owned[lines].fill(false);
            f.map_count = f.map_count.saturating_sub(1);
        });
        self.record(&mut st, cycle, LedgerOp::Unmap, &m, 0, m.len, dir);
        Ok(())
    }

    /// `dma_sync_single_range_for_device(dev, addr, offset, len, dir)`: gives
    /// the lines to the device; in non-coherent mode writes dirty CPU lines
    /// back to RAM.
    pub fn sync_single_range_for_device(
        &self,
        addr: DmaAddr,
        offset: usize,
        len: usize,
        dir: DmaDirection,
    ) -> Result<(), DmaError> {
        self.sync(addr, offset as u64, len as u64, dir, false)
    }

    /// `dma_sync_single_range_for_cpu(dev, addr, offset, len, dir)`: gives the
    /// lines to the CPU; in non-coherent mode (unless `DMA_TO_DEVICE`)
    /// invalidates the CPU's copy so it sees what the device wrote.
    pub fn sync_single_range_for_cpu(
        &self,
        addr: DmaAddr,
        offset: usize,
        len: usize,
        dir: DmaDirection,
    ) -> Result<(), DmaError> {
        self.sync(addr, offset as u64, len as u64, dir, true)
    }

    /// `dma_alloc_coherent`: zeroed, always coherent, mapped bidirectionally
    /// for the device; for descriptor and completion rings.
    pub fn alloc_coherent(&self, len: usize) -> Result<CoherentBuf, DmaError> {
        let pages = len.div_ceil(PAGE_SIZE).max(1);
        let order = pages.next_power_of_two().trailing_zeros();
        let mem = &self.inner.mem;
        let head = mem
            .inner
            .alloc_block(order, mem.local_node())
            .map_err(|source| DmaError::Mem {
                device: self.inner.name.clone(),
                source,
            })?;
        for pfn in head..head + (1u64 << order) {
            let mut f = lock(&mem.inner.frames[pfn as usize]);
            f.coherent = true;
            f.ram.fill(0);
            f.cpu.fill(0);
        }
        let cycle = mem.cycle();
        let m = Mapping {
            start: self.inner.base + (head << PAGE_SHIFT),
            len: len as u64,
            dir: DmaDirection::Bidirectional,
            coherent: true,
            mapped_at: cycle,
        };
        let mut st = lock(&self.inner.state);
        self.insert_mapping(&mut st, m.clone());
        self.record(&mut st, cycle, LedgerOp::AllocCoherent, &m, 0, m.len, m.dir);
        Ok(CoherentBuf {
            host: pfn_to_host(head),
            dma: DmaAddr::new(m.start),
            len,
        })
    }

    /// `dma_free_coherent`.
    pub fn free_coherent(&self, buf: CoherentBuf) -> Result<(), DmaError> {
        let cycle = self.inner.mem.cycle();
        let mut st = lock(&self.inner.state);
        let found = self.find_exact(&st, buf.dma, buf.len as u64, DmaDirection::Bidirectional);
        if found.is_some_and(|id| !st.mappings[&id].coherent) {
            // DMA-API debug: "frees DMA memory with wrong function"
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::TypeMismatch {
                    device: self.inner.name.clone(),
                    op: "dma_free_coherent",
                    addr: buf.dma,
                    mapped_as: "streaming (dma_map_page)",
                },
            ));
        }
        let Some(id) = found else {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::NotMapped {
                    device: self.inner.name.clone(),
                    op: "dma_free_coherent",
                    addr: buf.dma,
                    cycle,
                },
            ));
        };
        let m = st.mappings[&id].clone();
        if m.len != buf.len as u64 {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::UnmapSizeMismatch {
                    device: self.inner.name.clone(),
                    addr: buf.dma,
                    mapped: m.len,
                    requested: buf.len as u64,
                },
            ));
        }
        self.remove_mapping(&mut st, id, &m);
        self.record(&mut st, cycle, LedgerOp::FreeCoherent, &m, 0, m.len, m.dir);
        drop(st);
        let head = (m.start - self.inner.base) >> PAGE_SHIFT;
        let order = (m.len as usize)
            .div_ceil(PAGE_SIZE)
            .max(1)
            .next_power_of_two()
            .trailing_zeros();
        self.inner.mem.inner.put_page_ref(head, order);
        Ok(())
    }

    /// Device-side read of `buf.len()` bytes at `addr` (one AXI burst).
    /// Refused unless every byte is covered by live mappings that let the
    /// device read.
    #[inline]
    pub fn device_read(&self, addr: DmaAddr, buf: &mut [u8]) -> Result<(), DmaFault> {
        let st = lock(&self.inner.state);
        let plan = self.plan(&st, addr, buf.len(), Access::Read);
        let plan = match plan {
            Ok(p) => p,
            Err(fault) => return Err(self.fault(st, fault)),
        };
        let mut cpu_owned: Option<DmaAddr> = None;
        for &(pfn, off, n, pos) in &plan.chunks {
            let f = lock(&self.inner.mem.inner.frames[pfn as usize]);
            if !f.coherent && cpu_owned.is_none() {
                if let Some(line) = first_cpu_owned(&f, off, n) {
                    cpu_owned = Some(self.dma_of(pfn, line * DMA_CACHE_ALIGN));
                }
            }
            buf[pos..pos + n].copy_from_slice(&f.ram[off..off + n]);
        }
        if let Some(line) = cpu_owned {
            let cycle = self.inner.mem.cycle();
            let mut st = st;
            tracing::warn!(device = %self.inner.name, %addr, "device read of CPU-owned line {line}");
            st.violations.push(DmaViolation::DeviceReadCpuOwned {
                cycle,
                device: self.inner.name.clone(),
                addr: line,
                len: buf.len(),
            });
        }
        Ok(())
    }

    /// Device-side write of `data` at `addr` (one AXI burst). Refused (and
    /// nothing written) unless every byte is covered by live mappings that
    /// let the device write, and no touched line is owned by the CPU.
    #[inline]
    pub fn device_write(&self, addr: DmaAddr, data: &[u8]) -> Result<(), DmaFault> {
        let st = lock(&self.inner.state);
        let plan = match self.plan(&st, addr, data.len(), Access::Write) {
            Ok(p) => p,
            Err(fault) => return Err(self.fault(st, fault)),
        };
        let frames = &self.inner.mem.inner.frames;
        // Check every chunk before writing any, so a fault writes nothing.
        let mut guards = Vec::with_capacity(plan.chunks.len());
        for &(pfn, off, n, _) in &plan.chunks {
            let f = lock(&frames[pfn as usize]);
            if !f.coherent {
                if let Some(line) = first_cpu_owned(&f, off, n) {
                    drop(guards);
                    drop(f);
                    let first = self.dma_of(pfn, line * DMA_CACHE_ALIGN);
                    let fault = (
                        addr,
                        data.len(),
                        Access::Write,
                        FaultKind::CpuOwnedLines { first },
                        Some(pfn),
                    );
                    return Err(self.fault(st, fault));
                }
            }
            guards.push(f);
        }
        for (f, &(_, off, n, pos)) in guards.iter_mut().zip(&plan.chunks) {
            f.ram[off..off + n].copy_from_slice(&data[pos..pos + n]);
        }
        Ok(())
    }

    // ---- internals -------------------------------------------------------

    #[inline]
    fn dma_of(&self, pfn: u64, off: usize) -> DmaAddr {
        DmaAddr::new(self.inner.base + (pfn << PAGE_SHIFT) + off as u64)
    }

    fn info(&self, m: &Mapping) -> MappingInfo {
        MappingInfo {
            dma: DmaAddr::new(m.start),
            len: m.len,
            dir: m.dir,
            host: HostAddr::new(pfn_to_host(0).raw_value() + (m.start - self.inner.base)),
            coherent: m.coherent,
            mapped_at: m.mapped_at,
        }
    }

    pub(crate) fn map_raw(
        &self,
        head: u64,
        order: u32,
        offset: usize,
        len: usize,
        dir: DmaDirection,
        attrs: DmaAttrs,
    ) -> Result<DmaAddr, DmaError> {
        let mem = &self.inner.mem;
        let page_len = (PAGE_SIZE as u64) << order;
        let host = pfn_to_host(head);
        let cycle = mem.cycle();
        let mut st = lock(&self.inner.state);
        if len == 0 || offset as u64 + len as u64 > page_len {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::BadMapRange {
                    device: self.inner.name.clone(),
                    page: host,
                    offset: offset as u64,
                    len: len as u64,
                    page_len,
                },
            ));
        }
        let state = lock(&mem.inner.frames[head as usize]).state;
        if !matches!(state, FrameState::Allocated { head: h, order: o } if h == head && o >= order)
        {
            return Err(DmaError::Mem {
                device: self.inner.name.clone(),
                source: MemError::NotAllocated { addr: host, cycle },
            });
        }
        if st.inject.armed() && st.inject.should_fail() {
            return Err(DmaError::MapFailed {
                device: self.inner.name.clone(),
                page: host,
            });
        }
        let m = Mapping {
            start: self.inner.base + (head << PAGE_SHIFT) + offset as u64,
            len: len as u64,
            dir,
            coherent: false,
            mapped_at: cycle,
        };
        self.insert_mapping(&mut st, m.clone());
        self.for_lines(&m, 0, m.len, |f, lines, _| {
            if !attrs.skip_cpu_sync {
                write_back(f, lines.clone());
            }
            f.dev_owned[lines].fill(true);
            f.map_count += 1;
        });
        self.record(&mut st, cycle, LedgerOp::Map, &m, 0, m.len, dir);
        Ok(DmaAddr::new(m.start))
    }

    fn sync(
        &self,
        addr: DmaAddr,
        offset: u64,
        len: u64,
        dir: DmaDirection,
        for_cpu: bool,
    ) -> Result<(), DmaError> {
        let op = if for_cpu {
            "dma_sync_single_range_for_cpu"
        } else {
            "dma_sync_single_range_for_device"
        };
        let cycle = self.inner.mem.cycle();
        let mut st = lock(&self.inner.state);
        let Some(id) = self.find_containing(&st, addr) else {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::NotMapped {
                    device: self.inner.name.clone(),
                    op,
                    addr,
                    cycle,
                },
            ));
        };
        let m = st.mappings[&id].clone();
        let rel = addr.raw_value() - m.start;
        let end = rel.checked_add(offset).and_then(|v| v.checked_add(len));
        if end.map_or(true, |e| e > m.len) {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::SyncOutOfRange {
                    device: self.inner.name.clone(),
                    op,
                    addr,
                    offset,
                    len,
                    mapping_start: DmaAddr::new(m.start),
                    mapping_len: m.len,
                },
            ));
        }
        if m.dir != DmaDirection::Bidirectional && m.dir != dir {
            let device = self.inner.name.clone();
            let err = match (for_cpu, m.dir) {
                (true, DmaDirection::ToDevice) => DmaError::SyncForCpuOfDeviceReadOnly {
                    device,
                    addr,
                    requested: dir,
                },
                (false, DmaDirection::FromDevice) => DmaError::SyncForDeviceOfDeviceWriteOnly {
                    device,
                    addr,
                    requested: dir,
                },
                _ => DmaError::DirectionMismatch {
                    device,
                    op,
                    addr,
                    mapped: m.dir,
                    requested: dir,
                },
            };
            return Err(self.api_err(&mut st, cycle, err));
        }
        if !m.coherent && len > 0 {
            self.for_lines(&m, rel + offset, len, |f, lines, bytes| {
                if for_cpu {
                    invalidate(f, bytes, dir);
                    f.dev_owned[lines].fill(false);
                } else {
                    write_back(f, lines.clone());
                    f.dev_owned[lines].fill(true);
                }
            });
        }
        let ledger_op = if for_cpu {
            LedgerOp::SyncForCpu
        } else {
            LedgerOp::SyncForDevice
        };
        self.record_at(&mut st, cycle, ledger_op, addr, offset, len, dir);
        Ok(())
    }

    /// Applies `f` to the frames, line ranges and byte ranges (within the
    /// frame) of `[m.start+rel, +len)`.
    fn for_lines(
        &self,
        m: &Mapping,
        rel: u64,
        len: u64,
        mut f: impl FnMut(&mut Frame, std::ops::Range<usize>, std::ops::Range<usize>),
    ) {
        if len == 0 {
            return;
        }
        let phys = m.start - self.inner.base + rel;
        let end = phys + len;
        let mut pfn = phys >> PAGE_SHIFT;
        let frames = &self.inner.mem.inner.frames;
        while pfn << PAGE_SHIFT < end {
            let fstart = pfn << PAGE_SHIFT;
            let a = phys.max(fstart) - fstart;
            let b = end.min(fstart + PAGE_SIZE as u64) - fstart;
            let lines = (a as usize / DMA_CACHE_ALIGN)..(b as usize).div_ceil(DMA_CACHE_ALIGN);
            f(
                &mut lock(&frames[pfn as usize]),
                lines,
                a as usize..b as usize,
            );
            pfn += 1;
        }
    }

    fn insert_mapping(&self, st: &mut DevState, m: Mapping) {
        st.next_id += 1;
        let id = st.next_id;
        let first = (m.start - self.inner.base) >> PAGE_SHIFT;
        let last = (m.end() - 1 - self.inner.base) >> PAGE_SHIFT;
        for pfn in first..=last {
            st.by_pfn.entry(pfn).or_default().push(id);
        }
        st.mappings.insert(id, m);
    }

    fn remove_mapping(&self, st: &mut DevState, id: u64, m: &Mapping) {
        let first = (m.start - self.inner.base) >> PAGE_SHIFT;
        let last = (m.end() - 1 - self.inner.base) >> PAGE_SHIFT;
        for pfn in first..=last {
            if let Some(v) = st.by_pfn.get_mut(&pfn) {
                v.retain(|&x| x != id);
                if v.is_empty() {
                    st.by_pfn.remove(&pfn);
                }
            }
        }
        st.mappings.remove(&id);
    }

    /// The mapping starting exactly at `addr`, preferring one with matching
    /// length and direction.
    fn find_exact(&self, st: &DevState, addr: DmaAddr, len: u64, dir: DmaDirection) -> Option<u64> {
        let raw = addr.raw_value();
        let pfn = raw.checked_sub(self.inner.base)? >> PAGE_SHIFT;
        let ids = st.by_pfn.get(&pfn)?;
        let starting = || {
            ids.iter()
                .copied()
                .filter(|id| st.mappings[id].start == raw)
        };
        starting()
            .find(|id| st.mappings[id].len == len && st.mappings[id].dir == dir)
            .or_else(|| starting().next())
    }

    /// The mapping containing `addr`, preferring one that starts there.
    fn find_containing(&self, st: &DevState, addr: DmaAddr) -> Option<u64> {
        let raw = addr.raw_value();
        let pfn = raw.checked_sub(self.inner.base)? >> PAGE_SHIFT;
        let ids = st.by_pfn.get(&pfn)?;
        let containing = || {
            ids.iter().copied().filter(|id| {
                let m = &st.mappings[id];
                m.start <= raw && raw < m.end()
            })
        };
        containing()
            .find(|id| st.mappings[id].start == raw)
            .or_else(|| containing().next())
    }

    /// Checks an access and splits it into frame chunks.
    #[inline]
    fn plan(
        &self,
        st: &DevState,
        addr: DmaAddr,
        len: usize,
        access: Access,
    ) -> Result<AccessPlan, (DmaAddr, usize, Access, FaultKind, Option<u64>)> {
        let raw = addr.raw_value();
        let total = self.inner.mem.inner.total_frames() << PAGE_SHIFT;
        let phys = raw
            .checked_sub(self.inner.base)
            .filter(|p| p.checked_add(len as u64).is_some_and(|e| e <= total));
        let Some(phys) = phys else {
            return Err((addr, len, access, FaultKind::OutsideWindow, None));
        };
        let mut chunks = Vec::with_capacity(1);
        let mut pos = 0usize;
        while pos < len {
            let p = phys + pos as u64;
            let pfn = p >> PAGE_SHIFT;
            let off = (p & (PAGE_SIZE as u64 - 1)) as usize;
            let n = (PAGE_SIZE - off).min(len - pos);
            let a = raw + pos as u64;
            if let Err(kind) = check_cover(st, pfn, a, a + n as u64, access) {
                return Err((addr, len, access, kind, Some(pfn)));
            }
            chunks.push((pfn, off, n, pos));
            pos += n;
        }
        Ok(AccessPlan { chunks })
    }

    #[cold]
    fn fault(
        &self,
        mut st: std::sync::MutexGuard<'_, DevState>,
        (addr, len, access, kind, pfn): (DmaAddr, usize, Access, FaultKind, Option<u64>),
    ) -> DmaFault {
        let history = pfn
            .and_then(|p| st.history.get(&p))
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default();
        let fault = DmaFault {
            device: self.inner.name.clone(),
            cycle: self.inner.mem.cycle(),
            addr,
            len,
            access,
            kind,
            page: pfn.map(pfn_to_host),
            history,
        };
        tracing::warn!("{fault}");
        st.violations
            .push(DmaViolation::Fault(Box::new(fault.clone())));
        fault
    }

    #[cold]
    fn api_err(&self, st: &mut DevState, cycle: u64, error: DmaError) -> DmaError {
        tracing::warn!(cycle, "DMA-API: {error}");
        st.violations.push(DmaViolation::Api {
            cycle,
            error: error.clone(),
        });
        error
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        st: &mut DevState,
        cycle: u64,
        op: LedgerOp,
        m: &Mapping,
        offset: u64,
        len: u64,
        dir: DmaDirection,
    ) {
        self.record_at(st, cycle, op, DmaAddr::new(m.start), offset, len, dir);
    }

    /// Appends to the ledger and to the history of every frame touched by
    /// `[handle + offset, + len)`.
    #[allow(clippy::too_many_arguments)]
    fn record_at(
        &self,
        st: &mut DevState,
        cycle: u64,
        op: LedgerOp,
        handle: DmaAddr,
        offset: u64,
        len: u64,
        dir: DmaDirection,
    ) {
        let phys = handle.raw_value() - self.inner.base;
        let entry = LedgerEntry {
            cycle,
            op,
            dma: handle,
            offset,
            len,
            dir,
            page: pfn_to_host(phys >> PAGE_SHIFT),
        };
        let first = (phys + offset) >> PAGE_SHIFT;
        let last = (phys + offset + len.max(1) - 1) >> PAGE_SHIFT;
        for pfn in first..=last {
            let h = st.history.entry(pfn).or_default();
            if h.len() == HISTORY_DEPTH {
                h.pop_front();
            }
            h.push_back(entry.clone());
        }
        if !st.ledger_off {
            st.ledger.push(entry);
        }
    }
}

/// Checks that `[a, b)` (DMA addresses inside frame `pfn`) is covered by live
/// mappings allowing `access`.
#[inline]
fn check_cover(st: &DevState, pfn: u64, a: u64, b: u64, access: Access) -> Result<(), FaultKind> {
    let allows = |m: &Mapping| match access {
        Access::Read => m.dir.device_may_read(),
        Access::Write => m.dir.device_may_write(),
    };
    let Some(ids) = st.by_pfn.get(&pfn) else {
        return Err(FaultKind::NotMapped {
            first: DmaAddr::new(a),
        });
    };
    // Common case: one mapping covers the whole access.
    for id in ids {
        let m = &st.mappings[id];
        if m.start <= a && b <= m.end() && allows(m) {
            return Ok(());
        }
    }
    // General case: sweep over the union of mappings.
    let sweep = |filter: &dyn Fn(&Mapping) -> bool| -> u64 {
        let mut cur = a;
        loop {
            let next = ids
                .iter()
                .map(|id| &st.mappings[id])
                .filter(|m| filter(m) && m.start <= cur && cur < m.end())
                .map(Mapping::end)
                .max();
            match next {
                Some(e) if e >= b => return b,
                Some(e) => cur = e,
                None => return cur,
            }
        }
    };
    let ok_upto = sweep(&allows);
    if ok_upto >= b {
        return Ok(());
    }
    let any_upto = sweep(&|_| true);
    if any_upto > ok_upto {
        let dir = ids
            .iter()
            .map(|id| &st.mappings[id])
            .find(|m| m.start <= ok_upto && ok_upto < m.end())
            .map_or(DmaDirection::Bidirectional, |m| m.dir);
        Err(FaultKind::WrongDirection {
            first: DmaAddr::new(ok_upto),
            dir,
        })
    } else {
        Err(FaultKind::NotMapped {
            first: DmaAddr::new(ok_upto),
        })
    }
}

/// First line in `[off, off+n)` of `f` not owned by the device.
#[inline]
fn first_cpu_owned(f: &Frame, off: usize, n: usize) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let lines = (off / DMA_CACHE_ALIGN)..(off + n).div_ceil(DMA_CACHE_ALIGN);
    let start = lines.start;
    f.dev_owned[lines].first_zero().map(|i| i + start)
}

/// Cache clean: dirty CPU lines go to RAM (non-coherent mode).
fn write_back(f: &mut Frame, lines: std::ops::Range<usize>) {
    if f.cpu.is_empty() {
        return;
    }
    for line in lines {
        if f.dirty[line] {
            let r = line * DMA_CACHE_ALIGN..(line + 1) * DMA_CACHE_ALIGN;
            let (ram, cpu) = (&mut f.ram, &f.cpu);
            ram[r.clone()].copy_from_slice(&cpu[r]);
            f.dirty.set(line, false);
        }
    }
}

/// Cache invalidate of the bytes `bytes` of a frame: the CPU's copy is
/// reloaded from RAM (non-coherent mode; nothing to do for `DMA_TO_DEVICE`),
/// as arm64's `dcache_inval_poc` does it: a line only partly inside the
/// range (the first or last one of an unaligned range) is cleaned and
/// invalidated (`dc civac`), so a dirty CPU copy of it is first written back
/// to RAM, over whatever the device wrote into that line.
fn invalidate(f: &mut Frame, bytes: std::ops::Range<usize>, dir: DmaDirection) {
    if f.cpu.is_empty() || dir == DmaDirection::ToDevice || bytes.is_empty() {
        return;
    }
    let lines = (bytes.start / DMA_CACHE_ALIGN)..bytes.end.div_ceil(DMA_CACHE_ALIGN);
    if bytes.start % DMA_CACHE_ALIGN != 0 {
        write_back(f, lines.start..lines.start + 1);
    }
    if bytes.end % DMA_CACHE_ALIGN != 0 {
        write_back(f, lines.end - 1..lines.end);
    }
    let r = lines.start * DMA_CACHE_ALIGN..lines.end * DMA_CACHE_ALIGN;
    let (ram, cpu) = (&f.ram, &mut f.cpu);
    cpu[r.clone()].copy_from_slice(&ram[r]);
    f.dirty[lines].fill(false);
}
