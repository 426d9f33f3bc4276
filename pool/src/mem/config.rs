//! The shape of the simulated machine.

use serde::Serialize;

use crate::platform::Platform;

/// Shape of the simulated machine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemConfig {
    /// NUMA nodes.
    pub nodes: u32,
    /// Page frames per node; allocation fails beyond it.
    pub pages_per_node: usize,
    /// The platform: cache line, fragment alignment
    /// (`dma_get_cache_alignment()`) and coherence, one choice.
    pub platform: Platform,
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
            platform: Platform::X86_64,
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
