//! `xdp_return_frame` and `xdp_return_frame_rx_napi` (net/core/xdp.c,
//! 6.12): both `__xdp_return(data, mem, napi_direct)`, which for
//! `MEM_TYPE_PAGE_POOL` puts the page to its own pool (`page->pp`, no table
//! lookup) with `page_pool_put_full_page(pp, page, napi_direct)`:
//! `napi_direct = false` for `xdp_return_frame`, `true` for
//! `xdp_return_frame_rx_napi`, which only the receiving pool's own NAPI
//! poll may call.

use std::cell::RefCell;
use std::rc::Rc;

use hostdriver::test_utils::*;
use hostdriver::{RedirectTarget, SkBuff, XdpAction, XdpBuff, XdpFrame};
use pool::{Coherence, IfIndex, NapiCtx, NapiId, PoolViolationKind, PutContext};

use crate::common::{one_xdp_driver, receive_all, small};

const ELSEWHERE: XdpAction = XdpAction::Redirect(RedirectTarget::Ifindex(IfIndex(9)));

/// `xdp_return_frame` from process context: `napi_direct = false`, not the
/// pool's NAPI: every page into its pool's ring, counted once per call.
#[test]
fn xdp_return_frame_puts_without_direct_into_the_ring() {
    let (_mem, mut a) = one_xdp_driver(small(), ELSEWHERE);
    receive_all(&mut a, 4, 128);
    let pp0 = a.pool_stats().unwrap().recycle_stats;
    for f in a.take_redirects() {
        f.free();
    }
    let pp = a.pool_stats().unwrap().recycle_stats;
    assert_eq!(pp.ring, pp0.ring + 4);
    assert_eq!(pp.cached, pp0.cached);
    assert_eq!(a.xdp_mem_log().stats().return_frame, 4);
    assert!(a.rx_pool().unwrap().violations().is_empty());
    settle(&mut a);
    close_clean(&mut a);
}

/// `xdp_return_frame_rx_napi` inside the receiving pool's own NAPI poll:
/// `napi_direct = true` is allowed there, so the pages go into the alloc
/// cache.
#[test]
fn xdp_return_frame_rx_napi_in_the_pools_own_poll_recycles_directly() {
    let mem = memory(Coherence::Coherent);
    let mut a = driver_on(&mem, "nicA", small());
    let mut seen = 0;
    a.set_xdp_prog(Some(Box::new(move |_: &mut XdpBuff| {
        seen += 1;
        if seen <= 4 {
            ELSEWHERE
        } else {
            XdpAction::Pass
        }
    })))
    .unwrap();
    a.open().unwrap();
    receive_all(&mut a, 4, 128);
    let held: Rc<RefCell<Vec<XdpFrame>>> = Rc::new(RefCell::new(a.take_redirects()));
    assert_eq!(held.borrow().len(), 4);
    let pp0 = a.pool_stats().unwrap().recycle_stats;
    let h = held.clone();
    a.set_rx_handler(Some(Box::new(
        move |skb: SkBuff, napi: &mut NapiCtx<'_>| {
            for f in h.borrow_mut().drain(..) {
                f.return_rx_napi(napi);
            }
            skb.free_in_napi(napi);
            None
        },
    )));
    receive_all(&mut a, 1, 128);
    assert!(held.borrow().is_empty());
    let pp = a.pool_stats().unwrap().recycle_stats;
    assert_eq!(pp.cached, pp0.cached + 5, "four frames and the PASS skb");
    assert_eq!(pp.ring, pp0.ring);
    assert_eq!(a.xdp_mem_log().stats().return_frame_rx_napi, 4);
    assert!(a.rx_pool().unwrap().violations().is_empty());
    settle(&mut a);
    close_clean(&mut a);
}

/// `xdp_return_frame_rx_napi` from another NAPI poll claims direct
/// recycling where it may not: the pool reports the claim and the page
/// goes to the ring.
#[test]
fn xdp_return_frame_rx_napi_from_another_poll_is_reported() {
    let (_mem, mut a) = one_xdp_driver(small(), ELSEWHERE);
    receive_all(&mut a, 1, 128);
    let f = a.take_redirects().pop().unwrap();
    let pp0 = a.pool_stats().unwrap().recycle_stats;
    {
        let mut other = a.rx_pool_in_other_napi(NapiId(9)).unwrap();
        f.return_rx_napi(&mut other);
    }
    let pp = a.pool_stats().unwrap().recycle_stats;
    assert_eq!(pp.ring, pp0.ring + 1);
    assert_eq!(pp.cached, pp0.cached);
    let v = a.rx_pool().unwrap().violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        v[0].kind,
        PoolViolationKind::DirectRecycleOutsideNapi {
            context: PutContext::OtherNapi(NapiId(9))
        }
    );
    settle(&mut a);
    assert_eq!(a.close().unwrap().rx_inflight, 0);
}
