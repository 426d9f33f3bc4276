//! The page pool: the kernel's `net/core/page_pool.c` over [`HostMemory`].
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

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use thiserror::Error;

use crate::addr::{DmaAddr, HostAddr};
use crate::dma::{DmaAttrs, DmaDev, DmaDirection};
use crate::inject::{FailureInjection, Injector};
use crate::mem::{lock, pfn_to_host, FrameMeta, HostMemory, MemInner, PageRef, MAX_PAGE_ORDER};
use crate::registry::{PagePoolInfo, PagePoolStatsAttrs};
use crate::ring::{self, Consumer, Producer};
use crate::PAGE_SIZE;

/// The pool maps pages for DMA (and keeps them mapped while they recycle).
pub const PP_FLAG_DMA_MAP: u32 = 1 << 0;
/// The pool syncs recycled pages for the device (needs DMA_MAP, `max_len`).
pub const PP_FLAG_DMA_SYNC_DEV: u32 = 1 << 1;
/// A shared system pool with no NAPI owner; its recycle stats are those of
/// every system pool (the kernel's shared `pp_system_recycle_stats`).
pub const PP_FLAG_SYSTEM_POOL: u32 = 1 << 2;
/// Every known flag.
pub const PP_FLAG_ALL: u32 = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV | PP_FLAG_SYSTEM_POOL;
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

/// A NAPI instance id (`napi_struct::napi_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct NapiId(pub u32);

/// A network device's interface index (the pool's `netdev`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct IfIndex(pub u32);

/// The loopback device's ifindex (`LOOPBACK_IFINDEX`): pools whose netdev
/// is unregistered are moved to it (and then reported without an
/// `ifindex`); unregistering it wipes the pools hanging off it.
pub const LOOPBACK_IFINDEX: IfIndex = IfIndex(1);

/// `pool->slow.netdev` is the netdev given at creation.
pub(crate) const NETDEV_LINKED: u8 = 0;
/// The netdev was unregistered: the pool now hangs off loopback (orphaned,
/// still visible to netlink, without an `ifindex`).
pub(crate) const NETDEV_ORPHANED: u8 = 1;
/// Loopback (its namespace) went away too: `NET_PTR_POISON`, invisible.
pub(crate) const NETDEV_WIPED: u8 = 2;

/// `struct page_pool_params`.
#[derive(Clone, Debug)]
pub struct PagePoolParams {
    /// Memory the pages come from (the kernel's page allocator).
    pub mem: HostMemory,
    /// `2^order` pages per allocation.
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
    /// [`PagePool::create`]: the kernel accepts such a pool (and DMA-API
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
    /// Order above `MAX_PAGE_ORDER`.
    #[error("page_pool_create: order {order} above MAX_PAGE_ORDER {max}")]
    OrderTooHigh {
        /// The order.
        order: u32,
        /// The maximum.
        max: u32,
    },
    /// DMA_MAP without a device.
    #[error("page_pool_create: PP_FLAG_DMA_MAP without a device")]
    NoDevice,
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

/// `struct page_pool_alloc_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PagePoolAllocStats {
    /// Successful fast path allocations.
    pub fast: u64,
    /// Slow path order-0 allocations (once per bulk).
    pub slow: u64,
    /// Slow path high order allocations.
    pub slow_high_order: u64,
    /// Ring empty, so a slow path allocation was forced.
    pub empty: u64,
    /// An allocation that refilled the cache from the ring.
    pub refill: u64,
    /// Ring pages released for a NUMA mismatch.
    pub waive: u64,
}

/// `struct page_pool_recycle_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PagePoolRecycleStats {
    /// Recycled into the alloc cache.
    pub cached: u64,
    /// Alloc cache was full.
    pub cache_full: u64,
    /// Recycled into the ring.
    pub ring: u64,
    /// Ring full: page released.
    pub ring_full: u64,
    /// Released (not recycled) because refcount > 1.
    pub released_refcnt: u64,
}

/// `struct page_pool_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PagePoolStats {
    /// Allocation side.
    pub alloc_stats: PagePoolAllocStats,
    /// Recycling side.
    pub recycle_stats: PagePoolRecycleStats,
}

/// Where a put that claimed `allow_direct` came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PutContext {
    /// The owner, outside any NAPI poll (process context).
    Process,
    /// The NAPI poll of another NAPI instance.
    OtherNapi(NapiId),
    /// A [`PagePoolHandle`] (another context or thread).
    Remote,
    /// After `destroy` (direct recycling is disabled).
    Destroyed,
}

/// What went wrong, as recorded by [`PagePool::violations`].
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

impl fmt::Display for PoolViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cycle {}: page pool {}: ", self.cycle, self.pool)?;
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
        }
    }
}

/// What [`PagePool::destroy`] achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DestroyOutcome {
    /// Nothing in flight: the pool is gone.
    Freed,
    /// Pages still in flight: the pool is detached and retried by
    /// [`crate::PoolRegistry::service`] every simulated second.
    Detached {
        /// Pages in flight.
        inflight: u32,
    },
}

/// A page (or fragment reference) handed out by a pool: one
/// `pp_ref_count` reference. Not `Clone`: give it back exactly once with a
/// put (or take more references with [`PagePoolHandle::ref_page`]). Dropping
/// it without a put leaks it in flight, as in the kernel, and logs a warning.
#[must_use = "a PpPage stays in flight until put back into its pool"]
pub struct PpPage {
    pfn: u64,
    dma: u64,
    order: u32,
    pool: u32,
}

impl fmt::Debug for PpPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PpPage")
            .field("page", &self.host_addr())
            .field("dma", &self.dma_addr())
            .field("order", &self.order)
            .field("pool", &self.pool)
            .finish()
    }
}

impl PpPage {
    /// Host address of the (head) page.
    #[inline]
    pub fn host_addr(&self) -> HostAddr {
        pfn_to_host(self.pfn)
    }
    /// Page frame number of the head frame.
    #[inline]
    pub fn pfn(&self) -> u64 {
        self.pfn
    }
    /// DMA address of the page (`page_pool_get_dma_addr`), if the pool maps.
    #[inline]
    pub fn dma_addr(&self) -> Option<DmaAddr> {
        (self.dma != 0).then_some(DmaAddr::new(self.dma))
    }
    /// Page order.
    #[inline]
    pub fn order(&self) -> u32 {
        self.order
    }
    /// Bytes in the page (`PAGE_SIZE << order`).
    #[inline]
    pub fn len(&self) -> usize {
        PAGE_SIZE << self.order
    }
    /// Never true; present for clippy's `len_without_is_empty`.
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Id of the pool it came from.
    #[inline]
    pub fn pool_id(&self) -> u32 {
        self.pool
    }

    #[inline]
    fn into_raw(self) -> (u64, u64) {
        let raw = (self.pfn, self.dma);
        std::mem::forget(self);
        raw
    }
}

impl Drop for PpPage {
    fn drop(&mut self) {
        tracing::warn!(
            pool = self.pool,
            page = %self.host_addr(),
            "page pool page dropped without put: it stays in flight (leak)"
        );
    }
}

/// A buffer from [`PagePool::dev_alloc_va`]: the kernel returns a bare
/// virtual address; here the address comes with the reference it stands for.
#[derive(Debug)]
#[must_use = "a PpVa stays in flight until freed with free_va"]
pub struct PpVa {
    page: PpPage,
    offset: u32,
}

impl PpVa {
    /// The buffer's host address (`page_address(page) + offset`).
    pub fn addr(&self) -> HostAddr {
        HostAddr::new(self.page.host_addr().raw_value() + u64::from(self.offset))
    }
    /// The buffer's DMA address, if the pool maps.
    pub fn dma_addr(&self) -> Option<DmaAddr> {
        self.page
            .dma_addr()
            .map(|d| DmaAddr::new(d.raw_value() + u64::from(self.offset)))
    }
    /// Offset in its page.
    pub fn offset(&self) -> u32 {
        self.offset
    }
    /// The page it lies in.
    pub fn page(&self) -> &PpPage {
        &self.page
    }
    /// Turns it back into the page reference (`virt_to_head_page`).
    pub fn into_page(self) -> PpPage {
        self.page
    }
}

#[derive(Clone, Copy, Debug)]
struct Cached {
    pfn: u64,
    dma: u64,
}

#[derive(Debug, Default)]
struct Counters {
    fast: AtomicU64,
    slow: AtomicU64,
    slow_high_order: AtomicU64,
    empty: AtomicU64,
    refill: AtomicU64,
    waive: AtomicU64,
    cached: AtomicU64,
    cache_full: AtomicU64,
    ring_full: AtomicU64,
    released_refcnt: AtomicU64,
}

/// The recycle counters of every [`PP_FLAG_SYSTEM_POOL`] pool of a
/// [`HostMemory`]: the kernel gives system pools one shared
/// `pp_system_recycle_stats` instead of a per-pool percpu object, so each
/// system pool's `recycle_stats` are those of all of them.
#[derive(Debug, Default)]
pub(crate) struct SystemRecycle {
    cached: AtomicU64,
    cache_full: AtomicU64,
    ring: AtomicU64,
    ring_full: AtomicU64,
    released_refcnt: AtomicU64,
}

/// Increment of a counter with a single writer (the owner): no atomic RMW.
#[inline]
fn inc1(c: &AtomicU64) {
    c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

#[derive(Debug, Default)]
pub(crate) struct Shutdown {
    /// The ring's consumer, handed over by the owner at destroy.
    consumer: Option<Consumer>,
    pub(crate) detach_cycle: Option<u64>,
    next_retry: u64,
    defer_warn: u64,
    pub(crate) freed: bool,
    /// In-flight went negative at a retry: never retried again.
    abandoned: bool,
}

/// State shared by the owner, its handles and the registry.
pub(crate) struct PoolShared {
    pub(crate) id: u32,
    pub(crate) mem: HostMemory,
    dev: Option<DmaDev>,
    pub(crate) order: u32,
    pub(crate) napi: Option<NapiId>,
    dma_dir: DmaDirection,
    max_len: u32,
    offset: u32,
    pub(crate) netdev: Option<IfIndex>,
    /// [`NETDEV_LINKED`], [`NETDEV_ORPHANED`] or [`NETDEV_WIPED`].
    pub(crate) netdev_state: AtomicU8,
    dma_map: bool,
    dma_sync: AtomicBool,
    destroyed: AtomicBool,
    producer: Producer,
    hold_cnt: AtomicU32,
    release_cnt: AtomicU32,
    stats: Counters,
    /// `Some` for a [`PP_FLAG_SYSTEM_POOL`] pool: its recycle counters.
    system: Option<Arc<SystemRecycle>>,
    violations: Mutex<Vec<PoolViolation>>,
    pub(crate) shutdown: Mutex<Shutdown>,
}

impl fmt::Debug for PoolShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagePool")
            .field("id", &self.id)
            .field("order", &self.order)
            .field("napi", &self.napi)
            .field("inflight", &self.inflight())
            .finish_non_exhaustive()
    }
}

impl PoolShared {
    #[inline]
    fn meta(&self, pfn: u64) -> &FrameMeta {
        &self.mem.inner.meta[pfn as usize]
    }

    pub(crate) fn inflight(&self) -> i32 {
        let hold = self.hold_cnt.load(Ordering::Acquire);
        let release = self.release_cnt.load(Ordering::Acquire);
        hold.wrapping_sub(release) as i32
    }

    pub(crate) fn stats(&self) -> PagePoolStats {
        let s = &self.stats;
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PagePoolStats {
            alloc_stats: PagePoolAllocStats {
                fast: r(&s.fast),
                slow: r(&s.slow),
                slow_high_order: r(&s.slow_high_order),
                empty: r(&s.empty),
                refill: r(&s.refill),
                waive: r(&s.waive),
            },
            recycle_stats: match &self.system {
                None => PagePoolRecycleStats {
                    cached: r(&s.cached),
                    cache_full: r(&s.cache_full),
                    ring: self.producer.pushed(),
                    ring_full: r(&s.ring_full),
                    released_refcnt: r(&s.released_refcnt),
                },
                Some(sys) => PagePoolRecycleStats {
                    cached: r(&sys.cached),
                    cache_full: r(&sys.cache_full),
                    ring: r(&sys.ring),
                    ring_full: r(&sys.ring_full),
                    released_refcnt: r(&sys.released_refcnt),
                },
            },
        }
    }

    pub(crate) fn info(&self) -> PagePoolInfo {
        let inflight = self.inflight().max(0) as u32;
        let detach = lock(&self.shutdown).detach_cycle;
        PagePoolInfo {
            id: self.id,
            ifindex: self.visible_ifindex().map(|i| i.0),
            // `pool->p.napi` is cleared by page_pool_disable_direct_recycling()
            // at destroy, so a destroyed pool reports no napi-id.
            napi_id: self
                .napi
                .filter(|_| !self.destroyed.load(Ordering::Acquire))
                .map(|n| n.0),
            inflight,
            inflight_mem: u64::from(inflight) * ((PAGE_SIZE as u64) << self.order),
            detach_time: detach.map(|c| self.mem.cycles_to_secs(c)),
            stats: PagePoolStatsAttrs::from(self.stats()),
        }
    }

    /// The `ifindex` netlink reports: the netdev's, unless the pool hangs
    /// off loopback (created on [`LOOPBACK_IFINDEX`], or moved there when
    /// its netdev went away): the kernel omits loopback's.
    fn visible_ifindex(&self) -> Option<IfIndex> {
        let netdev = self.netdev?;
        if self.netdev_state.load(Ordering::Relaxed) != NETDEV_LINKED || netdev == LOOPBACK_IFINDEX
        {
            return None;
        }
        Some(netdev)
    }

    #[cold]
    fn violation(&self, kind: PoolViolationKind) {
        let v = PoolViolation {
            cycle: self.mem.cycle(),
            pool: self.id,
            kind,
        };
        tracing::warn!("{v}");
        lock(&self.violations).push(v);
    }

    /// `page_pool_unref_netmem`: drops `nr` references; 0 = we were last.
    #[inline]
    fn unref(&self, pfn: u64, nr: i64) -> i64 {
        let pp_ref = &self.meta(pfn).pp_ref;
        if pp_ref.load(Ordering::Acquire) == nr {
            if nr != 1 {
                pp_ref.store(1, Ordering::Release);
            }
            return 0;
        }
        let ret = pp_ref.fetch_sub(nr, Ordering::AcqRel) - nr;
        if ret < 0 {
            self.violation(PoolViolationKind::NegativePpRef {
                page: pfn_to_host(pfn),
                count: ret,
            });
        }
        if ret == 0 {
            pp_ref.store(1, Ordering::Release);
        }
        ret
    }

    /// Checks the page is ours; leaks it with a violation otherwise.
    #[inline]
    fn owns(&self, pfn: u64) -> bool {
        let owner = self.meta(pfn).pp_id.load(Ordering::Relaxed);
        if owner == self.id {
            return true;
        }
        self.violation(PoolViolationKind::WrongPool {
            page: pfn_to_host(pfn),
            owner,
        });
        false
    }

    /// `page_pool_dma_sync_for_device`: `min(size, max_len)` bytes at `offset`.
    #[inline]
    fn sync_for_device(&self, dma: u64, dma_sync_size: i64) {
        if !self.dma_sync.load(Ordering::Relaxed) {
            return;
        }
        self.sync_for_device_slow(dma, dma_sync_size);
    }

    #[cold]
    fn sync_for_device_slow(&self, dma: u64, dma_sync_size: i64) {
        let size = u32::try_from(dma_sync_size)
            .unwrap_or(u32::MAX)
            .min(self.max_len);
        if let Some(dev) = &self.dev {
            if let Err(e) = dev.sync_single_range_for_device(
                DmaAddr::new(dma),
                self.offset as usize,
                size as usize,
                self.dma_dir,
            ) {
                tracing::error!(pool = self.id, "sync_for_device on recycle failed: {e}");
            }
        }
    }

    /// `__page_pool_put_page` minus the cache: returns whether the page may
    /// be recycled (synced), or releases it (`released_refcnt`).
    #[inline]
    fn recycle_prepare(&self, pfn: u64, dma: u64, dma_sync_size: i64) -> bool {
        if self.meta(pfn).page_ref.load(Ordering::Acquire) == 1 {
            self.sync_for_device(dma, dma_sync_size);
            return true;
        }
        match &self.system {
            None => &self.stats.released_refcnt,
            Some(sys) => &sys.released_refcnt,
        }
        .fetch_add(1, Ordering::Relaxed);
        self.return_page(pfn, dma);
        false
    }

    /// `recycle_stat_inc(pool, cached)` (owner only).
    #[inline]
    fn stat_cached(&self) {
        match &self.system {
            None => inc1(&self.stats.cached),
            Some(sys) => _ = sys.cached.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// `recycle_stat_inc(pool, cache_full)` (owner only).
    #[inline]
    fn stat_cache_full(&self) {
        match &self.system {
            None => inc1(&self.stats.cache_full),
            Some(sys) => _ = sys.cache_full.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// `recycle_stat_inc(pool, ring_full)`.
    #[inline]
    fn stat_ring_full(&self) {
        match &self.system {
            None => &self.stats.ring_full,
            Some(sys) => &sys.ring_full,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// `recycle_stat_add(pool, ring, n)`: a pool's own count is read off its
    /// ring's push count; the shared system count is kept explicitly.
    #[inline]
    fn stat_ring(&self, n: u64) {
        if let Some(sys) = &self.system {
            sys.ring.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// `page_pool_recycle_in_ring` + the ring-full fallback.
    #[inline]
    fn recycle_in_ring(&self, pfn: u64, dma: u64) {
        if self.producer.push(pfn).is_ok() {
            self.stat_ring(1);
        } else {
            self.stat_ring_full();
            self.return_page(pfn, dma);
        }
    }

    /// `page_pool_return_netmem`: unmap, count the release, drop our page
    /// reference (other holders keep the page alive).
    #[cold]
    fn return_page(&self, pfn: u64, dma: u64) {
        self.release_state(pfn, dma);
        self.mem.inner.put_page_ref(pfn, self.order);
    }

    /// `page_pool_release_page`: unmap, count the release, clear the pp
    /// info; the page reference the pool held is left to the caller.
    #[cold]
    fn release_state(&self, pfn: u64, dma: u64) {
        if self.dma_map {
            if let Some(dev) = &self.dev {
                let len = PAGE_SIZE << self.order;
                if let Err(e) = dev.unmap_page_attrs(
                    DmaAddr::new(dma),
                    len,
                    self.dma_dir,
                    DmaAttrs {
                        skip_cpu_sync: true,
                    },
                ) {
                    tracing::error!(pool = self.id, "unmap on release failed: {e}");
                }
            }
        }
        self.release_cnt.fetch_add(1, Ordering::AcqRel);
        let meta = self.meta(pfn);
        meta.pp_id.store(0, Ordering::Relaxed);
        meta.dma.store(0, Ordering::Relaxed);
        meta.pp_ref.store(0, Ordering::Relaxed);
    }

    /// See [`PagePoolHandle::release_page`].
    fn release_page(&self, page: PpPage) -> Result<PageRef, PpPage> {
        if !self.owns(page.pfn) {
            return Err(page);
        }
        if self.meta(page.pfn).pp_ref.load(Ordering::Acquire) != 1 {
            return Err(page);
        }
        let order = page.order;
        let (pfn, dma) = page.into_raw();
        self.release_state(pfn, dma);
        Ok(PageRef::adopt(&self.mem, pfn, order))
    }

    /// A put from a context that may not recycle directly.
    #[inline]
    fn put_remote(&self, page: PpPage, dma_sync_size: i64, allow_direct: bool, ctx: PutContext) {
        if allow_direct {
            self.violation(PoolViolationKind::DirectRecycleOutsideNapi { context: ctx });
        }
        let (pfn, dma) = page.into_raw();
        if !self.owns(pfn) || self.unref(pfn, 1) != 0 {
            return;
        }
        if self.recycle_prepare(pfn, dma, dma_sync_size) {
            self.recycle_in_ring(pfn, dma);
        }
    }

    /// `page_pool_put_page_bulk`: every recyclable page goes to the ring.
    fn put_bulk(&self, data: &mut [Option<PpPage>]) {
        let mut bulk: Vec<(u64, u64)> = Vec::with_capacity(data.len());
        for slot in data.iter_mut() {
            let Some(page) = slot.take() else { continue };
            let (pfn, dma) = page.into_raw();
            if !self.owns(pfn) || self.unref(pfn, 1) != 0 {
                continue;
            }
            if self.recycle_prepare(pfn, dma, -1) {
                bulk.push((pfn, dma));
            }
        }
        let mut rest = bulk.iter();
        let mut pushed = 0;
        for &(pfn, dma) in rest.by_ref() {
            if self.producer.push(pfn).is_err() {
                self.stat_ring_full();
                self.return_page(pfn, dma);
                break;
            }
            pushed += 1;
        }
        self.stat_ring(pushed);
        for &(pfn, dma) in rest {
            self.return_page(pfn, dma);
        }
    }

    fn ref_page(&self, page: &PpPage) -> PpPage {
        self.meta(page.pfn).pp_ref.fetch_add(1, Ordering::AcqRel);
        PpPage {
            pfn: page.pfn,
            dma: page.dma,
            order: page.order,
            pool: page.pool,
        }
    }

    fn violations(&self) -> Vec<PoolViolation> {
        lock(&self.violations).clone()
    }

    /// `page_pool_release`: empties the ring and reports the in-flight
    /// count (after the owner handed over the consumer at destroy).
    pub(crate) fn release(&self, sd: &mut Shutdown) -> i32 {
        if let Some(c) = sd.consumer.as_mut() {
            while let Some(pfn) = c.pop() {
                let dma = self.meta(pfn).dma.load(Ordering::Relaxed);
                self.return_page(pfn, dma);
            }
        }
        let inflight = self.inflight();
        if inflight < 0 {
            self.violation(PoolViolationKind::NegativeInflight { inflight });
        }
        inflight
    }

    /// One retry of a detached pool (`page_pool_release_retry`); returns
    /// `Some(true)` when freed, `Some(false)` for a stalled warning, `None`
    /// when nothing notable happened.
    pub(crate) fn service(&self, cycle: u64) -> Option<crate::registry::ServiceEvent> {
        use crate::registry::ServiceEvent;
        let hz = self.mem.config().clock_hz;
        let mut sd = lock(&self.shutdown);
        let detached = sd.detach_cycle?;
        if sd.freed || sd.abandoned || cycle < sd.next_retry {
            return None;
        }
        let inflight = self.release(&mut sd);
        if inflight < 0 {
            // "if negative, we will never recover": no reschedule; the pool
            // stays detached (and listed) for good.
            sd.abandoned = true;
            return None;
        }
        if inflight == 0 {
            sd.freed = true;
            tracing::info!(pool = self.id, "page pool released after detach");
            return Some(ServiceEvent::Freed { id: self.id });
        }
        sd.next_retry = cycle + hz;
        // "Periodic warning for page pools the user can't see": created
        // without a netdev, or wiped with loopback (NET_PTR_POISON). An
        // orphaned pool hangs off loopback and stays visible: no warning.
        let invisible =
            self.netdev.is_none() || self.netdev_state.load(Ordering::Relaxed) == NETDEV_WIPED;
        if cycle >= sd.defer_warn && invisible {
            let sec = (cycle - detached) / hz;
            let ev = ServiceEvent::Stalled {
                id: self.id,
                inflight: inflight as u32,
                secs: sec,
            };
            tracing::warn!("{ev}");
            sd.defer_warn = cycle + DEFER_WARN_INTERVAL_SECS * hz;
            return Some(ev);
        }
        None
    }
}

/// The pool's owner and sole consumer; see the module docs.
pub struct PagePool {
    shared: Arc<PoolShared>,
    mem: Arc<MemInner>,
    /// The alloc cache: page frame numbers only (the DMA address lives in
    /// the frame's metadata), so push and pop are single 8-byte accesses.
    cache: Vec<u64>,
    consumer: Option<Consumer>,
    nid: Option<u32>,
    frag_page: Option<Cached>,
    frag_users: i64,
    frag_offset: u32,
    inject: Injector,
    inject_armed: bool,
    bulk: Vec<u64>,
    destroyed: bool,
}

impl fmt::Debug for PagePool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagePool")
            .field("id", &self.shared.id)
            .field("cached", &self.cache.len())
            .field("inflight", &self.shared.inflight())
            .finish_non_exhaustive()
    }
}

impl PagePool {
    /// `page_pool_create`, with the kernel's validation.
    pub fn create(params: PagePoolParams) -> Result<PagePool, PoolError> {
        let p = params;
        if p.flags & !PP_FLAG_ALL != 0 {
            return Err(PoolError::UnknownFlags { flags: p.flags });
        }
        let dma_map = p.flags & PP_FLAG_DMA_MAP != 0;
        if dma_map
            && !matches!(
                p.dma_dir,
                DmaDirection::FromDevice | DmaDirection::Bidirectional
            )
        {
            return Err(PoolError::BadDirection { dir: p.dma_dir });
        }
        let dma_sync = p.flags & PP_FLAG_DMA_SYNC_DEV != 0;
        if dma_sync {
            if !dma_map {
                return Err(PoolError::SyncWithoutMap);
            }
            if p.max_len == 0 {
                return Err(PoolError::ZeroMaxLen);
            }
        }
        if p.order > MAX_PAGE_ORDER {
            return Err(PoolError::OrderTooHigh {
                order: p.order,
                max: MAX_PAGE_ORDER,
            });
        }
        // The kernel does not check `offset + max_len` against the page: such
        // a pool is created, and every sync_for_device it does is reported
        // by the DMA-API checks (a sync range outside the mapping).
        if dma_map {
            match &p.dev {
                None => return Err(PoolError::NoDevice),
                Some(d) if !Arc::ptr_eq(&d.memory().inner, &p.mem.inner) => {
                    return Err(PoolError::ForeignDevice {
                        device: d.name().to_owned(),
                    })
                }
                Some(_) => {}
            }
        }
        if let Some(nid) = p.nid {
            if p.mem.inner.check_node(nid).is_err() {
                return Err(PoolError::BadNode {
                    nid,
                    nodes: p.mem.config().nodes,
                });
            }
        }
        let ring_size = if p.pool_size == 0 {
            PP_RING_DEFAULT
        } else {
            p.pool_size.min(PP_RING_MAX)
        };
        let (producer, consumer) = ring::ring(ring_size);
        let registry = p.mem.pool_registry();
        let id = registry.next_id();
        let shared = Arc::new(PoolShared {
            id,
            mem: p.mem.clone(),
            dev: p.dev,
            order: p.order,
            napi: p.napi,
            dma_dir: p.dma_dir,
            max_len: p.max_len,
            offset: p.offset,
            netdev: p.netdev,
            netdev_state: AtomicU8::new(NETDEV_LINKED),
            dma_map,
            dma_sync: AtomicBool::new(dma_sync),
            destroyed: AtomicBool::new(false),
            producer,
            hold_cnt: AtomicU32::new(0),
            release_cnt: AtomicU32::new(0),
            stats: Counters::default(),
            system: (p.flags & PP_FLAG_SYSTEM_POOL != 0).then(|| registry.system_recycle()),
            violations: Mutex::new(Vec::new()),
            shutdown: Mutex::new(Shutdown::default()),
        });
        registry.list(&shared);
        tracing::debug!(
            id,
            order = p.order,
            ring_size,
            flags = p.flags,
            "page pool created"
        );
        Ok(PagePool {
            mem: p.mem.inner.clone(),
            shared,
            cache: Vec::with_capacity(PP_ALLOC_CACHE_SIZE),
            consumer: Some(consumer),
            nid: p.nid,
            frag_page: None,
            frag_users: 0,
            frag_offset: 0,
            inject: Injector::default(),
            inject_armed: false,
            bulk: Vec::with_capacity(PP_ALLOC_CACHE_REFILL),
            destroyed: false,
        })
    }

    /// The pool's id (netlink `id`).
    pub fn id(&self) -> u32 {
        self.shared.id
    }

    /// A handle for puts and queries from any other context or thread.
    pub fn handle(&self) -> PagePoolHandle {
        PagePoolHandle {
            shared: self.shared.clone(),
        }
    }

    /// Enters the NAPI poll of `napi`: puts through the returned context may
    /// recycle directly when `napi` is the pool's NAPI (or, for a pool bound
    /// to no NAPI, when the caller claims `allow_direct`).
    pub fn napi_ctx(&mut self, napi: NapiId) -> NapiCtx<'_> {
        NapiCtx { pool: self, napi }
    }

    /// Arms failure injection at the pool's allocation entry point
    /// (`page_pool_alloc_netmems`, `ALLOW_ERROR_INJECTION`): a failed
    /// attempt returns [`PoolAllocError::Injected`] and touches no counter.
    pub fn inject_alloc_failures(&mut self, mode: FailureInjection) {
        self.inject = Injector::new(mode);
        self.inject_armed = self.inject.armed();
    }

    /// `page_pool_update_nid`: new preferred node; flushes the alloc cache.
    pub fn update_nid(&mut self, nid: Option<u32>) {
        self.nid = nid;
        for pfn in std::mem::take(&mut self.cache) {
            let dma = self.shared.meta(pfn).dma.load(Ordering::Relaxed);
            self.shared.return_page(pfn, dma);
        }
        self.cache.reserve(PP_ALLOC_CACHE_SIZE);
    }

    /// `page_pool_dev_alloc_pages`: one whole page.
    #[inline]
    pub fn dev_alloc_pages(&mut self) -> Result<PpPage, PoolAllocError> {
        let c = self.alloc_netmem()?;
        Ok(self.handout(c))
    }

    /// `page_pool_dev_alloc_frag`: `size` bytes (rounded up to
    /// [`crate::DMA_CACHE_ALIGN`]) of a shared page, at `*offset`.
    pub fn dev_alloc_frag(
        &mut self,
        offset: &mut u32,
        size: u32,
    ) -> Result<PpPage, PoolAllocError> {
        let max_size = (PAGE_SIZE << self.shared.order) as u32;
        if size > max_size {
            return Err(PoolAllocError::FragTooLarge {
                pool: self.shared.id,
                size,
                max: max_size,
            });
        }
        let size = size.next_multiple_of(crate::DMA_CACHE_ALIGN as u32);
        *offset = self.frag_offset;
        let mut page = self.frag_page;
        if let Some(p) = page {
            if *offset + size > max_size {
                page = self.drain_frag(p);
                if page.is_some() {
                    self.shared.stat_cached();
                    inc1(&self.shared.stats.fast);
                }
            } else {
                self.frag_users += 1;
                self.frag_offset = *offset + size;
                return Ok(self.handout(p));
            }
        }
        let p = match page {
            Some(p) => p,
            None => match self.alloc_netmem() {
                Ok(p) => p,
                Err(e) => {
                    self.frag_page = None;
                    return Err(e);
                }
            },
        };
        self.frag_page = Some(p);
        self.frag_users = 1;
        *offset = 0;
        self.frag_offset = size;
        self.shared
            .meta(p.pfn)
            .pp_ref
            .store(BIAS_MAX, Ordering::Release);
        Ok(self.handout(p))
    }

    /// `page_pool_dev_alloc`: a whole page when `*size` is more than half a
    /// page (`*size` becomes the page size), a fragment otherwise (the last
    /// fragment of a page takes the rest of it, so truesize is right).
    pub fn dev_alloc(
        &mut self,
        offset: &mut u32,
        size: &mut u32,
    ) -> Result<PpPage, PoolAllocError> {
        let max_size = (PAGE_SIZE << self.shared.order) as u32;
        if u64::from(*size) << 1 > u64::from(max_size) {
            *size = max_size;
            *offset = 0;
            return self.dev_alloc_pages();
        }
        let page = self.dev_alloc_frag(offset, *size)?;
        if self.frag_offset + *size > max_size {
            *size = max_size - *offset;
            self.frag_offset = max_size;
        }
        Ok(page)
    }

    /// `page_pool_dev_alloc_va`: like [`Self::dev_alloc`], returning the
    /// buffer's address with its reference.
    pub fn dev_alloc_va(&mut self, size: &mut u32) -> Result<PpVa, PoolAllocError> {
        let mut offset = 0;
        let page = self.dev_alloc(&mut offset, size)?;
        Ok(PpVa { page, offset })
    }

    /// `page_pool_put_page` from the owner outside a NAPI poll (process
    /// context): goes to the ring; claiming `allow_direct` here is reported.
    pub fn put_page(&mut self, page: PpPage, dma_sync_size: i64, allow_direct: bool) {
        self.shared
            .put_remote(page, dma_sync_size, allow_direct, PutContext::Process);
    }

    /// `page_pool_put_full_page` from process context.
    pub fn put_full_page(&mut self, page: PpPage, allow_direct: bool) {
        self.put_page(page, -1, allow_direct);
    }

    /// `page_pool_free_va` from process context.
    pub fn free_va(&mut self, va: PpVa, allow_direct: bool) {
        self.put_page(va.page, -1, allow_direct);
    }

    /// `page_pool_put_page_bulk`: every entry is taken (the slice is left
    /// all `None`); recyclable pages go to the ring under one pass.
    pub fn put_page_bulk(&mut self, data: &mut [Option<PpPage>]) {
        self.shared.put_bulk(data);
    }

    /// `page_pool_get_dma_addr`.
    #[inline]
    pub fn get_dma_addr(&self, page: &PpPage) -> Option<DmaAddr> {
        page.dma_addr()
    }

    /// `page_pool_get_dma_dir`.
    #[inline]
    pub fn get_dma_dir(&self) -> DmaDirection {
        self.shared.dma_dir
    }

    /// `page_pool_get_stats`.
    pub fn get_stats(&self) -> PagePoolStats {
        self.shared.stats()
    }

    /// Pages handed out and not yet returned to the page allocator
    /// (`hold_cnt - release_cnt`, 32-bit wrapping distance).
    pub fn inflight(&self) -> i32 {
        self.shared.inflight()
    }

    /// Pages in the alloc cache.
    pub fn cached_pages(&self) -> usize {
        self.cache.len()
    }

    /// Pages in the recycle ring.
    pub fn ring_pages(&self) -> usize {
        self.shared.producer.len()
    }

    /// Another pp reference on `page` (`page_pool_ref_page`, an skb clone).
    pub fn ref_page(&self, page: &PpPage) -> PpPage {
        self.shared.ref_page(page)
    }

    /// A plain page reference (`get_page`): while held, the page is not
    /// recyclable and the pool releases it on put (`released_refcnt`).
    pub fn get_page(&self, page: &PpPage) -> PageRef {
        self.mem
            .get_page_ref(&self.shared.mem, page.pfn, page.order)
    }

    /// `page_pool_release_page`; see [`PagePoolHandle::release_page`].
    pub fn release_page(&self, page: PpPage) -> Result<PageRef, PpPage> {
        self.shared.release_page(page)
    }

    /// Recorded misuse.
    pub fn violations(&self) -> Vec<PoolViolation> {
        self.shared.violations()
    }

    /// The netlink view of this pool.
    pub fn info(&self) -> PagePoolInfo {
        self.shared.info()
    }

    /// `page_pool_destroy`: disables direct recycling, drops the fragment
    /// page, empties cache and ring; frees the pool if nothing is in flight,
    /// otherwise detaches it (see [`crate::PoolRegistry::service`]).
    pub fn destroy(mut self) -> DestroyOutcome {
        self.destroy_inner()
    }

    // ---- internals -------------------------------------------------------

    #[inline]
    fn handout(&self, c: Cached) -> PpPage {
        PpPage {
            pfn: c.pfn,
            dma: c.dma,
            order: self.shared.order,
            pool: self.shared.id,
        }
    }

    /// A page from the alloc cache, with its DMA address from `struct page`.
    #[inline]
    fn cached(&self, pfn: u64) -> Cached {
        Cached {
            pfn,
            dma: self.mem.meta[pfn as usize].dma.load(Ordering::Relaxed),
        }
    }

    /// `page_pool_alloc_netmems`: cache, then ring refill, then slow path.
    #[inline]
    fn alloc_netmem(&mut self) -> Result<Cached, PoolAllocError> {
        if self.inject_armed {
            self.check_injection()?;
        }
        if let Some(pfn) = self.cache.pop() {
            inc1(&self.shared.stats.fast);
            return Ok(self.cached(pfn));
        }
        if let Some(c) = self.refill_alloc_cache() {
            return Ok(c);
        }
        self.alloc_slow()
    }

    #[cold]
    fn check_injection(&mut self) -> Result<(), PoolAllocError> {
        let fail = self.inject.should_fail();
        self.inject_armed = self.inject.armed();
        if fail {
            tracing::debug!(
                pool = self.shared.id,
                "injected page pool allocation failure"
            );
            return Err(PoolAllocError::Injected {
                pool: self.shared.id,
            });
        }
        Ok(())
    }

    #[inline]
    fn pref_nid(&self) -> u32 {
        self.nid.unwrap_or_else(|| self.shared.mem.local_node())
    }

    /// `page_pool_refill_alloc_cache`.
    #[cold]
    fn refill_alloc_cache(&mut self) -> Option<Cached> {
        let pref = self.pref_nid();
        let ppn = self.mem.cfg.pages_per_node as u64;
        let (lo, hi) = (u64::from(pref) * ppn, u64::from(pref + 1) * ppn);
        let consumer = self.consumer.as_mut()?;
        if consumer.is_empty() {
            inc1(&self.shared.stats.empty);
            return None;
        }
        while let Some(pfn) = consumer.pop() {
            let dma = self.mem.meta[pfn as usize].dma.load(Ordering::Relaxed);
            if (lo..hi).contains(&pfn) {
                self.cache.push(pfn);
            } else {
                // NUMA mismatch: release one page, fall through to the slow path.
                self.shared.return_page(pfn, dma);
                inc1(&self.shared.stats.waive);
                break;
            }
            if self.cache.len() >= PP_ALLOC_CACHE_REFILL {
                break;
            }
        }
        let pfn = self.cache.pop()?;
        inc1(&self.shared.stats.refill);
        Some(self.cached(pfn))
    }

    /// Maps a fresh page and makes it ours (`page_pool_dma_map` +
    /// `page_pool_set_pp_info`); false if the mapping failed.
    fn adopt(&mut self, pfn: u64) -> Option<Cached> {
        let sh = &*self.shared;
        let mut dma = 0;
        if sh.dma_map {
            let dev = sh.dev.as_ref()?;
            match dev.map_raw(
                pfn,
                sh.order,
                0,
                PAGE_SIZE << sh.order,
                sh.dma_dir,
                DmaAttrs {
                    skip_cpu_sync: true,
                },
            ) {
                Ok(a) => dma = a.raw_value(),
                Err(e) => {
                    tracing::debug!(pool = sh.id, "slow path: DMA map failed: {e}");
                    sh.mem.inner.put_page_ref(pfn, sh.order);
                    return None;
                }
            }
            sh.sync_for_device(dma, i64::from(sh.max_len));
        }
        let meta = sh.meta(pfn);
        meta.dma.store(dma, Ordering::Relaxed);
        meta.pp_id.store(sh.id, Ordering::Relaxed);
        meta.pp_ref.store(1, Ordering::Release);
        sh.hold_cnt.fetch_add(1, Ordering::AcqRel);
        Some(Cached { pfn, dma })
    }

    /// `__page_pool_alloc_netmems_slow`.
    #[cold]
    fn alloc_slow(&mut self) -> Result<Cached, PoolAllocError> {
        let nid = self.pref_nid();
        let order = self.shared.order;
        let exhausted = PoolAllocError::Exhausted {
            pool: self.shared.id,
        };
        if order > 0 {
            let pfn = match self.mem.alloc_block(order, nid) {
                Ok(pfn) => pfn,
                Err(e) => {
                    tracing::debug!(pool = self.shared.id, "slow path: {e}");
                    return Err(exhausted);
                }
            };
            let c = self.adopt(pfn).ok_or(exhausted)?;
            inc1(&self.shared.stats.slow_high_order);
            return Ok(c);
        }
        let mut bulk = std::mem::take(&mut self.bulk);
        bulk.clear();
        let got = self.mem.alloc_bulk(nid, PP_ALLOC_CACHE_REFILL, &mut bulk);
        if got == 0 {
            tracing::debug!(
                pool = self.shared.id,
                nid,
                "slow path: page allocator empty"
            );
        }
        for &pfn in &bulk {
            if let Some(c) = self.adopt(pfn) {
                self.cache.push(c.pfn);
            }
        }
        self.bulk = bulk;
        let pfn = self.cache.pop().ok_or(exhausted)?;
        inc1(&self.shared.stats.slow);
        Ok(self.cached(pfn))
    }

    /// `page_pool_drain_frag`.
    fn drain_frag(&mut self, p: Cached) -> Option<Cached> {
        let drain = BIAS_MAX - self.frag_users;
        if self.shared.unref(p.pfn, drain) != 0 {
            return None;
        }
        if self.shared.meta(p.pfn).page_ref.load(Ordering::Acquire) == 1 {
            self.shared.sync_for_device(p.dma, -1);
            return Some(p);
        }
        self.shared.return_page(p.pfn, p.dma);
        None
    }

    /// `page_pool_put_unrefed_page` with the direct decision already made.
    #[inline]
    fn put_unrefed(&mut self, pfn: u64, dma: u64, dma_sync_size: i64, direct: bool) {
        if !self.shared.recycle_prepare(pfn, dma, dma_sync_size) {
            return;
        }
        if direct {
            if self.cache.len() < PP_ALLOC_CACHE_SIZE {
                self.cache.push(pfn);
                self.shared.stat_cached();
                return;
            }
            self.shared.stat_cache_full();
        }
        self.shared.recycle_in_ring(pfn, dma);
    }

    fn destroy_inner(&mut self) -> DestroyOutcome {
        if self.destroyed {
            return DestroyOutcome::Freed;
        }
        self.destroyed = true;
        let sh = self.shared.clone();
        sh.destroyed.store(true, Ordering::Release);
        // page_pool_free_frag
        if let Some(p) = self.frag_page.take() {
            if sh.unref(p.pfn, BIAS_MAX - self.frag_users) == 0 {
                sh.return_page(p.pfn, p.dma);
            }
        }
        // page_pool_empty_alloc_cache_once
        for pfn in std::mem::take(&mut self.cache) {
            let dma = sh.meta(pfn).dma.load(Ordering::Relaxed);
            sh.return_page(pfn, dma);
        }
        sh.dma_sync.store(false, Ordering::Release);
        let mut sd = lock(&sh.shutdown);
        sd.consumer = self.consumer.take();
        let inflight = sh.release(&mut sd);
        let registry = sh.mem.pool_registry();
        // page_pool_destroy(): `if (!page_pool_release(pool)) return;` -- a
        // negative in-flight count (a driver bug, reported) is not zero: the
        // pool is detached like one with pages out, and never freed.
        if inflight == 0 {
            sd.freed = true;
            drop(sd);
            registry.unlist(sh.id);
            tracing::debug!(id = sh.id, "page pool destroyed");
            return DestroyOutcome::Freed;
        }
        let cycle = sh.mem.cycle();
        let hz = sh.mem.config().clock_hz;
        sd.detach_cycle = Some(cycle);
        sd.next_retry = cycle + hz;
        sd.defer_warn = cycle + DEFER_WARN_INTERVAL_SECS * hz;
        drop(sd);
        registry.detach(&sh);
        tracing::info!(
            id = sh.id,
            inflight,
            "page pool detached with pages in flight"
        );
        DestroyOutcome::Detached {
            inflight: inflight.max(0) as u32,
        }
    }
}

impl Drop for PagePool {
    fn drop(&mut self) {
        if !self.destroyed {
            tracing::debug!(id = self.shared.id, "page pool dropped: destroying");
            self.destroy_inner();
        }
    }
}

/// "We are in the NAPI poll of this instance": the only context from which
/// pages may be recycled directly into the alloc cache. Derefs to the pool
/// for allocation.
pub struct NapiCtx<'a> {
    pool: &'a mut PagePool,
    napi: NapiId,
}

impl fmt::Debug for NapiCtx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NapiCtx")
            .field("napi", &self.napi)
            .field("pool", &self.pool.shared.id)
            .finish()
    }
}

impl Deref for NapiCtx<'_> {
    type Target = PagePool;
    fn deref(&self) -> &PagePool {
        self.pool
    }
}

impl DerefMut for NapiCtx<'_> {
    fn deref_mut(&mut self) -> &mut PagePool {
        self.pool
    }
}

impl NapiCtx<'_> {
    /// The NAPI instance this context runs.
    pub fn napi_id(&self) -> NapiId {
        self.napi
    }

    /// `page_pool_put_page` from this NAPI poll. Direct recycling happens
    /// when claimed (and legal here) or when this is the pool's own NAPI.
    #[inline]
    pub fn put_page(&mut self, page: PpPage, dma_sync_size: i64, allow_direct: bool) {
        let bound = self.pool.shared.napi;
        let own = bound == Some(self.napi);
        let claim_ok = bound.is_none() || own;
        if allow_direct && !claim_ok {
            self.pool.shared.put_remote(
                page,
                dma_sync_size,
                true,
                PutContext::OtherNapi(self.napi),
            );
            return;
        }
        let (pfn, dma) = page.into_raw();
        let sh = &*self.pool.shared;
        if !sh.owns(pfn) || sh.unref(pfn, 1) != 0 {
            return;
        }
        self.pool
            .put_unrefed(pfn, dma, dma_sync_size, allow_direct || own);
    }

    /// `page_pool_put_full_page` from this NAPI poll.
    #[inline]
    pub fn put_full_page(&mut self, page: PpPage, allow_direct: bool) {
        self.put_page(page, -1, allow_direct);
    }

    /// `page_pool_recycle_direct`: put with `dma_sync_size = -1`, direct.
    #[inline]
    pub fn recycle_direct(&mut self, page: PpPage) {
        self.put_page(page, -1, true);
    }

    /// `page_pool_free_va` from this NAPI poll.
    pub fn free_va(&mut self, va: PpVa, allow_direct: bool) {
        self.put_page(va.page, -1, allow_direct);
    }
}

/// A `Clone + Send + Sync` handle on a pool for every context other than its
/// NAPI poll: puts go to the recycle ring.
#[derive(Clone)]
pub struct PagePoolHandle {
    shared: Arc<PoolShared>,
}

impl fmt::Debug for PagePoolHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

impl PagePoolHandle {
    pub(crate) fn from_shared(shared: Arc<PoolShared>) -> Self {
        Self { shared }
    }
    /// The pool's id.
    pub fn id(&self) -> u32 {
        self.shared.id
    }
    /// `page_pool_put_page` from another context: to the ring. Claiming
    /// `allow_direct` here is reported and ignored.
    #[inline]
    pub fn put_page(&self, page: PpPage, dma_sync_size: i64, allow_direct: bool) {
        let ctx = if allow_direct && self.shared.destroyed.load(Ordering::Acquire) {
            PutContext::Destroyed
        } else {
            PutContext::Remote
        };
        self.shared
            .put_remote(page, dma_sync_size, allow_direct, ctx);
    }
    /// `page_pool_put_full_page` from another context.
    #[inline]
    pub fn put_full_page(&self, page: PpPage, allow_direct: bool) {
        self.put_page(page, -1, allow_direct);
    }
    /// `page_pool_free_va` from another context.
    pub fn free_va(&self, va: PpVa, allow_direct: bool) {
        self.put_page(va.page, -1, allow_direct);
    }
    /// `page_pool_put_page_bulk`.
    pub fn put_page_bulk(&self, data: &mut [Option<PpPage>]) {
        self.shared.put_bulk(data);
    }
    /// Another pp reference on `page` (`page_pool_ref_page`).
    pub fn ref_page(&self, page: &PpPage) -> PpPage {
        self.shared.ref_page(page)
    }
    /// A plain page reference (`get_page`).
    pub fn get_page(&self, page: &PpPage) -> PageRef {
        self.shared
            .mem
            .inner
            .get_page_ref(&self.shared.mem, page.pfn, page.order)
    }
    /// `page_pool_release_page` (the kernel's before 6.4; the skb
    /// coalesce / frags path of the seed notes, "release page_pool state"):
    /// disconnects `page` from the pool so it lives on as a plain page.
    /// The DMA mapping is removed (`dma_unmap_page_attrs`, skipping the CPU
    /// sync), the page leaves the in-flight count (`release_cnt += 1`, no
    /// stat moves), it is no longer a pp page
    /// ([`crate::HostMemory::page_pool_of`] says `None`), and the page
    /// reference the pool held comes back as a [`PageRef`]: dropping it
    /// (the kernel's `put_page`) frees the page.
    ///
    /// `page` must be the only pp reference: a page with other pp references
    /// (fragments, [`Self::ref_page`]) is given back unchanged in `Err`, as
    /// is a page of another pool (also recorded as a violation).
    pub fn release_page(&self, page: PpPage) -> Result<PageRef, PpPage> {
        self.shared.release_page(page)
    }
    /// `page_pool_get_dma_addr`.
    pub fn get_dma_addr(&self, page: &PpPage) -> Option<DmaAddr> {
        page.dma_addr()
    }
    /// `page_pool_get_dma_dir`.
    pub fn get_dma_dir(&self) -> DmaDirection {
        self.shared.dma_dir
    }
    /// `page_pool_get_stats`.
    pub fn get_stats(&self) -> PagePoolStats {
        self.shared.stats()
    }
    /// `hold_cnt - release_cnt`.
    pub fn inflight(&self) -> i32 {
        self.shared.inflight()
    }
    /// Recorded misuse.
    pub fn violations(&self) -> Vec<PoolViolation> {
        self.shared.violations()
    }
    /// The netlink view of this pool.
    pub fn info(&self) -> PagePoolInfo {
        self.shared.info()
    }
    /// Whether the pool was destroyed and every page came back.
    pub fn is_freed(&self) -> bool {
        lock(&self.shared.shutdown).freed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::ServiceEvent;
    use crate::{DmaDirection, MemConfig};

    /// page_pool_destroy(): `if (!page_pool_release(pool)) return;` -- a
    /// negative in-flight count is reported, and the pool is detached (and
    /// stays listed), never freed; page_pool_release_retry() does not
    /// reschedule itself on a negative count.
    #[test]
    fn negative_inflight_detaches_for_good() {
        let mem = HostMemory::new(MemConfig {
            clock_hz: 1000,
            ..MemConfig::default()
        });
        let dev = mem.dma_device("nic");
        let mut pool = PagePool::create(PagePoolParams {
            flags: PP_FLAG_DMA_MAP,
            dev: Some(dev.clone()),
            dma_dir: DmaDirection::FromDevice,
            ..PagePoolParams::new(&mem)
        })
        .unwrap();
        let page = pool.dev_alloc_pages().unwrap();
        pool.put_full_page(page, false);
        // a driver bug releasing one page too many
        pool.shared.release_cnt.fetch_add(1, Ordering::AcqRel);
        let handle = pool.handle();
        assert_eq!(pool.destroy(), DestroyOutcome::Detached { inflight: 0 });
        assert!(handle
            .violations()
            .iter()
            .any(|v| matches!(v.kind, PoolViolationKind::NegativeInflight { inflight: -1 })));
        let registry = mem.pool_registry();
        let events: Vec<ServiceEvent> = (1..200).flat_map(|s| registry.service(s * 1000)).collect();
        assert!(events.is_empty(), "{events:?}");
        assert!(!handle.is_freed());
        assert_eq!(registry.ids(), [handle.id()]);
        let info = &registry.dump()[0];
        assert_eq!((info.inflight, info.detach_time), (0, Some(0)));
    }
}
