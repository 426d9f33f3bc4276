//! `skb_clone` / `__skb_clone` (net/core/skbuff.c, 6.12): the clone shares
//! the head and `skb_shared_info` (`atomic_inc(&shinfo->dataref)`), copies
//! `pp_recycle` (`C(pp_recycle)`), and takes no page reference; the data is
//! released by `skb_release_data` when the last `dataref` goes, and only
//! then is the pool page recycled.

use hostdriver::test_utils::*;
use pool::Coherence;

use crate::common::{rx_n, small};

/// `__skb_clone`: `C(pp_recycle)` copies the mark, the head is the same
/// page pool page, and `get_page` is not called: the page's refcount stays 1.
#[test]
fn clone_copies_pp_recycle_and_takes_no_page_reference() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let mem = drv.host_mem().clone();
    let skb = rx_n(&mut drv, 1, 300).pop().unwrap();
    let pool = drv.rx_pool().unwrap().id();
    let clone = skb.skb_clone();
    assert!(
        clone.pp_recycle(),
        "C(pp_recycle): the clone carries the mark"
    );
    assert_eq!(clone.head_pool(), Some(pool), "the same pool page");
    assert_eq!(clone.data_addr(), skb.data_addr());
    assert_eq!(
        mem.page_ref_count(skb.data_addr().unwrap()).unwrap(),
        1,
        "no get_page: dataref is shared instead"
    );
    drop(clone);
    skb.free();
    settle(&mut drv);
    close_clean(&mut drv);
}

/// `skb_release_data`: freeing the original while its clone lives only
/// drops `dataref` (no put, no `released_refcnt`, the page is not
/// released); the clone's free is the last and recycles the page through
/// the ring (`napi_pp_put_page` from process context).
#[test]
fn original_freed_first_the_page_is_recycled_when_the_clone_goes() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let skb = rx_n(&mut drv, 1, 300).pop().unwrap();
    let pp0 = drv.pool_stats().unwrap().recycle_stats;
    let inflight0 = drv.rx_pool().unwrap().inflight();
    let clone = skb.skb_clone();
    skb.free();
    let pp1 = drv.pool_stats().unwrap().recycle_stats;
    assert_eq!(pp1, pp0, "not the last dataref: nothing goes back");
    assert_eq!(drv.rx_pool().unwrap().inflight(), inflight0);
    assert_eq!(clone.to_vec().unwrap(), frame(0, 300));
    clone.free();
    let pp2 = drv.pool_stats().unwrap().recycle_stats;
    assert_eq!(pp2.ring, pp0.ring + 1, "recycled on the last free");
    assert_eq!(pp2.released_refcnt, pp0.released_refcnt, "never released");
    assert_eq!(
        drv.rx_pool().unwrap().inflight(),
        inflight0,
        "recycled: the pool still holds it"
    );
    settle(&mut drv);
    close_clean(&mut drv);
}

/// The same with the clone freed first: the original's free is the last
/// `dataref` and recycles; either order, the page is put exactly once.
#[test]
fn clone_freed_first_the_original_recycles_once() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let skb = rx_n(&mut drv, 1, 300).pop().unwrap();
    let pp0 = drv.pool_stats().unwrap().recycle_stats;
    let clone = skb.skb_clone();
    let clone2 = clone.skb_clone();
    let page = skb.data_addr().unwrap();
    assert_eq!(skb.dataref(), 3, "three skbs share the data");
    assert_eq!(
        drv.host_mem().page_ref_count(page).unwrap(),
        1,
        "and no page reference was taken"
    );
    drop(clone);
    clone2.free();
    assert_eq!(drv.pool_stats().unwrap().recycle_stats, pp0);
    skb.free();
    let pp = drv.pool_stats().unwrap().recycle_stats;
    assert_eq!(pp.ring, pp0.ring + 1);
    assert_eq!(pp.released_refcnt, pp0.released_refcnt);
    assert!(drv.rx_pool().unwrap().violations().is_empty());
    settle(&mut drv);
    close_clean(&mut drv);
}
