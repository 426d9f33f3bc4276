//! `page_pool_init` (net/core/page_pool.c), Linux 6.12: the checks it makes
//! (unknown flags against `PP_FLAG_ALL`, the DMA direction with
//! PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV needing DMA_MAP and `max_len`) and
//! the ones it does not: no check of `p.order` (Pavel Begunkov's "net:
//! page_pool: sanitise allocation order" added one only in late 2025), so
//! an impossible order fails at allocation, in the page allocator.
//! `PP_FLAG_ALL` in include/net/page_pool/types.h (6.12, devmem) includes
//! `PP_FLAG_ALLOW_UNREADABLE_NETMEM` (BIT(3)).

use crate::common::*;
use pool::*;

/// include/net/page_pool/types.h (6.12): `PP_FLAG_ALLOW_UNREADABLE_NETMEM
/// BIT(3)`, and `PP_FLAG_ALL` is the four flags.
#[test]
fn pp_flag_all_is_the_four_known_flags() {
    assert_eq!(PP_FLAG_ALLOW_UNREADABLE_NETMEM, 1 << 3);
    assert_eq!(
        PP_FLAG_ALL,
        PP_FLAG_DMA_MAP
            | PP_FLAG_DMA_SYNC_DEV
            | PP_FLAG_SYSTEM_POOL
            | PP_FLAG_ALLOW_UNREADABLE_NETMEM
    );
}

/// `page_pool_init`: `if (pool->slow.flags & ~PP_FLAG_ALL) return -EINVAL;`
/// -- PP_FLAG_ALLOW_UNREADABLE_NETMEM passes; with no memory provider on
/// the netdev's RX queue (`rxq->mp_params.mp_priv == NULL`) the pool is an
/// ordinary page pool: it allocates, maps and recycles as without it.
#[test]
fn allow_unreadable_netmem_without_a_provider_is_an_ordinary_pool() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| {
        p.flags |= PP_FLAG_ALLOW_UNREADABLE_NETMEM;
        p.netdev = Some(IfIndex(2));
    });
    let page = pool.dev_alloc_pages().unwrap();
    assert!(page.dma_addr().is_some());
    pool.napi_ctx(NAPI).recycle_direct(page);
    let (a, r) = stats(&pool);
    assert_eq!((a.slow, r.cached), (1, 1));
}

/// `page_pool_init` reads the netdev's RX queue for the flag
/// (`__netif_get_rx_queue(pool->slow.netdev, ...)`): the kernel needs a
/// netdev there; a pool without one is refused here rather than
/// dereferencing nothing.
#[test]
fn allow_unreadable_netmem_needs_a_netdev() {
    let mem = mem();
    let p = PagePoolParams {
        flags: PP_FLAG_ALLOW_UNREADABLE_NETMEM,
        ..PagePoolParams::new(&mem)
    };
    assert_eq!(
        PagePool::create(p).unwrap_err(),
        PoolError::UnreadableWithoutNetdev
    );
}

/// `page_pool_init`: a flag bit above PP_FLAG_ALL is still `-EINVAL`.
#[test]
fn a_flag_above_the_known_ones_is_refused() {
    let mem = mem();
    let p = PagePoolParams {
        flags: 1 << 4,
        ..PagePoolParams::new(&mem)
    };
    assert_eq!(
        PagePool::create(p).unwrap_err(),
        PoolError::UnknownFlags { flags: 1 << 4 }
    );
}

/// `page_pool_init` (6.12) has no order check: a pool of order
/// `MAX_PAGE_ORDER + 1` is created.
#[test]
fn an_order_above_max_page_order_is_accepted() {
    let mem = mem();
    let p = PagePoolParams {
        order: MAX_PAGE_ORDER + 1,
        ..PagePoolParams::new(&mem)
    };
    let pool = PagePool::create(p).expect("6.12 does not check the order");
    assert_eq!(pool.inflight(), 0);
}

/// `page_pool_alloc_pages` on such a pool: `__page_pool_get_cached` finds
/// the cache empty and the ring empty (`alloc_stat_inc(pool, empty)`),
/// `__page_pool_alloc_page_order` gets NULL from `alloc_pages_node`
/// (`__alloc_pages` refuses `order > MAX_PAGE_ORDER`) and returns NULL
/// before any other counter: every attempt counts `empty` only, nothing is
/// held, nothing mapped.
#[test]
fn allocating_an_impossible_order_fails_in_the_page_allocator() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| p.order = MAX_PAGE_ORDER + 1);
    for attempt in 1..=3 {
        assert_eq!(
            pool.dev_alloc_pages().unwrap_err(),
            PoolAllocError::Exhausted { pool: pool.id() }
        );
        let (a, r) = stats(&pool);
        assert_eq!(
            a,
            PagePoolAllocStats {
                empty: attempt,
                ..Default::default()
            }
        );
        assert_eq!(r, PagePoolRecycleStats::default());
    }
    assert_eq!(pool.inflight(), 0);
    assert_eq!(dev.live_mappings(), []);
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
    assert_eq!(pool.check_invariants(), []);
    assert_eq!(pool.destroy(), DestroyOutcome::Freed);
}
