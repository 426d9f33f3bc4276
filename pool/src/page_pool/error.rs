//! What goes wrong with a pool: creation errors, allocation failures, and
//! the misuse it records as violations.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

use super::params::PP_FLAG_ALL;
use crate::addr::HostAddr;
use crate::dma::DmaDirection;
use crate::mem::PoolLocation;
use crate::netdev::NapiId;

/// `page_pool_create` failures (the kernel's `-EINVAL`s, spelled out).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// Flags outside [`PP_FLAG_ALL`].
    #[error("page_pool_create: unknown flags {flags:#x} (known: {PP_FLAG_ALL:#x})")]
    UnknownFlags {
        /// The flags given.
        flags: u32,
    },
    /// DMA_MAP with a direction other than FROM_DEVICE/BIDIRECTIONAL.
    #[error("page_pool_create: PP_FLAG_DMA_MAP with dma_dir {dir}; only DMA_FROM_DEVICE or DMA_BIDIRECTIONAL")]
    BadDirection {
        /// The direction given.
        dir: DmaDirection,
    },
    /// DMA_SYNC_DEV without DMA_MAP.
    #[error("page_pool_create: PP_FLAG_DMA_SYNC_DEV requires PP_FLAG_DMA_MAP")]
    SyncWithoutMap,
    /// DMA_SYNC_DEV with `max_len == 0`.
    #[error("page_pool_create: PP_FLAG_DMA_SYNC_DEV with max_len 0")]
    ZeroMaxLen,
    /// `offset + max_len` beyond the pool's page. No longer returned by
    /// [`PagePool::create`](crate::PagePool::create): the kernel accepts such a pool (and DMA-API
    /// debug then reports each of its syncs); kept for API stability.
    #[error("page_pool_create: sync area offset {offset} + max_len {max_len} exceeds the {page_len}-byte page")]
    SyncAreaOutsidePage {
        /// Offset.
        offset: u32,
        /// Length.
        max_len: u32,
        /// Page size of the pool.
        page_len: usize,
    },
    /// DMA_MAP without a device.
    #[error("page_pool_create: PP_FLAG_DMA_MAP without a device")]
    NoDevice,
    /// PP_FLAG_ALLOW_UNREADABLE_NETMEM without a netdev: `page_pool_init`
    /// reads the RX queue's memory provider through `pool->slow.netdev`
    /// (the kernel would dereference NULL).
    #[error("page_pool_create: PP_FLAG_ALLOW_UNREADABLE_NETMEM without a netdev")]
    UnreadableWithoutNetdev,
    /// The device masters a different memory than `params.mem`.
    #[error("page_pool_create: device {device} belongs to another HostMemory")]
    ForeignDevice {
        /// The device.
        device: String,
    },
    /// No such NUMA node.
    #[error("page_pool_create: NUMA node {nid} does not exist ({nodes} nodes)")]
    BadNode {
        /// The node.
        nid: u32,
        /// Nodes configured.
        nodes: u32,
    },
}

/// Why an allocation returned no page (the kernel returns NULL).
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum PoolAllocError {
    /// Caches empty and the page allocator (or every DMA mapping) failed.
    #[error("page pool {pool}: no page (caches empty, page allocator or DMA mapping failed)")]
    Exhausted {
        /// Pool id.
        pool: u32,
    },
    /// Failure injection refused the allocation.
    #[error("page pool {pool}: injected allocation failure")]
    Injected {
        /// Pool id.
        pool: u32,
    },
    /// A fragment larger than the pool's page.
    #[error("page pool {pool}: fragment of {size} bytes exceeds the {max}-byte page")]
    FragTooLarge {
        /// Pool id.
        pool: u32,
        /// Requested size.
        size: u32,
        /// Page size of the pool.
        max: u32,
    },
}

/// Where a put came from: the context a wrong `allow_direct` claim is
/// reported from, and the one a page enters the alloc cache on behalf of
/// (the cache census checks it, see `PoolViolationKind::CacheEntryOutsideNapi`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PutContext {
    /// The owner, outside any NAPI poll (process context).
    Process,
    /// The NAPI poll of another NAPI instance.
    OtherNapi(NapiId),
    /// A [`PagePoolHandle`](crate::PagePoolHandle) (another context or thread).
    Remote,
    /// After `destroy` (direct recycling is disabled).
    Destroyed,
    /// A put through a [`NapiCtx`](crate::NapiCtx): the NAPI poll of
    /// `napi`, with the put's own `allow_direct` claim.
    NapiPoll {
        /// The NAPI instance polling.
        napi: NapiId,
        /// Whether the put claimed `allow_direct`.
        allow_direct: bool,
    },
}

/// What went wrong, as recorded by [`PagePool::violations`](crate::PagePool::violations).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum PoolViolationKind {
    /// `allow_direct` claimed outside the pool's NAPI poll; routed to the ring.
    DirectRecycleOutsideNapi {
        /// The calling context.
        context: PutContext,
    },
    /// A page from another pool (or none) was put into this one; leaked.
    WrongPool {
        /// The page.
        page: HostAddr,
        /// Its owning pool id (0 = not a page pool page any more).
        owner: u32,
    },
    /// `pp_ref_count` went negative (more puts than references).
    NegativePpRef {
        /// The page.
        page: HostAddr,
        /// The count after the put.
        count: i64,
    },
    /// `hold_cnt - release_cnt` is negative.
    NegativeInflight {
        /// The distance.
        inflight: i32,
    },
    /// A page recycled while its tag says it is already in the pool.
    DoubleRecycle {
        /// The page.
        page: HostAddr,
        /// Where it already was.
        already: PoolLocation,
        /// Where it was being recycled into.
        into: PoolLocation,
    },
    /// The alloc cache handed out a page whose tag says it is already out.
    PageInTwoPlaces {
        /// The page.
        page: HostAddr,
        /// Where its tag said it was.
        location: PoolLocation,
    },
    /// A page entered the alloc cache on behalf of a context that may not
    /// touch it: only the pool's own NAPI poll may, or, for a pool bound to
    /// no NAPI, a NAPI poll that claims `allow_direct`. Checked by the page
    /// census where the page enters, apart from the put path's decision.
    CacheEntryOutsideNapi {
        /// The page.
        page: HostAddr,
        /// The context the put came from.
        context: PutContext,
        /// The NAPI instance the pool is bound to (`params.napi`).
        pool_napi: Option<NapiId>,
    },
    /// A page recycled while device bursts into it are still in flight.
    RecycleDuringDma {
        /// The page.
        page: HostAddr,
        /// Where it was being recycled into.
        into: PoolLocation,
        /// Bursts in flight touching it.
        bursts: u32,
    },
}

impl PoolViolationKind {
    /// The stable name of the bug class, `pool/...`.
    pub fn class(&self) -> &'static str {
        match self {
            PoolViolationKind::DirectRecycleOutsideNapi { .. } => {
                "pool/direct-recycle-outside-napi"
            }
            PoolViolationKind::WrongPool { .. } => "pool/wrong-pool",
            PoolViolationKind::NegativePpRef { .. } => "pool/negative-pp-ref",
            PoolViolationKind::NegativeInflight { .. } => "pool/negative-inflight",
            PoolViolationKind::DoubleRecycle { .. } => "pool/double-recycle",
            PoolViolationKind::PageInTwoPlaces { .. } => "pool/page-in-two-places",
            PoolViolationKind::RecycleDuringDma { .. } => "pool/recycle-during-dma",
            PoolViolationKind::CacheEntryOutsideNapi { .. } => "pool/cache-entry-outside-napi",
        }
    }
}

/// A recorded misuse of the pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolViolation {
    /// Simulated cycle.
    pub cycle: u64,
    /// Pool id.
    pub pool: u32,
    /// What.
    pub kind: PoolViolationKind,
}

impl PoolViolation {
    /// The stable name of the bug class, `pool/...`.
    pub fn class(&self) -> &'static str {
        self.kind.class()
    }

    /// The simulated cycle it happened at.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }
}

impl fmt::Display for PoolViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: cycle {}: page pool {}: ",
            self.class(),
            self.cycle,
            self.pool
        )?;
        match &self.kind {
            PoolViolationKind::DirectRecycleOutsideNapi { context } => write!(
                f,
                "direct recycling claimed from {context:?} context, not the pool's NAPI poll; page sent to the ring"
            ),
            PoolViolationKind::WrongPool { page, owner } => {
                write!(f, "page {page} belongs to pool {owner}, not this one; leaked")
            }
            PoolViolationKind::NegativePpRef { page, count } => {
                write!(f, "page {page}: pp_ref_count went negative ({count})")
            }
            PoolViolationKind::NegativeInflight { inflight } => {
                write!(f, "Negative({inflight}) inflight packet-pages")
            }
            PoolViolationKind::DoubleRecycle {
                page,
                already,
                into,
            } => write!(
                f,
                "page {page} recycled {into} while already {already} (expected one put per reference)"
            ),
            PoolViolationKind::PageInTwoPlaces { page, location } => write!(
                f,
                "the alloc cache handed out page {page}, whose tag says it is {location} (expected in the alloc cache)"
            ),
            PoolViolationKind::RecycleDuringDma {
                page,
                into,
                bursts,
            } => write!(
                f,
                "page {page} recycled {into} while {bursts} device burst(s) into it are in flight (expected the device done with it)"
            ),
            PoolViolationKind::CacheEntryOutsideNapi {
                page,
                context,
                pool_napi,
            } => {
                write!(f, "page {page} entered the alloc cache from {context:?}, which may not touch it (expected ")?;
                match pool_napi {
                    Some(n) => write!(f, "the pool's NAPI poll, napi-id {})", n.0),
                    None => f.write_str("a NAPI poll claiming allow_direct: the pool is bound to no NAPI)"),
                }
            }
        }
    }
}
