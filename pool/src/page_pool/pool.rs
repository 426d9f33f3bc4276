//! [`PagePool`]: the pool's owner and sole consumer, its creation
//! (`page_pool_create` with the kernel's validation) and its queries.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use super::error::{PoolError, PoolViolation};
use super::page::{Cached, PpPage};
use super::params::*;
use super::shared::{PoolShared, Shutdown, NETDEV_LINKED};
use super::stats::{Counters, PagePoolStats};
use crate::addr::DmaAddr;
use crate::dma::DmaDirection;
use crate::inject::{FailureInjection, Injector};
use crate::mem::{MemInner, PageRef};
use crate::registry::{ListedPool, PagePoolInfo, PoolRegistry};
use crate::ring::{self, Consumer};

/// The pool's owner and sole consumer; see the module docs.
pub struct PagePool {
    pub(super) shared: Arc<PoolShared>,
    pub(super) mem: Arc<MemInner>,
    /// The alloc cache: page frame numbers only (the DMA address lives in
    /// the frame's metadata), so push and pop are single 8-byte accesses.
    pub(super) cache: Vec<u64>,
    pub(super) consumer: Option<Consumer>,
    pub(super) nid: Option<u32>,
    pub(super) frag_page: Option<Cached>,
    pub(super) frag_users: i64,
    pub(super) frag_offset: u32,
    pub(super) inject: Injector,
    pub(super) inject_armed: bool,
    pub(super) bulk: Vec<u64>,
    pub(super) destroyed: bool,
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
        check_params(&p)?;
        let dma_map = p.flags & PP_FLAG_DMA_MAP != 0;
        let dma_sync = p.flags & PP_FLAG_DMA_SYNC_DEV != 0;
        let ring_size = if p.pool_size == 0 {
            PP_RING_DEFAULT
        } else {
            p.pool_size.min(PP_RING_MAX)
        };
        let (producer, consumer) = ring::ring(ring_size);
        let registry = PoolRegistry::of(&p.mem);
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
            dma_mapped: Mutex::default(),
        });
        let listed: Arc<dyn ListedPool> = shared.clone();
        registry.list(&listed);
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

    /// Arms failure injection at the pool's allocation entry point
    /// (`page_pool_alloc_netmems`, `ALLOW_ERROR_INJECTION`): a failed
    /// attempt returns [`PoolAllocError::Injected`](super::PoolAllocError::Injected) and touches no counter.
    pub fn inject_alloc_failures(&mut self, mode: FailureInjection) {
        self.inject = Injector::new(mode);
        self.inject_armed = self.inject.armed();
    }

    /// `page_pool_update_nid`: new preferred node; flushes the alloc cache.
    pub fn update_nid(&mut self, nid: Option<u32>) {
        self.nid = nid;
        // `alloc.cache[--alloc.count]`: the last cached page first
        for pfn in std::mem::take(&mut self.cache).into_iter().rev() {
            let dma = self.shared.meta(pfn).dma.load(Ordering::Relaxed);
            self.shared.return_page(pfn, dma);
        }
        self.cache.reserve(PP_ALLOC_CACHE_SIZE);
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

    /// `page_pool_release_page`; see [`PagePoolHandle::release_page`](crate::PagePoolHandle::release_page).
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
}

/// `page_pool_init`'s checks of the parameters (the kernel's `-EINVAL`s),
/// and this model's own (a device, a node, a netdev where one is needed).
fn check_params(p: &PagePoolParams) -> Result<(), PoolError> {
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
    if p.flags & PP_FLAG_DMA_SYNC_DEV != 0 {
        if !dma_map {
            return Err(PoolError::SyncWithoutMap);
        }
        if p.max_len == 0 {
            return Err(PoolError::ZeroMaxLen);
        }
    }
    // No order check: 6.12's page_pool_init has none (one came with "net:
    // page_pool: sanitise allocation order", late 2025); an impossible order
    // fails in the page allocator at every allocation.
    if p.flags & PP_FLAG_ALLOW_UNREADABLE_NETMEM != 0 && p.netdev.is_none() {
        return Err(PoolError::UnreadableWithoutNetdev);
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
    Ok(())
}
