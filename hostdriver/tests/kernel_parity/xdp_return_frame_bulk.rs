//! `xdp_return_frame_bulk` + `xdp_flush_frame_bulk` (net/core/xdp.c, 6.12):
//! frames of one mem id queue up (`rhashtable_lookup` of the first frame's
//! id); the queue is flushed with one `page_pool_put_page_bulk(xa->page_pool,
//! q, count)` when it holds `XDP_BULK_QUEUE_SIZE` (16), when a frame of
//! another mem id comes, and by the caller at the end. An XDP driver's TX
//! completion (from its NAPI poll) returns XDP_TX and redirected frames
//! this way. The bulk put decides direct recycling once per call by its
//! context (`page_pool_napi_local`, pool side): the driver calls it
//! through the pool's own NAPI context only from that pool's poll.
//!
//! Until the pool's bulk put honours that context, it sends every page to
//! the ring; these tests assert the calls and contexts, and only the sum
//! `cached + ring` of the pool.

use hostdriver::test_utils::*;
use hostdriver::{
    xdp_return_frame_bulk, DriverConfig, RedirectTarget, XdpAction, XdpFrameBulk, XdpMemInfo,
    XdpMemType, XdpMemViolation,
};
use pool::{Coherence, IfIndex};

use crate::common::{one_xdp_driver, receive_all, second, small, xdp_driver_on};

const ELSEWHERE: XdpAction = XdpAction::Redirect(RedirectTarget::Ifindex(IfIndex(9)));

fn big() -> DriverConfig {
    DriverConfig {
        rx_ring_size: 64,
        tx_ring_size: 64,
        ..DriverConfig::default()
    }
}

/// 40 frames of one mem id: flushed at 16, 32 (`bq->count ==
/// XDP_BULK_QUEUE_SIZE`) and by the final `xdp_flush_frame_bulk`: three
/// `page_pool_put_page_bulk` calls of 16, 16 and 8; outside any NAPI poll
/// they are remote calls, and the pages reach the pool's ring.
#[test]
fn frames_of_one_mem_id_go_back_in_bulks_of_16() {
    let (_mem, mut a) = one_xdp_driver(big(), ELSEWHERE);
    receive_all(&mut a, 40, 128);
    let frames = a.take_redirects();
    assert_eq!(frames.len(), 40);
    let pp0 = a.pool_stats().unwrap().recycle_stats;
    let log = a.xdp_mem_log().clone();
    let s0 = log.stats();
    let mut bq = XdpFrameBulk::new(log.clone());
    for f in frames {
        xdp_return_frame_bulk(f, &mut bq, None);
    }
    assert_eq!(bq.len(), 8);
    bq.xdp_flush_frame_bulk(None);
    assert!(bq.is_empty());
    let s = log.stats();
    assert_eq!(s.bulk_frames - s0.bulk_frames, 40);
    assert_eq!(s.bulk_flush_full - s0.bulk_flush_full, 2);
    assert_eq!(s.put_page_bulk_remote - s0.put_page_bulk_remote, 3);
    assert_eq!(s.put_page_bulk_napi_local, s0.put_page_bulk_napi_local);
    assert_eq!(s.put_page_bulk_pages - s0.put_page_bulk_pages, 40);
    assert_eq!(s.bulk_lookups - s0.bulk_lookups, 1, "one rhashtable_lookup");
    let pp = a.pool_stats().unwrap().recycle_stats;
    assert_eq!(pp.ring, pp0.ring + 40, "not the pool's NAPI: the ring");
    assert!(log.violations().is_empty());
    settle(&mut a);
    close_clean(&mut a);
}

/// A run of mem ids A, A, A, C, C, A: the bulk is flushed at each change
/// (`mem->id != xa->mem.id`: flush, then a new lookup), not grouped per
/// pool: three `page_pool_put_page_bulk` calls, each to its own pool.
#[test]
fn a_change_of_mem_id_flushes_the_bulk() {
    let mem = memory(Coherence::Coherent);
    let mut a = xdp_driver_on(&mem, "nicA", small(), ELSEWHERE);
    let mut c = xdp_driver_on(&mem, "nicC", second(small()), ELSEWHERE);
    receive_all(&mut a, 4, 128);
    receive_all(&mut c, 2, 128);
    let mut fa = a.take_redirects();
    let fc = c.take_redirects();
    let (a0, c0) = (
        a.pool_stats().unwrap().recycle_stats,
        c.pool_stats().unwrap().recycle_stats,
    );
    let log = a.xdp_mem_log().clone();
    let s0 = log.stats();
    let last = fa.pop().unwrap();
    let mut bq = XdpFrameBulk::new(log.clone());
    for f in fa.into_iter().chain(fc).chain([last]) {
        xdp_return_frame_bulk(f, &mut bq, None);
    }
    bq.xdp_flush_frame_bulk(None);
    let s = log.stats();
    assert_eq!(s.bulk_flush_mem_id_change - s0.bulk_flush_mem_id_change, 2);
    assert_eq!(s.put_page_bulk_remote - s0.put_page_bulk_remote, 3);
    assert_eq!(s.bulk_lookups - s0.bulk_lookups, 3);
    assert_eq!(a.pool_stats().unwrap().recycle_stats.ring, a0.ring + 4);
    assert_eq!(c.pool_stats().unwrap().recycle_stats.ring, c0.ring + 2);
    assert!(log.violations().is_empty());
    settle(&mut a);
    settle(&mut c);
    close_clean(&mut a);
    close_clean(&mut c);
}

/// XDP_TX: the TX completion (in the queue's own NAPI poll) returns every
/// frame through the bulk, and each `page_pool_put_page_bulk` goes through
/// the RX pool's own NAPI context (`page_pool_napi_local` holds): no remote
/// call, and at least one call per 16 frames.
#[test]
fn xdp_tx_completion_returns_through_the_bulk_from_the_own_napi() {
    let (_mem, mut a) = one_xdp_driver(big(), XdpAction::Tx);
    let pp0 = a.pool_stats().unwrap().recycle_stats;
    receive_all(&mut a, 120, 128);
    settle(&mut a);
    assert_eq!(a.stats().tx_packets, 120);
    let s = a.xdp_mem_log().stats();
    assert_eq!(s.bulk_frames, 120);
    assert_eq!(s.put_page_bulk_pages, 120);
    assert_eq!(s.put_page_bulk_remote, 0, "every call from the own NAPI");
    assert!(s.put_page_bulk_napi_local >= 120_u64.div_ceil(16), "{s:?}");
    let pp = a.pool_stats().unwrap().recycle_stats;
    assert_eq!(
        (pp.cached + pp.ring) - (pp0.cached + pp0.ring),
        120,
        "every XDP_TX page recycled"
    );
    assert!(a.xdp_mem_log().violations().is_empty());
    close_clean(&mut a);
}

/// A→B redirect: B's TX completion returns A's frames with
/// `xdp_return_frame_bulk` from B's NAPI poll, which is not A's pool's:
/// remote `page_pool_put_page_bulk` calls, A's pages into A's ring.
#[test]
fn redirected_frames_return_to_their_pool_from_the_targets_napi_as_remote() {
    let mem = memory(Coherence::Coherent);
    let to_b = XdpAction::Redirect(RedirectTarget::Ifindex(IfIndex(3)));
    let mut a = xdp_driver_on(&mem, "nicA", big(), to_b);
    let mut b = driver_on(&mem, "nicB", second(big()));
    b.open().unwrap();
    receive_all(&mut a, 20, 128);
    let a0 = a.pool_stats().unwrap().recycle_stats;
    assert!(b.xdp_xmit(a.take_redirects()).unwrap().is_empty());
    settle(&mut b);
    assert_eq!(b.dev_mut().take_tx_frames().len(), 20);
    let s = b.xdp_mem_log().stats();
    assert_eq!(s.bulk_frames, 20);
    assert_eq!(s.put_page_bulk_napi_local, 0, "A's pool is not B's NAPI");
    assert!(s.put_page_bulk_remote >= 2, "{s:?}");
    assert_eq!(a.pool_stats().unwrap().recycle_stats.ring, a0.ring + 20);
    assert!(b.xdp_mem_log().violations().is_empty());
    settle(&mut a);
    close_clean(&mut b);
    close_clean(&mut a);
}

/// A page pool frame whose mem id is not in the table: the kernel's
/// lookup returns NULL and is dereferenced; here it is reported and the
/// frame goes back to its page's own pool. A frame stamped with another
/// pool's mem id would be put into the wrong pool: reported, and put into
/// its own.
#[test]
fn frames_with_an_unknown_or_foreign_mem_id_are_reported() {
    let mem = memory(Coherence::Coherent);
    let mut a = xdp_driver_on(&mem, "nicA", small(), ELSEWHERE);
    let mut c = xdp_driver_on(&mem, "nicC", second(small()), ELSEWHERE);
    receive_all(&mut a, 2, 128);
    let mut fa = a.take_redirects();
    let a0 = a.pool_stats().unwrap().recycle_stats;
    let c_mem = c.xdp_rxq_info().unwrap().mem();
    let log = a.xdp_mem_log().clone();
    let mut bq = XdpFrameBulk::new(log.clone());
    let unknown = XdpMemInfo {
        mem_type: XdpMemType::PagePool,
        id: 0,
    };
    xdp_return_frame_bulk(
        fa.pop().unwrap().with_mem_info_for_test(unknown),
        &mut bq,
        None,
    );
    xdp_return_frame_bulk(
        fa.pop().unwrap().with_mem_info_for_test(c_mem),
        &mut bq,
        None,
    );
    bq.xdp_flush_frame_bulk(None);
    let (a_pool, c_pool) = (a.rx_pool().unwrap().id(), c.rx_pool().unwrap().id());
    assert_eq!(
        log.violations(),
        vec![
            XdpMemViolation::UnknownMemId { id: 0 },
            XdpMemViolation::MemIdOfAnotherPool {
                id: c_mem.id,
                table_pool: c_pool,
                page_pool: a_pool
            }
        ]
    );
    assert_eq!(a.pool_stats().unwrap().recycle_stats.ring, a0.ring + 2);
    settle(&mut a);
    settle(&mut c);
    close_clean(&mut a);
    close_clean(&mut c);
}
