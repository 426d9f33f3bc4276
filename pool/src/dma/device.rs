//! [`DmaDev`]: one device (`struct device`) with its own IOMMU-like domain
//! over a [`HostMemory`]: its DMA window, its mapping table, its ledger and
//! the violations the DMA-API debug checks recorded on it.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use super::burst::InFlight;
use super::cacheline::ActiveCachelines;
use super::direction::DmaDirection;
use super::error::{DmaError, DmaViolation, TeardownError};
use super::ledger::{Ledger, LedgerEntry, LedgerOp};
use super::mapping::{Mapping, MappingInfo, MappingTable};
use crate::addr::DmaAddr;
use crate::inject::{FailureInjection, Injector};
use crate::layout::PAGE_SHIFT;
use crate::lock::lock;
use crate::mem::{pfn_to_host, HostMemory};

/// The mutable state of a device, under one lock.
#[derive(Debug)]
pub(super) struct DevState {
    pub(super) table: MappingTable,
    pub(super) ledger: Ledger,
    pub(super) violations: Vec<DmaViolation>,
    pub(super) inject: Injector,
    pub(super) in_flight: InFlight,
}

pub(super) struct DevInner {
    pub(super) mem: HostMemory,
    pub(super) name: String,
    /// First DMA address of the device's window over physical memory.
    pub(super) base: u64,
    pub(super) state: Mutex<DevState>,
    /// The host memory's active cache lines (shared by its devices).
    pub(super) active_lines: ActiveCachelines,
}

/// A device (`struct device`) with its own IOMMU-like domain. A cheap handle
/// (`Arc` inside), `Send + Sync`.
#[derive(Clone)]
pub struct DmaDev {
    pub(super) inner: Arc<DevInner>,
}

impl fmt::Debug for DmaDev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DmaDev({:?} @ {:#x})", self.inner.name, self.inner.base)
    }
}

impl DmaDev {
    /// A device ("struct device") mastering `mem`, with its own IOMMU-like
    /// domain, ledger and DMA-API-debug checks.
    pub fn new(mem: &HostMemory, name: &str) -> Self {
        let index = mem.inner.next_dev.fetch_add(1, Ordering::Relaxed) as u64;
        let base = (index + 1) << 40;
        Self {
            inner: Arc::new(DevInner {
                mem: mem.clone(),
                name: name.to_owned(),
                base,
                state: Mutex::new(DevState {
                    table: MappingTable::new(base),
                    ledger: Ledger::default(),
                    violations: Vec::new(),
                    inject: Injector::default(),
                    in_flight: InFlight::default(),
                }),
                active_lines: mem.layer_state::<ActiveCachelines>(),
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
        lock(&self.inner.state).ledger.set_enabled(on);
    }

    /// A copy of every recorded map/unmap/sync, oldest first.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        lock(&self.inner.state).ledger.entries()
    }

    /// Takes the ledger, leaving it empty.
    pub fn take_ledger(&self) -> Vec<LedgerEntry> {
        lock(&self.inner.state).ledger.take()
    }

    /// Every recorded violation, with the memory's ownership violations
    /// that concern this device ([`Self::ownership_violations`]), oldest
    /// first.
    pub fn violations(&self) -> Vec<DmaViolation> {
        let mut v = lock(&self.inner.state).violations.clone();
        let ownership = self.ownership_violations();
        if !ownership.is_empty() {
            v.extend(ownership);
            v.sort_by_key(DmaViolation::cycle);
        }
        v
    }

    /// Every live mapping, sorted by address.
    pub fn live_mappings(&self) -> Vec<MappingInfo> {
        let st = lock(&self.inner.state);
        let mut v: Vec<MappingInfo> = st.table.iter().map(|m| st.table.info(m)).collect();
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

    #[inline]
    pub(super) fn dma_of(&self, pfn: u64, off: usize) -> DmaAddr {
        DmaAddr::new(self.inner.base + (pfn << PAGE_SHIFT) + off as u64)
    }

    #[cold]
    pub(super) fn api_err(&self, st: &mut DevState, cycle: u64, error: DmaError) -> DmaError {
        tracing::warn!(cycle, "DMA-API: {error}");
        st.violations.push(DmaViolation::Api {
            cycle,
            error: error.clone(),
        });
        error
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(
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
    pub(super) fn record_at(
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
        st.ledger.record(entry, first..=last);
    }
}
