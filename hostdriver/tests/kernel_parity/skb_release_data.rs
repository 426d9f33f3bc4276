//! `skb_release_data` (net/core/skbuff.c, 6.12): on the last `dataref`,
//! every frag goes through `__skb_frag_unref(frag, skb->pp_recycle)` =
//! `skb_page_unref` (include/linux/skbuff_ref.h), which recycles a page
//! pool page with `napi_pp_put_page` -> `page_pool_put_full_netmem(pp,
//! netmem, false)`, and then the head through `skb_free_head` ->
//! `skb_pp_recycle`. A reference taken with `get_page` (`skb_frag_ref` in
//! 6.12 is `get_page`) keeps the page's refcount above 1, so the pool's
//! put finds it not recyclable (`__page_pool_page_can_be_recycled`):
//! `released_refcnt`, unmapped, out of flight.

use std::cell::RefCell;
use std::rc::Rc;

use hostdriver::test_utils::*;
use hostdriver::{CoalescePolicy, SkBuff};
use pool::{Coherence, NapiCtx};

use crate::common::{rx_n, small};

/// Three received skbs coalesced into one (6.12 `skb_try_coalesce`: the
/// heads become frags with their pp references): one skb, a pool head and
/// two pool frags.
fn coalesced(drv: &mut hostdriver::Driver<hostdriver::model::ModelNic>) -> SkBuff {
    let mut skbs = rx_n(drv, 3, 256);
    let c = skbs.pop().unwrap();
    let b = skbs.pop().unwrap();
    let mut a = skbs.pop().unwrap();
    a.try_coalesce(b, CoalescePolicy::KeepPoolState).unwrap();
    a.try_coalesce(c, CoalescePolicy::KeepPoolState).unwrap();
    a
}

/// `skb_page_unref` -> `napi_pp_put_page` on every frag: page pool frags
/// are recycled with the head (three pages into the ring from process
/// context), none is released (in flight unchanged), none is unmapped.
#[test]
fn page_pool_frags_are_recycled_with_the_head() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let pool = drv.rx_pool().unwrap().id();
    let a = coalesced(&mut drv);
    assert_eq!(a.frag_pools(), vec![Some(pool), Some(pool)]);
    let mut want = frame(0, 256);
    want.extend(frame(1, 256));
    want.extend(frame(2, 256));
    assert_eq!(a.to_vec().unwrap(), want);
    let pp0 = drv.pool_stats().unwrap().recycle_stats;
    let inflight0 = drv.rx_pool().unwrap().inflight();
    let mappings0 = drv.dma_dev().live_mappings().len();
    a.free();
    let pp = drv.pool_stats().unwrap().recycle_stats;
    assert_eq!(pp.ring, pp0.ring + 3, "head and both frags recycled");
    assert_eq!(pp.released_refcnt, pp0.released_refcnt);
    assert_eq!(
        drv.rx_pool().unwrap().inflight(),
        inflight0,
        "recycled, not released: still held by the pool"
    );
    assert_eq!(
        drv.dma_dev().live_mappings().len(),
        mappings0,
        "recycled pages stay mapped"
    );
    settle(&mut drv);
    close_clean(&mut drv);
}

/// The same skb freed in the pool's own NAPI poll (`napi_consume_skb`):
/// `page_pool_napi_local` holds for every page, head and frags, so all
/// three go into the alloc cache.
#[test]
fn frags_freed_in_the_pools_own_napi_recycle_directly() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let held = Rc::new(RefCell::new(vec![coalesced(&mut drv)]));
    let pp0 = drv.pool_stats().unwrap().recycle_stats;
    let h = held.clone();
    drv.set_rx_handler(Some(Box::new(
        move |skb: SkBuff, napi: &mut NapiCtx<'_>| {
            for s in h.borrow_mut().drain(..) {
                s.free_in_napi(napi);
            }
            skb.free_in_napi(napi);
            None
        },
    )));
    drv.dev_mut().send_frame(frame(7, 200));
    settle(&mut drv);
    assert!(held.borrow().is_empty());
    let pp = drv.pool_stats().unwrap().recycle_stats;
    assert_eq!(
        pp.cached,
        pp0.cached + 4,
        "three pages of the coalesced skb + the new one"
    );
    assert_eq!(pp.ring, pp0.ring);
    assert!(drv.rx_pool().unwrap().violations().is_empty());
    close_clean(&mut drv);
}

/// `get_page` on the head's page while the skb is freed: the pool's put
/// sees refcount 2, not recyclable: `released_refcnt += 1`, unmapped, out
/// of flight; the reference keeps the memory, and its `put_page` frees it.
#[test]
fn a_get_page_reference_makes_the_put_release_the_page() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let mem = drv.host_mem().clone();
    let skb = rx_n(&mut drv, 1, 300).pop().unwrap();
    let page = skb.data_addr().unwrap();
    let pp0 = drv.pool_stats().unwrap().recycle_stats;
    let inflight0 = drv.rx_pool().unwrap().inflight();
    let r = skb.head_page_ref().unwrap();
    assert_eq!(mem.page_ref_count(page).unwrap(), 2);
    skb.free();
    let pp = drv.pool_stats().unwrap().recycle_stats;
    assert_eq!(pp.released_refcnt, pp0.released_refcnt + 1);
    assert_eq!(pp.ring, pp0.ring, "not recyclable while referenced");
    assert_eq!(drv.rx_pool().unwrap().inflight(), inflight0 - 1);
    assert!(!mem.page_is_pp(page), "the pool let go of it");
    assert_eq!(
        mem.page_ref_count(page).unwrap(),
        1,
        "held by the reference"
    );
    drop(r);
    assert_eq!(mem.page_ref_count(page).unwrap(), 0);
    settle(&mut drv);
    close_clean(&mut drv);
}

/// `skb_frag_ref` (6.12: `get_page` of the frag's page) on a pool frag:
/// that frag's put is released (`released_refcnt`), the head and the other
/// frag are recycled.
#[test]
fn skb_frag_ref_makes_that_frags_put_release_it() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let a = coalesced(&mut drv);
    let pp0 = drv.pool_stats().unwrap().recycle_stats;
    let r = a.skb_frag_ref(1).unwrap();
    a.free();
    let pp = drv.pool_stats().unwrap().recycle_stats;
    assert_eq!(
        pp.released_refcnt,
        pp0.released_refcnt + 1,
        "the referenced frag"
    );
    assert_eq!(pp.ring, pp0.ring + 2, "the head and the other frag");
    drop(r);
    settle(&mut drv);
    close_clean(&mut drv);
}
