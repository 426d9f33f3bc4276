//! One test per page_pool stat path, driven on purpose.

mod common;
use common::*;
use pool::*;

fn alloc_n(pool: &mut PagePool, n: usize) -> Vec<PpPage> {
    (0..n).map(|_| pool.dev_alloc_pages().unwrap()).collect()
}

#[test]
fn first_alloc_is_empty_then_slow_bulk_of_64() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let p = pool.dev_alloc_pages().unwrap();
    let (a, _) = stats(&pool);
    assert_eq!((a.empty, a.slow, a.fast), (1, 1, 0));
    // a bulk of 64 was allocated and mapped; 63 wait in the cache
    assert_eq!(pool.inflight(), 64);
    assert_eq!(pool.cached_pages(), 63);
    assert_eq!(dev.live_mappings().len(), 64);
    assert_eq!(mem.allocated_pages(0).unwrap(), 64);
    assert_eq!(p.dma_addr(), pool.get_dma_addr(&p));
    assert_eq!(
        dev.live_mappings()
            .iter()
            .filter(|m| Some(m.dma) == p.dma_addr())
            .count(),
        1
    );
    pool.napi_ctx(NAPI).recycle_direct(p);
}

#[test]
fn fast_path_counts_each_cache_hit() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let pages = alloc_n(&mut pool, 64);
    let (a, _) = stats(&pool);
    assert_eq!((a.slow, a.fast, a.empty), (1, 63, 1));
    // the 65th needs another bulk
    let more = pool.dev_alloc_pages().unwrap();
    let (a, _) = stats(&pool);
    assert_eq!((a.slow, a.fast, a.empty), (2, 63, 2));
    let mut napi = pool.napi_ctx(NAPI);
    for p in pages.into_iter().chain([more]) {
        napi.recycle_direct(p);
    }
}

#[test]
fn slow_high_order_one_compound_page_per_alloc() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| p.order = 2);
    let a1 = pool.dev_alloc_pages().unwrap();
    let a2 = pool.dev_alloc_pages().unwrap();
    let (a, _) = stats(&pool);
    assert_eq!((a.slow_high_order, a.slow, a.empty, a.fast), (2, 0, 2, 0));
    assert_eq!(a1.len(), 16384);
    assert_eq!(a1.pfn() % 4, 0);
    let m = dev.live_mappings();
    assert!(m
        .iter()
        .all(|m| m.len == 16384 && m.dir == DmaDirection::FromDevice));
    let mut napi = pool.napi_ctx(NAPI);
    napi.recycle_direct(a1);
    let again = napi.dev_alloc_pages().unwrap();
    assert_eq!(napi.get_stats().alloc_stats.fast, 1);
    napi.recycle_direct(again);
    napi.recycle_direct(a2);
}

#[test]
fn refill_moves_up_to_64_from_the_ring_and_counts_once() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    let pages = alloc_n(&mut pool, 128); // two bulks, cache now empty
    assert_eq!(pool.cached_pages(), 0);
    for p in pages {
        stack.put_full_page(p, false);
    }
    let (_, r) = stats(&pool);
    assert_eq!(r.ring, 128);
    assert_eq!(pool.ring_pages(), 128);
    let p = pool.dev_alloc_pages().unwrap();
    let (a, _) = stats(&pool);
    assert_eq!((a.refill, a.slow, a.empty), (1, 2, 2));
    assert_eq!(pool.cached_pages(), 63);
    assert_eq!(pool.ring_pages(), 64);
    stack.put_full_page(p, false);
}

#[test]
fn waive_releases_a_wrong_node_page_and_falls_to_the_slow_path() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    let pages = alloc_n(&mut pool, 3);
    for p in pages {
        stack.put_full_page(p, false);
    }
    pool.update_nid(Some(1)); // flushes the 61 cached node-0 pages
    assert_eq!(pool.inflight(), 3);
    let p = pool.dev_alloc_pages().unwrap();
    let (a, _) = stats(&pool);
    assert_eq!((a.waive, a.refill, a.slow), (1, 0, 2));
    assert_eq!(mem.inner_nid(&p), 1);
    assert_eq!(pool.ring_pages(), 2);
    assert_eq!(pool.inflight(), 2 + 64);
    stack.put_full_page(p, false);
}

trait NidOf {
    fn inner_nid(&self, p: &PpPage) -> u64;
}
impl NidOf for HostMemory {
    fn inner_nid(&self, p: &PpPage) -> u64 {
        p.pfn() / self.config().pages_per_node as u64
    }
}

#[test]
fn waive_after_some_pages_moved_still_counts_refill() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| p.nid = None); // NUMA_NO_NODE: local node
    let stack = pool.handle();
    let node0 = alloc_n(&mut pool, 64);
    mem.set_local_node(1).unwrap();
    let _ = pool
        .dev_alloc_pages()
        .map(|p| stack.put_full_page(p, false)); // node 1 bulk
    let node1 = alloc_n(&mut pool, 2);
    // ring order: two node-1 pages, then node-0 pages
    for p in node1.into_iter().chain(node0) {
        stack.put_full_page(p, false);
    }
    pool.update_nid(None); // flush the cache
    let p = pool.dev_alloc_pages().unwrap();
    let (a, _) = stats(&pool);
    // ring head: the page put first (node 1), then 2 more node-1 pages, then a
    // node-0 page: waived, refill stops with pages moved -> refill counted
    assert_eq!((a.waive, a.refill), (1, 1));
    stack.put_full_page(p, false);
}

#[test]
fn cached_and_cache_full() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let pages = alloc_n(&mut pool, 200); // 4 bulks, 56 left in the cache
    assert_eq!(pool.cached_pages(), 56);
    let mut napi = pool.napi_ctx(NAPI);
    for p in pages {
        napi.recycle_direct(p);
    }
    let (_, r) = stats(&pool);
    assert_eq!(
        (r.cached, r.cache_full, r.ring, r.ring_full),
        (72, 128, 128, 0)
    );
    assert_eq!(pool.cached_pages(), 128);
}

#[test]
fn own_napi_recycles_directly_even_without_claim() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let p = pool.dev_alloc_pages().unwrap();
    pool.napi_ctx(NAPI).put_full_page(p, false);
    let (_, r) = stats(&pool);
    assert_eq!((r.cached, r.ring), (1, 0));
    assert!(pool.violations().is_empty());
}

#[test]
fn ring_and_ring_full() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| p.pool_size = 4);
    let stack = pool.handle();
    let pages = alloc_n(&mut pool, 6);
    let mapped = dev.live_mappings().len();
    for p in pages {
        stack.put_page(p, -1, false);
    }
    let (_, r) = stats(&pool);
    assert_eq!((r.ring, r.ring_full), (4, 2));
    assert_eq!(pool.inflight(), 62, "two pages released to the allocator");
    assert_eq!(
        dev.live_mappings().len(),
        mapped - 2,
        "released pages are unmapped"
    );
}

#[test]
fn released_refcnt_when_someone_else_holds_the_page() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let p = pool.dev_alloc_pages().unwrap();
    let addr = p.host_addr();
    let dma = p.dma_addr().unwrap();
    let held = pool.get_page(&p); // e.g. an skb frag holder
    assert_eq!(mem.page_ref_count(addr).unwrap(), 2);
    pool.napi_ctx(NAPI).recycle_direct(p);
    let (_, r) = stats(&pool);
    assert_eq!((r.released_refcnt, r.cached, r.ring), (1, 0, 0));
    assert_eq!(pool.inflight(), 63);
    assert!(
        dev.live_mappings().iter().all(|m| m.dma != dma),
        "unmapped on release"
    );
    // the page lives on with its other holder
    mem.cpu_write(addr, b"still mine").unwrap();
    assert_eq!(mem.page_ref_count(addr).unwrap(), 1);
    let before = mem.allocated_pages(0).unwrap();
    drop(held);
    assert_eq!(mem.allocated_pages(0).unwrap(), before - 1);
}

#[test]
fn pp_references_recycle_on_the_last_put_only() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let p = pool.dev_alloc_pages().unwrap();
    let clone = pool.handle().ref_page(&p); // skb clone
    let mut napi = pool.napi_ctx(NAPI);
    napi.recycle_direct(p);
    assert_eq!(napi.get_stats().recycle_stats.cached, 0);
    napi.recycle_direct(clone);
    assert_eq!(napi.get_stats().recycle_stats.cached, 1);
}

/// 6.12 `page_pool_alloc_frag_netmem`: the further fragment counts `fast`,
/// the drained page reused at once `fast` only (no `cached`: that came
/// with 6.13's ef04d290c013, not in 6.12.y).
#[test]
fn frag_drain_reuses_the_page_counting_fast_only() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let mut off = 0;
    let a = pool.dev_alloc_frag(&mut off, 2000).unwrap();
    assert_eq!(off, 0);
    let b = pool.dev_alloc_frag(&mut off, 2000).unwrap();
    assert_eq!(
        off, 2000,
        "x86-64: dma_get_cache_alignment() is 1, sizes are not rounded"
    );
    assert_eq!(a.pfn(), b.pfn());
    let pfn = a.pfn();
    let mut napi = pool.napi_ctx(NAPI);
    napi.put_page(a, -1, true);
    napi.put_page(b, -1, true);
    assert_eq!(
        napi.get_stats().recycle_stats.cached,
        0,
        "frag puts do not recycle"
    );
    let c = napi.dev_alloc_frag(&mut off, 2048).unwrap();
    assert_eq!((off, c.pfn()), (0, pfn));
    let (a, r) = stats(&pool);
    assert_eq!((a.slow, a.fast, r.cached), (1, 2, 0));
    pool.napi_ctx(NAPI).put_page(c, -1, true);
}

#[test]
fn frag_drain_with_fragments_out_takes_a_new_page() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let mut off = 0;
    let a = pool.dev_alloc_frag(&mut off, 2048).unwrap();
    let b = pool.dev_alloc_frag(&mut off, 2048).unwrap();
    pool.napi_ctx(NAPI).put_page(b, -1, false);
    let c = pool.dev_alloc_frag(&mut off, 2048).unwrap();
    assert_ne!(c.pfn(), a.pfn());
    let (al, r) = stats(&pool);
    // b (a further fragment) and c's page from the alloc cache
    assert_eq!((al.fast, r.cached), (2, 0));
    // the last fragment of the first page recycles it
    let mut napi = pool.napi_ctx(NAPI);
    napi.put_page(a, -1, false);
    assert_eq!(napi.get_stats().recycle_stats.cached, 1);
    napi.put_page(c, -1, false);
}

#[test]
fn frag_too_large_is_an_error() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let mut off = 0;
    assert_eq!(
        pool.dev_alloc_frag(&mut off, 4097).unwrap_err(),
        PoolAllocError::FragTooLarge {
            pool: pool.id(),
            size: 4097,
            max: 4096
        }
    );
}

#[test]
fn dev_alloc_picks_page_or_fragment_and_fixes_truesize() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let (mut off, mut size) = (99, 2049);
    let whole = pool.dev_alloc(&mut off, &mut size).unwrap();
    assert_eq!((off, size), (0, 4096));
    let mut size = 1500;
    let f1 = pool.dev_alloc(&mut off, &mut size).unwrap();
    assert_eq!((off, size), (0, 1500));
    let mut size = 1500;
    let f2 = pool.dev_alloc(&mut off, &mut size).unwrap();
    assert_eq!(
        (off, size),
        (1500, 4096 - 1500),
        "last fragment takes the rest"
    );
    let mut size = 100;
    let f3 = pool.dev_alloc(&mut off, &mut size).unwrap();
    assert_eq!(off, 0);
    assert_ne!(f3.pfn(), f1.pfn());
    let mut size = 1000;
    let va = pool.dev_alloc_va(&mut size).unwrap();
    assert_eq!(
        va.addr().raw_value(),
        va.page().host_addr().raw_value() + 100
    );
    assert_eq!(
        va.dma_addr().unwrap().raw_value(),
        va.page().dma_addr().unwrap().raw_value() + 100
    );
    let mut napi = pool.napi_ctx(NAPI);
    napi.free_va(va, true);
    for p in [whole, f1, f2, f3] {
        napi.put_page(p, -1, true);
    }
    assert!(pool.violations().is_empty());
}

#[test]
fn direct_claims_from_the_wrong_context_are_reported_and_go_to_the_ring() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    let pages = alloc_n(&mut pool, 3);
    let mut it = pages.into_iter();
    stack.put_page(it.next().unwrap(), -1, true);
    pool.napi_ctx(NapiId(99)).recycle_direct(it.next().unwrap());
    pool.put_full_page(it.next().unwrap(), true);
    let (_, r) = stats(&pool);
    assert_eq!((r.cached, r.ring), (0, 3));
    let ctx: Vec<PutContext> = pool
        .violations()
        .into_iter()
        .map(|v| match v.kind {
            PoolViolationKind::DirectRecycleOutsideNapi { context } => context,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        ctx,
        [
            PutContext::Remote,
            PutContext::OtherNapi(NapiId(99)),
            PutContext::Process
        ]
    );
    assert!(pool.violations()[0]
        .to_string()
        .contains("direct recycling claimed"));
}

#[test]
fn pool_without_napi_trusts_claims_in_a_napi_context_only() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| p.napi = None);
    let a = pool.dev_alloc_pages().unwrap();
    let b = pool.dev_alloc_pages().unwrap();
    let mut napi = pool.napi_ctx(NapiId(3));
    napi.recycle_direct(a);
    napi.put_full_page(b, false); // not claimed, not napi-local: ring
    let (_, r) = stats(&pool);
    assert_eq!((r.cached, r.ring), (1, 1));
    assert!(pool.violations().is_empty());
}

#[test]
fn bulk_put_fills_the_ring_then_releases_and_overwrites_the_array() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| p.pool_size = 4);
    let pages = alloc_n(&mut pool, 7);
    let held = pool.get_page(&pages[6]);
    let mut arr: Vec<Option<PpPage>> = pages.into_iter().map(Some).collect();
    pool.handle().put_page_bulk(&mut arr);
    assert!(arr.iter().all(Option::is_none));
    let (_, r) = stats(&pool);
    assert_eq!((r.ring, r.ring_full, r.released_refcnt), (4, 1, 1));
    assert_eq!(pool.inflight(), 64 - 3);
    drop(held);
}

#[test]
fn inflight_is_hold_minus_release() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| p.pool_size = 1);
    let pages = alloc_n(&mut pool, 3);
    assert_eq!(pool.info().inflight, 64);
    assert_eq!(pool.info().inflight_mem, 64 * 4096);
    let stack = pool.handle();
    for p in pages {
        stack.put_full_page(p, false);
    }
    assert_eq!(stack.inflight(), 62);
}

#[test]
fn pool_level_failure_injection_touches_no_counter() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let p = pool.dev_alloc_pages().unwrap();
    pool.inject_alloc_failures(FailureInjection::NextN(2));
    let id = pool.id();
    assert_eq!(
        pool.dev_alloc_pages().unwrap_err(),
        PoolAllocError::Injected { pool: id }
    );
    let mut off = 0;
    assert!(matches!(
        pool.dev_alloc_frag(&mut off, 64),
        Err(PoolAllocError::Injected { .. })
    ));
    let before = pool.get_stats();
    let q = pool.dev_alloc_pages().unwrap();
    assert_eq!(
        pool.get_stats().alloc_stats.fast,
        before.alloc_stats.fast + 1
    );
    let mut napi = pool.napi_ctx(NAPI);
    napi.recycle_direct(p);
    napi.recycle_direct(q);
}

#[test]
fn seeded_probability_injection_is_reproducible() {
    let run = || {
        let mem = mem();
        let dev = DmaDev::new(&mem, "nic");
        let mut pool = mapped_pool(&mem, &dev, |_| {});
        pool.inject_alloc_failures(FailureInjection::Probability { p: 0.3, seed: 42 });
        let mut pattern = Vec::new();
        for _ in 0..100 {
            match pool.dev_alloc_pages() {
                Ok(p) => {
                    pattern.push(true);
                    pool.napi_ctx(NAPI).recycle_direct(p);
                }
                Err(_) => pattern.push(false),
            }
        }
        pattern
    };
    let a = run();
    assert_eq!(a, run());
    let fails = a.iter().filter(|ok| !**ok).count();
    assert!((15..45).contains(&fails), "{fails}");
}

#[test]
fn page_allocator_exhaustion_and_map_failures() {
    let mem = mem_with(1, 100, Coherence::Coherent);
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    dev.inject_map_failures(FailureInjection::NextN(3));
    let p = pool.dev_alloc_pages().unwrap();
    assert_eq!(
        pool.inflight(),
        61,
        "three pages failed to map and were freed"
    );
    assert_eq!(mem.allocated_pages(0).unwrap(), 61);
    let mut rest = alloc_n(&mut pool, 60);
    // next bulk: only 39 pages left in the machine
    rest.extend(alloc_n(&mut pool, 39));
    assert_eq!(pool.get_stats().alloc_stats.slow, 2);
    assert_eq!(
        pool.dev_alloc_pages().unwrap_err(),
        PoolAllocError::Exhausted { pool: pool.id() }
    );
    let mut napi = pool.napi_ctx(NAPI);
    napi.recycle_direct(p);
    for p in rest {
        napi.recycle_direct(p);
    }
    // recycled pages come back without the page allocator
    assert!(napi
        .dev_alloc_pages()
        .map(|p| napi.recycle_direct(p))
        .is_ok());
}

#[test]
fn create_validates_like_the_kernel() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let base = || PagePoolParams {
        flags: PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
        dev: Some(dev.clone()),
        max_len: 4096,
        ..PagePoolParams::new(&mem)
    };
    let err = |p: PagePoolParams| PagePool::create(p).unwrap_err();
    assert_eq!(
        err(PagePoolParams {
            flags: 1 << 5,
            ..base()
        }),
        PoolError::UnknownFlags { flags: 1 << 5 }
    );
    assert_eq!(
        err(PagePoolParams {
            dma_dir: DmaDirection::ToDevice,
            ..base()
        }),
        PoolError::BadDirection {
            dir: DmaDirection::ToDevice
        }
    );
    assert_eq!(
        err(PagePoolParams {
            flags: PP_FLAG_DMA_SYNC_DEV,
            ..base()
        }),
        PoolError::SyncWithoutMap
    );
    assert_eq!(
        err(PagePoolParams {
            max_len: 0,
            ..base()
        }),
        PoolError::ZeroMaxLen
    );
    // no order check (page_pool_init in 6.12): see
    // kernel_parity::page_pool_init::an_order_above_max_page_order_is_accepted
    assert_eq!(
        err(PagePoolParams {
            dev: None,
            ..base()
        }),
        PoolError::NoDevice
    );
    assert_eq!(
        err(PagePoolParams {
            nid: Some(5),
            ..base()
        }),
        PoolError::BadNode { nid: 5, nodes: 2 }
    );
    let other = DmaDev::new(&common::mem(), "other");
    assert!(matches!(
        err(PagePoolParams {
            dev: Some(other),
            ..base()
        }),
        PoolError::ForeignDevice { .. }
    ));
    // ToDevice is fine without DMA_MAP; bidirectional with it
    assert!(PagePool::create(PagePoolParams {
        dma_dir: DmaDirection::ToDevice,
        ..PagePoolParams::new(&mem)
    })
    .is_ok());
    let ok = PagePool::create(PagePoolParams {
        dma_dir: DmaDirection::Bidirectional,
        ..base()
    })
    .unwrap();
    assert_eq!(ok.get_dma_dir(), DmaDirection::Bidirectional);
    assert!(err(PagePoolParams {
        max_len: 0,
        ..base()
    })
    .to_string()
    .contains("max_len 0"));
}

#[test]
fn unmapped_pool_hands_out_pages_without_dma() {
    let mem = mem();
    let mut pool = PagePool::create(PagePoolParams {
        pool_size: 50_000,
        ..PagePoolParams::new(&mem)
    })
    .unwrap();
    let p = pool.dev_alloc_pages().unwrap();
    assert_eq!(pool.get_dma_addr(&p), None);
    mem.cpu_write(p.host_addr(), b"x").unwrap();
    pool.put_full_page(p, false);
    assert_eq!(pool.get_stats().recycle_stats.ring, 1);
    assert_eq!(pool.destroy(), DestroyOutcome::Freed);
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
}

#[test]
fn ring_size_is_capped_at_16384() {
    let mem = mem_with(1, 20_000, Coherence::Coherent);
    let mut pool = PagePool::create(PagePoolParams {
        pool_size: 50_000,
        nid: Some(0),
        ..PagePoolParams::new(&mem)
    })
    .unwrap();
    let stack = pool.handle();
    let pages = alloc_n(&mut pool, 16_385);
    for p in pages {
        stack.put_full_page(p, false);
    }
    let (_, r) = stats(&pool);
    assert_eq!((r.ring, r.ring_full), (16_384, 1));
}

#[test]
fn a_page_put_into_the_wrong_pool_is_reported() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut a = mapped_pool(&mem, &dev, |_| {});
    let mut b = mapped_pool(&mem, &dev, |_| {});
    let p = a.dev_alloc_pages().unwrap();
    let page = p.host_addr();
    b.handle().put_full_page(p, false);
    assert_eq!(
        b.violations()[0].kind,
        PoolViolationKind::WrongPool {
            page,
            owner: a.id()
        }
    );
    let _ = b
        .dev_alloc_pages()
        .map(|q| b.napi_ctx(NAPI).recycle_direct(q));
}

/// `page_pool_alloc_frag_netmem` refuses only a fragment larger than the
/// pool's page (`PAGE_SIZE << order`): an order-2 pool hands out 8 KiB
/// fragments, two to a page, and refuses 16 KiB + 1.
#[test]
fn fragments_of_a_high_order_pool_may_be_larger_than_4k() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| p.order = 2);
    let mut off = 0;
    let a = pool.dev_alloc_frag(&mut off, 8192).unwrap();
    assert_eq!(off, 0);
    let b = pool.dev_alloc_frag(&mut off, 8192).unwrap();
    assert_eq!((off, a.pfn()), (8192, b.pfn()));
    assert!(matches!(
        pool.dev_alloc_frag(&mut off, 16385),
        Err(PoolAllocError::FragTooLarge { .. })
    ));
    let mut napi = pool.napi_ctx(NAPI);
    napi.put_page(a, -1, true);
    napi.put_page(b, -1, true);
}

/// An skb page freed in the poll of another NAPI instance (another
/// device's TX-completion NAPI, another CPU's backlog NAPI): the kernel's
/// `napi_pp_put_page()` (net/core/skbuff.c, 6.12) puts it with
/// `page_pool_put_full_netmem(pp, netmem, false)`, so
/// `page_pool_put_unrefed_netmem()` asks `page_pool_napi_local()`, which
/// is false there (the pool's NAPI is polled on another CPU), and
/// `__page_pool_put_page(.., allow_direct = false)` hands the page to
/// `page_pool_recycle_in_ring()`: `ring` counts it, `cached` does not, and
/// the alloc cache is untouched. The same put from the pool's own NAPI is
/// napi-local: `cached`.
#[test]
fn a_put_from_another_napi_goes_to_the_ring_like_napi_pp_put_page() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let pages = alloc_n(&mut pool, 3);
    let in_cache = pool.cached_pages();
    let mut it = pages.into_iter();
    let other = NapiId(NAPI.0 + 1);
    let mut napi = pool.napi_ctx(other);
    napi.put_full_page(it.next().unwrap(), false);
    napi.put_page(it.next().unwrap(), 64, false);
    let (_, r) = stats(&pool);
    assert_eq!(
        (
            r.cached,
            r.cache_full,
            r.ring,
            r.ring_full,
            r.released_refcnt
        ),
        (0, 0, 2, 0, 0)
    );
    assert_eq!((pool.cached_pages(), pool.ring_pages()), (in_cache, 2));
    pool.napi_ctx(NAPI).put_full_page(it.next().unwrap(), false);
    let (_, r) = stats(&pool);
    assert_eq!((r.cached, r.ring), (1, 2), "own NAPI: napi-local, cached");
    assert_eq!(pool.cached_pages(), in_cache + 1);
    assert!(pool.violations().is_empty(), "{:?}", pool.violations());
}
