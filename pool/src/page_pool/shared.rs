//! [`PoolShared`]: the state a pool's owner, its handles and the registry
//! share, with the bookkeeping every path uses (reference counts, owner
//! checks, violations, the netlink view).

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use super::dma_index::DmaIndex;
use super::error::{PoolViolation, PoolViolationKind};
use super::stats::{Counters, PagePoolAllocStats, PagePoolRecycleStats, PagePoolStats};
use crate::dma::{DmaDev, DmaDirection};
use crate::invariant::PoolInvariantViolation;
use crate::lock::lock;
use crate::mem::{pfn_to_host, FrameMeta, HostMemory};
use crate::netdev::{IfIndex, NapiId, LOOPBACK_IFINDEX};
use crate::registry::{
    page_pool_nl_fill, ListedPool, PagePoolInfo, PagePoolStatsAttrs, PoolNlAttrs, ServiceEvent,
    SystemRecycle,
};
use crate::ring::{Consumer, Producer};

/// `pool->slow.netdev` is the netdev given at creation.
pub(super) const NETDEV_LINKED: u8 = 0;
/// The netdev was unregistered: the pool now hangs off loopback (orphaned,
/// still visible to netlink, without an `ifindex`).
pub(super) const NETDEV_ORPHANED: u8 = 1;
/// Loopback (its namespace) went away too: `NET_PTR_POISON`, invisible.
pub(super) const NETDEV_WIPED: u8 = 2;

/// Deferred release state, from destroy on.
#[derive(Debug, Default)]
pub(crate) struct Shutdown {
    /// The ring's consumer, handed over by the owner at destroy.
    pub(super) consumer: Option<Consumer>,
    pub(super) detach_cycle: Option<u64>,
    pub(super) next_retry: u64,
    pub(super) defer_warn: u64,
    pub(super) freed: bool,
    /// In-flight went negative at a retry: never retried again.
    pub(super) abandoned: bool,
}

/// State shared by the owner, its handles and the registry.
pub(crate) struct PoolShared {
    pub(super) id: u32,
    pub(super) mem: HostMemory,
    pub(super) dev: Option<DmaDev>,
    pub(super) order: u32,
    pub(super) napi: Option<NapiId>,
    pub(super) dma_dir: DmaDirection,
    pub(super) max_len: u32,
    pub(super) offset: u32,
    pub(super) netdev: Option<IfIndex>,
    /// [`NETDEV_LINKED`], [`NETDEV_ORPHANED`] or [`NETDEV_WIPED`].
    pub(super) netdev_state: AtomicU8,
    pub(super) dma_map: bool,
    pub(super) dma_sync: AtomicBool,
    pub(super) destroyed: AtomicBool,
    pub(super) producer: Producer,
    pub(super) hold_cnt: AtomicU32,
    pub(super) release_cnt: AtomicU32,
    pub(super) stats: Counters,
    /// `Some` for a [`PP_FLAG_SYSTEM_POOL`] pool: its recycle counters.
    pub(super) system: Option<Arc<SystemRecycle>>,
    pub(super) violations: Mutex<Vec<PoolViolation>>,
    pub(super) shutdown: Mutex<Shutdown>,
    /// `pool->dma_mapped`: the pages this pool mapped and has not unmapped.
    pub(super) dma_mapped: Mutex<DmaIndex>,
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
    pub(super) fn meta(&self, pfn: u64) -> &FrameMeta {
        &self.mem.inner.meta[pfn as usize]
    }

    pub(super) fn inflight(&self) -> i32 {
        let hold = self.hold_cnt.load(Ordering::Acquire);
        let release = self.release_cnt.load(Ordering::Acquire);
        hold.wrapping_sub(release) as i32
    }

    pub(super) fn stats(&self) -> PagePoolStats {
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

    /// The pool's fields the netlink replies are filled from.
    pub(super) fn nl_attrs(&self) -> PoolNlAttrs {
        let detach = lock(&self.shutdown).detach_cycle;
        PoolNlAttrs {
            id: self.id,
            netdev: self.netdev_ifindex(),
            // `pool->user.napi_id`, stashed at page_pool_list() and kept
            // after destroy (6.12; 6.14 reads `pool->p.napi` instead).
            napi: self.napi,
            inflight: self.inflight().max(0) as u32,
            order: self.order,
            detach_time: detach.map_or(0, |c| self.mem.cycles_to_secs(c)),
        }
    }

    /// The pool as `page-pool-get` shows it (`page_pool_nl_fill`).
    pub(super) fn info(&self) -> PagePoolInfo {
        page_pool_nl_fill(&self.nl_attrs())
    }

    /// `pool->slow.netdev->ifindex`: the netdev given at creation, or
    /// [`LOOPBACK_IFINDEX`] once it went away (orphaned); `None` without a
    /// netdev or once wiped (`NET_PTR_POISON`).
    pub(super) fn netdev_ifindex(&self) -> Option<IfIndex> {
        let netdev = self.netdev?;
        match self.netdev_state.load(Ordering::Relaxed) {
            NETDEV_LINKED => Some(netdev),
            NETDEV_ORPHANED => Some(LOOPBACK_IFINDEX),
            _ => None,
        }
    }

    #[cold]
    pub(super) fn violation(&self, kind: PoolViolationKind) {
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
    pub(super) fn unref(&self, pfn: u64, nr: i64) -> i64 {
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
    pub(super) fn owns(&self, pfn: u64) -> bool {
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

    pub(super) fn violations(&self) -> Vec<PoolViolation> {
        lock(&self.violations).clone()
    }
}

impl ListedPool for PoolShared {
    fn id(&self) -> u32 {
        self.id
    }

    fn nl_attrs(&self) -> PoolNlAttrs {
        PoolShared::nl_attrs(self)
    }

    fn stats_attrs(&self) -> PagePoolStatsAttrs {
        PagePoolStatsAttrs::from(self.stats())
    }

    fn release_retry(&self, cycle: u64) -> Option<ServiceEvent> {
        PoolShared::release_retry(self, cycle)
    }

    /// A real netdev's pools are moved to loopback (orphaned); unregistering
    /// loopback wipes the pools hanging off it.
    fn netdev_unregistered(&self, ifindex: IfIndex) {
        let st = &self.netdev_state;
        let on_lo = match st.load(Ordering::Relaxed) {
            NETDEV_LINKED => self.netdev == Some(LOOPBACK_IFINDEX),
            NETDEV_ORPHANED => true,
            _ => false,
        };
        if ifindex == LOOPBACK_IFINDEX {
            if on_lo {
                st.store(NETDEV_WIPED, Ordering::Relaxed);
            }
        } else if self.netdev == Some(ifindex) && st.load(Ordering::Relaxed) == NETDEV_LINKED {
            st.store(NETDEV_ORPHANED, Ordering::Relaxed);
        }
    }

    fn check_invariants(&self) -> Vec<PoolInvariantViolation> {
        PoolShared::check_invariants(self)
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}
