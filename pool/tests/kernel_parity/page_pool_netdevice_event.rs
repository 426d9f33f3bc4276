//! `page_pool_netdevice_event` (net/core/page_pool_user.c, 6.12):
//! `NETDEV_UNREGISTER` of a netdev with pools moves them to loopback
//! (`page_pool_unreg_netdev`); of loopback itself, wipes them
//! (`page_pool_unreg_netdev_wipe`).

use pool::*;

use crate::common::*;

/// Orphaned pools stay visible from loopback's list without an ifindex and
/// each is announced (`page-pool-change-ntf`); pools of other netdevs are
/// untouched; a netdev without pools changes nothing (`hlist_empty`).
#[test]
fn unregister_moves_only_that_netdevs_pools_to_loopback() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let reg = PoolRegistry::of(&mem);
    let gone = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(4)));
    let stays = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(2)));
    let sub = reg.subscribe();
    reg.unregister_netdev(IfIndex(9));
    assert!(sub.drain().is_empty());
    reg.unregister_netdev(IfIndex(4));
    let ntfs = sub.drain();
    assert_eq!(ntfs.len(), 1);
    assert_eq!(
        (ntfs[0].cmd, ntfs[0].info.id, ntfs[0].info.ifindex),
        (PagePoolNtfCmd::Change, gone.id(), None)
    );
    let get = |id| reg.netdev_nl_page_pool_get_doit(id).unwrap().ifindex;
    assert_eq!((get(gone.id()), get(stays.id())), (None, Some(2)));
    assert_eq!(gone.info().ifindex, None, "the pool's own view agrees");
}

/// Loopback going away wipes the pools created on it and the orphans
/// moved there, and nothing else: the ones on ifindex 2 stay listed.
#[test]
fn unregistering_loopback_wipes_its_pools_and_orphans() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let reg = PoolRegistry::of(&mem);
    let on_lo = mapped_pool(&mem, &dev, |p| p.netdev = Some(LOOPBACK_IFINDEX));
    let orphan = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(3)));
    let stays = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(2)));
    reg.unregister_netdev(IfIndex(3));
    reg.unregister_netdev(LOOPBACK_IFINDEX);
    let ids: Vec<u32> = reg
        .netdev_nl_page_pool_get_dumpit()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, [stays.id()]);
    assert!(reg.netdev_nl_page_pool_get_doit(on_lo.id()).is_err());
    assert!(reg.netdev_nl_page_pool_get_doit(orphan.id()).is_err());
}
