//! `page_pool_nl_fill` (net/core/page_pool_user.c, 6.12): the attributes
//! of a `page-pool-get` reply, and which ones are left out.

use pool::*;

use crate::common::*;

/// A DMA-mapping pool on `netdev` with NAPI `napi`.
fn pool_on(mem: &HostMemory, netdev: IfIndex, napi: NapiId) -> PagePool {
    let dev = DmaDev::new(mem, "nic");
    mapped_pool(mem, &dev, |p| {
        p.netdev = Some(netdev);
        p.napi = Some(napi);
    })
}

/// 6.12 `page_pool_nl_fill`: `ifindex` is put only when
/// `pool->slow.netdev->ifindex != LOOPBACK_IFINDEX`; a pool created on
/// loopback is listed without it, a pool on ifindex 2 with it.
#[test]
fn ifindex_is_left_out_for_loopback_only() {
    let mem = mem();
    let real = pool_on(&mem, IfIndex(2), NapiId(MIN_NAPI_ID));
    let lo = pool_on(&mem, LOOPBACK_IFINDEX, NapiId(MIN_NAPI_ID));
    let reg = PoolRegistry::of(&mem);
    let get = |id| reg.netdev_nl_page_pool_get_doit(id).unwrap();
    assert_eq!(get(real.id()).ifindex, Some(2));
    assert_eq!(get(lo.id()).ifindex, None);
    let json: serde_json::Value = serde_json::from_str(&reg.dump_json()).unwrap();
    let lo_json = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == lo.id())
        .unwrap();
    assert!(lo_json.get("ifindex").is_none(), "{lo_json}");
}

/// `napi-id` only for a real NAPI id: 6.12 puts the stashed
/// `pool->user.napi_id` when non-zero, and its `napi_hash_add` never hands
/// out an id below `MIN_NAPI_ID` (`NR_CPUS + 1` = 65 on the simulated
/// x86-64 host); an id below it says nothing and is left out (the rule
/// 6.14 writes as `napi_id >= MIN_NAPI_ID`).
#[test]
fn napi_id_is_put_from_min_napi_id_up() {
    assert_eq!(MIN_NAPI_ID, NR_CPUS + 1);
    assert_eq!(MIN_NAPI_ID, 65);
    let mem = mem();
    let below = pool_on(&mem, IfIndex(2), NapiId(MIN_NAPI_ID - 1));
    let first = pool_on(&mem, IfIndex(2), NapiId(MIN_NAPI_ID));
    let reg = PoolRegistry::of(&mem);
    let get = |id| reg.netdev_nl_page_pool_get_doit(id).unwrap();
    assert_eq!(get(below.id()).napi_id, None);
    assert_eq!(get(first.id()).napi_id, Some(MIN_NAPI_ID));
    assert!(!get(below.id()).to_text().contains("napi-id"));
}

/// 6.12 stashes the NAPI id at `page_pool_list` (`pool->user.napi_id`) and
/// `page_pool_nl_fill` reads the stash, so a pool destroyed with pages in
/// flight still shows its `napi-id` although
/// `page_pool_disable_direct_recycling` cleared `pool->p.napi`. (6.14's
/// "net: page_pool: don't try to stash the napi id" reads `pool->p.napi`
/// and drops it; its Fixes: target, napi_config, is not in 6.12.)
#[test]
fn a_detached_pool_keeps_its_napi_id() {
    let mem = mem();
    let napi = NapiId(MIN_NAPI_ID + 3);
    let mut pp = pool_on(&mem, IfIndex(3), napi);
    let id = pp.id();
    let stack = pp.handle();
    let page = pp.napi_ctx(napi).dev_alloc_pages().unwrap();
    mem.set_cycle(2 * HZ);
    assert!(matches!(pp.destroy(), DestroyOutcome::Detached { .. }));
    let reg = PoolRegistry::of(&mem);
    let info = reg.netdev_nl_page_pool_get_doit(id).unwrap();
    assert_eq!(
        (info.ifindex, info.napi_id, info.detach_time),
        (Some(3), Some(napi.0), Some(2))
    );
    stack.put_full_page(page, false);
    assert_eq!(reg.service(3 * HZ), [ServiceEvent::Freed { id }]);
}

/// `detach-time` is put only `if (pool->user.detach_time)`: 0 until
/// `page_pool_detached` sets it to `ktime_get_boottime_seconds()`, so a
/// pool detached in the first second after boot shows none either (6.12
/// stores seconds; the ktime_t fix, 28b225282d44, is 2026).
#[test]
fn detach_time_is_left_out_while_zero() {
    let mem = mem();
    let napi = NapiId(MIN_NAPI_ID);
    let reg = PoolRegistry::of(&mem);
    let mut early = pool_on(&mem, IfIndex(2), napi);
    let mut late = pool_on(&mem, IfIndex(2), napi);
    let (early_id, late_id) = (early.id(), late.id());
    let _a = early.napi_ctx(napi).dev_alloc_pages().unwrap();
    let _b = late.napi_ctx(napi).dev_alloc_pages().unwrap();
    assert_eq!(
        reg.netdev_nl_page_pool_get_doit(late_id)
            .unwrap()
            .detach_time,
        None
    );
    mem.set_cycle(HZ - 1);
    early.destroy();
    mem.set_cycle(5 * HZ + 1);
    late.destroy();
    assert_eq!(
        reg.netdev_nl_page_pool_get_doit(early_id)
            .unwrap()
            .detach_time,
        None
    );
    assert_eq!(
        reg.netdev_nl_page_pool_get_doit(late_id)
            .unwrap()
            .detach_time,
        Some(5)
    );
    let text = reg.dump_text();
    assert_eq!(text.matches("detach-time").count(), 1, "{text}");
}

/// `inflight` is `page_pool_inflight(pool, false)` and `inflight-mem` is
/// `inflight * (PAGE_SIZE << pool->p.order)`.
#[test]
fn inflight_mem_counts_whole_compound_pages() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pp = mapped_pool(&mem, &dev, |p| {
        p.netdev = Some(IfIndex(2));
        p.order = 2;
    });
    let _pages: Vec<PpPage> = (0..3).map(|_| pp.dev_alloc_pages().unwrap()).collect();
    let info = PoolRegistry::of(&mem)
        .netdev_nl_page_pool_get_doit(pp.id())
        .unwrap();
    assert_eq!((info.inflight, info.inflight_mem), (3, 3 * (4096 << 2)));
}
