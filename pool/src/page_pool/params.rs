//! `struct page_pool_params` and the pool's constants (`PP_FLAG_*`, cache
//! and ring sizes).

use crate::dma::{DmaDev, DmaDirection};
use crate::mem::HostMemory;
use crate::netdev::{IfIndex, NapiId};

/// The pool maps pages for DMA (and keeps them mapped while they recycle).
pub const PP_FLAG_DMA_MAP: u32 = 1 << 0;
/// The pool syncs recycled pages for the device (needs DMA_MAP, `max_len`).
pub const PP_FLAG_DMA_SYNC_DEV: u32 = 1 << 1;
/// A shared system pool with no NAPI owner; its recycle stats are those of
/// every system pool (the kernel's shared `pp_system_recycle_stats`).
pub const PP_FLAG_SYSTEM_POOL: u32 = 1 << 2;
/// The pool may hold unreadable (net_iov backed) memory from the memory
/// provider of its netdev's RX queue (6.12 devmem, include/net/page_pool/types.h
/// `BIT(3)`). No memory provider is modelled: such a pool is an ordinary
/// pool, as in the kernel for a queue without one; it needs a netdev
/// (`page_pool_init` reads the queue through `pool->slow.netdev`).
pub const PP_FLAG_ALLOW_UNREADABLE_NETMEM: u32 = 1 << 3;
/// Every known flag (`PP_FLAG_ALL`).
pub const PP_FLAG_ALL: u32 =
    PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV | PP_FLAG_SYSTEM_POOL | PP_FLAG_ALLOW_UNREADABLE_NETMEM;
/// Alloc cache size (`PP_ALLOC_CACHE_SIZE`).
pub const PP_ALLOC_CACHE_SIZE: usize = 128;
/// Refill batch and slow-path bulk (`PP_ALLOC_CACHE_REFILL`).
pub const PP_ALLOC_CACHE_REFILL: usize = 64;
/// Default recycle ring size.
pub const PP_RING_DEFAULT: usize = 1024;
/// Largest recycle ring (`pool_size` is capped to it).
pub const PP_RING_MAX: usize = 16384;
/// The fragment bias (`BIAS_MAX = LONG_MAX >> 1`).
pub const BIAS_MAX: i64 = i64::MAX >> 1;
/// Simulated seconds between two "stalled pool shutdown" warnings.
pub const DEFER_WARN_INTERVAL_SECS: u64 = 60;

/// `struct page_pool_params`.
#[derive(Clone, Debug)]
pub struct PagePoolParams {
    /// Memory the pages come from (the kernel's page allocator).
    pub mem: HostMemory,
    /// `2^order` pages per allocation. Not checked at creation (6.12's
    /// `page_pool_init` has no order check): above
    /// [`MAX_PAGE_ORDER`](crate::MAX_PAGE_ORDER) every allocation fails in the page allocator.
    pub order: u32,
    /// Recycle ring size; 0 = 1024; capped at 16384.
    pub pool_size: usize,
    /// NUMA node to allocate from; `None` = NUMA_NO_NODE (the current CPU's).
    pub nid: Option<u32>,
    /// Device for DMA mapping (required with [`PP_FLAG_DMA_MAP`]).
    pub dev: Option<DmaDev>,
    /// The NAPI instance that is the sole consumer, if locking is tied to it.
    pub napi: Option<NapiId>,
    /// Mapping direction.
    pub dma_dir: DmaDirection,
    /// Bytes to sync for the device on recycle ([`PP_FLAG_DMA_SYNC_DEV`]).
    pub max_len: u32,
    /// Offset of the synced area in the page ([`PP_FLAG_DMA_SYNC_DEV`]).
    pub offset: u32,
    /// The netdev, for introspection.
    pub netdev: Option<IfIndex>,
    /// `PP_FLAG_*`.
    pub flags: u32,
}

impl PagePoolParams {
    /// Zeroed parameters (as `struct page_pool_params pp = { 0 }` with
    /// `nid = NUMA_NO_NODE`, `dma_dir = DMA_FROM_DEVICE`), over `mem`.
    pub fn new(mem: &HostMemory) -> Self {
        Self {
            mem: mem.clone(),
            order: 0,
            pool_size: 0,
            nid: None,
            dev: None,
            napi: None,
            dma_dir: DmaDirection::FromDevice,
            max_len: 0,
            offset: 0,
            netdev: None,
            flags: 0,
        }
    }
}
