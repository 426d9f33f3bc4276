//! `page_pool_nl_stats_fill` and `netdev_nl_page_pool_stats_get_doit`
//! (net/core/page_pool_user.c, 6.12, CONFIG_PAGE_POOL_STATS): the
//! `page-pool-stats-get` reply nests `info { id, ifindex }` and puts the
//! counters beside it.

use pool::*;

use crate::common::*;

/// The reply opens the `NETDEV_A_PAGE_POOL_STATS_INFO` nest with `id` and
/// (not for loopback) `ifindex`, closes it, then puts the eleven counters
/// of `page_pool_get_stats` at the top level, in the kernel's order.
#[test]
fn stats_reply_nests_info_then_the_counters() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pp = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(2)));
    let page = pp.dev_alloc_pages().unwrap();
    pp.napi_ctx(NAPI).recycle_direct(page);
    let reg = PoolRegistry::of(&mem);
    let reply = reg.netdev_nl_page_pool_stats_get_doit(pp.id()).unwrap();
    assert_eq!(
        reply.info,
        PagePoolStatsInfo {
            id: pp.id(),
            ifindex: Some(2)
        }
    );
    assert_eq!((reply.stats.alloc_slow, reply.stats.recycle_cached), (1, 1));
    let json = serde_json::to_string(&reply).unwrap();
    assert_eq!(
        json,
        format!(
            concat!(
                r#"{{"info":{{"id":{},"ifindex":2}},"alloc-fast":0,"alloc-slow":1,"#,
                r#""alloc-slow-high-order":0,"alloc-empty":1,"alloc-refill":0,"#,
                r#""alloc-waive":0,"recycle-cached":1,"recycle-cache-full":0,"#,
                r#""recycle-ring":0,"recycle-ring-full":0,"recycle-released-refcnt":0}}"#
            ),
            pp.id()
        )
    );
    assert!(reply.to_text().starts_with(&format!(
        "page-pool-stats info id {} ifindex 2\n    alloc-fast 0 alloc-slow 1",
        pp.id()
    )));
}

/// The nest's `ifindex` follows the same loopback rule as
/// `page_pool_nl_fill`: an orphaned pool's stats reply names only its id.
#[test]
fn stats_info_has_no_ifindex_on_loopback() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let pp = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(5)));
    let reg = PoolRegistry::of(&mem);
    reg.unregister_netdev(IfIndex(5));
    let dump = reg.netdev_nl_page_pool_stats_get_dumpit();
    assert_eq!(dump.len(), 1);
    assert_eq!(
        dump[0].info,
        PagePoolStatsInfo {
            id: pp.id(),
            ifindex: None
        }
    );
    assert!(reg.stats_dump_json().contains("\"info\": {\n      \"id\""));
}
