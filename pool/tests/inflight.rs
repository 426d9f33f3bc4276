//! The device's DMA in flight: begin/end pairing and unmap during DMA.

mod common;
use common::*;
use pool::*;

fn setup() -> (HostMemory, DmaDev, Page) {
    let mem = mem_with(1, 64, Coherence::NonCoherent);
    let dev = DmaDev::new(&mem, "nic0");
    let page = mem.alloc_pages(0, 0).unwrap();
    (mem, dev, page)
}

fn classes(dev: &DmaDev) -> Vec<&'static str> {
    dev.violations().iter().map(DmaViolation::class).collect()
}

#[test]
fn unmap_during_a_write_burst_fires_with_burst_mapping_and_cycle() {
    let (mem, dev, page) = setup();
    let dma = dev
        .map_page(&page, 0, 2048, DmaDirection::FromDevice)
        .unwrap();
    mem.set_cycle(100);
    let burst = dma.checked_add(1024).unwrap();
    dev.device_access_begin(burst, 256, Access::Write);
    assert_eq!(dev.dma_in_flight(), 1);
    mem.set_cycle(107);
    dev.unmap_page(dma, 2048, DmaDirection::FromDevice).unwrap();
    let v = dev.violations();
    assert_eq!(classes(&dev), ["dma/unmap-during-dma"]);
    assert_eq!(v[0].cycle(), 107);
    let text = v[0].to_string();
    assert!(
        text.starts_with("dma/unmap-during-dma: cycle 107"),
        "{text}"
    );
    assert!(
        text.contains(&burst.to_string()) && text.contains("cycle 100"),
        "{text}"
    );
    assert!(text.contains("len 0x800"), "{text}");
    dev.device_access_end(burst, 256, Access::Write);
    assert_eq!(dev.dma_in_flight(), 0);
    mem.free_pages(page).unwrap();
}

#[test]
fn unmap_after_the_last_response_is_quiet() {
    let (_mem, dev, page) = setup();
    let dma = dev
        .map_page(&page, 0, 2048, DmaDirection::FromDevice)
        .unwrap();
    dev.device_access_begin(dma, 64, Access::Write);
    dev.device_access_end(dma, 64, Access::Write);
    dev.unmap_page(dma, 2048, DmaDirection::FromDevice).unwrap();
    assert!(dev.violations().is_empty(), "{:?}", dev.violations());
}

#[test]
fn a_burst_outside_the_mapping_does_not_fire() {
    let (_mem, dev, page) = setup();
    let a = dev
        .map_page(&page, 0, 1024, DmaDirection::FromDevice)
        .unwrap();
    let b = dev
        .map_page(&page, 1024, 1024, DmaDirection::ToDevice)
        .unwrap();
    dev.device_access_begin(b, 1024, Access::Read);
    dev.unmap_page(a, 1024, DmaDirection::FromDevice).unwrap();
    assert!(dev.violations().is_empty());
    dev.unmap_page(b, 1024, DmaDirection::ToDevice).unwrap();
    assert_eq!(classes(&dev), ["dma/unmap-during-dma"]);
}

#[test]
fn overlapping_bursts_end_in_any_order() {
    let (_mem, dev, page) = setup();
    let dma = dev
        .map_page(&page, 0, 4096, DmaDirection::Bidirectional)
        .unwrap();
    let second = dma.checked_add(64).unwrap();
    dev.device_access_begin(dma, 64, Access::Read);
    dev.device_access_begin(second, 64, Access::Write);
    dev.device_access_begin(dma, 64, Access::Read);
    assert_eq!(dev.dma_in_flight(), 3);
    dev.device_access_end(second, 64, Access::Write);
    dev.device_access_end(dma, 64, Access::Read);
    assert_eq!(dev.bursts_in_flight().len(), 1);
    dev.device_access_end(dma, 64, Access::Read);
    assert_eq!(dev.dma_in_flight(), 0);
    dev.unmap_page(dma, 4096, DmaDirection::Bidirectional)
        .unwrap();
    assert!(dev.violations().is_empty());
}

#[test]
fn an_end_without_a_begin_is_named() {
    let (mem, dev, _page) = setup();
    mem.set_cycle(9);
    dev.device_access_end(DmaAddr::new(0x1000), 64, Access::Read);
    assert_eq!(classes(&dev), ["dma/unmatched-burst-end"]);
    assert_eq!(dev.violations()[0].cycle(), 9);
    assert_eq!(dev.dma_in_flight(), 0);
}

#[test]
fn free_coherent_during_dma_fires() {
    let (_mem, dev, _page) = setup();
    let buf = dev.alloc_coherent(4096).unwrap();
    let dma = buf.dma;
    dev.device_access_begin(dma, 16, Access::Read);
    dev.free_coherent(buf).unwrap();
    assert_eq!(classes(&dev), ["dma/unmap-during-dma"]);
}

/// A burst in flight near the end of DMA space only overlaps the bytes it
/// moves: unmapping a mapping just past it is quiet.
#[test]
fn a_burst_overlaps_only_its_own_bytes() {
    let mem = mem_with(1, 64, Coherence::NonCoherent);
    let dev = DmaDev::new(&mem, "nic0");
    let pages: Vec<Page> = (0..3).map(|_| mem.alloc_pages(0, 0).unwrap()).collect();
    let maps: Vec<DmaAddr> = pages
        .iter()
        .map(|p| dev.map_page(p, 0, 4096, DmaDirection::FromDevice).unwrap())
        .collect();
    dev.device_access_begin(maps[0], 4096, Access::Write);
    for m in &maps[1..] {
        dev.unmap_page(*m, 4096, DmaDirection::FromDevice).unwrap();
    }
    assert!(dev.violations().is_empty(), "{:?}", dev.violations());
    dev.device_access_end(maps[0], 4096, Access::Write);
    dev.unmap_page(maps[0], 4096, DmaDirection::FromDevice)
        .unwrap();
}
