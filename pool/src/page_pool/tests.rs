use super::*;
use std::sync::atomic::Ordering;

use crate::dma::{DmaDev, DmaDirection};
use crate::mem::{HostMemory, MemConfig};
use crate::registry::{PoolRegistry, ServiceEvent};

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
    let dev = DmaDev::new(&mem, "nic");
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
    let registry = PoolRegistry::of(&mem);
    let events: Vec<ServiceEvent> = (1..200).flat_map(|s| registry.service(s * 1000)).collect();
    assert!(events.is_empty(), "{events:?}");
    assert!(!handle.is_freed());
    assert_eq!(registry.ids(), [handle.id()]);
    // detached at second 0: page_pool_nl_fill() leaves detach-time out
    let info = handle.info();
    assert_eq!((info.inflight, info.detach_time), (0, None));
}

/// A NAPI poll claiming `allow_direct`: may fill the cache of a pool bound
/// to no NAPI (every pool here).
const CLAIMED: PutContext = PutContext::NapiPoll {
    napi: crate::NapiId(7),
    allow_direct: true,
};

fn mapped(mem: &HostMemory) -> (DmaDev, PagePool) {
    let dev = DmaDev::new(mem, "nic");
    let pool = PagePool::create(PagePoolParams {
        flags: PP_FLAG_DMA_MAP,
        dev: Some(dev.clone()),
        dma_dir: DmaDirection::FromDevice,
        ..PagePoolParams::new(mem)
    })
    .unwrap();
    (dev, pool)
}

/// A pool bug recycling one page twice (the kernel's `pp_ref_count` of a
/// recycled page is 1, so a second put of it recycles it again) is named
/// at the second recycle, and the cache handing it out twice at the second
/// hand-out.
#[test]
fn a_page_recycled_twice_is_named_twice() {
    let mem = HostMemory::new(MemConfig::default());
    let (_dev, mut pool) = mapped(&mem);
    let page = pool.dev_alloc_pages().unwrap();
    let host = page.host_addr();
    let (pfn, dma) = page.into_raw();
    pool.put_unrefed(pfn, dma, -1, Some(CLAIMED));
    mem.set_cycle(5);
    pool.put_unrefed(pfn, dma, -1, Some(CLAIMED));
    let v = pool.violations();
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].class(), v[0].cycle()), ("pool/double-recycle", 5));
    assert!(matches!(
        v[0].kind,
        PoolViolationKind::DoubleRecycle { page, already: crate::PoolLocation::AllocCache, .. } if page == host
    ));
    let a = pool.dev_alloc_pages().unwrap();
    mem.set_cycle(6);
    let b = pool.dev_alloc_pages().unwrap();
    assert_eq!(a.pfn(), b.pfn());
    let v = pool.violations();
    assert_eq!((v[1].class(), v[1].cycle()), ("pool/page-in-two-places", 6));
    assert!(v[1].to_string().contains("out of the pool"), "{}", v[1]);
    let _ = a.into_raw();
    let _ = b.into_raw();
}

/// The same double recycle through the ring.
#[test]
fn a_page_recycled_twice_into_the_ring_is_named() {
    let mem = HostMemory::new(MemConfig::default());
    let (_dev, pool) = mapped(&mem);
    let mut pool = pool;
    let page = pool.dev_alloc_pages().unwrap();
    let (pfn, dma) = page.into_raw();
    pool.shared.recycle_in_ring(pfn, dma);
    pool.shared.recycle_in_ring(pfn, dma);
    let v = pool.violations();
    assert_eq!(v.len(), 1);
    assert!(matches!(
        v[0].kind,
        PoolViolationKind::DoubleRecycle {
            already: crate::PoolLocation::Ring,
            into: crate::PoolLocation::Ring,
            ..
        }
    ));
}

fn classes(v: &[crate::PoolInvariantViolation]) -> Vec<&'static str> {
    v.iter().map(|v| v.class()).collect()
}

/// A pool with one page in the alloc cache, one in the ring and one out.
fn populated(mem: &HostMemory) -> (DmaDev, PagePool, PpPage) {
    let (dev, mut pool) = mapped(mem);
    let a = pool.dev_alloc_pages().unwrap();
    let b = pool.dev_alloc_pages().unwrap();
    let out = pool.dev_alloc_pages().unwrap();
    pool.napi_ctx_unchecked_recycle(a);
    pool.handle().put_full_page(b, false);
    assert_eq!(pool.check_invariants(), vec![]);
    assert_eq!(PoolRegistry::of(mem).check_invariants(), vec![]);
    (dev, pool, out)
}

impl PagePool {
    fn napi_ctx_unchecked_recycle(&mut self, page: PpPage) {
        let (pfn, dma) = page.into_raw();
        self.put_unrefed(pfn, dma, -1, Some(CLAIMED));
    }
}

#[test]
fn broken_counters_are_named_by_both_checks() {
    let mem = HostMemory::new(MemConfig::default());
    let (_dev, pool, out) = populated(&mem);
    pool.shared
        .stats
        .slow_high_order
        .fetch_add(1, Ordering::Relaxed);
    pool.shared.stats.refill.fetch_add(5, Ordering::Relaxed);
    pool.shared
        .stats
        .released_refcnt
        .fetch_add(1, Ordering::Relaxed);
    let want = [
        "pool-invariant/slow-path-stats",
        "pool-invariant/refill-above-ring",
        "pool-invariant/releases-below-recycle-stats",
    ];
    assert_eq!(classes(&pool.check_invariants()), want);
    assert_eq!(classes(&PoolRegistry::of(&mem).check_invariants()), want);
    let text = pool.check_invariants()[0].to_string();
    assert!(
        text.starts_with(&format!(
            "pool-invariant/slow-path-stats: cycle 0: page pool {}",
            pool.id()
        )),
        "{text}"
    );
    let _ = out.into_raw();
}

#[test]
fn negative_inflight_is_named_at_the_release_and_by_the_checks() {
    let mem = HostMemory::new(MemConfig::default());
    let (_dev, mut pool, out) = populated(&mem);
    pool.shared.release_cnt.fetch_add(64, Ordering::AcqRel);
    mem.set_cycle(40);
    pool.put_full_page(out, false); // to the ring
    let page = pool.dev_alloc_pages().unwrap();
    let (pfn, dma) = page.into_raw();
    pool.shared.return_page(pfn, dma);
    let v = pool.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!((v[0].class(), v[0].cycle()), ("pool/negative-inflight", 40));
    let c = classes(&pool.check_invariants());
    assert!(c.contains(&"pool-invariant/negative-inflight"), "{c:?}");
    assert!(c.contains(&"pool-invariant/pooled-above-inflight"), "{c:?}");
}

#[test]
fn a_pooled_page_in_a_wrong_state_is_named() {
    let mem = HostMemory::new(MemConfig::default());
    let (_dev, mut pool, out) = populated(&mem);
    let cached = *pool.cache.last().unwrap();
    let meta = &mem.inner.meta[cached as usize];
    meta.pp_ref.store(2, Ordering::Relaxed);
    meta.dma.store(0, Ordering::Relaxed);
    assert_eq!(
        classes(&pool.check_invariants()),
        [
            "pool-invariant/recycled-ref-count",
            "pool-invariant/recycled-unmapped"
        ]
    );
    assert_eq!(
        classes(&PoolRegistry::of(&mem).check_invariants()),
        [
            "pool-invariant/recycled-ref-count",
            "pool-invariant/recycled-unmapped"
        ]
    );
    meta.pp_ref.store(1, Ordering::Relaxed);
    meta.dma.store(1, Ordering::Relaxed);
    meta.pp_id.store(999, Ordering::Relaxed);
    assert_eq!(
        classes(&pool.check_invariants()),
        ["pool-invariant/foreign-page"]
    );
    meta.pp_id.store(pool.id(), Ordering::Relaxed);
    // The page out of the pool pushed into the cache behind the tags' back,
    // twice, and the cache over its size.
    pool.cache.push(out.pfn());
    pool.cache.push(out.pfn());
    let c = classes(&pool.check_invariants());
    assert!(c.contains(&"pool-invariant/wrong-location-tag"), "{c:?}");
    assert!(c.contains(&"pool-invariant/page-twice-in-pool"), "{c:?}");
    pool.cache
        .extend(std::iter::repeat(cached).take(PP_ALLOC_CACHE_SIZE));
    let c = classes(&pool.check_invariants());
    assert!(c.contains(&"pool-invariant/cache-overfull"), "{c:?}");
    pool.cache.truncate(1);
    let _ = out.into_raw();
}

#[test]
fn a_destroyed_pools_ring_is_checked_by_the_registry() {
    let mem = HostMemory::new(MemConfig::default());
    let (_dev, pool, out) = populated(&mem);
    let handle = pool.handle();
    assert!(matches!(pool.destroy(), DestroyOutcome::Detached { .. }));
    let registry = PoolRegistry::of(&mem);
    assert_eq!(registry.check_invariants(), vec![]);
    handle.put_full_page(out, false);
    assert_eq!(registry.check_invariants(), vec![]);
}

/// `put_unrefed` driven with a direct decision no context may make: every
/// context but a NAPI poll allowed to touch the cache is named by the
/// census where the page enters the alloc cache.
#[test]
fn the_cache_census_names_every_context_that_may_not_touch_the_cache() {
    let mem = HostMemory::new(MemConfig::default());
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = PagePool::create(PagePoolParams {
        flags: PP_FLAG_DMA_MAP,
        dev: Some(dev.clone()),
        dma_dir: DmaDirection::FromDevice,
        napi: Some(crate::NapiId(3)),
        ..PagePoolParams::new(&mem)
    })
    .unwrap();
    let wrong = [
        PutContext::Process,
        PutContext::Remote,
        PutContext::Destroyed,
        PutContext::OtherNapi(crate::NapiId(4)),
        PutContext::NapiPoll {
            napi: crate::NapiId(4),
            allow_direct: true,
        },
    ];
    let right = PutContext::NapiPoll {
        napi: crate::NapiId(3),
        allow_direct: false,
    };
    for by in wrong.into_iter().chain([right]) {
        let (pfn, dma) = pool.dev_alloc_pages().unwrap().into_raw();
        pool.put_unrefed(pfn, dma, -1, Some(by));
    }
    let named: Vec<PutContext> = pool
        .violations()
        .into_iter()
        .map(|v| match v.kind {
            PoolViolationKind::CacheEntryOutsideNapi {
                context,
                pool_napi: Some(crate::NapiId(3)),
                ..
            } => context,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(named, wrong);
}
