//! Every page pool of a [`HostMemory`], as the netdev netlink family
//! shows them (`page-pool-get`, `page-pool-stats-get`), and the deferred
//! release of destroyed pools that still have pages in flight.
//!
//! The registry knows a pool only through `ListedPool`, what it asks of
//! one; the page pool implements it (and adds [`PoolRegistry::handle`],
//! which hands out its own handle type). A memory's registry lives in the
//! memory's untyped layer state, found with [`PoolRegistry::of`].

use std::any::Any;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use serde::Serialize;

use crate::invariant::PoolInvariantViolation;
use crate::lock::lock;
use crate::mem::HostMemory;
use crate::netdev::IfIndex;

/// `page-pool-stats-get` attributes, with the kernel's names in JSON.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PagePoolStatsAttrs {
    /// `alloc-fast`.
    pub alloc_fast: u64,
    /// `alloc-slow`.
    pub alloc_slow: u64,
    /// `alloc-slow-high-order`.
    pub alloc_slow_high_order: u64,
    /// `alloc-empty`.
    pub alloc_empty: u64,
    /// `alloc-refill`.
    pub alloc_refill: u64,
    /// `alloc-waive`.
    pub alloc_waive: u64,
    /// `recycle-cached`.
    pub recycle_cached: u64,
    /// `recycle-cache-full`.
    pub recycle_cache_full: u64,
    /// `recycle-ring`.
    pub recycle_ring: u64,
    /// `recycle-ring-full`.
    pub recycle_ring_full: u64,
    /// `recycle-released-refcnt`.
    pub recycle_released_refcnt: u64,
}

impl PagePoolStatsAttrs {
    /// `(netlink name, value)` pairs in the kernel's order.
    pub fn attrs(&self) -> [(&'static str, u64); 11] {
        [
            ("alloc-fast", self.alloc_fast),
            ("alloc-slow", self.alloc_slow),
            ("alloc-slow-high-order", self.alloc_slow_high_order),
            ("alloc-empty", self.alloc_empty),
            ("alloc-refill", self.alloc_refill),
            ("alloc-waive", self.alloc_waive),
            ("recycle-cached", self.recycle_cached),
            ("recycle-cache-full", self.recycle_cache_full),
            ("recycle-ring", self.recycle_ring),
            ("recycle-ring-full", self.recycle_ring_full),
            ("recycle-released-refcnt", self.recycle_released_refcnt),
        ]
    }
}

/// `page-pool-get` attributes (absent ones are omitted, as in netlink) plus
/// the pool's stats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PagePoolInfo {
    /// `id`.
    pub id: u32,
    /// `ifindex`, if bound to a netdev.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ifindex: Option<u32>,
    /// `napi-id`, if bound to a NAPI instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub napi_id: Option<u32>,
    /// `inflight`: pages handed out and not yet released.
    pub inflight: u32,
    /// `inflight-mem`: `inflight * (PAGE_SIZE << order)`.
    pub inflight_mem: u64,
    /// `detach-time`: simulated second the pool was destroyed with pages
    /// still in flight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detach_time: Option<u64>,
    /// `page-pool-stats-get`.
    pub stats: PagePoolStatsAttrs,
}

impl PagePoolInfo {
    /// One pool as text: `page-pool id 1 ifindex 2 ...` then its stats.
    pub fn to_text(&self) -> String {
        let mut s = format!("page-pool id {}", self.id);
        if let Some(i) = self.ifindex {
            let _ = write!(s, " ifindex {i}");
        }
        if let Some(n) = self.napi_id {
            let _ = write!(s, " napi-id {n}");
        }
        let _ = write!(
            s,
            " inflight {} inflight-mem {}",
            self.inflight, self.inflight_mem
        );
        if let Some(t) = self.detach_time {
            let _ = write!(s, " detach-time {t}");
        }
        for (i, (name, v)) in self.stats.attrs().iter().enumerate() {
            if i % 6 == 0 {
                s.push_str("\n   ");
            }
            let _ = write!(s, " {name} {v}");
        }
        s.push('\n');
        s
    }
}

/// Something [`PoolRegistry::service`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ServiceEvent {
    /// A detached pool's last page came back; its memory is freed.
    Freed {
        /// Pool id.
        id: u32,
    },
    /// The kernel's "stalled pool shutdown: id N, K inflight, S sec" warning
    /// (also logged via `tracing::warn!`).
    Stalled {
        /// Pool id.
        id: u32,
        /// Pages in flight.
        inflight: u32,
        /// Seconds since detach.
        secs: u64,
    },
}

impl fmt::Display for ServiceEvent {
    /// The kernel's log lines: `page_pool_release_retry()`'s `pr_warn`
    /// line, in the form the project spec pins (page-pool-semantics.md):
    /// "stalled pool shutdown: id N, K inflight, S sec". (The kernel's `pr_warn`
    /// format has no comma after "inflight"; the spec's text wins here.)
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceEvent::Freed { id } => write!(f, "page pool {id} released after detach"),
            ServiceEvent::Stalled { id, inflight, secs } => write!(
                f,
                "page_pool_release_retry() stalled pool shutdown: id {id}, {inflight} inflight, {secs} sec"
            ),
        }
    }
}

/// The recycle counters of every [`PP_FLAG_SYSTEM_POOL`](crate::PP_FLAG_SYSTEM_POOL) pool of a
/// [`HostMemory`]: the kernel gives system pools one shared
/// `pp_system_recycle_stats` instead of a per-pool percpu object, so each
/// system pool's `recycle_stats` are those of all of them.
#[derive(Debug, Default)]
pub(crate) struct SystemRecycle {
    pub(crate) cached: AtomicU64,
    pub(crate) cache_full: AtomicU64,
    pub(crate) ring: AtomicU64,
    pub(crate) ring_full: AtomicU64,
    pub(crate) released_refcnt: AtomicU64,
}

/// What the registry asks of a listed pool.
pub(crate) trait ListedPool: fmt::Debug + Send + Sync {
    /// The pool's id.
    fn id(&self) -> u32;
    /// The netlink view of the pool.
    fn info(&self) -> PagePoolInfo;
    /// One retry of a detached pool's release (`page_pool_release_retry`)
    /// at `cycle`: what happened, if it is worth reporting.
    fn release_retry(&self, cycle: u64) -> Option<ServiceEvent>;
    /// `NETDEV_UNREGISTER` of `ifindex` (`page_pool_netdevice_event`).
    fn netdev_unregistered(&self, ifindex: IfIndex);
    /// The pool's laws it breaks now, as far as they are visible without
    /// its owner (counters, location tags, a destroyed pool's ring).
    fn check_invariants(&self) -> Vec<PoolInvariantViolation>;
    /// The pool as `Any`, for the layer that knows its type.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

#[derive(Debug)]
struct Entry {
    id: u32,
    weak: Weak<dyn ListedPool>,
    /// Kept alive by the registry once detached (the owner is gone).
    detached: Option<Arc<dyn ListedPool>>,
}

#[derive(Debug, Default)]
struct RegInner {
    next_id: AtomicU32,
    pools: Mutex<Vec<Entry>>,
    /// `pp_system_recycle_stats`, shared by every system pool.
    system_recycle: Arc<SystemRecycle>,
}

/// The list of page pools (`page_pools` xarray), per [`HostMemory`].
/// A cheap handle.
#[derive(Clone, Debug, Default)]
pub struct PoolRegistry {
    inner: Arc<RegInner>,
}

impl PoolRegistry {
    /// The registry of every page pool created on `mem`.
    pub fn of(mem: &HostMemory) -> Self {
        mem.layer_state::<PoolRegistry>()
    }

    pub(crate) fn system_recycle(&self) -> Arc<SystemRecycle> {
        self.inner.system_recycle.clone()
    }

    pub(crate) fn next_id(&self) -> u32 {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn list(&self, pool: &Arc<dyn ListedPool>) {
        lock(&self.inner.pools).push(Entry {
            id: pool.id(),
            weak: Arc::downgrade(pool),
            detached: None,
        });
    }

    pub(crate) fn unlist(&self, id: u32) {
        lock(&self.inner.pools).retain(|e| e.id != id);
    }

    pub(crate) fn detach(&self, pool: &Arc<dyn ListedPool>) {
        let mut pools = lock(&self.inner.pools);
        if let Some(e) = pools.iter_mut().find(|e| e.id == pool.id()) {
            e.detached = Some(pool.clone());
        }
    }

    /// The listed pool `id` (alive or detached).
    pub(crate) fn find(&self, id: u32) -> Option<Arc<dyn ListedPool>> {
        lock(&self.inner.pools)
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| e.weak.upgrade())
    }

    fn live(&self) -> Vec<Arc<dyn ListedPool>> {
        lock(&self.inner.pools)
            .iter()
            .filter_map(|e| e.weak.upgrade())
            .collect()
    }

    /// Every page pool law broken now, over every listed pool (alive or
    /// detached) of the memory, by pool id: the run's pool invariant check.
    pub fn check_invariants(&self) -> Vec<PoolInvariantViolation> {
        let mut pools = self.live();
        pools.sort_by_key(|p| p.id());
        pools.iter().flat_map(|p| p.check_invariants()).collect()
    }

    /// Ids of every listed pool (alive or detached), ascending.
    pub fn ids(&self) -> Vec<u32> {
        let mut v: Vec<u32> = lock(&self.inner.pools).iter().map(|e| e.id).collect();
        v.sort_unstable();
        v
    }

    /// Number of listed pools.
    pub fn len(&self) -> usize {
        lock(&self.inner.pools).len()
    }

    /// Whether no pool is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every pool, by id.
    pub fn dump(&self) -> Vec<PagePoolInfo> {
        let mut v: Vec<PagePoolInfo> = self.live().iter().map(|p| p.info()).collect();
        v.sort_by_key(|i| i.id);
        v
    }

    /// [`Self::dump`] as pretty JSON with the netlink attribute names.
    pub fn dump_json(&self) -> String {
        serde_json::to_string_pretty(&self.dump())
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// [`Self::dump`] as text, one block per pool.
    pub fn dump_text(&self) -> String {
        self.dump().iter().map(PagePoolInfo::to_text).collect()
    }

    /// `NETDEV_UNREGISTER` of `ifindex` (`page_pool_netdevice_event`).
    /// A real netdev's pools are moved to loopback: still listed, but
    /// without an `ifindex`, and (still visible) never warned about.
    /// Unregistering loopback ([`LOOPBACK_IFINDEX`](crate::LOOPBACK_IFINDEX),
    /// the namespace going away) wipes the pools hanging off it
    /// (`NET_PTR_POISON`): the user can no longer see them, so their stalled
    /// shutdowns are warned about.
    pub fn unregister_netdev(&self, ifindex: IfIndex) {
        for p in self.live() {
            p.netdev_unregistered(ifindex);
        }
    }

    /// Drives deferred pool release as simulated time passes: every
    /// simulated second after detach, each detached pool empties its ring
    /// and is freed once nothing is in flight; a stalled one warns every
    /// 60 s. Call it with the current cycle (e.g. once per simulated
    /// millisecond).
    pub fn service(&self, cycle: u64) -> Vec<ServiceEvent> {
        let detached: Vec<Arc<dyn ListedPool>> = lock(&self.inner.pools)
            .iter()
            .filter_map(|e| e.detached.clone())
            .collect();
        let mut events = Vec::new();
        for p in detached {
            if let Some(ev) = p.release_retry(cycle) {
                if let ServiceEvent::Freed { id } = ev {
                    self.unlist(id);
                }
                events.push(ev);
            }
        }
        events
    }
}
