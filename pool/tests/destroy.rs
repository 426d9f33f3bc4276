//! Destroy with pages in flight, deferred release, the stalled warning, and
//! the registry's introspection.

mod common;
use common::*;
use pool::*;

#[test]
fn destroy_without_inflight_frees_everything_at_once() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    let mut off = 0;
    let frag = pool.dev_alloc_frag(&mut off, 100).unwrap();
    let pages: Vec<PpPage> = (0..10).map(|_| pool.dev_alloc_pages().unwrap()).collect();
    stack.put_page(frag, -1, false);
    for p in pages {
        stack.put_full_page(p, false);
    }
    assert_eq!(PoolRegistry::of(&mem).ids(), [pool.id()]);
    assert_eq!(pool.destroy(), DestroyOutcome::Freed);
    assert_eq!(stack.inflight(), 0);
    assert!(stack.is_freed());
    assert!(PoolRegistry::of(&mem).is_empty());
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
    dev.check_teardown().unwrap();
}

#[test]
fn destroy_with_pages_in_flight_detaches_and_retries_every_second() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let registry = PoolRegistry::of(&mem);
    let mut pool = mapped_pool(&mem, &dev, |p| {
        p.flags |= PP_FLAG_DMA_SYNC_DEV;
        p.max_len = 4096;
    });
    let id = pool.id();
    let stack = pool.handle();
    let a = pool.dev_alloc_pages().unwrap();
    let b = pool.dev_alloc_pages().unwrap();
    let c = pool.dev_alloc_pages().unwrap();
    pool.napi_ctx(NAPI).recycle_direct(c);
    mem.set_cycle(3 * HZ + 5);
    assert_eq!(pool.destroy(), DestroyOutcome::Detached { inflight: 2 });
    // cache and ring emptied; the two in flight unmapped too (page_pool_scrub)
    assert_eq!(dev.live_mappings().len(), 0);
    assert_eq!(mem.allocated_pages(0).unwrap(), 2);
    let info = stack.info(); // no netdev: invisible to netlink
    assert_eq!(
        (info.id, info.inflight, info.inflight_mem, info.detach_time),
        (id, 2, 8192, Some(3))
    );

    // a put after destroy goes to the ring: not released until the retry
    stack.put_full_page(a, false);
    assert_eq!(stack.inflight(), 2);
    assert!(
        registry.service(3 * HZ + HZ / 2).is_empty(),
        "not a second yet"
    );
    assert_eq!(stack.inflight(), 2);
    assert!(registry.service(4 * HZ + 5).is_empty());
    assert_eq!(stack.inflight(), 1, "retry emptied the ring");

    // stuck for a minute: the kernel's warning, then every 60 s
    let (events, logs) = capture_warnings(|| {
        let mut ev = Vec::new();
        for s in 5..=125 {
            ev.extend(registry.service(s * HZ + 5));
        }
        ev
    });
    assert_eq!(
        events,
        [
            ServiceEvent::Stalled {
                id,
                inflight: 1,
                secs: 60
            },
            ServiceEvent::Stalled {
                id,
                inflight: 1,
                secs: 120
            }
        ]
    );
    assert!(
        logs.contains(&format!(
            "stalled pool shutdown: id {id}, 1 inflight 60 sec"
        )),
        "{logs}"
    );
    assert!(
        logs.contains(&format!(
            "stalled pool shutdown: id {id}, 1 inflight 120 sec"
        )),
        "{logs}"
    );

    // the last page comes back: freed at the next retry
    stack.put_page(b, 100, true);
    assert!(matches!(
        stack.violations()[0].kind,
        PoolViolationKind::DirectRecycleOutsideNapi {
            context: PutContext::Destroyed
        }
    ));
    assert_eq!(registry.service(126 * HZ + 5), [ServiceEvent::Freed { id }]);
    assert!(stack.is_freed());
    assert!(registry.is_empty());
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
    dev.check_teardown().unwrap();
    let syncs_after_destroy = dev
        .ledger()
        .iter()
        .filter(|e| e.op == LedgerOp::SyncForDevice && e.cycle >= 3 * HZ)
        .count();
    assert_eq!(syncs_after_destroy, 0, "no sync_for_device once destroyed");
}

/// Kernel: page_pool_release_retry() warns only for pools the user cannot
/// see (`!netdev || netdev == NET_PTR_POISON`). Unregistering the netdev
/// moves its pools to loopback (page_pool_unreg_netdev): still visible, no
/// warning; only loopback going away (page_pool_unreg_netdev_wipe) poisons.
#[test]
fn pools_visible_through_their_netdev_warn_only_once_it_is_gone() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let registry = PoolRegistry::of(&mem);
    let mut pool = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(4)));
    let stack = pool.handle();
    let a = pool.dev_alloc_pages().unwrap();
    assert!(matches!(
        pool.destroy(),
        DestroyOutcome::Detached { inflight: 1 }
    ));
    let mut events = Vec::new();
    for s in 1..=61 {
        events.extend(registry.service(s * HZ));
    }
    assert!(events.is_empty(), "{events:?}");
    registry.unregister_netdev(IfIndex(4));
    // orphaned: hangs off loopback, listed without an ifindex, no warning
    assert_eq!(registry.netdev_nl_page_pool_get_dumpit()[0].ifindex, None);
    assert!(registry.service(62 * HZ).is_empty());
    registry.unregister_netdev(LOOPBACK_IFINDEX);
    assert!(matches!(
        registry.service(63 * HZ)[..],
        [ServiceEvent::Stalled {
            inflight: 1,
            secs: 63,
            ..
        }]
    ));
    stack.put_full_page(a, false);
    assert!(matches!(
        registry.service(64 * HZ)[..],
        [ServiceEvent::Freed { .. }]
    ));
}

#[test]
fn dropping_the_owner_destroys_the_pool() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    drop(pool);
    assert!(stack.is_freed());
    assert!(PoolRegistry::of(&mem).is_empty());
}

#[test]
fn destroy_drops_the_current_fragment_page() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    let mut off = 0;
    let f = pool.dev_alloc_frag(&mut off, 512).unwrap();
    assert_eq!(pool.destroy(), DestroyOutcome::Detached { inflight: 1 });
    stack.put_page(f, -1, false); // the last user: released at the retry
    assert_eq!(
        PoolRegistry::of(&mem).service(HZ),
        [ServiceEvent::Freed { id: stack.id() }]
    );
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
}

#[test]
fn registry_dump_as_struct_json_and_text() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let registry = PoolRegistry::of(&mem);
    let napi = NapiId(MIN_NAPI_ID);
    let mut rx = mapped_pool(&mem, &dev, |p| {
        p.netdev = Some(IfIndex(2));
        p.napi = Some(napi);
        p.flags |= PP_FLAG_DMA_SYNC_DEV;
        p.max_len = 2048;
    });
    let mut other = PagePool::create(PagePoolParams {
        order: 1,
        flags: PP_FLAG_SYSTEM_POOL,
        netdev: Some(IfIndex(3)),
        ..PagePoolParams::new(&mem)
    })
    .unwrap();
    let p = rx.dev_alloc_pages().unwrap();
    let q = rx.dev_alloc_pages().unwrap();
    rx.napi_ctx(napi).recycle_direct(p);
    let big = other.dev_alloc_pages().unwrap();
    let other_handle = other.handle();
    mem.set_cycle(7 * HZ);
    drop(other); // detached with one page in flight
    assert_eq!(registry.netdev_nl_page_pool_get_dumpit().len(), 2);
    let stats = registry.netdev_nl_page_pool_stats_get_dumpit();
    assert_eq!(stats[0].stats.alloc_fast, 1);
    assert_eq!(stats[0].stats.recycle_cached, 1);
    insta::assert_snapshot!("registry_json", registry.dump_json());
    insta::assert_snapshot!("registry_text", registry.dump_text());
    let json: serde_json::Value = serde_json::from_str(&registry.dump_json()).unwrap();
    for key in ["id", "ifindex", "napi-id", "inflight", "inflight-mem"] {
        assert!(json[0].get(key).is_some(), "{key}");
    }
    assert!(json[0].get("detach-time").is_none());
    assert_eq!(json[1]["detach-time"], 7);
    assert_eq!(json[1]["inflight-mem"], 8192);
    let stats_json: serde_json::Value = serde_json::from_str(&registry.stats_dump_json()).unwrap();
    assert_eq!(stats_json[0]["alloc-slow"], 1);
    rx.napi_ctx(napi).recycle_direct(q);
    other_handle.put_full_page(big, false);
    assert_eq!(
        registry.service(8 * HZ),
        [ServiceEvent::Freed {
            id: other_handle.id()
        }]
    );
}
