//! Simulated host memory: page frames on NUMA nodes, a CPU view and a RAM
//! view per cache line, and the `struct page` fields of every frame.
//!
//! Frames are 4 KiB ([`PAGE_SIZE`](crate::PAGE_SIZE)); an order-`n`
//! allocation is a compound page of `2^n` naturally aligned frames on one
//! node. Host addresses are `HOST_BASE + pfn * PAGE_SIZE`, with
//! `pfn = nid * pages_per_node + i`.
//!
//! On a non-coherent platform ([`crate::Platform`], e.g. `arm64-64`) every
//! frame has two copies: `ram` (what a device reads and writes) and `cpu`
//! (the CPU's cached copy, with a dirty bit per cache line: per
//! [`LINE_GRANULE`](crate::layout::LINE_GRANULE) of 64 bytes, in pairs on a
//! platform with 128-byte lines). Only DMA syncs move data between them,
//! exactly like the write-back caches of a non-coherent SoC (e.g. the
//! Armada 3720, 64-byte lines). On a coherent platform (`x86-64`) there is
//! a single copy.
//!
//! Memory knows nothing of the layers above it: DMA devices are made with
//! [`crate::DmaDev::new`], and the page pools' registry keeps itself in an
//! untyped per-memory slot ([`HostMemory`]'s layer state).
//!
//! * `config`: [`MemConfig`] (its platform: [`crate::Platform`]).
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
pub use config::{MemConfig, WeakOrder};
pub use error::MemError;
pub(crate) use frames::{pfn_to_host, Frame, FrameMeta, FrameState};
pub use frames::{PoolLocation, GRANULES_PER_PAGE, HOST_BASE};
pub use memory::HostMemory;
pub(crate) use memory::MemInner;
pub use ownership::{OwnershipKind, OwnershipViolation};
pub use page::{Page, PageRef};
