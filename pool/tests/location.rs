//! Where every pool page is (out, alloc cache, ptr_ring), and the device
//! accesses and recycles that contradict it.

mod common;
use common::*;
use pool::*;

fn rx_pool(mem: &HostMemory, dev: &DmaDev) -> PagePool {
    mapped_pool(mem, dev, |p| {
        p.flags |= PP_FLAG_DMA_SYNC_DEV;
        p.max_len = PAGE_SIZE as u32;
        p.dma_dir = DmaDirection::FromDevice;
    })
}

fn dma_classes(dev: &DmaDev) -> Vec<&'static str> {
    dev.violations().iter().map(DmaViolation::class).collect()
}

#[test]
fn a_device_write_into_a_recycled_page_fires_with_page_pool_and_cycle() {
    let mem = mem_with(1, 512, Coherence::NonCoherent);
    let dev = DmaDev::new(&mem, "nic0");
    let mut pp = rx_pool(&mem, &dev);
    let mut napi = pp.napi_ctx(NAPI);
    let page = napi.dev_alloc_pages().unwrap();
    let (host, dma) = (page.host_addr(), page.dma_addr().unwrap());
    dev.device_write(dma, &[1; 64]).unwrap();
    assert!(dev.violations().is_empty(), "posted: the device may write");
    napi.recycle_direct(page); // the driver recycles a page still posted
    mem.set_cycle(77);
    dev.device_write(dma, &[2; 64]).unwrap();
    dev.device_read(dma, &mut [0; 8]).unwrap_or(());
    assert_eq!(dma_classes(&dev)[0], "pool/device-access-pooled-page");
    let v = &dev.violations()[0];
    assert_eq!(v.cycle(), 77);
    let text = v.to_string();
    assert!(text.contains(&host.to_string()), "{text}");
    assert!(text.contains("in the alloc cache"), "{text}");
    assert!(text.contains(&format!("page pool {}", pp.id())), "{text}");
}

#[test]
fn a_device_read_of_a_page_in_the_ring_fires() {
    let mem = mem_with(1, 512, Coherence::Coherent);
    let dev = DmaDev::new(&mem, "nic0");
    let mut pp = mapped_pool(&mem, &dev, |p| p.dma_dir = DmaDirection::Bidirectional);
    let page = pp.dev_alloc_pages().unwrap();
    let dma = page.dma_addr().unwrap();
    pp.handle().put_full_page(page, false);
    dev.device_read(dma, &mut [0; 64]).unwrap();
    let v = dev.violations();
    assert_eq!(dma_classes(&dev), ["pool/device-access-pooled-page"]);
    assert!(v[0].to_string().contains("in the ptr_ring"));
    assert_eq!(dev.violations().len(), 1);
}

#[test]
fn recycling_a_page_with_a_burst_in_flight_fires() {
    let mem = mem_with(1, 512, Coherence::NonCoherent);
    let dev = DmaDev::new(&mem, "nic0");
    let mut pp = rx_pool(&mem, &dev);
    let page = pp.dev_alloc_pages().unwrap();
    let other = pp.dev_alloc_pages().unwrap();
    let dma = page.dma_addr().unwrap();
    dev.device_access_begin(dma, 256, Access::Write);
    mem.set_cycle(12);
    pp.napi_ctx(NAPI).recycle_direct(page);
    let v = pp.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (v[0].class(), v[0].cycle()),
        ("pool/recycle-during-dma", 12)
    );
    assert!(v[0].to_string().contains("1 device burst(s)"));
    dev.device_access_end(dma, 256, Access::Write);
    // The burst is over: recycling the other page (and this one again
    // once allocated) is quiet.
    pp.handle().put_full_page(other, false);
    assert_eq!(pp.violations().len(), 1);
}

#[test]
fn a_correct_rx_cycle_is_quiet() {
    for mode in [Coherence::Coherent, Coherence::NonCoherent] {
        let mem = mem_with(1, 512, mode);
        let dev = DmaDev::new(&mem, "nic0");
        let mut pp = rx_pool(&mem, &dev);
        for round in 0..300u32 {
            let mut napi = pp.napi_ctx(NAPI);
            let page = napi.dev_alloc_pages().unwrap();
            let dma = page.dma_addr().unwrap();
            dev.device_access_begin(dma, 64, Access::Write);
            dev.device_write(dma, &[round as u8; 64]).unwrap();
            dev.device_access_end(dma, 64, Access::Write);
            dev.sync_single_range_for_cpu(dma, 0, 64, DmaDirection::FromDevice)
                .unwrap();
            mem.cpu_read(page.host_addr(), &mut [0; 64]).unwrap();
            if round % 2 == 0 {
                napi.recycle_direct(page);
            } else {
                pp.handle().put_full_page(page, false);
            }
        }
        assert!(pp.violations().is_empty(), "{:?}", pp.violations());
        assert!(dev.violations().is_empty(), "{:?}", dev.violations());
    }
}

/// The census of the alloc cache: a page may enter it only on behalf of
/// the pool's own NAPI poll, or (a pool bound to no NAPI) a NAPI poll that
/// claims `allow_direct`. A decision that gets it wrong still puts the page
/// there; the census names the page and the context, apart from the
/// decision (a wrong `direct`, given through the test-only entry).
#[test]
fn a_page_entering_the_alloc_cache_from_another_napi_is_named() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic0");
    let mut pp = mapped_pool(&mem, &dev, |_| {});
    let page = pp.dev_alloc_pages().unwrap();
    let host = page.host_addr();
    let other = NapiId(NAPI.0 + 1);
    mem.set_cycle(31);
    pp.napi_ctx(other)
        .put_full_page_decided_for_test(page, false, true);
    let v = pp.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (v[0].class(), v[0].cycle()),
        ("pool/cache-entry-outside-napi", 31)
    );
    assert_eq!(
        v[0].kind,
        PoolViolationKind::CacheEntryOutsideNapi {
            page: host,
            context: PutContext::NapiPoll {
                napi: other,
                allow_direct: false
            },
            pool_napi: Some(NAPI),
        }
    );
    let text = v[0].to_string();
    assert!(text.contains(&host.to_string()), "{text}");
    assert!(text.contains("napi-id 7"), "{text}");
    let (_, r) = stats(&pp);
    assert_eq!(r.cached, 1, "the census only names it: the page is cached");
}

/// An unbound pool: the census trusts a NAPI poll's `allow_direct` claim,
/// and nothing else.
#[test]
fn an_unbound_pool_lets_only_a_claiming_napi_poll_fill_its_cache() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic0");
    let mut pp = mapped_pool(&mem, &dev, |p| p.napi = None);
    let a = pp.dev_alloc_pages().unwrap();
    let b = pp.dev_alloc_pages().unwrap();
    let mut napi = pp.napi_ctx(NAPI);
    napi.put_full_page_decided_for_test(a, true, true);
    assert!(pp.violations().is_empty(), "{:?}", pp.violations());
    pp.napi_ctx(NAPI)
        .put_full_page_decided_for_test(b, false, true);
    let v = pp.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].class(), "pool/cache-entry-outside-napi");
    assert!(v[0].to_string().contains("bound to no NAPI"), "{}", v[0]);
}

/// Correct puts from every context keep the census quiet: the own NAPI
/// (claimed or not), another NAPI (to the ring), process context and a
/// handle, a claiming NAPI poll on an unbound pool.
#[test]
fn the_cache_census_is_quiet_on_correct_puts() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic0");
    let mut pp = mapped_pool(&mem, &dev, |_| {});
    let pages: Vec<PpPage> = (0..6).map(|_| pp.dev_alloc_pages().unwrap()).collect();
    let mut it = pages.into_iter();
    let mut own = pp.napi_ctx(NAPI);
    own.recycle_direct(it.next().unwrap());
    own.put_full_page(it.next().unwrap(), false);
    pp.napi_ctx(NapiId(NAPI.0 + 1))
        .put_full_page(it.next().unwrap(), false);
    pp.put_full_page(it.next().unwrap(), false);
    pp.handle().put_full_page(it.next().unwrap(), false);
    pp.napi_ctx(NAPI).put_page(it.next().unwrap(), 64, true);
    let (_, r) = stats(&pp);
    assert_eq!((r.cached, r.ring), (3, 3));
    let mut unbound = mapped_pool(&mem, &dev, |p| p.napi = None);
    let page = unbound.dev_alloc_pages().unwrap();
    unbound.napi_ctx(NAPI).recycle_direct(page);
    assert_eq!(stats(&unbound).1.cached, 1);
    assert!(pp.violations().is_empty(), "{:?}", pp.violations());
    assert!(
        unbound.violations().is_empty(),
        "{:?}",
        unbound.violations()
    );
}
