//! `page_pool_alloc_frag_netmem` (net/core/page_pool.c, Linux 6.12 LTS):
//! which allocation counter a fragment moves.
//!
//! 6.12 counts every fragment handed out in the alloc stats: the first
//! fragment of a fresh page through the page's own allocation
//! (`page_pool_alloc_netmem`: fast, slow, ...), every further fragment that
//! fits in the current page with `alloc_stat_inc(pool, fast)`, and a
//! drained page reused at once (`page_pool_drain_frag` gave it back with no
//! other user) with `alloc_stat_inc(pool, fast)` only.
//!
//! Why not the 6.13 numbers: Jakub Kicinski's "[PATCH net-next] net:
//! page_pool: do not count normal frag allocation in stats" (2024-11-09,
//! Message-ID <20241109023303.3366500-1-kuba@kernel.org>, commit
//! ef04d290c013) removed the further-fragment `fast` and added
//! `recycle_stat_inc(pool, cached)` on the drained reuse. It went to
//! net-next (6.13) without a Fixes: tag and is not in 6.12.y, so 6.12 LTS
//! counts as described above.

use pool::*;

use crate::common::*;

fn frag(pool: &mut PagePool, size: u32) -> (PpPage, u32) {
    let mut offset = u32::MAX;
    let page = pool.dev_alloc_frag(&mut offset, size).expect("fragment");
    (page, offset)
}

/// 6.12 `page_pool_alloc_frag_netmem`: the first fragment is the page's own
/// allocation (ring empty: `empty`, then a slow bulk: `slow`); each of the
/// three further 1024-byte fragments that fit counts `alloc_stat_inc(pool,
/// fast)` (6.13 dropped this increment, see the module doc).
#[test]
fn every_further_fragment_that_fits_counts_alloc_fast() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let frags: Vec<(PpPage, u32)> = (0..4).map(|_| frag(&mut pool, 1024)).collect();
    let offsets: Vec<u32> = frags.iter().map(|f| f.1).collect();
    assert_eq!(offsets, [0, 1024, 2048, 3072]);
    assert!(frags.iter().all(|f| f.0.pfn() == frags[0].0.pfn()));
    let (a, r) = stats(&pool);
    assert_eq!((a.empty, a.slow, a.fast), (1, 1, 3));
    assert_eq!(r, PagePoolRecycleStats::default());
    for (p, _) in frags {
        pool.put_full_page(p, false);
    }
}

/// 6.12 `page_pool_alloc_frag_netmem`: the fragment page is drained when
/// the next fragment does not fit; its four fragments were all put back, so
/// `page_pool_drain_frag` returns it (we were the last user, refcount 1)
/// and it is reused at once at offset 0 with `alloc_stat_inc(pool, fast)`
/// only: no `recycle_cached` (6.13 added that one), no new page.
#[test]
fn a_drained_page_reused_at_once_counts_alloc_fast_only() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let frags: Vec<PpPage> = (0..4).map(|_| frag(&mut pool, 1024).0).collect();
    let pfn = frags[0].pfn();
    let stack = pool.handle();
    for p in frags {
        stack.put_full_page(p, false);
    }
    let before = stats(&pool);
    assert_eq!(before.0.fast, 3);
    let (again, offset) = frag(&mut pool, 1024);
    assert_eq!((again.pfn(), offset), (pfn, 0), "the drained page, reused");
    let (a, r) = stats(&pool);
    assert_eq!(a.fast, before.0.fast + 1, "alloc-fast once for the reuse");
    assert_eq!((a.slow, a.empty, a.refill), (1, 1, 0));
    assert_eq!(
        r,
        PagePoolRecycleStats::default(),
        "recycle-cached not moved"
    );
    assert_eq!(pool.cached_pages(), 63, "the reuse did not touch the cache");
    pool.put_full_page(again, false);
}

/// 6.12 `page_pool_alloc_frag_netmem` under `page_pool_alloc` (the "auto"
/// API, `page_pool_dev_alloc`): a fragment request of at most half a page
/// is a fragment, so further fragments count `fast` there too; a page
/// whose other fragments are still out is left to them and a new page is
/// taken from the alloc cache (`fast` as the page's own allocation).
#[test]
fn the_auto_api_counts_fragments_like_the_frag_api() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let mut out = Vec::new();
    for _ in 0..3 {
        let mut offset = 0;
        let mut size = 1500;
        out.push(pool.dev_alloc(&mut offset, &mut size).expect("fragment"));
    }
    // 1500 + 1500 = 3000 at the second: no room for a third 1500, so the
    // second takes the rest of the page; the third needs a new page.
    assert_ne!(out[1].pfn(), out[2].pfn());
    let (a, _) = stats(&pool);
    assert_eq!((a.slow, a.fast), (1, 2), "second fragment + the new page");
    for p in out {
        pool.put_full_page(p, false);
    }
}
