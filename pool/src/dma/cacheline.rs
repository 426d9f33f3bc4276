//! DMA-API debug's active cache lines (kernel/dma/debug.c,
//! `active_cacheline_insert` / `active_cacheline_remove`): the first cache
//! line of every live mapping a device may write (any direction but
//! `DMA_TO_DEVICE`), across every device of one host memory, as the
//! kernel's one radix tree is. A second such mapping whose first byte falls
//! in a line already listed is an overlap (`-EEXIST`: "cacheline tracking
//! EEXIST, overlapping mappings aren't supported"), reported unless the map
//! passed `DMA_ATTR_SKIP_CPU_SYNC` (`add_dma_entry`); the mapping is made
//! either way. An overlap count keeps the line listed until its last
//! mapping goes.

use std::sync::{Arc, Mutex};

use super::direction::DmaDirection;
use super::mapping::IntMap;
use crate::addr::DmaAddr;
use crate::lock::lock;

/// The mapping that listed a line first.
#[derive(Clone, Debug)]
pub(super) struct LineOwner {
    pub(super) device: String,
    pub(super) dma: DmaAddr,
}

struct Listed {
    owner: LineOwner,
    /// Mappings beyond the first that start in the line
    /// (`active_cacheline_inc_overlap`).
    overlap: u32,
}

/// The active lines of one host memory, keyed by
/// `to_cacheline_number`: `(pfn << PAGE_SHIFT | offset) >> line shift`.
#[derive(Clone, Default)]
pub(crate) struct ActiveCachelines(Arc<Mutex<IntMap<Listed>>>);

impl ActiveCachelines {
    /// Whether a mapping of `dir` is tracked (`DMA_TO_DEVICE` is not: the
    /// device does not write, so the CPU cannot consume stale data).
    #[inline]
    pub(super) fn tracks(dir: DmaDirection) -> bool {
        dir != DmaDirection::ToDevice
    }

    /// `active_cacheline_insert`: lists line `cln` for `owner`, or counts
    /// an overlap and returns the mapping that listed it first.
    pub(super) fn insert(&self, cln: u64, owner: LineOwner) -> Option<LineOwner> {
        let mut map = lock(&self.0);
        match map.get_mut(&cln) {
            Some(listed) => {
                listed.overlap += 1;
                Some(listed.owner.clone())
            }
            None => {
                map.insert(cln, Listed { owner, overlap: 0 });
                None
            }
        }
    }

    /// `active_cacheline_remove`: one mapping of line `cln` is gone.
    pub(super) fn remove(&self, cln: u64) {
        let mut map = lock(&self.0);
        if let Some(listed) = map.get_mut(&cln) {
            if listed.overlap == 0 {
                map.remove(&cln);
            } else {
                listed.overlap -= 1;
            }
        }
    }
}
