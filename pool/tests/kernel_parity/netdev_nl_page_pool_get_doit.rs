//! `netdev_nl_page_pool_get_doit` / `netdev_nl_page_pool_get_do`
//! (net/core/page_pool_user.c, 6.12): a `page-pool-get` of one id answers
//! `-ENOENT` unless the pool is on a netdev's list.

use pool::*;

use crate::common::*;

/// `if (!pool || hlist_unhashed(&pool->user.list) || ...) err = -ENOENT`:
/// an unknown id, a pool created without a netdev and a wiped pool all
/// answer "no such entry"; a pool on a netdev answers with its attributes.
#[test]
fn a_pool_the_user_cannot_see_answers_no_such_entry() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let hidden = mapped_pool(&mem, &dev, |p| p.netdev = None);
    let on_lo = mapped_pool(&mem, &dev, |p| p.netdev = Some(LOOPBACK_IFINDEX));
    let shown = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(2)));
    let reg = PoolRegistry::of(&mem);
    let no_entry = |id| Err(NetlinkError::NoEntry { id });
    assert_eq!(
        reg.netdev_nl_page_pool_get_doit(hidden.id()),
        no_entry(hidden.id())
    );
    assert_eq!(reg.netdev_nl_page_pool_get_doit(999), no_entry(999));
    assert_eq!(
        reg.netdev_nl_page_pool_get_doit(shown.id())
            .unwrap()
            .ifindex,
        Some(2)
    );
    assert!(reg.netdev_nl_page_pool_get_doit(on_lo.id()).is_ok());
    reg.unregister_netdev(LOOPBACK_IFINDEX);
    assert_eq!(
        reg.netdev_nl_page_pool_get_doit(on_lo.id()),
        no_entry(on_lo.id())
    );
    assert_eq!(
        reg.netdev_nl_page_pool_stats_get_doit(on_lo.id()),
        Err(NetlinkError::NoEntry { id: on_lo.id() })
    );
    assert_eq!(
        NetlinkError::NoEntry { id: 7 }.to_string(),
        "page pool 7: no such entry (ENOENT)"
    );
}

/// A `page-pool-get` reply carries only the pool's attributes (id,
/// ifindex, napi-id, inflight, inflight-mem, detach-time): the counters
/// belong to the separate `page-pool-stats-get` request.
#[test]
fn a_get_reply_has_no_stats() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let pp = mapped_pool(&mem, &dev, |p| {
        p.netdev = Some(IfIndex(2));
        p.napi = Some(NapiId(MIN_NAPI_ID));
    });
    let reg = PoolRegistry::of(&mem);
    let json = serde_json::to_string(&reg.netdev_nl_page_pool_get_doit(pp.id()).unwrap()).unwrap();
    assert_eq!(
        json,
        format!(
            r#"{{"id":{},"ifindex":2,"napi-id":{MIN_NAPI_ID},"inflight":0,"inflight-mem":0}}"#,
            pp.id()
        )
    );
}
