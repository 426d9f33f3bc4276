//! What the registry asks of a listed pool ([`ListedPool`]), and the
//! pool's own fields that its netlink replies are filled from
//! ([`PoolNlAttrs`]).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use super::attrs::PagePoolStatsAttrs;
use super::release::ServiceEvent;
use crate::invariant::PoolInvariantViolation;
use crate::netdev::{IfIndex, NapiId};

/// The fields of a `struct page_pool` that `page_pool_nl_fill` reads, as
/// they are (the fill decides what to leave out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PoolNlAttrs {
    /// `pool->user.id`.
    pub(crate) id: u32,
    /// `pool->slow.netdev->ifindex`: the netdev given at creation,
    /// [`LOOPBACK_IFINDEX`](crate::LOOPBACK_IFINDEX) once that netdev went
    /// away, `None` without a netdev or once wiped (`NET_PTR_POISON`).
    pub(crate) netdev: Option<IfIndex>,
    /// `pool->user.napi_id`: the NAPI id given at creation, stashed by
    /// `page_pool_list` and kept after destroy (6.12).
    pub(crate) napi: Option<NapiId>,
    /// `page_pool_inflight(pool, false)`: never negative.
    pub(crate) inflight: u32,
    /// `pool->p.order`.
    pub(crate) order: u32,
    /// `pool->user.detach_time`: the boot-time second of
    /// `page_pool_detached`, 0 before.
    pub(crate) detach_time: u64,
}

/// What the registry asks of a listed pool.
pub(crate) trait ListedPool: fmt::Debug + Send + Sync {
    /// The pool's id.
    fn id(&self) -> u32;
    /// The fields the netlink replies are filled from.
    fn nl_attrs(&self) -> PoolNlAttrs;
    /// `page_pool_get_stats`, with the netlink names.
    fn stats_attrs(&self) -> PagePoolStatsAttrs;
    /// One retry of a detached pool's release (`page_pool_release_retry`)
    /// at `cycle`: what happened, if it is worth reporting.
    fn release_retry(&self, cycle: u64) -> Option<ServiceEvent>;
    /// `NETDEV_UNREGISTER` of `ifindex`, whose page_pools list holds this
    /// pool: `pool->slow.netdev` becomes loopback
    /// (`page_pool_unreg_netdev`), or `NET_PTR_POISON` when `ifindex` is
    /// loopback itself (`page_pool_unreg_netdev_wipe`).
    fn netdev_unregistered(&self, ifindex: IfIndex);
    /// The pool's laws it breaks now, as far as they are visible without
    /// its owner (counters, location tags, a destroyed pool's ring).
    fn check_invariants(&self) -> Vec<PoolInvariantViolation>;
    /// The pool as `Any`, for the layer that knows its type.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}
