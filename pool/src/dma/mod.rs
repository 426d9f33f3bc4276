//! DMA mapping over [`HostMemory`](crate::HostMemory): an IOMMU-like domain
//! per device, a ledger of every map/unmap/sync, the checks of the kernel's
//! DMA-API debug mode, and the device-side access path the bus models call
//! for every burst.
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
//!
//! Mapping works on any [`DmaPage`] (a page that says where its head frame
//! is and its order), so this layer names no page type of the layers above.
//!
//! * `direction`: [`DmaDirection`] and [`DmaAttrs`].
//! * `page`: the [`DmaPage`] trait.
//! * `mapping`: the mapping table of a domain and [`MappingInfo`].
//! * `ledger`: [`LedgerEntry`] records and the per-frame history.
//! * `error`: [`DmaError`], [`DmaFault`], [`DmaViolation`], [`TeardownError`].
//! * `device`: [`DmaDev`] itself, its state and its reports.
//! * `coherence`: cache-line ownership, write-back and invalidate.
//! * `cacheline`: DMA-API debug's active cache lines (overlapping mappings).
//! * `streaming`: map, unmap and sync.
//! * `coherent`: [`CoherentBuf`] (`dma_alloc_coherent`).
//! * `access`: `device_read` and `device_write`.
//! * `ownership`: the memory's ownership violations on this device's pages,
//!   with their mapping history.
//! * `burst`: a burst in flight ([`Burst`]) and a device's list of them;
//!   `inflight`: `device_access_begin` / `device_access_end` from the bus
//!   models and the unmap-during-DMA check.

mod access;
mod burst;
mod cacheline;
mod coherence;
mod coherent;
mod device;
mod direction;
mod error;
mod inflight;
mod ledger;
mod mapping;
mod ownership;
mod page;
mod streaming;

pub use burst::Burst;
pub use coherent::CoherentBuf;
pub use device::DmaDev;
pub use direction::{Access, DmaAttrs, DmaDirection};
pub use error::{DmaError, DmaFault, DmaViolation, FaultKind, TeardownError};
pub use ledger::{LedgerEntry, LedgerOp, HISTORY_DEPTH};
pub use mapping::MappingInfo;
pub use page::DmaPage;
