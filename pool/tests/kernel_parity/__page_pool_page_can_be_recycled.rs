//! `__page_pool_page_can_be_recycled` (net/core/page_pool.c), Linux 6.12:
//! `page_ref_count(page) == 1 && !page_is_pfmemalloc(page)`. A page the
//! page allocator took from the emergency reserve (`page_set_pfmemalloc`
//! when the allocation ignored the watermarks) is never recycled:
//! `__page_pool_put_page` counts `released_refcnt` and returns it
//! (`page_pool_return_page`: unmap, `release_cnt`, `put_page`), and
//! `page_pool_drain_frag` returns a drained one instead of reusing it.
//!
//! The host memory's reserve (`MemConfig::pfmemalloc_reserve`) models the
//! min watermark: a page taken while the node has no more free frames than
//! the reserve is pfmemalloc; a bulk allocation (`alloc_pages_bulk_node`,
//! `__alloc_pages_bulk`) that would go below the watermark plus its size
//! falls back to one page from the single-page allocator.

use crate::common::*;
use pool::*;

fn pressured(pages_per_node: usize, reserve: usize) -> HostMemory {
    HostMemory::new(MemConfig {
        nodes: 1,
        pages_per_node,
        pfmemalloc_reserve: reserve,
        clock_hz: HZ,
        ..MemConfig::default()
    })
}

/// `page_is_pfmemalloc` on the host memory: the last `reserve` free frames
/// of a node are the emergency reserve; a page allocated from them is
/// marked, the others are not, and a page freed and allocated again while
/// memory is plentiful is not.
#[test]
fn pages_taken_from_the_reserve_are_pfmemalloc() {
    let mem = pressured(16, 4);
    let pages: Vec<Page> = (0..16).map(|_| mem.alloc_pages(0, 0).unwrap()).collect();
    let marked: Vec<bool> = pages
        .iter()
        .map(|p| mem.page_is_pfmemalloc(p.host_addr()))
        .collect();
    assert_eq!(marked, [[false; 12].as_slice(), &[true; 4]].concat());
    assert!(mem.alloc_pages(0, 0).is_err(), "the reserve is finite");
    for p in pages {
        mem.free_pages(p).unwrap();
    }
    let again = mem.alloc_pages(0, 0).unwrap();
    assert!(!mem.page_is_pfmemalloc(again.host_addr()));
    mem.free_pages(again).unwrap();
}

/// `__page_pool_put_page` from the pool's NAPI with direct recycling: a
/// pfmemalloc page with `page_ref_count == 1` is still not recyclable:
/// `released_refcnt += 1`, unmapped, freed; no `cached`.
#[test]
fn a_pfmemalloc_page_is_released_not_recycled_in_napi() {
    let mem = pressured(256, 256);
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let page = pool.dev_alloc_pages().unwrap();
    assert!(mem.page_is_pfmemalloc(page.host_addr()));
    assert_eq!(mem.page_ref_count(page.host_addr()).unwrap(), 1);
    pool.napi_ctx(NAPI).recycle_direct(page);
    let (a, r) = stats(&pool);
    assert_eq!((a.slow, a.fast), (1, 0));
    assert_eq!(
        r,
        PagePoolRecycleStats {
            released_refcnt: 1,
            ..Default::default()
        }
    );
    assert_eq!((pool.inflight(), pool.cached_pages()), (0, 0));
    assert_eq!(dev.live_mappings(), []);
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
    assert_eq!(pool.check_invariants(), []);
}

/// `page_pool_put_unrefed_page` from another context: the recyclability
/// test comes before the ring, so a pfmemalloc page never reaches it
/// (`ring` stays 0, `released_refcnt += 1`).
#[test]
fn a_pfmemalloc_page_put_from_elsewhere_skips_the_ring() {
    let mem = pressured(256, 256);
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    let page = pool.dev_alloc_pages().unwrap();
    stack.put_full_page(page, false);
    let (_, r) = stats(&pool);
    assert_eq!((r.ring, r.released_refcnt), (0, 1));
    assert_eq!((pool.inflight(), pool.ring_pages()), (0, 0));
}

/// The watermark through the pool's slow path
/// (`__page_pool_alloc_pages_slow` -> `alloc_pages_bulk_array_node`): with
/// 128 frames and a reserve of 32, the first bulk gets 64 ordinary pages;
/// below `watermark + 64` free frames each slow path gets one page
/// (`slow += 1` each), ordinary while above the reserve, then pfmemalloc.
/// The ordinary ones recycle (`cached`), the pfmemalloc one is released.
#[test]
fn under_pressure_the_slow_path_gets_single_pages_then_reserve_pages() {
    let mem = pressured(128, 32);
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let mut held = Vec::new();
    for _ in 0..96 {
        let p = pool.dev_alloc_pages().unwrap();
        assert!(!mem.page_is_pfmemalloc(p.host_addr()));
        held.push(p);
    }
    let (a, _) = stats(&pool);
    assert_eq!((a.slow, a.fast), (1 + 32, 63));
    let reserve = pool.dev_alloc_pages().unwrap();
    assert!(mem.page_is_pfmemalloc(reserve.host_addr()));
    let mut napi = pool.napi_ctx(NAPI);
    for p in held {
        napi.recycle_direct(p);
    }
    napi.recycle_direct(reserve);
    let (_, r) = stats(&pool);
    assert_eq!((r.cached, r.released_refcnt), (96, 1));
    assert_eq!(pool.inflight(), 96);
    assert_eq!(pool.check_invariants(), []);
}

/// `page_pool_drain_frag`: when the last fragment user of a pfmemalloc
/// page is the pool itself, the page is returned
/// (`page_pool_return_page`, no recycle counter) and the next fragment
/// comes from a fresh page (`slow`), instead of reusing the drained one.
#[test]
fn a_drained_pfmemalloc_fragment_page_is_returned() {
    let mem = pressured(256, 256);
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    let mut off = 0;
    let f1 = pool.dev_alloc_frag(&mut off, 2048).unwrap();
    let f2 = pool.dev_alloc_frag(&mut off, 2048).unwrap();
    stack.put_page(f1, -1, false);
    stack.put_page(f2, -1, false);
    let f3 = pool.dev_alloc_frag(&mut off, 2048).unwrap();
    let (a, r) = stats(&pool);
    assert_eq!(a.slow, 2);
    assert_eq!((r.cached, r.released_refcnt), (0, 0));
    assert_eq!(pool.inflight(), 1);
    assert_eq!(mem.allocated_pages(0).unwrap(), 1);
    stack.put_page(f3, -1, false);
}
