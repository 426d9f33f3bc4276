//! Points where the pool used to differ from the kernel (net/core/page_pool.c,
//! page_pool_user.c, kernel/dma/debug.c, arm64 cache maintenance), and the
//! additive APIs a driver needs (release_page, map on a second device,
//! page_pool_page_is_pp).

mod common;
use common::*;
use pool::*;

/// page_pool_init() does not check `offset + max_len` against the page: the
/// pool is created, and DMA-API debug reports each out-of-range sync.
#[test]
fn sync_area_beyond_the_page_is_accepted_and_each_sync_reported() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| {
        p.flags |= PP_FLAG_DMA_SYNC_DEV;
        p.offset = 256;
        p.max_len = PAGE_SIZE as u32;
    });
    let page = pool.dev_alloc_pages().unwrap();
    let out_of_range = dev
        .violations()
        .iter()
        .filter(|v| {
            matches!(
                v,
                DmaViolation::Api {
                    error: DmaError::SyncOutOfRange { .. },
                    ..
                }
            )
        })
        .count();
    assert_eq!(out_of_range, 64, "the fresh bulk's syncs at offset 256");
    pool.napi_ctx(NAPI).recycle_direct(page);
    assert_eq!(dev.violations().len(), 65, "and the recycle's");
    assert_eq!(pool.get_stats().recycle_stats.cached, 1);
}

/// Pools on loopback (created there, or orphaned there) are wiped with it
/// (page_pool_unreg_netdev_wipe: NET_PTR_POISON), and only then warned
/// about.
#[test]
fn loopback_pools_are_wiped_with_it() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "lo");
    let mut pool = mapped_pool(&mem, &dev, |p| p.netdev = Some(LOOPBACK_IFINDEX));
    let registry = PoolRegistry::of(&mem);
    // page_pool_nl_fill() puts no ifindex for a pool on loopback.
    assert_eq!(registry.netdev_nl_page_pool_get_dumpit()[0].ifindex, None);
    assert!(!registry.dump_json().contains("\"ifindex\""));
    let page = pool.dev_alloc_pages().unwrap();
    let stack = pool.handle();
    drop(pool);
    for s in 1..=61 {
        assert!(registry.service(s * HZ).is_empty(), "visible: no warning");
    }
    registry.unregister_netdev(IfIndex(9)); // someone else's netdev
    assert!(registry.service(62 * HZ).is_empty());
    registry.unregister_netdev(LOOPBACK_IFINDEX);
    let ev = registry.service(63 * HZ);
    assert!(matches!(ev[..], [ServiceEvent::Stalled { secs: 63, .. }]));
    assert_eq!(
        ev[0].to_string(),
        format!(
            "page_pool_release_retry() stalled pool shutdown: id {}, 1 inflight 63 sec",
            stack.id()
        )
    );
    stack.put_full_page(page, false);
    assert!(matches!(
        registry.service(64 * HZ)[..],
        [ServiceEvent::Freed { .. }]
    ));
}

/// Non-coherent arm64 (`dcache_inval_poc`): a sync for the CPU whose range
/// starts or ends inside a cache line cleans and invalidates that line, so a
/// dirty CPU copy of it goes to RAM over what the device wrote there.
#[test]
fn partial_line_sync_for_cpu_cleans_the_edge_lines_first() {
    let mem = mem_with(1, 64, Coherence::NonCoherent);
    let dev = DmaDev::new(&mem, "nic0");
    let page = mem.alloc_pages(0, 0).unwrap();
    let host = page.host_addr();
    let dma = dev
        .map_page(&page, 0, PAGE_SIZE, DmaDirection::Bidirectional)
        .unwrap();
    // the CPU dirties byte 0 of line 0 and byte 130 of line 2 (a driver
    // writing a header into a buffer that shares lines with the DMA area)
    mem.cpu_write(host, &[0x11]).unwrap();
    mem.cpu_write(HostAddr::new(host.raw_value() + 130), &[0x22])
        .unwrap();
    dev.device_write(dma, &[0xaa; 192]).unwrap();
    // sync [8, 136): lines 0 and 2 are partial, line 1 is whole
    dev.sync_single_range_for_cpu(dma, 8, 128, DmaDirection::Bidirectional)
        .unwrap();
    let mut cpu = [0u8; 192];
    mem.cpu_read(host, &mut cpu).unwrap();
    assert_eq!(cpu[0], 0x11, "the CPU's own write survives (clean first)");
    assert_eq!(&cpu[1..64], &[0u8; 63][..], "line 0: device data clobbered");
    assert_eq!(&cpu[64..128], &[0xaa; 64][..], "line 1: the device's data");
    assert_eq!(cpu[130], 0x22);
    assert_eq!(cpu[129], 0, "line 2: device data clobbered");
    // RAM now holds the CPU's edge lines: that is what the device reads
    let mut ram = [0u8; 192];
    dev.sync_single_range_for_device(dma, 0, 192, DmaDirection::Bidirectional)
        .unwrap();
    dev.device_read(dma, &mut ram).unwrap();
    assert_eq!(ram, cpu);
    dev.unmap_page(dma, PAGE_SIZE, DmaDirection::Bidirectional)
        .unwrap();
    mem.free_pages(page).unwrap();
}

/// `page_pool_release_page`: unmapped, out of the in-flight count, no stat,
/// no longer a pp page; the caller's reference keeps the page alive.
#[test]
fn release_page_disconnects_a_page_from_its_pool() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| {
        p.flags |= PP_FLAG_DMA_SYNC_DEV;
        p.max_len = PAGE_SIZE as u32;
    });
    let stack = pool.handle();
    let page = pool.dev_alloc_pages().unwrap();
    let addr = page.host_addr();
    assert_eq!(mem.page_pool_of(addr), Some(pool.id()));
    let (inflight, mappings, stats) =
        (pool.inflight(), dev.live_mappings().len(), pool.get_stats());
    let ledger = dev.ledger().len();
    let plain = stack.release_page(page).expect("sole pp reference");
    assert_eq!(pool.inflight(), inflight - 1);
    assert_eq!(dev.live_mappings().len(), mappings - 1);
    assert_eq!(pool.get_stats(), stats, "no counter moves");
    let new: Vec<LedgerOp> = dev.ledger()[ledger..].iter().map(|e| e.op).collect();
    assert_eq!(new, [LedgerOp::Unmap], "unmapped, no sync");
    assert_eq!(mem.page_pool_of(addr), None);
    assert!(!mem.page_is_pp(addr));
    assert_eq!(mem.page_ref_count(addr).unwrap(), 1);
    mem.cpu_write(plain.host_addr(), b"skb frag").unwrap();
    assert_eq!(
        (plain.host_addr(), plain.order(), plain.len()),
        (addr, 0, PAGE_SIZE)
    );
    drop(plain); // put_page: the last reference frees it
    assert_eq!(mem.page_ref_count(addr).unwrap(), 0);

    // with other pp references (a clone, or fragments) it is refused
    let page = pool.dev_alloc_pages().unwrap();
    let clone = pool.ref_page(&page);
    let page = stack.release_page(page).unwrap_err();
    pool.put_full_page(clone, false);
    let mut off = 0;
    let frag = pool.dev_alloc_frag(&mut off, 256).unwrap();
    let frag = stack.release_page(frag).unwrap_err();
    // ... and a page of another pool is refused and reported
    let mut other = mapped_pool(&mem, &dev, |_| {});
    let foreign = other.dev_alloc_pages().unwrap();
    let foreign = stack.release_page(foreign).unwrap_err();
    assert!(matches!(
        stack.violations()[..],
        [PoolViolation {
            kind: PoolViolationKind::WrongPool { .. },
            ..
        }]
    ));
    other.put_full_page(foreign, false);
    pool.put_full_page(page, false);
    pool.put_page(frag, -1, false);
    assert_eq!(other.destroy(), DestroyOutcome::Freed);
    assert_eq!(pool.destroy(), DestroyOutcome::Freed);
    dev.check_teardown().unwrap();
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
}

/// Zero-copy XDP_REDIRECT: the target device maps the pool page itself
/// (`dma_map_page` in its `ndo_xdp_xmit`), reads it, unmaps it, and the page
/// goes back to its pool, whose own mapping was untouched.
#[test]
fn a_pool_page_can_be_mapped_on_a_second_device() {
    let mem = mem();
    let rx_dev = DmaDev::new(&mem, "rx-nic");
    let tx_dev = DmaDev::new(&mem, "tx-nic");
    let mut pool = mapped_pool(&mem, &rx_dev, |p| p.dma_dir = DmaDirection::Bidirectional);
    let page = pool.dev_alloc_pages().unwrap();
    let rx_dma = page.dma_addr().unwrap();
    rx_dev.device_write(rx_dma, &[0x5a; 128]).unwrap();
    rx_dev
        .sync_single_range_for_cpu(rx_dma, 0, 128, DmaDirection::Bidirectional)
        .unwrap();
    let tx_dma = tx_dev
        .map_page(&page, 64, 64, DmaDirection::ToDevice)
        .unwrap();
    assert_ne!(tx_dma.raw_value(), rx_dma.raw_value() + 64, "own domain");
    let mut wire = [0u8; 64];
    tx_dev.device_read(tx_dma, &mut wire).unwrap();
    assert_eq!(wire, [0x5a; 64]);
    // the TX device may not read outside its own mapping
    assert!(tx_dev
        .device_read(tx_dma.checked_sub(64).unwrap(), &mut wire)
        .is_err());
    assert_eq!(tx_dev.live_mappings().len(), 1);
    tx_dev
        .unmap_page(tx_dma, 64, DmaDirection::ToDevice)
        .unwrap();
    pool.napi_ctx(NAPI).recycle_direct(page);
    let ledger: Vec<LedgerOp> = tx_dev.ledger().iter().map(|e| e.op).collect();
    assert_eq!(ledger, [LedgerOp::Map, LedgerOp::Unmap]);
    tx_dev.check_teardown().unwrap();
    assert_eq!(pool.destroy(), DestroyOutcome::Freed);
    rx_dev.check_teardown().unwrap();
    // a page mapped on the second device at teardown is a leak there
    let mut pool = mapped_pool(&mem, &rx_dev, |_| {});
    let page = pool.dev_alloc_pages().unwrap();
    tx_dev
        .map_page(&page, 0, PAGE_SIZE, DmaDirection::ToDevice)
        .unwrap();
    assert_eq!(tx_dev.check_teardown().unwrap_err().mappings.len(), 1);
    // map range outside the page is refused like any dma_map_page
    assert!(matches!(
        tx_dev.map_page(&page, 4000, 200, DmaDirection::ToDevice),
        Err(DmaError::BadMapRange { .. })
    ));
    let handle = pool.handle();
    handle.put_full_page(page, false);
}

/// `page_pool_page_is_pp()` + `page->pp`: which pool a host page belongs to.
#[test]
fn which_pool_owns_a_host_page() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut small = mapped_pool(&mem, &dev, |_| {});
    let mut big = mapped_pool(&mem, &dev, |p| p.order = 2);
    let a = small.dev_alloc_pages().unwrap();
    let b = big.dev_alloc_pages().unwrap();
    assert_eq!(mem.page_pool_of(a.host_addr()), Some(small.id()));
    let inside_b = HostAddr::new(b.host_addr().raw_value() + 3 * PAGE_SIZE as u64 + 5);
    assert_eq!(mem.page_pool_of(inside_b), Some(big.id()), "a tail frame");
    assert!(mem.page_is_pp(inside_b));
    let plain = mem.alloc_pages(0, 0).unwrap();
    assert_eq!(mem.page_pool_of(plain.host_addr()), None);
    assert_eq!(
        mem.page_pool_of(HostAddr::new(0x1000)),
        None,
        "outside memory"
    );
    // in the alloc cache it still belongs to its pool
    let addr = a.host_addr();
    small.napi_ctx(NAPI).recycle_direct(a);
    assert_eq!(mem.page_pool_of(addr), Some(small.id()));
    // the registry turns the id into a handle (the kernel's page->pp)
    let owner = PoolRegistry::of(&mem).handle(big.id()).unwrap();
    assert_eq!(owner.id(), big.id());
    owner.put_full_page(b, false);
    assert_eq!(PoolRegistry::of(&mem).handle(9999).map(|h| h.id()), None);
    // released to the page allocator: no longer a pp page
    assert_eq!(small.destroy(), DestroyOutcome::Freed);
    assert_eq!(mem.page_pool_of(addr), None);
    assert_eq!(big.destroy(), DestroyOutcome::Freed);
    mem.free_pages(plain).unwrap();
}

/// page_pool_init(): a PP_FLAG_SYSTEM_POOL pool's `recycle_stats` is the
/// shared `pp_system_recycle_stats`, so every system pool reports the
/// recycling of all of them; allocation stats stay per pool.
#[test]
fn system_pools_share_their_recycle_stats() {
    let mem = mem();
    let params = |flags| PagePoolParams {
        flags,
        nid: Some(0),
        netdev: Some(IfIndex(2)),
        ..PagePoolParams::new(&mem)
    };
    let mut a = PagePool::create(params(PP_FLAG_SYSTEM_POOL)).unwrap();
    let mut b = PagePool::create(params(PP_FLAG_SYSTEM_POOL)).unwrap();
    let mut own = PagePool::create(params(0)).unwrap();
    let p = a.dev_alloc_pages().unwrap();
    a.put_full_page(p, false); // ring
    let bulk: Vec<PpPage> = (0..2).map(|_| a.dev_alloc_pages().unwrap()).collect();
    let mut bulk: Vec<Option<PpPage>> = bulk.into_iter().map(Some).collect();
    a.put_page_bulk(&mut bulk); // ring += 2
    let q = b.dev_alloc_pages().unwrap();
    b.napi_ctx(NapiId(3)).recycle_direct(q); // cached
    let q = b.dev_alloc_pages().unwrap();
    let extra = b.get_page(&q);
    b.put_full_page(q, false); // released_refcnt
    drop(extra);
    let r = own.dev_alloc_pages().unwrap();
    own.put_full_page(r, false);
    for pool in [&a, &b] {
        let s = pool.get_stats().recycle_stats;
        assert_eq!(
            (s.cached, s.ring, s.released_refcnt),
            (1, 3, 1),
            "pool {}",
            pool.id()
        );
    }
    assert_eq!(a.get_stats().alloc_stats.slow, 1);
    assert_eq!(
        (
            a.get_stats().alloc_stats.fast,
            b.get_stats().alloc_stats.fast
        ),
        (2, 1)
    );
    let s = own.get_stats().recycle_stats;
    assert_eq!((s.cached, s.ring, s.released_refcnt), (0, 1, 0));
    assert_eq!(
        PoolRegistry::of(&mem)
            .netdev_nl_page_pool_stats_get_doit(a.id())
            .unwrap()
            .stats
            .recycle_ring,
        3,
        "netlink too"
    );
}

/// DMA-API debug's check_unmap: freeing a streaming mapping with
/// dma_free_coherent is "DMA memory with wrong function", not an unknown
/// address.
#[test]
fn free_coherent_of_a_streaming_mapping_is_a_type_mismatch() {
    let mem = mem_with(1, 64, Coherence::Coherent);
    let dev = DmaDev::new(&mem, "nic0");
    let page = mem.alloc_pages(0, 0).unwrap();
    let dma = dev
        .map_page(&page, 0, PAGE_SIZE, DmaDirection::Bidirectional)
        .unwrap();
    let fake = CoherentBuf {
        host: page.host_addr(),
        dma,
        len: PAGE_SIZE,
    };
    assert!(matches!(
        dev.free_coherent(fake),
        Err(DmaError::TypeMismatch {
            op: "dma_free_coherent",
            ..
        })
    ));
    assert_eq!(dev.live_mappings().len(), 1, "still mapped");
    dev.unmap_page(dma, PAGE_SIZE, DmaDirection::Bidirectional)
        .unwrap();
    mem.free_pages(page).unwrap();
}
