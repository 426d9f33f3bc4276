//! `page_pool_destroy` (with `page_pool_scrub`'s unmap of the pages still
//! in flight) and the deferred release of a pool destroyed with pages
//! still in flight (`page_pool_release_retry`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde::Serialize;

use super::error::PoolViolationKind;
use super::params::{BIAS_MAX, DEFER_WARN_INTERVAL_SECS};
use super::pool::PagePool;
use super::shared::{PoolShared, Shutdown, NETDEV_WIPED};
use crate::lock::lock;
use crate::registry::{ListedPool, PoolRegistry, ServiceEvent};

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

impl PagePool {
    /// `page_pool_destroy`: disables direct recycling, drops the fragment
    /// page, empties the cache, stops syncing and unmaps every page still
    /// mapped (`page_pool_scrub`, 6.12 LTS as backported from 6.15: no DMA
    /// mapping outlives the pool; a page put later is released without a
    /// second unmap), empties the ring; frees the pool if nothing is in
    /// flight, otherwise detaches it (see [`crate::PoolRegistry::service`]).
    pub fn destroy(mut self) -> DestroyOutcome {
        self.destroy_inner()
    }

    pub(super) fn destroy_inner(&mut self) -> DestroyOutcome {
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
        // page_pool_empty_alloc_cache_once: `alloc.cache[--alloc.count]`,
        // the last cached page first
        for pfn in std::mem::take(&mut self.cache).into_iter().rev() {
            let dma = sh.meta(pfn).dma.load(Ordering::Relaxed);
            sh.return_page(pfn, dma);
        }
        // page_pool_scrub (6.12 LTS, from 6.15): no more syncs, and every
        // page still mapped -- in flight or in the ring -- is unmapped now.
        sh.dma_sync.store(false, Ordering::Release);
        let unmapped = sh.scrub_dma();
        let mut sd = lock(&sh.shutdown);
        sd.consumer = self.consumer.take();
        let inflight = sh.release(&mut sd);
        let registry = PoolRegistry::of(&sh.mem);
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
        let listed: Arc<dyn ListedPool> = sh.clone();
        registry.detach(&listed);
        tracing::info!(
            id = sh.id,
            inflight,
            unmapped,
            "page pool detached with pages in flight (unmapped at destroy)"
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

impl PoolShared {
    /// `page_pool_release`: empties the ring and reports the in-flight
    /// count (after the owner handed over the consumer at destroy).
    pub(super) fn release(&self, sd: &mut Shutdown) -> i32 {
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

    /// One retry of a detached pool (`page_pool_release_retry`): the
    /// event worth reporting ([`ServiceEvent::Freed`], or a
    /// [`ServiceEvent::Stalled`] warning), `None` when nothing notable
    /// happened.
    pub(super) fn release_retry(&self, cycle: u64) -> Option<ServiceEvent> {
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
