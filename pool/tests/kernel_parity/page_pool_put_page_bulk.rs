//! `page_pool_put_page_bulk` (net/core/page_pool.c, Linux 6.12 LTS; 6.8 to
//! 6.12 have this shape, 6.13 turned it into `page_pool_put_netmem_bulk`).
//!
//! 6.12 decides direct recycling once for the whole call:
//! `allow_direct = page_pool_napi_local(pool)` (in softirq and on the CPU
//! of the pool's NAPI, `napi->list_owner`). Every entry that is the last
//! reference (`page_pool_is_last_ref`) goes through `__page_pool_put_page(
//! pool, netmem, -1, allow_direct)`: not recyclable (refcount > 1) is
//! released (`released_refcnt`); recyclable is synced for the device over
//! `max_len` and, with `allow_direct`, goes into the alloc cache
//! (`page_pool_recycle_in_cache`: `cached`, or `cache_full` when it holds
//! 128); the rest are produced into the ptr_ring under one producer lock
//! (`recycle_stat_add(pool, ring, i)`), the first refused one counting
//! `ring_full` once and every one after it released.
//!
//! The model has no CPUs: the pool's own NAPI poll ([`NapiCtx`] of the
//! pool's `params.napi`) is where `page_pool_napi_local` holds; another
//! NAPI instance stands for one polled on another CPU, and process context
//! ([`PagePool`] itself) and a [`PagePoolHandle`] are not in softirq.

use pool::*;

use crate::common::*;

fn alloc_n(pool: &mut PagePool, n: usize) -> Vec<Option<PpPage>> {
    (0..n)
        .map(|_| Some(pool.dev_alloc_pages().expect("page")))
        .collect()
}

/// 6.12 `page_pool_put_page_bulk` from the pool's own NAPI poll:
/// `page_pool_napi_local` is true, so every page goes into the alloc cache
/// (`cached += 3`), none to the ring, and the cache census
/// (`pool/cache-entry-outside-napi`) stays quiet. The array is overwritten
/// (left all `None`). It is false in another NAPI poll (the pool's NAPI
/// runs on another CPU), in process context (not in softirq) and for any
/// other caller: there every page goes to the ring (`ring += 2` each time).
#[test]
fn only_from_the_pools_own_napi_the_pages_go_into_the_alloc_cache() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let mut bulk = alloc_n(&mut pool, 3);
    assert_eq!(pool.cached_pages(), 61);
    pool.napi_ctx(NAPI).put_page_bulk(&mut bulk);
    assert!(bulk.iter().all(Option::is_none));
    let (_, r) = stats(&pool);
    assert_eq!((r.cached, r.cache_full, r.ring, r.ring_full), (3, 0, 0, 0));
    assert_eq!((pool.cached_pages(), pool.ring_pages()), (64, 0));
    let other = NapiId(NAPI.0 + 1);
    let mut bulk = alloc_n(&mut pool, 2);
    pool.napi_ctx(other).put_page_bulk(&mut bulk);
    let mut bulk = alloc_n(&mut pool, 2);
    pool.put_page_bulk(&mut bulk);
    let mut bulk = alloc_n(&mut pool, 2);
    pool.handle().put_page_bulk(&mut bulk);
    let (_, r) = stats(&pool);
    assert_eq!((r.cached, r.cache_full, r.ring), (3, 0, 6));
    assert_eq!((pool.cached_pages(), pool.ring_pages()), (58, 6));
    assert!(pool.violations().is_empty(), "{:?}", pool.violations());
    assert_eq!(pool.check_invariants(), vec![]);
}

/// 6.12 `page_pool_put_page_bulk` from the own NAPI with an alloc cache
/// that fills up: `page_pool_recycle_in_cache` takes pages until it holds
/// 128 (`cached`), then counts `cache_full` for each further page, which
/// goes to the ring with the bulk (`ring += 2`).
#[test]
fn a_full_alloc_cache_sends_the_rest_of_the_bulk_to_the_ring() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    // three slow bulks of 64, 130 pages handed out: 62 left in the cache
    let mut bulk = alloc_n(&mut pool, 130);
    assert_eq!(pool.cached_pages(), 62);
    bulk.truncate(68);
    pool.napi_ctx(NAPI).put_page_bulk(&mut bulk);
    let (_, r) = stats(&pool);
    assert_eq!((r.cached, r.cache_full, r.ring, r.ring_full), (66, 2, 2, 0));
    assert_eq!((pool.cached_pages(), pool.ring_pages()), (128, 2));
    assert!(pool.violations().is_empty(), "{:?}", pool.violations());
}

/// 6.12 `page_pool_put_page_bulk` from the own NAPI: each entry gets the
/// single put's treatment by `__page_pool_put_page`: a page with another
/// reference (`get_page`) is released (`released_refcnt`), a fragment that
/// is not the last reference (`page_pool_is_last_ref`) is skipped, and the
/// recyclable pages are synced for the device over `max_len` (`-1`) before
/// they enter the cache.
#[test]
fn every_entry_gets_the_single_puts_check_and_sync() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = sync_dev_pool(&mem, &dev, 64, 1536);
    let mut bulk = alloc_n(&mut pool, 3);
    let held = pool.get_page(bulk[1].as_ref().unwrap());
    let mut offset = 0;
    let frag = pool.dev_alloc_frag(&mut offset, 256).unwrap();
    bulk.push(Some(frag));
    let before = dev.ledger().len();
    pool.napi_ctx(NAPI).put_page_bulk(&mut bulk);
    let (_, r) = stats(&pool);
    assert_eq!((r.cached, r.released_refcnt, r.ring), (2, 1, 0));
    let syncs: Vec<(u64, u64)> = dev.ledger()[before..]
        .iter()
        .filter(|e| e.op == LedgerOp::SyncForDevice)
        .map(|e| (e.offset, e.len))
        .collect();
    assert_eq!(
        syncs,
        [(64, 1536), (64, 1536)],
        "one -1 sync per recycled page"
    );
    drop(held);
    assert!(pool.violations().is_empty(), "{:?}", pool.violations());
}

/// The cache census (`pool/cache-entry-outside-napi`) judges a bulk put on
/// its own: a bulk whose direct decision is wrong (given, through the
/// test-only entry, for another NAPI's poll, where 6.12's
/// `page_pool_napi_local` is false) still fills the cache, and every page
/// that entered it is named.
#[test]
fn a_wrong_direct_decision_for_a_bulk_is_named_by_the_cache_census() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let other = NapiId(NAPI.0 + 1);
    let mut bulk = alloc_n(&mut pool, 2);
    pool.napi_ctx(other)
        .put_page_bulk_decided_for_test(&mut bulk, true);
    let v = pool.violations();
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v
        .iter()
        .all(|v| v.class() == "pool/cache-entry-outside-napi"));
    assert!(matches!(
        v[0].kind,
        PoolViolationKind::CacheEntryOutsideNapi {
            context: PutContext::NapiPoll { napi, allow_direct: false },
            pool_napi: Some(NAPI),
            ..
        } if napi == other
    ));
    assert_eq!(stats(&pool).1.cached, 2);
}
