//! The page pool: the kernel's `net/core/page_pool.c` over [`HostMemory`](crate::HostMemory).
//!
//! Ownership mirrors the kernel's locking rules in the types:
//!
//! * [`PagePool`] is the pool's owner and sole consumer (the driver's RX
//!   queue). Allocation and the lockless alloc cache need `&mut PagePool`.
//! * [`NapiCtx`] (from [`PagePool::napi_ctx`]) says "this code runs in the
//!   NAPI poll of that instance". Only puts made through it may recycle
//!   directly into the alloc cache; when the pool is bound to that NAPI
//!   (`params.napi`), even puts that do not claim `allow_direct` do (the
//!   kernel's `page_pool_napi_local()`).
//! * [`PagePoolHandle`] (from [`PagePool::handle`]) is `Clone + Send + Sync`
//!   for every other context (the stack, other queues, other threads): puts
//!   go to the lock-free recycle ring. A put that claims `allow_direct` from
//!   outside the pool's NAPI poll is recorded as a [`PoolViolation`] and
//!   routed to the ring instead.
//!
//! * `params`: [`PagePoolParams`] and the `PP_*` constants.
//! * `stats`: [`PagePoolStats`] and the live counters.
//! * `error`: [`PoolError`], [`PoolAllocError`], [`PoolViolation`].
//! * `page`: [`PpPage`] and [`PpVa`].
//! * `shared`: the state the owner, its handles and the registry share.
//! * `pool`: [`PagePool`], its creation and queries.
//! * `alloc`: the alloc cache, the ring refill and the slow path.
//! * `frag`: fragments of a shared page.
//! * `recycle`: the put paths.
//! * `invariants`: the pool's laws as checks (`check_invariants`).
//! * `location`: every page's location tag (out, alloc cache, ring) and the
//!   double-recycle, page-in-two-places and recycle-during-DMA checks.
//! * `contexts`: [`NapiCtx`] and [`PagePoolHandle`].
//! * `destroy`: [`PagePool::destroy`], the scrub and the deferred release.
//! * `dma_index`: the pool's DMA-mapped pages (`pool->dma_mapped`), which
//!   destroy unmaps while they are still in flight.

mod alloc;
mod contexts;
mod destroy;
mod dma_index;
mod error;
mod frag;
mod invariants;
mod location;
mod page;
mod params;
mod pool;
mod recycle;
mod scrub;
mod shared;
mod stats;
#[cfg(test)]
mod tests;

pub use contexts::{NapiCtx, PagePoolHandle};
pub use destroy::DestroyOutcome;
pub use error::{PoolAllocError, PoolError, PoolViolation, PoolViolationKind, PutContext};
pub use page::{PpPage, PpVa};
pub use params::{
    PagePoolParams, BIAS_MAX, DEFER_WARN_INTERVAL_SECS, PP_ALLOC_CACHE_REFILL, PP_ALLOC_CACHE_SIZE,
    PP_FLAG_ALL, PP_FLAG_ALLOW_UNREADABLE_NETMEM, PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV,
    PP_FLAG_SYSTEM_POOL, PP_RING_DEFAULT, PP_RING_MAX,
};
pub use pool::PagePool;
pub use stats::{PagePoolAllocStats, PagePoolRecycleStats, PagePoolStats};
