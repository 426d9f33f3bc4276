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
}

impl Default for MemConfig {
    fn default() -> Self {
        Self {
            nodes: 1,
            pages_per_node: 65536,
            coherence: Coherence::Coherent,
            clock_hz: 250_000_000,
        }
    }
}
