//! `netdev_nl_page_pool_event` (net/core/page_pool_user.c, 6.12): the
//! `page-pool` multicast group hears of a visible pool's creation
//! (`page_pool_list`), change (`page_pool_detached`,
//! `page_pool_unreg_netdev`) and destruction (`page_pool_unlist`), each
//! with the pool's `page_pool_nl_fill` attributes at that moment.

use pool::*;

use crate::common::*;

fn cmds(ntfs: &[PagePoolNotification]) -> Vec<(PagePoolNtfCmd, u32)> {
    ntfs.iter().map(|n| (n.cmd, n.info.id)).collect()
}

/// Add at creation, change at detach (now with `detach-time`), change when
/// the netdev goes (now without `ifindex`), del when the last page comes
/// back and the pool is freed: in that order.
#[test]
fn a_subscriber_sees_add_change_change_del_in_order() {
    use PagePoolNtfCmd::*;
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let reg = PoolRegistry::of(&mem);
    let sub = reg.subscribe();
    let mut pp = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(2)));
    let id = pp.id();
    let stack = pp.handle();
    let page = pp.dev_alloc_pages().unwrap();
    mem.set_cycle(4 * HZ);
    assert!(matches!(
        pp.destroy(),
        DestroyOutcome::Detached { inflight: 1 }
    ));
    reg.unregister_netdev(IfIndex(2));
    stack.put_full_page(page, false);
    assert_eq!(reg.service(5 * HZ), [ServiceEvent::Freed { id }]);
    let ntfs = sub.drain();
    assert_eq!(
        cmds(&ntfs),
        [(Add, id), (Change, id), (Change, id), (Del, id)]
    );
    let (add, detached, moved, del) = (&ntfs[0].info, &ntfs[1].info, &ntfs[2].info, &ntfs[3].info);
    assert_eq!(
        (add.ifindex, add.inflight, add.detach_time),
        (Some(2), 0, None)
    );
    assert_eq!(
        (detached.ifindex, detached.inflight, detached.detach_time),
        (Some(2), 1, Some(4))
    );
    assert_eq!((moved.ifindex, moved.detach_time), (None, Some(4)));
    assert_eq!((del.ifindex, del.inflight), (None, 0));
    assert!(sub.drain().is_empty(), "each announcement is received once");
    assert_eq!(
        serde_json::to_value(&ntfs[0]).unwrap()["cmd"],
        "page-pool-add-ntf"
    );
}

/// A pool destroyed with nothing in flight is freed at once: add, then del.
/// Announcements made before a subscriber joined are not replayed.
#[test]
fn a_pool_freed_at_destroy_is_added_then_deleted() {
    use PagePoolNtfCmd::*;
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let reg = PoolRegistry::of(&mem);
    let early = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(2)));
    let sub = reg.subscribe();
    let pp = mapped_pool(&mem, &dev, |p| p.netdev = Some(IfIndex(2)));
    let id = pp.id();
    assert_eq!(pp.destroy(), DestroyOutcome::Freed);
    assert_eq!(cmds(&sub.drain()), [(Add, id), (Del, id)]);
    let early_id = early.id();
    drop(early);
    assert_eq!(cmds(&sub.drain()), [(Del, early_id)]);
}

/// "'invisible' page pools don't matter": a pool without a netdev is never
/// announced, nor is the wipe of loopback's pools
/// (`page_pool_unreg_netdev_wipe` sends nothing), nor anything about a
/// wiped pool afterwards.
#[test]
fn invisible_pools_are_never_announced() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let reg = PoolRegistry::of(&mem);
    let mut on_lo = mapped_pool(&mem, &dev, |p| p.netdev = Some(LOOPBACK_IFINDEX));
    let sub = reg.subscribe();
    let mut hidden = mapped_pool(&mem, &dev, |p| p.netdev = None);
    let page = hidden.dev_alloc_pages().unwrap();
    let lo_page = on_lo.dev_alloc_pages().unwrap();
    let (stack, lo_stack) = (hidden.handle(), on_lo.handle());
    hidden.destroy();
    reg.unregister_netdev(LOOPBACK_IFINDEX);
    on_lo.destroy();
    stack.put_full_page(page, false);
    lo_stack.put_full_page(lo_page, false);
    assert_eq!(reg.service(HZ).len(), 2, "both freed");
    assert!(sub.drain().is_empty());
}
