//! The replies of the netdev netlink family's page-pool requests, with the
//! kernel's attribute names (Documentation/netlink/specs/netdev.yaml): a
//! `page-pool-get` reply ([`PagePoolInfo`]) and a `page-pool-stats-get`
//! reply ([`PagePoolStatsReply`], whose `info` nest names the pool).

use std::fmt::Write as _;

use serde::Serialize;

/// The eleven `page-pool-stats` counters, with the kernel's names in JSON.
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

    /// The counters as text, six to a line, each line indented by four.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for (i, (name, v)) in self.attrs().iter().enumerate() {
            if i % 6 == 0 {
                if i > 0 {
                    s.push('\n');
                }
                s.push_str("   ");
            }
            let _ = write!(s, " {name} {v}");
        }
        s.push('\n');
        s
    }
}

/// A `page-pool-get` reply (`page_pool_nl_fill`): an attribute with
/// nothing to say is absent, as in netlink.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PagePoolInfo {
    /// `id`.
    pub id: u32,
    /// `ifindex`: absent for a pool hanging off loopback (created there,
    /// or moved there when its netdev went away).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ifindex: Option<u32>,
    /// `napi-id`: absent unless the pool's NAPI id is a real one (at
    /// least [`MIN_NAPI_ID`](crate::MIN_NAPI_ID)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub napi_id: Option<u32>,
    /// `inflight`: pages handed out and not yet released.
    pub inflight: u32,
    /// `inflight-mem`: `inflight * (PAGE_SIZE << order)`.
    pub inflight_mem: u64,
    /// `detach-time`: the boot-time second the pool was destroyed with
    /// pages still in flight; absent before (and, as in 6.12, when that
    /// second was 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detach_time: Option<u64>,
}

impl PagePoolInfo {
    /// The reply as one line: `page-pool id 1 ifindex 2 ... inflight-mem M`.
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
        s.push('\n');
        s
    }
}

/// The `info` nest of a `page-pool-stats-get` reply: which pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PagePoolStatsInfo {
    /// `id`.
    pub id: u32,
    /// `ifindex`, absent for a pool hanging off loopback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ifindex: Option<u32>,
}

/// A `page-pool-stats-get` reply (`page_pool_nl_stats_fill`): the `info`
/// nest, then the counters at the top level of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PagePoolStatsReply {
    /// `info { id, ifindex }`.
    pub info: PagePoolStatsInfo,
    /// `alloc-fast` ... `recycle-released-refcnt`.
    #[serde(flatten)]
    pub stats: PagePoolStatsAttrs,
}

impl PagePoolStatsReply {
    /// The reply as text: `page-pool-stats info id 1 ifindex 2`, then the
    /// counters.
    pub fn to_text(&self) -> String {
        let mut s = format!("page-pool-stats info id {}", self.info.id);
        if let Some(i) = self.info.ifindex {
            let _ = write!(s, " ifindex {i}");
        }
        s.push('\n');
        s.push_str(&self.stats.to_text());
        s
    }
}
