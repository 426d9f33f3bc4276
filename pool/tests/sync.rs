//! The DMA syncs the pool does, for full pages and fragments, with and
//! without `offset` / `max_len`.

mod common;
use common::*;
use pool::*;

/// (op, offset, len) of every sync on the ledger, after `skip` entries.
fn syncs(dev: &DmaDev, skip: usize) -> Vec<(LedgerOp, u64, u64)> {
    dev.ledger()[skip..]
        .iter()
        .filter(|e| matches!(e.op, LedgerOp::SyncForDevice | LedgerOp::SyncForCpu))
        .map(|e| (e.op, e.offset, e.len))
        .collect()
}

const DEV: LedgerOp = LedgerOp::SyncForDevice;

#[test]
fn fresh_pages_are_mapped_then_synced_over_max_len_at_offset() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = sync_dev_pool(&mem, &dev, 256, 1536);
    let p = pool.dev_alloc_pages().unwrap();
    let ledger = dev.ledger();
    assert_eq!(ledger.len(), 128, "64 x (map, sync)");
    for pair in ledger.chunks(2) {
        assert_eq!(pair[0].op, LedgerOp::Map);
        assert_eq!((pair[0].len, pair[0].dir), (4096, DmaDirection::FromDevice));
        assert_eq!(pair[1].op, DEV);
        assert_eq!(
            (pair[1].dma, pair[1].offset, pair[1].len),
            (pair[0].dma, 256, 1536)
        );
    }
    // pages from the cache are not synced at allocation
    let q = pool.dev_alloc_pages().unwrap();
    assert_eq!(dev.ledger().len(), 128);
    let mut napi = pool.napi_ctx(NAPI);
    napi.recycle_direct(p);
    napi.recycle_direct(q);
}

#[test]
fn recycle_syncs_min_of_size_and_max_len_at_offset() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = sync_dev_pool(&mem, &dev, 256, 1536);
    let pages: Vec<PpPage> = (0..5).map(|_| pool.dev_alloc_pages().unwrap()).collect();
    let dmas: Vec<DmaAddr> = pages.iter().map(|p| p.dma_addr().unwrap()).collect();
    let start = dev.ledger().len();
    let stack = pool.handle();
    let mut it = pages.into_iter();
    let mut napi = pool.napi_ctx(NAPI);
    napi.put_page(it.next().unwrap(), 100, true);
    napi.put_page(it.next().unwrap(), 2000, true);
    napi.put_page(it.next().unwrap(), -1, false);
    napi.recycle_direct(it.next().unwrap());
    stack.put_page(it.next().unwrap(), 0, false);
    assert_eq!(
        syncs(&dev, start),
        [
            (DEV, 256, 100),
            (DEV, 256, 1536),
            (DEV, 256, 1536),
            (DEV, 256, 1536),
            (DEV, 256, 0)
        ]
    );
    let handles: Vec<DmaAddr> = dev.ledger()[start..].iter().map(|e| e.dma).collect();
    assert_eq!(handles, dmas);
}

#[test]
fn full_page_pool_with_defaults_syncs_the_whole_page() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| {
        p.flags |= PP_FLAG_DMA_SYNC_DEV;
        p.max_len = 4096;
    });
    let p = pool.dev_alloc_pages().unwrap();
    let start = dev.ledger().len();
    pool.napi_ctx(NAPI).recycle_direct(p);
    assert_eq!(syncs(&dev, start), [(DEV, 0, 4096)]);
}

#[test]
fn high_order_pool_syncs_max_len_of_the_compound_page() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |p| {
        p.flags |= PP_FLAG_DMA_SYNC_DEV;
        p.order = 1;
        p.max_len = 8192 - 128;
        p.offset = 128;
    });
    let p = pool.dev_alloc_pages().unwrap();
    assert_eq!(syncs(&dev, 0), [(DEV, 128, 8064)]);
    pool.napi_ctx(NAPI).put_page(p, 9000, true);
    assert_eq!(syncs(&dev, 0)[1], (DEV, 128, 8064));
}

#[test]
fn without_sync_dev_the_pool_never_syncs() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let p = pool.dev_alloc_pages().unwrap();
    pool.napi_ctx(NAPI).recycle_direct(p);
    assert!(syncs(&dev, 0).is_empty());
    assert!(dev.ledger().iter().all(|e| e.op == LedgerOp::Map));
}

#[test]
fn fragments_sync_once_for_the_whole_page_on_the_last_put() {
    for (offset, max_len) in [(0u32, 4096u32), (64, 2048)] {
        let mem = mem();
        let dev = DmaDev::new(&mem, "nic");
        let mut pool = sync_dev_pool(&mem, &dev, offset, max_len);
        let mut off = 0;
        let frags: Vec<PpPage> = (0..4)
            .map(|_| pool.dev_alloc_frag(&mut off, 1024).unwrap())
            .collect();
        assert_eq!(off, 3072);
        let start = dev.ledger().len();
        let mut napi = pool.napi_ctx(NAPI);
        let mut it = frags.into_iter();
        for f in it.by_ref().take(3) {
            napi.put_page(f, -1, true);
        }
        // the page is full: the next fragment drains it, but one fragment
        // is still out, so a new page is taken (from the cache: no sync)
        let next = napi.dev_alloc_frag(&mut off, 1024).unwrap();
        assert_eq!(off, 0);
        assert!(
            syncs(&dev, start).is_empty(),
            "not the last fragment: no sync"
        );
        napi.put_page(it.next().unwrap(), -1, true);
        assert_eq!(
            syncs(&dev, start),
            [(DEV, u64::from(offset), u64::from(max_len))]
        );
        assert_eq!(napi.get_stats().recycle_stats.cached, 1);
        napi.put_page(next, -1, true);
    }
}

#[test]
fn frag_drain_syncs_the_page_before_reusing_it() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = sync_dev_pool(&mem, &dev, 64, 3000);
    let mut off = 0;
    let a = pool.dev_alloc_frag(&mut off, 3000).unwrap();
    pool.napi_ctx(NAPI).put_page(a, -1, true);
    let start = dev.ledger().len();
    let b = pool.dev_alloc_frag(&mut off, 3000).unwrap(); // drain: we were last
    assert_eq!(off, 0);
    assert_eq!(syncs(&dev, start), [(DEV, 64, 3000)]);
    pool.napi_ctx(NAPI).put_page(b, -1, true);
}

#[test]
fn driver_sync_for_cpu_then_pool_sync_for_device_moves_ownership() {
    let mem = mem_with(1, 256, Coherence::NonCoherent);
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = sync_dev_pool(&mem, &dev, 256, 2048);
    let mut napi = pool.napi_ctx(NAPI);
    let p = napi.dev_alloc_pages().unwrap();
    let dma = p.dma_addr().unwrap();
    let at = dma.checked_add(256).unwrap();
    dev.device_write(at, &[7u8; 128]).unwrap();
    dev.sync_single_range_for_cpu(dma, 256, 128, napi.get_dma_dir())
        .unwrap();
    let mut buf = [0u8; 128];
    mem.cpu_read(p.host_addr().checked_add(256).unwrap(), &mut buf)
        .unwrap();
    assert_eq!(buf, [7u8; 128]);
    // the CPU owns those lines now: the device may not write there
    assert!(dev.device_write(at, &[1]).is_err());
    napi.recycle_direct(p);
    let p = napi.dev_alloc_pages().unwrap();
    dev.device_write(at, &[1])
        .expect("synced for the device on recycle");
    napi.recycle_direct(p);
}

/// `page_pool_free_va` puts the page with `dma_sync_size` -1 (the whole
/// buffer), so a recycled VA fragment's page is synced over `max_len` at
/// `offset`, not over one byte (a `free_va` that passed 1 would leave the
/// rest of the buffer with the CPU).
#[test]
fn free_va_syncs_the_whole_buffer_for_the_device() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = sync_dev_pool(&mem, &dev, 256, 1536);
    type FreeVa = dyn Fn(&mut PagePool, PpVa);
    let frees: [&FreeVa; 3] = [
        &|p, va| p.napi_ctx(NAPI).free_va(va, true),
        &|p, va| p.handle().free_va(va, false),
        &|p, va| p.free_va(va, false),
    ];
    for free in frees {
        let mut size = 4096 - 256;
        let va = pool.dev_alloc_va(&mut size).unwrap();
        let start = dev.ledger().len();
        free(&mut pool, va);
        assert_eq!(syncs(&dev, start), [(DEV, 256, 1536)]);
    }
}
