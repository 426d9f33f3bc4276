//! The ledger of every map/unmap/sync of a device, and the per-frame
//! mapping history a fault report quotes.

use std::collections::VecDeque;
use std::fmt;
use std::ops::RangeInclusive;

use serde::Serialize;

use super::direction::DmaDirection;
use super::mapping::IntMap;
use crate::addr::{DmaAddr, HostAddr};

/// Mapping events kept per page frame for fault reports.
pub const HISTORY_DEPTH: usize = 32;

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

/// The ledger and the per-frame history of one device.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    entries: Vec<LedgerEntry>,
    off: bool,
    history: IntMap<VecDeque<LedgerEntry>>,
}

impl Ledger {
    /// Turns ledger recording on or off; the history is kept either way.
    pub(super) fn set_enabled(&mut self, on: bool) {
        self.off = !on;
    }

    /// A copy of every recorded entry, oldest first.
    pub(super) fn entries(&self) -> Vec<LedgerEntry> {
        self.entries.clone()
    }

    /// Takes the recorded entries, leaving the ledger empty.
    pub(super) fn take(&mut self) -> Vec<LedgerEntry> {
        std::mem::take(&mut self.entries)
    }

    /// The last [`HISTORY_DEPTH`] entries touching frame `pfn`, oldest first.
    pub(super) fn history(&self, pfn: u64) -> Vec<LedgerEntry> {
        self.history
            .get(&pfn)
            .map(|h| h.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Appends `entry` to the ledger and to the history of every frame in
    /// `frames`.
    pub(super) fn record(&mut self, entry: LedgerEntry, frames: RangeInclusive<u64>) {
        for pfn in frames {
            let h = self.history.entry(pfn).or_default();
            if h.len() == HISTORY_DEPTH {
                h.pop_front();
            }
            h.push_back(entry.clone());
        }
        if !self.off {
            self.entries.push(entry);
        }
    }
}
