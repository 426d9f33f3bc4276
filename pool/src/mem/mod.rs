//! Simulated host memory: page frames on NUMA nodes, a CPU view and a RAM
//! view per cache line, and the `struct page` fields of every frame.
//!
//! Frames are 4 KiB ([`PAGE_SIZE`](crate::PAGE_SIZE)); an order-`n`
//! allocation is a compound page of `2^n` naturally aligned frames on one
//! node. Host addresses are `HOST_BASE + pfn * PAGE_SIZE`, with
//! `pfn = nid * pages_per_node + i`.
//!
//! In [`Coherence::NonCoherent`] mode every frame has two copies: `ram` (what
//! a device reads and writes) and `cpu` (the CPU's cached copy, with a dirty
//! bit per 64-byte line). Only DMA syncs move data between them, exactly
//! like the write-back caches of a non-coherent SoC (e.g. the Armada 3720).
//! In [`Coherence::Coherent`] mode there is a single copy.
//!
//! Memory knows nothing of the layers above it: DMA devices are made with
//! [`crate::DmaDev::new`], and the page pools' registry keeps itself in an
//! untyped per-memory slot ([`HostMemory`]'s layer state).
//!
//! * `config`: [`MemConfig`] and [`Coherence`].
//! * `error`: [`MemError`].
//! * `frames`: a frame's data, cache-line state and `struct page` fields.
//! * `node`: the per-node free-frame bitmap.
//! * `memory`: [`HostMemory`] itself: the frames, the clock, the local node,
//!   failure injection and the layer state slot.
//! * `alloc`: page allocation, freeing and page references.
//! * `page`: [`Page`], [`PageRef`] and the `struct page` queries.
//! * `cpu`: the CPU's reads and writes.
//! * `weak`: the seeded weak-ordering model ([`WeakOrder`]) and its state;
//!   `reorder`: the CPU accesses through it.
//! * `ownership`: the byte-precise DMA ownership rules and
//!   [`OwnershipViolation`]; `bytes`: a frame's byte ownership bits;
//!   `ownership_log`: the memory's record of the violations.
//! * `barrier`: [`Barrier`] and the [`CpuObserver`] trait; `observer`: the
//!   barrier calls and the observer hook.

mod alloc;
mod barrier;
mod bytes;
mod config;
mod cpu;
mod error;
mod frames;
mod memory;
mod node;
mod observer;
mod ownership;
mod ownership_log;
mod page;
mod reorder;
#[cfg(test)]
mod tests;
mod weak;

pub use alloc::MAX_PAGE_ORDER;
pub use barrier::{Barrier, CpuObserver};
pub use config::{Coherence, MemConfig, WeakOrder};
pub use error::MemError;
pub(crate) use frames::{pfn_to_host, Frame, FrameMeta, FrameState};
pub use frames::{PoolLocation, HOST_BASE, LINES_PER_PAGE};
pub use memory::HostMemory;
pub(crate) use memory::MemInner;
pub use ownership::{OwnershipKind, OwnershipViolation};
pub use page::{Page, PageRef};
