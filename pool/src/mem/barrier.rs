//! The kernel's memory barriers ([`Barrier`]) and the [`CpuObserver`]
//! that sees every CPU access and barrier of a memory; the barrier calls
//! themselves are `observer`'s.

use serde::Serialize;

use crate::addr::HostAddr;

/// A kernel memory barrier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Barrier {
    /// `wmb()`: orders prior writes (memory and MMIO) before later ones.
    Wmb,
    /// `rmb()`: orders prior reads (memory and MMIO) before later ones.
    Rmb,
    /// `dma_wmb()`: orders prior writes to DMA-visible memory before later
    /// writes to it.
    DmaWmb,
    /// `dma_rmb()`: orders prior reads of DMA-visible memory before later
    /// reads of it.
    DmaRmb,
}

impl Barrier {
    /// Whether it orders the CPU's writes (`wmb` / `dma_wmb`).
    #[inline]
    pub fn orders_writes(self) -> bool {
        matches!(self, Barrier::Wmb | Barrier::DmaWmb)
    }
}

/// Sees every CPU access of a [`HostMemory`](crate::HostMemory) and every barrier, with the
/// simulated cycle. `dma_visible` says the bytes are in a coherent buffer
/// (`dma_alloc_coherent`) or under a live streaming mapping.
pub trait CpuObserver: Send + Sync {
    /// A CPU read of `len` bytes at `addr`.
    fn cpu_read(&self, cycle: u64, addr: HostAddr, len: usize, dma_visible: bool);
    /// A CPU write of `len` bytes at `addr`.
    fn cpu_write(&self, cycle: u64, addr: HostAddr, len: usize, dma_visible: bool);
    /// A barrier.
    fn barrier(&self, cycle: u64, kind: Barrier);
}
