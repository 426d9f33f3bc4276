//! The DMA layer: DMA-API-debug checks, device access faults, coherence.

mod common;
use common::*;
use pool::*;

fn setup(coherence: Coherence) -> (HostMemory, DmaDev, Page) {
    let mem = mem_with(1, 64, coherence);
    let dev = DmaDev::new(&mem, "nic0");
    let page = mem.alloc_pages(0, 0).unwrap();
    (mem, dev, page)
}

fn api_errors(dev: &DmaDev) -> Vec<DmaError> {
    dev.violations()
        .into_iter()
        .filter_map(|v| match v {
            DmaViolation::Api { error, .. } => Some(error),
            _ => None,
        })
        .collect()
}

#[test]
fn dma_api_debug_checks_are_errors_and_violations() {
    let (mem, dev, page) = setup(Coherence::Coherent);
    mem.set_cycle(1234);
    let to_dev = dev.map_page(&page, 0, 512, DmaDirection::ToDevice).unwrap();
    let from_dev = dev
        .map_page(&page, 1024, 512, DmaDirection::FromDevice)
        .unwrap();
    let bogus = from_dev.checked_add(4096 * 5).unwrap();
    let e = dev
        .unmap_page(bogus, 512, DmaDirection::FromDevice)
        .unwrap_err();
    assert!(matches!(e, DmaError::NotMapped { addr, cycle: 1234, .. } if addr == bogus));
    let e = dev
        .sync_single_range_for_cpu(bogus, 0, 4, DmaDirection::FromDevice)
        .unwrap_err();
    assert!(matches!(e, DmaError::NotMapped { .. }));
    assert!(matches!(
        dev.unmap_page(from_dev, 256, DmaDirection::FromDevice)
            .unwrap_err(),
        DmaError::UnmapSizeMismatch {
            mapped: 512,
            requested: 256,
            ..
        }
    ));
    assert!(matches!(
        dev.unmap_page(from_dev, 512, DmaDirection::Bidirectional)
            .unwrap_err(),
        DmaError::DirectionMismatch {
            mapped: DmaDirection::FromDevice,
            ..
        }
    ));
    assert!(matches!(
        dev.sync_single_range_for_cpu(from_dev, 500, 13, DmaDirection::FromDevice)
            .unwrap_err(),
        DmaError::SyncOutOfRange {
            offset: 500,
            len: 13,
            mapping_len: 512,
            ..
        }
    ));
    assert!(matches!(
        dev.sync_single_range_for_cpu(to_dev, 0, 64, DmaDirection::FromDevice)
            .unwrap_err(),
        DmaError::SyncForCpuOfDeviceReadOnly { .. }
    ));
    assert!(matches!(
        dev.sync_single_range_for_device(from_dev, 0, 64, DmaDirection::ToDevice)
            .unwrap_err(),
        DmaError::SyncForDeviceOfDeviceWriteOnly { .. }
    ));
    assert!(matches!(
        dev.map_page(&page, 4000, 200, DmaDirection::ToDevice)
            .unwrap_err(),
        DmaError::BadMapRange { .. }
    ));
    assert_eq!(api_errors(&dev).len(), 8, "every error is also recorded");
    let text = api_errors(&dev)[2].to_string();
    assert!(
        text.contains("nic0") && text.contains("size 0x100") && text.contains("0x200"),
        "{text}"
    );
    // the failed unmaps left the mappings alive
    let teardown = dev.check_teardown().unwrap_err();
    assert_eq!(teardown.mappings.len(), 2);
    assert!(teardown
        .to_string()
        .contains("2 DMA mapping(s) still alive"));
    dev.unmap_page(to_dev, 512, DmaDirection::ToDevice).unwrap();
    dev.unmap_page(from_dev, 512, DmaDirection::FromDevice)
        .unwrap();
    dev.check_teardown().unwrap();
    mem.free_pages(page).unwrap();
}

#[test]
fn bidirectional_mappings_accept_any_sync_direction() {
    let (mem, dev, page) = setup(Coherence::Coherent);
    let a = dev
        .map_page(&page, 0, 4096, DmaDirection::Bidirectional)
        .unwrap();
    dev.sync_single_range_for_cpu(a, 0, 4096, DmaDirection::FromDevice)
        .unwrap();
    dev.sync_single_range_for_device(a, 64, 128, DmaDirection::ToDevice)
        .unwrap();
    assert!(dev.violations().is_empty());
    dev.unmap_page(a, 4096, DmaDirection::Bidirectional)
        .unwrap();
    mem.free_pages(page).unwrap();
}

#[test]
fn freeing_a_mapped_page_is_refused() {
    let (mem, dev, page) = setup(Coherence::Coherent);
    let a = dev.map_page(&page, 0, 64, DmaDirection::ToDevice).unwrap();
    let addr = page.host_addr();
    assert_eq!(
        mem.free_pages(page),
        Err(MemError::FreeMapped { addr, mappings: 1 })
    );
    dev.unmap_page(a, 64, DmaDirection::ToDevice).unwrap();
}

#[test]
fn ledger_records_every_map_unmap_sync_with_its_cycle() {
    let (mem, dev, page) = setup(Coherence::Coherent);
    mem.set_cycle(10);
    let a = dev
        .map_page(&page, 128, 256, DmaDirection::FromDevice)
        .unwrap();
    mem.set_cycle(20);
    dev.sync_single_range_for_cpu(a, 64, 64, DmaDirection::FromDevice)
        .unwrap();
    mem.set_cycle(30);
    dev.sync_single_range_for_device(a, 0, 256, DmaDirection::FromDevice)
        .unwrap();
    mem.set_cycle(40);
    dev.unmap_page(a, 256, DmaDirection::FromDevice).unwrap();
    let l = dev.ledger();
    let summary: Vec<(u64, LedgerOp, u64, u64)> =
        l.iter().map(|e| (e.cycle, e.op, e.offset, e.len)).collect();
    assert_eq!(
        summary,
        [
            (10, LedgerOp::Map, 0, 256),
            (20, LedgerOp::SyncForCpu, 64, 64),
            (30, LedgerOp::SyncForDevice, 0, 256),
            (40, LedgerOp::Unmap, 0, 256)
        ]
    );
    assert!(l.iter().all(|e| e.dma == a && e.page == page.host_addr()));
    let json = serde_json::to_value(&l[0]).unwrap();
    assert_eq!(json["op"], "Map");
    assert_eq!(json["dma"], a.to_string());
    assert!(l[1].to_string().contains("SyncForCpu"));
    assert_eq!(dev.take_ledger().len(), 4);
    assert!(dev.ledger().is_empty());
    mem.free_pages(page).unwrap();
}

#[test]
fn device_access_outside_mappings_faults_with_history() {
    let (mem, dev, page) = setup(Coherence::Coherent);
    mem.set_cycle(5);
    let a = dev
        .map_page(&page, 0, 1024, DmaDirection::FromDevice)
        .unwrap();
    mem.set_cycle(6);
    dev.unmap_page(a, 1024, DmaDirection::FromDevice).unwrap();
    mem.set_cycle(99);
    let f = dev.device_write(a, &[1, 2, 3]).unwrap_err();
    assert_eq!(
        (f.cycle, f.addr, f.len, f.access),
        (99, a, 3, Access::Write)
    );
    assert_eq!(f.kind, FaultKind::NotMapped { first: a });
    assert_eq!(f.page, Some(page.host_addr()));
    let ops: Vec<LedgerOp> = f.history.iter().map(|e| e.op).collect();
    assert_eq!(ops, [LedgerOp::Map, LedgerOp::Unmap]);
    let text = f.to_string();
    assert!(
        text.contains("DMA fault: nic0 write of 3 bytes") && text.contains("cycle 99"),
        "{text}"
    );
    assert!(
        text.contains("is not mapped") && text.contains("mapping history of page"),
        "{text}"
    );
    assert!(text.contains("Unmap"), "{text}");
    assert!(matches!(dev.violations()[0], DmaViolation::Fault(_)));
    // nothing was written
    let mut b = [9u8; 3];
    mem.cpu_read(page.host_addr(), &mut b).unwrap();
    assert_eq!(b, [0, 0, 0]);
    // outside the device's window entirely
    let f = dev.device_read(DmaAddr::new(0x10), &mut b).unwrap_err();
    assert_eq!(f.kind, FaultKind::OutsideWindow);
    mem.free_pages(page).unwrap();
}

#[test]
fn device_access_against_the_direction_faults() {
    let (mem, dev, page) = setup(Coherence::Coherent);
    let rx = dev
        .map_page(&page, 0, 2048, DmaDirection::FromDevice)
        .unwrap();
    let tx = dev
        .map_page(&page, 2048, 2048, DmaDirection::ToDevice)
        .unwrap();
    let mut b = [0u8; 8];
    let f = dev.device_read(rx, &mut b).unwrap_err();
    assert_eq!(
        f.kind,
        FaultKind::WrongDirection {
            first: rx,
            dir: DmaDirection::FromDevice
        }
    );
    let f = dev.device_write(tx, &b).unwrap_err();
    assert_eq!(
        f.kind,
        FaultKind::WrongDirection {
            first: tx,
            dir: DmaDirection::ToDevice
        }
    );
    assert!(f
        .to_string()
        .contains("DMA_TO_DEVICE, which forbids a device write"));
    dev.device_write(rx, &b).unwrap();
    dev.device_read(tx, &mut b).unwrap();
    dev.unmap_page(rx, 2048, DmaDirection::FromDevice).unwrap();
    dev.unmap_page(tx, 2048, DmaDirection::ToDevice).unwrap();
    mem.free_pages(page).unwrap();
}

#[test]
fn a_burst_may_span_adjacent_mappings_when_every_byte_is_mapped() {
    let (mem, dev, page) = setup(Coherence::Coherent);
    let lo = dev
        .map_page(&page, 0, 2048, DmaDirection::Bidirectional)
        .unwrap();
    let hi = dev
        .map_page(&page, 2048, 2048, DmaDirection::FromDevice)
        .unwrap();
    assert_eq!(hi.offset_from(lo), Some(2048));
    let data: Vec<u8> = (0..4096u32).map(|i| (i * 7) as u8).collect();
    dev.device_write(lo, &data).unwrap();
    let mut back = vec![0u8; 4096];
    mem.cpu_read(page.host_addr(), &mut back).unwrap();
    assert_eq!(back, data);
    // a read across both: the upper half is write-only for the device
    let f = dev
        .device_read(lo.checked_add(1024).unwrap(), &mut back[..2048])
        .unwrap_err();
    assert_eq!(
        f.kind,
        FaultKind::WrongDirection {
            first: hi,
            dir: DmaDirection::FromDevice
        }
    );
    dev.unmap_page(hi, 2048, DmaDirection::FromDevice).unwrap();
    let f = dev
        .device_write(lo.checked_add(1024).unwrap(), &data[..2048])
        .unwrap_err();
    assert_eq!(f.kind, FaultKind::NotMapped { first: hi });
    dev.unmap_page(lo, 2048, DmaDirection::Bidirectional)
        .unwrap();
    mem.free_pages(page).unwrap();
}

#[test]
fn bursts_across_compound_page_frames_translate_per_frame() {
    let mem = mem_with(1, 64, Coherence::NonCoherent);
    let dev = DmaDev::new(&mem, "nic0");
    let page = mem.alloc_pages(1, 0).unwrap();
    let a = dev
        .map_page(&page, 0, 8192, DmaDirection::Bidirectional)
        .unwrap();
    let at = a.checked_add(4096 - 100).unwrap();
    dev.device_write(at, &[5u8; 200]).unwrap();
    let mut b = [0u8; 200];
    dev.device_read(at, &mut b).unwrap();
    assert_eq!(b, [5u8; 200]);
    dev.sync_single_range_for_cpu(a, 0, 8192, DmaDirection::Bidirectional)
        .unwrap();
    mem.cpu_read(page.host_addr().checked_add(4096 - 100).unwrap(), &mut b)
        .unwrap();
    assert_eq!(b, [5u8; 200]);
    dev.unmap_page(a, 8192, DmaDirection::Bidirectional)
        .unwrap();
    mem.free_pages(page).unwrap();
}

#[test]
fn non_coherent_cpu_reads_stale_bytes_until_sync_for_cpu() {
    let (mem, dev, page) = setup(Coherence::NonCoherent);
    mem.cpu_write(page.host_addr(), &[0xaa; 256]).unwrap();
    let a = dev
        .map_page(&page, 0, 4096, DmaDirection::FromDevice)
        .unwrap();
    dev.device_write(a, &[0x55; 100]).unwrap();
    let mut b = [0u8; 100];
    mem.cpu_read(page.host_addr(), &mut b).unwrap();
    assert_eq!(b, [0xaa; 100], "forgot sync_for_cpu: stale CPU copy");
    dev.sync_single_range_for_cpu(a, 0, 64, DmaDirection::FromDevice)
        .unwrap();
    mem.cpu_read(page.host_addr(), &mut b).unwrap();
    assert_eq!(&b[..64], &[0x55; 64][..], "synced line is fresh");
    assert_eq!(&b[64..], &[0xaa; 36][..], "the next line was not synced");
    dev.unmap_page(a, 4096, DmaDirection::FromDevice).unwrap();
    mem.free_pages(page).unwrap();
}

#[test]
fn non_coherent_device_reads_stale_bytes_until_sync_for_device() {
    let (mem, dev, page) = setup(Coherence::NonCoherent);
    let a = dev
        .map_page(&page, 0, 4096, DmaDirection::Bidirectional)
        .unwrap();
    dev.sync_single_range_for_cpu(a, 0, 4096, DmaDirection::Bidirectional)
        .unwrap();
    mem.cpu_write(page.host_addr(), b"frame to send").unwrap();
    let mut b = [0u8; 13];
    dev.device_read(a, &mut b).unwrap();
    assert_eq!(
        b, [0u8; 13],
        "forgot sync_for_device: device reads stale RAM"
    );
    let classes: Vec<_> = dev.violations().iter().map(DmaViolation::class).collect();
    assert_eq!(
        classes,
        [
            "dma/device-read-cpu-owned",
            "ownership/device-read-cpu-written"
        ]
    );
    assert!(
        matches!(dev.violations()[0], DmaViolation::DeviceReadCpuOwned { addr, len: 13, .. } if addr == a),
        "names the first CPU-owned line and the access: {:?}",
        dev.violations()[0]
    );
    dev.sync_single_range_for_device(a, 0, 64, DmaDirection::Bidirectional)
        .unwrap();
    dev.device_read(a, &mut b).unwrap();
    assert_eq!(&b, b"frame to send");
    assert_eq!(dev.violations().len(), 2);
    dev.unmap_page(a, 4096, DmaDirection::Bidirectional)
        .unwrap();
    mem.free_pages(page).unwrap();
}

#[test]
fn map_without_skip_sync_writes_back_and_unmap_invalidates() {
    let (mem, dev, page) = setup(Coherence::NonCoherent);
    mem.cpu_write(page.host_addr(), b"tx payload").unwrap();
    let a = dev.map_page(&page, 0, 64, DmaDirection::ToDevice).unwrap();
    let mut b = [0u8; 10];
    dev.device_read(a, &mut b).unwrap();
    assert_eq!(&b, b"tx payload");
    dev.unmap_page(a, 64, DmaDirection::ToDevice).unwrap();
    let rx = dev
        .map_page_attrs(
            &page,
            0,
            64,
            DmaDirection::FromDevice,
            DmaAttrs {
                skip_cpu_sync: true,
            },
        )
        .unwrap();
    dev.device_write(rx, b"rx payload").unwrap();
    dev.unmap_page(rx, 64, DmaDirection::FromDevice).unwrap();
    mem.cpu_read(page.host_addr(), &mut b).unwrap();
    assert_eq!(&b, b"rx payload");
    mem.free_pages(page).unwrap();
}

#[test]
fn coherent_mode_shares_data_but_still_tracks_ownership() {
    let (mem, dev, page) = setup(Coherence::Coherent);
    let a = dev
        .map_page(&page, 0, 4096, DmaDirection::FromDevice)
        .unwrap();
    dev.device_write(a, &[3u8; 64]).unwrap();
    let mut b = [0u8; 64];
    mem.cpu_read(page.host_addr(), &mut b).unwrap();
    assert_eq!(b, [3u8; 64], "coherent: no sync needed to see the data");
    dev.sync_single_range_for_cpu(a, 0, 64, DmaDirection::FromDevice)
        .unwrap();
    let f = dev
        .device_write(a.checked_add(10).unwrap(), &[1])
        .unwrap_err();
    assert_eq!(f.kind, FaultKind::CpuOwnedLines { first: a });
    assert!(f.to_string().contains("owned by the CPU"));
    // other lines are still the device's
    dev.device_write(a.checked_add(64).unwrap(), &[1]).unwrap();
    dev.sync_single_range_for_device(a, 0, 64, DmaDirection::FromDevice)
        .unwrap();
    dev.device_write(a.checked_add(10).unwrap(), &[1]).unwrap();
    assert_eq!(
        dev.ledger().len(),
        3,
        "syncs are recorded in coherent mode too"
    );
    dev.unmap_page(a, 4096, DmaDirection::FromDevice).unwrap();
    mem.free_pages(page).unwrap();
}

#[test]
fn coherent_buffers_are_shared_in_non_coherent_mode() {
    let mem = mem_with(1, 64, Coherence::NonCoherent);
    let dev = DmaDev::new(&mem, "nic0");
    let ring = dev.alloc_coherent(6000).unwrap();
    assert_eq!(ring.len, 6000);
    dev.device_write(ring.dma.checked_add(5000).unwrap(), &[0xcc; 16])
        .unwrap();
    let mut b = [0u8; 16];
    mem.cpu_read(ring.host.checked_add(5000).unwrap(), &mut b)
        .unwrap();
    assert_eq!(b, [0xcc; 16]);
    mem.cpu_write(ring.host, &[1, 2, 3, 4]).unwrap();
    let mut d = [0u8; 4];
    dev.device_read(ring.dma, &mut d).unwrap();
    assert_eq!(d, [1, 2, 3, 4]);
    assert!(
        dev.device_write(ring.dma.checked_add(6000).unwrap(), &[0])
            .is_err(),
        "past its length"
    );
    assert!(matches!(
        dev.unmap_page(ring.dma, 6000, DmaDirection::Bidirectional),
        Err(DmaError::TypeMismatch { .. })
    ));
    assert!(dev.check_teardown().unwrap_err().mappings[0].coherent);
    let again = CoherentBuf {
        host: ring.host,
        dma: ring.dma,
        len: ring.len,
    };
    dev.free_coherent(ring).unwrap();
    assert!(matches!(
        dev.free_coherent(again),
        Err(DmaError::NotMapped { .. })
    ));
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
    let kinds: Vec<LedgerOp> = dev.ledger().iter().map(|e| e.op).collect();
    assert_eq!(kinds, [LedgerOp::AllocCoherent, LedgerOp::FreeCoherent]);
}

#[test]
fn devices_have_separate_domains() {
    let (mem, dev, page) = setup(Coherence::Coherent);
    let other = DmaDev::new(&mem, "nic1");
    let a = dev
        .map_page(&page, 0, 64, DmaDirection::Bidirectional)
        .unwrap();
    let b = other
        .map_page(&page, 0, 64, DmaDirection::Bidirectional)
        .unwrap();
    assert_ne!(a, b);
    assert!(other.device_write(a, &[1]).is_err());
    other.device_write(b, &[1]).unwrap();
    assert!(dev.same_device(&dev.clone()) && !dev.same_device(&other));
    dev.unmap_page(a, 64, DmaDirection::Bidirectional).unwrap();
    other
        .unmap_page(b, 64, DmaDirection::Bidirectional)
        .unwrap();
    mem.free_pages(page).unwrap();
}

#[test]
fn handles_are_send_and_sync() {
    fn is<T: Send + Sync + Clone>() {}
    is::<HostMemory>();
    is::<DmaDev>();
    is::<PagePoolHandle>();
    is::<PoolRegistry>();
    fn send<T: Send>() {}
    send::<PagePool>();
    send::<PpPage>();
}
