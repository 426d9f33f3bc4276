//! The fill functions of net/core/page_pool_user.c: a pool's fields to a
//! `page-pool-get` or `page-pool-stats-get` reply, and the error a request
//! for a pool the user cannot see gets.

use super::attrs::{PagePoolInfo, PagePoolStatsAttrs, PagePoolStatsInfo, PagePoolStatsReply};
use super::listed::PoolNlAttrs;
use crate::layout::PAGE_SIZE;
use crate::netdev::{IfIndex, LOOPBACK_IFINDEX, MIN_NAPI_ID};

/// Why a `page-pool-get` / `page-pool-stats-get` of one pool failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetlinkError {
    /// `-ENOENT` from `netdev_nl_page_pool_get_do`: no pool with this id,
    /// or one the user cannot see (created without a netdev, or wiped
    /// with its namespace's loopback).
    #[error("page pool {id}: no such entry (ENOENT)")]
    NoEntry {
        /// The id asked for.
        id: u32,
    },
}

/// `ifindex` as `page_pool_nl_fill` and `page_pool_nl_stats_fill` put it:
/// not for loopback (`ifindex != LOOPBACK_IFINDEX`).
#[inline]
fn nl_ifindex(netdev: Option<IfIndex>) -> Option<u32> {
    netdev.filter(|i| *i != LOOPBACK_IFINDEX).map(|i| i.0)
}

/// `page_pool_nl_fill`: `id`; `ifindex` unless loopback; `napi-id` only
/// for a real NAPI id; `inflight` and `inflight-mem`; `detach-time` only
/// when non-zero.
///
/// 6.12 puts `napi-id` when the stashed `pool->user.napi_id` is non-zero;
/// its `napi_hash_add` hands out ids from `MIN_NAPI_ID` up (0 for a NAPI
/// without busy polling), so no other id reaches the fill. The rule here
/// is the one later kernels write out (`napi_id >= MIN_NAPI_ID`, from
/// "net: page_pool: don't try to stash the napi id", 6.14): the same on
/// every id 6.12 can produce, and it leaves out an id below MIN_NAPI_ID
/// (a CPU number in busy-poll terms) that a simulated driver might pick.
pub(crate) fn page_pool_nl_fill(a: &PoolNlAttrs) -> PagePoolInfo {
    PagePoolInfo {
        id: a.id,
        ifindex: nl_ifindex(a.netdev),
        napi_id: a.napi.map(|n| n.0).filter(|&n| n >= MIN_NAPI_ID),
        inflight: a.inflight,
        inflight_mem: u64::from(a.inflight) * ((PAGE_SIZE as u64) << a.order),
        detach_time: (a.detach_time != 0).then_some(a.detach_time),
    }
}

/// `page_pool_nl_stats_fill`: the `info` nest (`id`, `ifindex` unless
/// loopback), then every counter of `page_pool_get_stats`.
pub(crate) fn page_pool_nl_stats_fill(
    a: &PoolNlAttrs,
    stats: PagePoolStatsAttrs,
) -> PagePoolStatsReply {
    PagePoolStatsReply {
        info: PagePoolStatsInfo {
            id: a.id,
            ifindex: nl_ifindex(a.netdev),
        },
        stats,
    }
}
