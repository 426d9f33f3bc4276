//! `netdev_nl_page_pool_get_dumpit` / `netdev_nl_page_pool_get_dump`
//! (net/core/page_pool_user.c, 6.12): a dump walks the netdevs and each
//! netdev's `page_pools` list, so it shows exactly the pools the user can
//! see, in that order.

use pool::*;

use crate::common::*;

fn pool_on(mem: &HostMemory, netdev: Option<IfIndex>) -> PagePool {
    let dev = DmaDev::new(mem, "nic");
    mapped_pool(mem, &dev, |p| p.netdev = netdev)
}

fn dump_ids(reg: &PoolRegistry) -> Vec<u32> {
    reg.netdev_nl_page_pool_get_dumpit()
        .iter()
        .map(|i| i.id)
        .collect()
}

/// `page_pool_list` adds a pool to `pool->slow.netdev->page_pools` only if
/// it has a netdev; the dump walks those lists, so a pool created without
/// a netdev is in the id table but never dumped.
#[test]
fn a_pool_without_netdev_is_not_dumped() {
    let mem = mem();
    let hidden = pool_on(&mem, None);
    let shown = pool_on(&mem, Some(IfIndex(2)));
    let reg = PoolRegistry::of(&mem);
    assert_eq!(reg.ids(), [hidden.id(), shown.id()]);
    assert_eq!(dump_ids(&reg), [shown.id()]);
    assert_eq!(reg.netdev_nl_page_pool_stats_get_dumpit().len(), 1);
}

/// `page_pool_unreg_netdev_wipe` takes the pools off loopback's list
/// (`hlist_del_init`, `NET_PTR_POISON`): a wiped pool is no longer dumped.
/// An orphaned one (its netdev gone, `page_pool_unreg_netdev`) is still
/// dumped, from loopback's list, without an ifindex.
#[test]
fn a_wiped_pool_is_not_dumped_an_orphaned_one_is() {
    let mem = mem();
    let pp = pool_on(&mem, Some(IfIndex(4)));
    let reg = PoolRegistry::of(&mem);
    reg.unregister_netdev(IfIndex(4));
    let dump = reg.netdev_nl_page_pool_get_dumpit();
    assert_eq!(
        (dump.len(), dump[0].id, dump[0].ifindex),
        (1, pp.id(), None)
    );
    reg.unregister_netdev(LOOPBACK_IFINDEX);
    assert!(reg.netdev_nl_page_pool_get_dumpit().is_empty());
    assert!(reg.netdev_nl_page_pool_stats_get_dumpit().is_empty());
    assert_eq!(reg.ids(), [pp.id()], "still in the id table");
}

/// The dump goes netdev by netdev in ifindex order (`for_each_netdev_dump`)
/// and through each list from its head; `hlist_add_head` puts the newest
/// pool first. An unregistered netdev's list is spliced whole at the head
/// of loopback's (`hlist_splice_init`), which comes first (ifindex 1).
#[test]
fn dump_order_is_netdev_order_then_newest_first() {
    let mem = mem();
    let a3 = pool_on(&mem, Some(IfIndex(3)));
    let b2 = pool_on(&mem, Some(IfIndex(2)));
    let c3 = pool_on(&mem, Some(IfIndex(3)));
    let d2 = pool_on(&mem, Some(IfIndex(2)));
    let e_lo = pool_on(&mem, Some(LOOPBACK_IFINDEX));
    let reg = PoolRegistry::of(&mem);
    assert_eq!(
        dump_ids(&reg),
        [e_lo.id(), d2.id(), b2.id(), c3.id(), a3.id()]
    );
    reg.unregister_netdev(IfIndex(3));
    assert_eq!(
        dump_ids(&reg),
        [c3.id(), a3.id(), e_lo.id(), d2.id(), b2.id()]
    );
}
