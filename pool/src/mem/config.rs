//! The shape of the simulated machine.

use serde::Serialize;

/// Whether CPU and devices share one copy of memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub enum Coherence {
    /// Devices snoop the CPU caches: one copy; syncs are still recorded,
    /// checked, and move line ownership.
    #[default]
    Coherent,
    /// CPU and device each see their own copy per cache line until a DMA sync
    /// moves it (write-back on sync_for_device, invalidate on sync_for_cpu).
    NonCoherent,
}

/// Shape of the simulated machine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemConfig {
    /// NUMA nodes.
    pub nodes: u32,
    /// Page frames per node; allocation fails beyond it.
    pub pages_per_node: usize,
    /// Coherence model.
    pub coherence: Coherence,
    /// Simulated clock, to turn cycles into seconds of simulated time.
    pub clock_hz: u64,
    /// The seeded weak-ordering memory model, off (`None`) by default.
    pub weak_order: Option<WeakOrder>,
    /// Memory pressure: the emergency reserve of each node, in frames (the
    /// min watermark). A page taken while its node has no more free frames
    /// than this comes from the reserve and is pfmemalloc
    /// ([`HostMemory::page_is_pfmemalloc`](crate::HostMemory::page_is_pfmemalloc));
    /// a bulk allocation that would go below it plus its size gets one
    /// page. 0 (the default): no reserve, no watermark.
    pub pfmemalloc_reserve: usize,
}

impl Default for MemConfig {
    fn default() -> Self {
        Self {
            nodes: 1,
            pages_per_node: 65536,
            coherence: Coherence::Coherent,
            clock_hz: 250_000_000,
            weak_order: None,
            pfmemalloc_reserve: 0,
        }
    }
}

/// The weak-ordering mode's settings ([`MemConfig::weak_order`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct WeakOrder {
    /// Seed of every random choice.
    pub seed: u64,
    /// An unfenced write reaches RAM within 1 to this many cycles.
    pub max_write_delay: u64,
    /// Chance, in percent, that an unfenced re-read of a line is stale.
    pub stale_read_percent: u8,
    /// Cycles after a read of a line during which an unfenced re-read of it
    /// may still return that read's bytes (0: the same cycle only).
    pub read_window: u64,
}

impl WeakOrder {
    /// Writes late by up to 32 cycles, half of the unfenced re-reads within
    /// the same cycle stale.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            max_write_delay: 32,
            stale_read_percent: 50,
            read_window: 0,
        }
    }
}
