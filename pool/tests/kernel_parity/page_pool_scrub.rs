//! `page_pool_scrub` (net/core/page_pool.c), Linux 6.12 LTS as backported
//! from 6.15 (Toke Hoiland-Jorgensen, "page_pool: Track DMA-mapped pages
//! and unmap them when destroying the pool"): every page the pool mapped is
//! tracked in `pool->dma_mapped` (`page_pool_register_dma_index`, an
//! `xa_alloc` id from 1); the first release at destroy empties the alloc
//! cache, turns `dma_sync` off and unmaps every still-tracked page at once
//! (`xa_for_each`, ascending id), then empties the ring. A page released
//! later finds no index (`page_pool_release_dma_index` fails) and is not
//! unmapped a second time (`__page_pool_release_page_dma`).

use crate::common::*;
use pool::*;

fn unmaps_of(dev: &DmaDev, dma: DmaAddr) -> usize {
    dev.ledger()
        .iter()
        .filter(|e| e.op == LedgerOp::Unmap && e.dma == dma)
        .count()
}

/// `page_pool_scrub`: with pages still in flight, destroy leaves no DMA
/// mapping behind: the in-flight pages are unmapped at destroy, while the
/// pages themselves stay allocated to their holders.
#[test]
fn destroy_unmaps_every_page_still_in_flight() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = sync_dev_pool(&mem, &dev, 0, 4096);
    let stack = pool.handle();
    let a = pool.dev_alloc_pages().unwrap();
    let b = pool.dev_alloc_pages().unwrap();
    mem.set_cycle(3 * HZ);
    assert_eq!(pool.destroy(), DestroyOutcome::Detached { inflight: 2 });
    assert_eq!(dev.live_mappings(), [], "no mapping outlives the pool");
    assert_eq!(mem.allocated_pages(0).unwrap(), 2, "the pages live on");
    for p in [&a, &b] {
        let dma = p.dma_addr().unwrap();
        let unmap = dev
            .ledger()
            .into_iter()
            .find(|e| e.op == LedgerOp::Unmap && e.dma == dma)
            .expect("unmapped at destroy");
        assert_eq!(unmap.cycle, 3 * HZ);
    }
    stack.put_full_page(a, false);
    stack.put_full_page(b, false);
    PoolRegistry::of(&mem).service(4 * HZ + 1);
    assert!(stack.is_freed());
}

/// `__page_pool_release_page_dma` after `page_pool_scrub`: a page put after
/// destroy is released (`pages_state_release_cnt`) without a second unmap,
/// and without a sync for the device (`dma_sync` is off), so the DMA-API
/// checks record nothing and the pool is freed at the next retry.
#[test]
fn a_put_after_destroy_releases_without_a_second_unmap() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = sync_dev_pool(&mem, &dev, 0, 4096);
    let stack = pool.handle();
    let a = pool.dev_alloc_pages().unwrap();
    let dma = a.dma_addr().unwrap();
    mem.set_cycle(HZ);
    assert_eq!(pool.destroy(), DestroyOutcome::Detached { inflight: 1 });
    mem.set_cycle(2 * HZ);
    stack.put_full_page(a, false);
    assert_eq!(
        PoolRegistry::of(&mem).service(2 * HZ + 1),
        [ServiceEvent::Freed { id: stack.id() }]
    );
    assert!(stack.is_freed());
    assert_eq!(unmaps_of(&dev, dma), 1, "unmapped once");
    let unmap = dev.ledger().into_iter().find(|e| e.op == LedgerOp::Unmap);
    assert_eq!(
        unmap.map(|e| e.cycle),
        Some(HZ),
        "at destroy, not at the put"
    );
    assert_eq!(dev.violations(), [], "no unmap of an unmapped address");
    let late_syncs = dev
        .ledger()
        .iter()
        .filter(|e| e.op == LedgerOp::SyncForDevice && e.cycle >= HZ)
        .count();
    assert_eq!(late_syncs, 0);
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
    dev.check_teardown().unwrap();
}

/// `page_pool_release_page` (the skb_mark_for_recycle-less path,
/// `page_pool_return_page` without put) of a page scrubbed at destroy: the
/// pool's state is released (`release_cnt`), no second unmap.
#[test]
fn releasing_a_scrubbed_page_does_not_unmap_it_again() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    let a = pool.dev_alloc_pages().unwrap();
    let dma = a.dma_addr().unwrap();
    assert_eq!(pool.destroy(), DestroyOutcome::Detached { inflight: 1 });
    assert_eq!(unmaps_of(&dev, dma), 1, "at destroy");
    let page = stack.release_page(a).expect("sole pp reference");
    assert_eq!(stack.inflight(), 0);
    assert_eq!(unmaps_of(&dev, dma), 1);
    assert_eq!(dev.violations(), []);
    drop(page);
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
}

/// `page_pool_scrub` unmaps the tracked pages in `xa_for_each` order
/// (ascending `xa_alloc` id, so the order they were mapped in), pages in
/// the ring included; `page_pool_empty_ring` then releases the ring's pages
/// without unmapping them again. The alloc cache was emptied before
/// (`page_pool_empty_alloc_cache_once`), each page unmapped as it leaves.
#[test]
fn scrub_unmaps_ring_and_in_flight_pages_in_mapping_order() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    // One bulk of 64 mapped in pfn order; the cache hands them out last first.
    let pages: Vec<PpPage> = (0..4).map(|_| pool.dev_alloc_pages().unwrap()).collect();
    let maps: Vec<DmaAddr> = dev
        .ledger()
        .iter()
        .filter(|e| e.op == LedgerOp::Map)
        .map(|e| e.dma)
        .collect();
    let mut it = pages.into_iter();
    let (p0, p1, p2, p3) = (
        it.next().unwrap(),
        it.next().unwrap(),
        it.next().unwrap(),
        it.next().unwrap(),
    );
    let ring_dma = p1.dma_addr().unwrap();
    stack.put_full_page(p1, false); // into the ring
    dev.take_ledger();
    assert_eq!(pool.destroy(), DestroyOutcome::Detached { inflight: 3 });
    let unmaps: Vec<DmaAddr> = dev
        .ledger()
        .iter()
        .filter(|e| e.op == LedgerOp::Unmap)
        .map(|e| e.dma)
        .collect();
    assert_eq!(unmaps.len(), 64, "60 cached, 1 in the ring, 3 in flight");
    let cache_first: Vec<DmaAddr> = maps[..60].iter().rev().copied().collect();
    assert_eq!(unmaps[..60], cache_first[..], "the cache first, as it pops");
    let mut tracked = [
        p0.dma_addr().unwrap(),
        ring_dma,
        p2.dma_addr().unwrap(),
        p3.dma_addr().unwrap(),
    ];
    tracked.sort_by_key(|d| maps.iter().position(|m| m == d));
    assert_eq!(unmaps[60..], tracked[..], "then every tracked page by id");
    assert_eq!(dev.live_mappings(), []);
    for p in [p0, p2, p3] {
        stack.put_full_page(p, false);
    }
    PoolRegistry::of(&mem).service(2 * HZ);
    assert!(stack.is_freed());
    assert_eq!(dev.violations(), []);
}

/// After `page_pool_scrub` a device access to a page the driver still
/// holds is refused as a DMA fault on an unmapped address (the IOMMU's
/// view; DMA-API debug sees the unmap in the page's history), and a driver
/// that unmaps the page itself is reported like kernel/dma/debug.c's
/// check_unmap ("device driver tries to free DMA memory it has not
/// allocated"): `dma/api-not-mapped`.
#[test]
fn device_access_and_driver_unmap_after_scrub_are_reported() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let stack = pool.handle();
    let a = pool.dev_alloc_pages().unwrap();
    let dma = a.dma_addr().unwrap();
    pool.destroy();
    let fault = dev.device_write(dma, &[1; 64]).unwrap_err();
    assert_eq!(fault.kind, FaultKind::NotMapped { first: dma });
    assert!(
        fault.history.iter().any(|e| e.op == LedgerOp::Unmap),
        "{fault}"
    );
    let err = dev
        .unmap_page(dma, PAGE_SIZE, DmaDirection::FromDevice)
        .unwrap_err();
    assert_eq!(err.class(), "dma/api-not-mapped");
    let classes: Vec<&str> = dev.violations().iter().map(|v| v.class()).collect();
    assert_eq!(classes, ["dma/fault-not-mapped", "dma/api-not-mapped"]);
    stack.put_full_page(a, false);
}

/// The in-flight accounting stays exact through the scrub: the destroyed
/// pool's laws hold (no tracked mapping left, pooled pages within
/// in-flight), before and after the late puts.
#[test]
fn the_pool_laws_hold_through_the_scrub() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let registry = PoolRegistry::of(&mem);
    let mut pool = sync_dev_pool(&mem, &dev, 0, 2048);
    let stack = pool.handle();
    let pages: Vec<PpPage> = (0..5).map(|_| pool.dev_alloc_pages().unwrap()).collect();
    assert_eq!(pool.check_invariants(), []);
    pool.destroy();
    assert_eq!(registry.check_invariants(), []);
    for p in pages {
        stack.put_full_page(p, false);
        assert_eq!(registry.check_invariants(), []);
    }
    assert_eq!(stack.inflight(), 5, "in the ring until the retry");
    assert_eq!(
        dev.live_mappings(),
        [],
        "ring pages put after destroy stay unmapped"
    );
    registry.service(HZ + 1);
    assert!(stack.is_freed());
    assert_eq!(stack.get_stats().recycle_stats.ring, 5);
}
