//! Every page pool of a [`HostMemory`] and what net/core/page_pool_user.c
//! does with them: the `page_pools` id table, each netdev's list of pools
//! (what netlink walks: a pool created without a netdev is on none, so the
//! user cannot see it), the netdev netlink family's `page-pool-get` and
//! `page-pool-stats-get` requests, the `page-pool` notifications, the
//! `NETDEV_UNREGISTER` handling, and the deferred release of destroyed
//! pools that still have pages in flight.
//!
//! * `attrs`: the replies ([`PagePoolInfo`], [`PagePoolStatsReply`]).
//! * `netlink`: the fill functions and [`NetlinkError`].
//! * `notify`: the subscribers ([`PagePoolSubscription`]).
//! * `listed`: what the registry asks of a pool (`ListedPool`).
//! * `release`: [`ServiceEvent`], the release retry's reports.
//!
//! The registry knows a pool only through `ListedPool`; the page pool
//! implements it (and adds [`PoolRegistry::handle`], which hands out its
//! own handle type). A memory's registry lives in the memory's untyped
//! layer state, found with [`PoolRegistry::of`].

mod attrs;
mod listed;
mod netlink;
mod notify;
mod release;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

pub use attrs::{PagePoolInfo, PagePoolStatsAttrs, PagePoolStatsInfo, PagePoolStatsReply};
pub(crate) use listed::{ListedPool, PoolNlAttrs};
pub(crate) use netlink::page_pool_nl_fill;
pub use netlink::NetlinkError;
pub use notify::{PagePoolNotification, PagePoolNtfCmd, PagePoolSubscription};
pub use release::ServiceEvent;

use crate::invariant::PoolInvariantViolation;
use crate::lock::lock;
use crate::mem::HostMemory;
use crate::netdev::{IfIndex, LOOPBACK_IFINDEX};
use netlink::page_pool_nl_stats_fill;
use notify::Listeners;

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

#[derive(Debug)]
struct Entry {
    weak: Weak<dyn ListedPool>,
    /// Kept alive by the registry once detached (the owner is gone).
    detached: Option<Arc<dyn ListedPool>>,
}

/// What `page_pools_lock` protects.
#[derive(Debug, Default)]
struct RegState {
    /// `page_pools`: every pool by id, visible or not.
    pools: BTreeMap<u32, Entry>,
    /// `netdev->page_pools` of each netdev that has pools, newest first
    /// (`hlist_add_head`); a pool on none is invisible (`hlist_unhashed`).
    netdevs: BTreeMap<IfIndex, Vec<u32>>,
    /// The `page-pool` multicast group.
    listeners: Listeners,
}

impl RegState {
    /// The netdev whose list holds `id`, if any (`!hlist_unhashed`).
    fn list_of(&self, id: u32) -> Option<IfIndex> {
        self.netdevs
            .iter()
            .find(|(_, ids)| ids.contains(&id))
            .map(|(ifx, _)| *ifx)
    }

    /// The pool `id`, if it is on a netdev's list and still alive.
    fn visible(&self, id: u32) -> Option<Arc<dyn ListedPool>> {
        self.list_of(id)?;
        self.pools.get(&id)?.weak.upgrade()
    }

    /// `netdev_nl_page_pool_event`: invisible pools and a group without
    /// members are not told about.
    fn netdev_nl_page_pool_event(&mut self, pool: &dyn ListedPool, cmd: PagePoolNtfCmd) {
        if self.list_of(pool.id()).is_none() || !self.listeners.has_listeners() {
            return;
        }
        let info = page_pool_nl_fill(&pool.nl_attrs());
        self.listeners
            .multicast(&PagePoolNotification { cmd, info });
    }
}

#[derive(Debug, Default)]
struct RegInner {
    next_id: AtomicU32,
    state: Mutex<RegState>,
    /// `pp_system_recycle_stats`, shared by every system pool.
    system_recycle: Arc<SystemRecycle>,
}

/// The page pools of one [`HostMemory`] (one network namespace). A cheap
/// handle.
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

    /// `page_pool_list`: into the id table; a pool with a netdev goes to
    /// the head of that netdev's list and is announced
    /// (`page-pool-add-ntf`).
    pub(crate) fn list(&self, pool: &Arc<dyn ListedPool>) {
        let id = pool.id();
        let mut st = lock(&self.inner.state);
        st.pools.insert(
            id,
            Entry {
                weak: Arc::downgrade(pool),
                detached: None,
            },
        );
        if let Some(netdev) = pool.nl_attrs().netdev {
            st.netdevs.entry(netdev).or_default().insert(0, id);
            st.netdev_nl_page_pool_event(pool.as_ref(), PagePoolNtfCmd::Add);
        }
    }

    /// `page_pool_unlist`: announced (`page-pool-del-ntf`) while still
    /// listed, then out of the id table and off its netdev's list.
    pub(crate) fn unlist(&self, id: u32) {
        let mut st = lock(&self.inner.state);
        if let Some(pool) = st.pools.get(&id).and_then(|e| e.weak.upgrade()) {
            st.netdev_nl_page_pool_event(pool.as_ref(), PagePoolNtfCmd::Del);
        }
        st.pools.remove(&id);
        if let Some(netdev) = st.list_of(id) {
            if let Some(ids) = st.netdevs.get_mut(&netdev) {
                ids.retain(|&i| i != id);
            }
        }
    }

    /// `page_pool_detached`: the registry keeps the pool alive for its
    /// deferred release, and announces it (`page-pool-change-ntf`, now
    /// with its `detach-time`).
    pub(crate) fn detach(&self, pool: &Arc<dyn ListedPool>) {
        let mut st = lock(&self.inner.state);
        if let Some(e) = st.pools.get_mut(&pool.id()) {
            e.detached = Some(pool.clone());
        }
        st.netdev_nl_page_pool_event(pool.as_ref(), PagePoolNtfCmd::Change);
    }

    /// The listed pool `id` (alive or detached, visible or not).
    pub(crate) fn find(&self, id: u32) -> Option<Arc<dyn ListedPool>> {
        lock(&self.inner.state)
            .pools
            .get(&id)
            .and_then(|e| e.weak.upgrade())
    }

    /// Joins the `page-pool` multicast group: the subscription receives
    /// every `page-pool-add-ntf`, `-change-ntf` and `-del-ntf` from now
    /// on, in order.
    pub fn subscribe(&self) -> PagePoolSubscription {
        lock(&self.inner.state).listeners.join()
    }

    /// Every page pool law broken now, over every listed pool (alive or
    /// detached) of the memory, by pool id: the run's pool invariant check.
    pub fn check_invariants(&self) -> Vec<PoolInvariantViolation> {
        let pools: Vec<Arc<dyn ListedPool>> = lock(&self.inner.state)
            .pools
            .values()
            .filter_map(|e| e.weak.upgrade())
            .collect();
        pools.iter().flat_map(|p| p.check_invariants()).collect()
    }

    /// Ids of every pool in the id table (alive or detached, visible or
    /// not), ascending.
    pub fn ids(&self) -> Vec<u32> {
        lock(&self.inner.state).pools.keys().copied().collect()
    }

    /// Number of pools in the id table.
    pub fn len(&self) -> usize {
        lock(&self.inner.state).pools.len()
    }

    /// Whether the id table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The visible pools in dump order (`netdev_nl_page_pool_get_dump`):
    /// netdev by netdev in ifindex order (`for_each_netdev_dump`), each
    /// netdev's list from its head, so newest first.
    fn dump_order(&self) -> Vec<Arc<dyn ListedPool>> {
        let st = lock(&self.inner.state);
        st.netdevs
            .values()
            .flatten()
            .filter_map(|id| st.pools.get(id).and_then(|e| e.weak.upgrade()))
            .collect()
    }

    /// `page-pool-get` of one pool (`netdev_nl_page_pool_get_doit`):
    /// [`NetlinkError::NoEntry`] for an unknown id and for a pool the user
    /// cannot see (no netdev, or wiped).
    pub fn netdev_nl_page_pool_get_doit(&self, id: u32) -> Result<PagePoolInfo, NetlinkError> {
        let pool = lock(&self.inner.state).visible(id);
        pool.map(|p| page_pool_nl_fill(&p.nl_attrs()))
            .ok_or(NetlinkError::NoEntry { id })
    }

    /// `page-pool-get` dump (`netdev_nl_page_pool_get_dumpit`): every
    /// visible pool, in dump order.
    pub fn netdev_nl_page_pool_get_dumpit(&self) -> Vec<PagePoolInfo> {
        self.dump_order()
            .iter()
            .map(|p| page_pool_nl_fill(&p.nl_attrs()))
            .collect()
    }

    /// `page-pool-stats-get` of one pool
    /// (`netdev_nl_page_pool_stats_get_doit`): the same visibility as
    /// [`Self::netdev_nl_page_pool_get_doit`].
    pub fn netdev_nl_page_pool_stats_get_doit(
        &self,
        id: u32,
    ) -> Result<PagePoolStatsReply, NetlinkError> {
        let pool = lock(&self.inner.state).visible(id);
        pool.map(|p| page_pool_nl_stats_fill(&p.nl_attrs(), p.stats_attrs()))
            .ok_or(NetlinkError::NoEntry { id })
    }

    /// `page-pool-stats-get` dump (`netdev_nl_page_pool_stats_get_dumpit`):
    /// every visible pool, in dump order.
    pub fn netdev_nl_page_pool_stats_get_dumpit(&self) -> Vec<PagePoolStatsReply> {
        self.dump_order()
            .iter()
            .map(|p| page_pool_nl_stats_fill(&p.nl_attrs(), p.stats_attrs()))
            .collect()
    }

    /// [`Self::netdev_nl_page_pool_get_dumpit`] as pretty JSON with the
    /// netlink attribute names.
    pub fn dump_json(&self) -> String {
        to_json(&self.netdev_nl_page_pool_get_dumpit())
    }

    /// [`Self::netdev_nl_page_pool_stats_get_dumpit`] as pretty JSON.
    pub fn stats_dump_json(&self) -> String {
        to_json(&self.netdev_nl_page_pool_stats_get_dumpit())
    }

    /// [`Self::netdev_nl_page_pool_get_dumpit`] as text, one line per pool.
    pub fn dump_text(&self) -> String {
        self.netdev_nl_page_pool_get_dumpit()
            .iter()
            .map(PagePoolInfo::to_text)
            .collect()
    }

    /// [`Self::netdev_nl_page_pool_stats_get_dumpit`] as text.
    pub fn stats_dump_text(&self) -> String {
        self.netdev_nl_page_pool_stats_get_dumpit()
            .iter()
            .map(PagePoolStatsReply::to_text)
            .collect()
    }

    /// `page_pool_netdevice_event(NETDEV_UNREGISTER)` of `ifindex`.
    /// A real netdev's pools move to loopback (`page_pool_unreg_netdev`):
    /// each announced (`page-pool-change-ntf`), then the whole list goes to
    /// the head of loopback's, still visible but without an `ifindex`.
    /// Unregistering loopback ([`LOOPBACK_IFINDEX`], the namespace going
    /// away) wipes the pools hanging off it (`page_pool_unreg_netdev_wipe`,
    /// `NET_PTR_POISON`), unannounced: the user can no longer see them, so
    /// their stalled shutdowns are warned about.
    pub fn unregister_netdev(&self, ifindex: IfIndex) {
        let mut st = lock(&self.inner.state);
        let ids = st.netdevs.get(&ifindex).cloned().unwrap_or_default();
        if ids.is_empty() {
            return;
        }
        let pools: Vec<Arc<dyn ListedPool>> = ids
            .iter()
            .filter_map(|id| st.pools.get(id).and_then(|e| e.weak.upgrade()))
            .collect();
        for p in &pools {
            p.netdev_unregistered(ifindex);
            if ifindex != LOOPBACK_IFINDEX {
                st.netdev_nl_page_pool_event(p.as_ref(), PagePoolNtfCmd::Change);
            }
        }
        st.netdevs.remove(&ifindex);
        if ifindex != LOOPBACK_IFINDEX {
            let lo = st.netdevs.entry(LOOPBACK_IFINDEX).or_default();
            lo.splice(0..0, ids);
        }
    }

    /// Drives deferred pool release as simulated time passes: every
    /// simulated second after detach, each detached pool empties its ring
    /// and is freed (unlisted, `page-pool-del-ntf`) once nothing is in
    /// flight; a stalled one the user cannot see warns every 60 s. Call it
    /// with the current cycle (e.g. once per simulated millisecond).
    pub fn service(&self, cycle: u64) -> Vec<ServiceEvent> {
        let detached: Vec<Arc<dyn ListedPool>> = lock(&self.inner.state)
            .pools
            .values()
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

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
