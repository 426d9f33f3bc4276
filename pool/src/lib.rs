#![deny(unsafe_code)]
#![warn(missing_docs)]
//! # pool: the kernel's page_pool over a simulated DMA host memory
//!
//! A driver written against this crate behaves, counter for counter and sync
//! for sync, like one written against Linux's `net/core/page_pool.c`. The
//! crate knows nothing about Verilator; the simulator's bus models and the
//! host driver both use it.
//!
//! ## Layers
//!
//! Each layer imports only the ones below it: `page_pool` uses `registry`,
//! `dma` and `ring`; `registry` and `dma` use `mem`; `mem` uses the leaves
//! (`addr`, `layout`, `platform`, `inject`); `invariant` (a leaf over `addr` and `mem`)
//! is shared by `page_pool` and `registry`. Memory knows nothing of devices
//! or pools.
//!
//! * [`addr`]: [`HostAddr`] and [`DmaAddr`] newtypes (checked arithmetic,
//!   hex display); mixing them does not compile.
//! * [`layout`]: [`PAGE_SIZE`], [`PAGE_SHIFT`], [`LINE_GRANULE`].
//! * [`platform`]: [`Platform`] (`x86-64`, `arm64-64`, `arm64-128`): the
//!   cache line ([`CacheLine`]), `dma_get_cache_alignment()` and the
//!   [`Coherence`] of DMA, one choice, held by [`MemConfig`].
//! * [`inject`]: [`FailureInjection`], for the allocator, mappings and pools.
//! * [`invariant`]: [`PoolInvariantViolation`], the page pool laws' reports
//!   (used by `page_pool` and `registry`).
//! * [`netdev`]: [`NapiId`], [`IfIndex`], [`LOOPBACK_IFINDEX`], [`NR_CPUS`]
//!   and [`MIN_NAPI_ID`].
//! * [`mem`]: [`HostMemory`], page frames on NUMA nodes, CPU reads/writes,
//!   page allocation with failure injection, the current simulated cycle.
//!   On a non-coherent platform the CPU and the device each see their own
//!   copy of every cache line (64 or 128 bytes) until a DMA sync moves it.
//! * [`dma`]: [`DmaDev`] (made with [`DmaDev::new`] on a memory), one
//!   IOMMU-like domain per device: map/unmap/sync of any [`DmaPage`] with
//!   the checks of the kernel's DMA-API debug mode (typed [`DmaError`]s
//!   that are also recorded as [`DmaViolation`]s), a [`LedgerEntry`] for
//!   every map/unmap/sync, cache-line ownership, and `device_read` /
//!   `device_write` for the bus models, which fault ([`DmaFault`], with the
//!   page's mapping history) outside live mappings, against their direction
//!   or into lines the CPU owns.
//! * [`ring`]: the lock-free many-producer single-consumer recycle ring.
//! * [`registry`]: [`PoolRegistry`] (one per memory, [`PoolRegistry::of`]),
//!   net/core/page_pool_user.c: each netdev's pools, the netdev netlink
//!   family's `page-pool-get` and `page-pool-stats-get` (one pool or a
//!   dump, only the pools the user can see; struct, JSON, text, the
//!   kernel's attribute names), the `page-pool-*-ntf` announcements
//!   ([`PoolRegistry::subscribe`]), `NETDEV_UNREGISTER`, and deferred
//!   release of destroyed pools ([`PoolRegistry::service`]).
//! * [`page_pool`]: [`PagePool`] with the kernel's API (`dev_alloc_pages`,
//!   `dev_alloc_frag`, `dev_alloc`, `dev_alloc_va`, `put_page`,
//!   `put_full_page`, `recycle_direct`, `free_va`, `put_page_bulk`,
//!   `get_dma_addr`, `get_dma_dir`, `get_stats`, `destroy`), its alloc cache
//!   (128), refill (64) from the ring (1024 by default, at most 16384), the
//!   slow path (bulk of 64 order-0 pages or one high-order page), fragments
//!   with the bias reference count, in-flight accounting, and every
//!   `page_pool_stats` counter incremented where the kernel does.
//!
//! ## Checkers
//!
//! The memory, DMA and pool layers watch every CPU and device access, so
//! their checks hold whatever the driver does. Each violation is a typed
//! value with `class()` (a stable `layer/bug` name), `cycle()` and a
//! one-line `Display` naming the class, the page or address, the cycle and
//! what was expected; each is also logged at `warn`.
//!
//! * DMA-API debug, device faults, teardown ([`DmaDev::violations`],
//!   `dma/...`), and the device's DMA in flight: the bus models report
//!   every burst with [`DmaDev::device_access_begin`] /
//!   [`DmaDev::device_access_end`]; an unmap of a mapping a burst is still
//!   moving is `dma/unmap-during-dma`.
//! * DMA ownership at byte precision, in both coherence modes
//!   ([`OwnershipViolation`], `ownership/...`): CPU reads of bytes the
//!   device owns, CPU writes into bytes the device wrote and nobody
//!   synced, device reads or writes of lines the CPU wrote since their
//!   last sync for the device. Recorded by the memory
//!   ([`HostMemory::ownership_violations`]), reported by each device for
//!   its pages with their sync history (part of [`DmaDev::violations`]);
//!   off with [`HostMemory::set_ownership_checks`].
//! * Pool page locations ([`PoolLocation`]: out, alloc cache, ptr_ring):
//!   a device access into a pooled page (`pool/device-access-pooled-page`,
//!   a [`DmaViolation`]), recycling during DMA, a double recycle, a page
//!   handed out twice ([`PoolViolation`], `pool/...`).
//! * The pool's laws ([`PagePool::check_invariants`],
//!   [`PoolRegistry::check_invariants`] over every pool of a memory;
//!   [`PoolInvariantViolation`], `pool-invariant/...`), each citing the
//!   `page_pool.c` function it comes from.
//! * Barriers: [`HostMemory::wmb`], [`HostMemory::rmb`],
//!   [`HostMemory::dma_wmb`], [`HostMemory::dma_rmb`] and a
//!   [`CpuObserver`] ([`HostMemory::set_cpu_observer`]) that sees every CPU
//!   access and barrier; with [`MemConfig::weak_order`] ([`WeakOrder`],
//!   seeded, off by default) unfenced writes reach the device late and
//!   unfenced re-reads may be stale, as on a weakly ordered CPU.
//!
//! ## Beyond recycling
//!
//! * [`PagePoolHandle::release_page`] (`page_pool_release_page`): a page
//!   leaves its pool (unmapped, out of the in-flight count) and lives on as
//!   a plain [`PageRef`], e.g. when an skb coalesce turns it into a frag.
//! * [`DmaDev::map_page`] of a pool page: `dma_map_page` on another
//!   device (zero-copy `XDP_REDIRECT` in the target's `ndo_xdp_xmit`).
//! * [`HostMemory::page_pool_of`] / [`HostMemory::page_is_pp`]: which pool
//!   a host page belongs to (`page_pool_page_is_pp`, `page->pp`), and
//!   [`PoolRegistry::handle`] for that pool.
//! * [`PP_FLAG_SYSTEM_POOL`] pools share one set of recycle counters, as
//!   the kernel's system pools share `pp_system_recycle_stats`.
//!
//! ## The NAPI context in the types
//!
//! [`PagePool`] is owned by the RX queue: allocating needs `&mut PagePool`.
//! Inside the NAPI poll the driver calls [`PagePool::napi_ctx`] to get a
//! [`NapiCtx`]; only puts through it recycle into the lockless alloc cache
//! (`recycle_direct`, or `put_page(.., allow_direct)`, or any put when the
//! pool was created with `napi: Some(that id)`). Every other context uses a
//! [`PagePoolHandle`] (`Clone + Send + Sync`), whose puts go to the ring; a
//! put that claims `allow_direct` from there is recorded as a
//! [`PoolViolation`] and goes to the ring.
//!
//! ```
//! use pool::*;
//! let mem = HostMemory::new(MemConfig::default());
//! let dev = DmaDev::new(&mem, "nic0");
//! let mut pp = PagePool::create(PagePoolParams {
//!     flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
//!     dev: Some(dev.clone()),
//!     napi: Some(NapiId(1)),
//!     max_len: PAGE_SIZE as u32,
//!     pool_size: 256,
//!     ..PagePoolParams::new(&mem)
//! })?;
//! let stack = pp.handle(); // for the network stack, on any thread
//! {
//!     let mut napi = pp.napi_ctx(NapiId(1)); // inside the NAPI poll
//!     let page = napi.dev_alloc_pages()?;
//!     let dma = napi.get_dma_addr(&page).expect("DMA_MAP pool");
//!     dev.device_write(dma, &[0xab; 64])?; // the NIC writes a frame
//!     dev.sync_single_range_for_cpu(dma, 0, 64, napi.get_dma_dir())?;
//!     napi.recycle_direct(page); // XDP_DROP
//!     let page = napi.dev_alloc_pages()?; // back from the alloc cache
//!     stack.put_full_page(page, false); // freed by the stack: to the ring
//! }
//! let s = pp.get_stats();
//! assert_eq!((s.alloc_stats.slow, s.alloc_stats.fast), (1, 1));
//! assert_eq!((s.recycle_stats.cached, s.recycle_stats.ring), (1, 1));
//! assert_eq!(pp.destroy(), DestroyOutcome::Freed);
//! dev.check_teardown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod addr;
pub mod dma;
pub mod inject;
pub mod invariant;
pub mod layout;
mod lock;
pub mod mem;
pub mod netdev;
pub mod page_pool;
pub mod platform;
pub mod registry;
pub mod ring;

pub use addr::{DmaAddr, HostAddr};
pub use dma::{
    Access, Burst, CoherentBuf, DmaAttrs, DmaDev, DmaDirection, DmaError, DmaFault, DmaPage,
    DmaViolation, FaultKind, LedgerEntry, LedgerOp, MappingInfo, TeardownError,
};
pub use inject::FailureInjection;
pub use invariant::{InvariantKind, PoolInvariantViolation};
pub use layout::{LINE_GRANULE, PAGE_SHIFT, PAGE_SIZE};
pub use mem::{
    Barrier, CpuObserver, HostMemory, MemConfig, MemError, OwnershipKind, OwnershipViolation, Page,
    PageRef, PoolLocation, WeakOrder, MAX_PAGE_ORDER,
};
pub use netdev::{IfIndex, NapiId, LOOPBACK_IFINDEX, MIN_NAPI_ID, NR_CPUS};
pub use page_pool::{
    DestroyOutcome, NapiCtx, PagePool, PagePoolAllocStats, PagePoolHandle, PagePoolParams,
    PagePoolRecycleStats, PagePoolStats, PoolAllocError, PoolError, PoolViolation,
    PoolViolationKind, PpPage, PpVa, PutContext, PP_ALLOC_CACHE_REFILL, PP_ALLOC_CACHE_SIZE,
    PP_FLAG_ALL, PP_FLAG_ALLOW_UNREADABLE_NETMEM, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV,
    PP_FLAG_SYSTEM_POOL, PP_RING_DEFAULT, PP_RING_MAX,
};
pub use platform::{CacheLine, Coherence, Platform, UnknownPlatform};
pub use registry::{
    NetlinkError, PagePoolInfo, PagePoolNotification, PagePoolNtfCmd, PagePoolStatsAttrs,
    PagePoolStatsInfo, PagePoolStatsReply, PagePoolSubscription, PoolRegistry, ServiceEvent,
};
