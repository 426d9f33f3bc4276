//! Byte-precise DMA ownership, checked on CPU and device accesses in both
//! coherence modes.

mod common;
use common::*;
use pool::*;

const MODES: [Coherence; 2] = [Coherence::Coherent, Coherence::NonCoherent];
const HEADROOM: usize = 256;

/// A page mapped `dir` for the whole page, the way a page pool with
/// `PP_FLAG_DMA_SYNC_DEV` maps it: skipping the CPU sync, then syncing it
/// for the device.
fn rx_page(coherence: Coherence, dir: DmaDirection) -> (HostMemory, DmaDev, Page, DmaAddr) {
    let (mem, dev, page, dma) = rx_page_unsynced(coherence, dir);
    dev.sync_single_range_for_device(dma, 0, 4096, dir).unwrap();
    (mem, dev, page, dma)
}

/// A page mapped `dir` with `DMA_ATTR_SKIP_CPU_SYNC` and not synced for the
/// device after it (a pool without `PP_FLAG_DMA_SYNC_DEV`: the driver must).
fn rx_page_unsynced(
    coherence: Coherence,
    dir: DmaDirection,
) -> (HostMemory, DmaDev, Page, DmaAddr) {
    let mem = mem_with(1, 64, coherence);
    let dev = DmaDev::new(&mem, "nic0");
    let page = mem.alloc_pages(0, 0).unwrap();
    let attrs = DmaAttrs {
        skip_cpu_sync: true,
    };
    let dma = dev.map_page_attrs(&page, 0, 4096, dir, attrs).unwrap();
    (mem, dev, page, dma)
}

fn at(page: &Page, off: usize) -> HostAddr {
    page.host_addr().checked_add(off as u64).unwrap()
}

fn classes(mem: &HostMemory) -> Vec<&'static str> {
    mem.ownership_violations()
        .iter()
        .map(OwnershipViolation::class)
        .collect()
}

/// The NIC writes a `len`-byte frame after the headroom.
fn receive(mem: &HostMemory, dev: &DmaDev, dma: DmaAddr, len: usize) {
    mem.set_cycle(mem.cycle() + 10);
    dev.device_write(dma.checked_add(HEADROOM as u64).unwrap(), &vec![0x5a; len])
        .unwrap();
    mem.set_cycle(mem.cycle() + 10);
}

#[test]
fn reading_an_rx_frame_before_sync_for_cpu_fires_in_both_modes() {
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page(mode, DmaDirection::FromDevice);
        receive(&mem, &dev, dma, 100);
        let mut b = [0u8; 100];
        mem.cpu_read(at(&page, HEADROOM), &mut b).unwrap();
        let want: [u8; 100] = if mode == Coherence::Coherent {
            [0x5a; 100]
        } else {
            [0; 100]
        };
        assert_eq!(b, want, "{mode:?}: the read happens as the hardware would");
        let v = mem.ownership_violations();
        assert_eq!(
            classes(&mem),
            ["ownership/cpu-read-device-owned"],
            "{mode:?}"
        );
        assert_eq!(v[0].cycle(), 20);
        assert_eq!((v[0].addr, v[0].len), (at(&page, HEADROOM), 100));
        assert_eq!(
            (v[0].first, v[0].page),
            (at(&page, HEADROOM), page.host_addr())
        );
        let report = dev.violations();
        assert_eq!(report.len(), 1);
        let text = report[0].to_string();
        assert!(
            text.starts_with("ownership/cpu-read-device-owned: cycle 20: CPU read of 100 bytes"),
            "{text}"
        );
        assert!(
            text.contains("sync history of page") && text.contains("Map"),
            "{text}"
        );
    }
}

#[test]
fn reading_exactly_the_synced_range_is_quiet() {
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page(mode, DmaDirection::FromDevice);
        receive(&mem, &dev, dma, 100);
        dev.sync_single_range_for_cpu(dma, 0, HEADROOM + 100, DmaDirection::FromDevice)
            .unwrap();
        let mut b = [0u8; 100];
        mem.cpu_read(at(&page, HEADROOM), &mut b).unwrap();
        assert_eq!(b, [0x5a; 100]);
        mem.cpu_read(page.host_addr(), &mut [0; HEADROOM]).unwrap();
        assert!(mem.ownership_violations().is_empty(), "{mode:?}");
        assert!(dev.violations().is_empty(), "{mode:?}");
    }
}

#[test]
fn a_short_sync_or_forgotten_headroom_names_the_first_unsynced_byte() {
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page(mode, DmaDirection::Bidirectional);
        receive(&mem, &dev, dma, 100);
        // Synced the length but not the headroom: the frame starts at 0.
        dev.sync_single_range_for_cpu(dma, 0, 100, DmaDirection::Bidirectional)
            .unwrap();
        mem.cpu_read(at(&page, HEADROOM), &mut [0; 100]).unwrap();
        let v = mem.ownership_violations();
        assert_eq!(v.len(), 1, "{mode:?}");
        assert_eq!(v[0].first, at(&page, HEADROOM));
        // A sync one byte short.
        dev.sync_single_range_for_cpu(dma, 0, HEADROOM + 99, DmaDirection::Bidirectional)
            .unwrap();
        mem.cpu_read(at(&page, HEADROOM), &mut [0; 100]).unwrap();
        let v = mem.ownership_violations();
        assert_eq!(v.len(), 2, "{mode:?}");
        assert_eq!(v[1].first, at(&page, HEADROOM + 99), "byte precision");
    }
}

#[test]
fn a_wrong_fragment_offset_fires() {
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page(mode, DmaDirection::FromDevice);
        // Two fragments of 2 KiB; the NIC filled the second one.
        let second = dma.checked_add(2048).unwrap();
        dev.device_write(second, &[7; 200]).unwrap();
        dev.sync_single_range_for_cpu(second, 0, 200, DmaDirection::FromDevice)
            .unwrap();
        mem.cpu_read(at(&page, 2048), &mut [0; 200]).unwrap();
        assert!(mem.ownership_violations().is_empty());
        mem.cpu_read(at(&page, 0), &mut [0; 200]).unwrap();
        assert_eq!(
            classes(&mem),
            ["ownership/cpu-read-device-owned"],
            "{mode:?}"
        );
    }
}

#[test]
fn writing_into_what_the_device_delivered_before_sync_fires() {
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page(mode, DmaDirection::Bidirectional);
        receive(&mem, &dev, dma, 100);
        mem.cpu_write(at(&page, HEADROOM + 10), &[1; 4]).unwrap();
        assert_eq!(
            classes(&mem),
            ["ownership/cpu-write-device-owned"],
            "{mode:?}"
        );
        assert_eq!(
            mem.ownership_violations()[0].first,
            at(&page, HEADROOM + 10)
        );
        // After the sync for the CPU the same write is the XDP program's right.
        dev.sync_single_range_for_cpu(dma, 0, HEADROOM + 100, DmaDirection::Bidirectional)
            .unwrap();
        mem.cpu_write(at(&page, HEADROOM + 10), &[1; 4]).unwrap();
        assert_eq!(mem.ownership_violations().len(), 1, "{mode:?}");
    }
}

#[test]
fn filling_a_tx_page_the_device_never_wrote_is_quiet() {
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page(mode, DmaDirection::Bidirectional);
        for round in 0..2u8 {
            mem.cpu_write(page.host_addr(), &[round; 300]).unwrap();
            dev.sync_single_range_for_device(dma, 0, 300, DmaDirection::Bidirectional)
                .unwrap();
            let mut b = [0u8; 300];
            dev.device_read(dma, &mut b).unwrap();
            assert_eq!(b, [round; 300]);
        }
        assert!(
            dev.violations().is_empty(),
            "{mode:?}: {:?}",
            dev.violations()
        );
    }
}

#[test]
fn a_device_read_of_unsynced_cpu_writes_fires_in_both_modes() {
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page(mode, DmaDirection::ToDevice);
        mem.set_cycle(3);
        mem.cpu_write(at(&page, 64), &[9; 64]).unwrap();
        let mut b = [0u8; 256];
        dev.device_read(dma, &mut b).unwrap();
        let want = if mode == Coherence::Coherent { 9 } else { 0 };
        assert_eq!(b[64], want, "{mode:?}: stale RAM only in non-coherent mode");
        let v = mem.ownership_violations();
        assert_eq!(
            classes(&mem),
            ["ownership/device-read-cpu-written"],
            "{mode:?}"
        );
        assert_eq!(v[0].device.as_deref(), Some("nic0"));
        assert_eq!(
            (v[0].addr, v[0].len, v[0].first),
            (page.host_addr(), 256, at(&page, 64))
        );
        assert!(dev.violations()[0]
            .to_string()
            .contains("device nic0 read of 256 bytes"));
        // Synced: quiet, and the device sees the bytes in both modes.
        dev.sync_single_range_for_device(dma, 64, 64, DmaDirection::ToDevice)
            .unwrap();
        dev.device_read(dma, &mut b).unwrap();
        assert_eq!(b[64], 9);
        assert_eq!(mem.ownership_violations().len(), 1);
    }
}

#[test]
fn a_device_write_into_unsynced_cpu_writes_fires() {
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page(mode, DmaDirection::FromDevice);
        mem.cpu_write(at(&page, HEADROOM), &[1; 8]).unwrap();
        receive(&mem, &dev, dma, 64);
        assert_eq!(
            classes(&mem),
            ["ownership/device-write-cpu-written"],
            "{mode:?}"
        );
    }
}

#[test]
fn coherent_buffers_and_to_device_mappings_are_not_owned() {
    for mode in MODES {
        let mem = mem_with(1, 64, mode);
        let dev = DmaDev::new(&mem, "nic0");
        let ring = dev.alloc_coherent(4096).unwrap();
        dev.device_write(ring.dma, &[1; 64]).unwrap();
        mem.cpu_read(ring.host, &mut [0; 64]).unwrap();
        mem.cpu_write(ring.host, &[2; 64]).unwrap();
        dev.device_read(ring.dma, &mut [0; 64]).unwrap();
        let page = mem.alloc_pages(0, 0).unwrap();
        let dma = dev.map_page(&page, 0, 512, DmaDirection::ToDevice).unwrap();
        mem.cpu_read(page.host_addr(), &mut [0; 512]).unwrap();
        assert!(mem.ownership_violations().is_empty(), "{mode:?}");
        dev.unmap_page(dma, 512, DmaDirection::ToDevice).unwrap();
    }
}

#[test]
fn unmap_gives_the_bytes_back_and_the_checks_can_be_turned_off() {
    let (mem, dev, page, dma) = rx_page(Coherence::NonCoherent, DmaDirection::FromDevice);
    receive(&mem, &dev, dma, 64);
    mem.set_ownership_checks(false);
    mem.cpu_read(at(&page, HEADROOM), &mut [0; 64]).unwrap();
    assert!(mem.ownership_violations().is_empty());
    mem.set_ownership_checks(true);
    dev.unmap_page(dma, 4096, DmaDirection::FromDevice).unwrap();
    mem.cpu_read(at(&page, HEADROOM), &mut [0; 64]).unwrap();
    assert!(mem.ownership_violations().is_empty());
}

/// A sync for the CPU of a bidirectional buffer with `DMA_TO_DEVICE`
/// invalidates nothing (arm64's `__dma_sync_single_for_cpu` skips it for
/// TO_DEVICE), so it does not hand the received bytes to the CPU; the
/// kernel's DMA-API debug allows the direction on a BIDIRECTIONAL mapping
/// (`check_sync`), the ownership check still names the read.
#[test]
fn a_sync_for_cpu_with_to_device_hands_nothing_back() {
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page(mode, DmaDirection::Bidirectional);
        receive(&mem, &dev, dma, 64);
        dev.sync_single_range_for_cpu(dma, 0, HEADROOM + 64, DmaDirection::ToDevice)
            .unwrap();
        let mut b = [0u8; 64];
        mem.cpu_read(at(&page, HEADROOM), &mut b).unwrap();
        assert_eq!(
            classes(&mem),
            ["ownership/cpu-read-device-owned"],
            "{mode:?}"
        );
        dev.sync_single_range_for_cpu(dma, 0, HEADROOM + 64, DmaDirection::Bidirectional)
            .unwrap();
        mem.cpu_read(at(&page, HEADROOM), &mut b).unwrap();
        assert_eq!(b, [0x5a; 64], "{mode:?}");
        assert_eq!(classes(&mem).len(), 1, "{mode:?}: quiet once synced");
    }
}

/// A monitor's `peek` sees what the CPU would read but is neither an
/// ownership violation nor a CPU access an observer is told of.
#[test]
fn peek_reads_the_cpu_view_unchecked_and_unobserved() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    #[derive(Default)]
    struct Count(AtomicUsize);
    impl CpuObserver for Count {
        fn cpu_read(&self, _: u64, _: HostAddr, _: usize, _: bool) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
        fn cpu_write(&self, _: u64, _: HostAddr, _: usize, _: bool) {}
        fn barrier(&self, _: u64, _: Barrier) {}
    }
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page(mode, DmaDirection::FromDevice);
        let seen = Arc::new(Count::default());
        mem.set_cpu_observer(Some(seen.clone()));
        receive(&mem, &dev, dma, 32);
        let (mut peeked, mut read) = ([0u8; 32], [0u8; 32]);
        mem.peek(at(&page, HEADROOM), &mut peeked).unwrap();
        assert!(mem.ownership_violations().is_empty(), "{mode:?}");
        assert_eq!(seen.0.load(Ordering::Relaxed), 0, "{mode:?}");
        mem.cpu_read(at(&page, HEADROOM), &mut read).unwrap();
        assert_eq!(peeked, read, "{mode:?}: the same bytes as the CPU's read");
        assert_eq!(seen.0.load(Ordering::Relaxed), 1, "{mode:?}");
        assert_eq!(classes(&mem), ["ownership/cpu-read-device-owned"]);
    }
}

#[test]
fn a_device_write_after_a_map_skipping_the_cpu_sync_fires_until_synced() {
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page_unsynced(mode, DmaDirection::FromDevice);
        receive(&mem, &dev, dma, 64);
        assert_eq!(
            classes(&mem),
            ["ownership/device-write-not-synced"],
            "{mode:?}"
        );
        let v = &mem.ownership_violations()[0];
        assert_eq!((v.cycle(), v.first, v.len), (10, at(&page, HEADROOM), 64));
        let text = dev.violations()[0].to_string();
        assert!(
            text.starts_with(
                "ownership/device-write-not-synced: cycle 10: device nic0 write of 64 bytes"
            ) && text.contains("expected dma_sync_single_range_for_device"),
            "{text}"
        );
        dev.sync_single_range_for_device(dma, HEADROOM, 64, DmaDirection::FromDevice)
            .unwrap();
        receive(&mem, &dev, dma, 64);
        assert_eq!(classes(&mem).len(), 1, "{mode:?}: quiet once synced");
    }
}

#[test]
fn a_map_that_syncs_for_the_device_lets_it_write() {
    for mode in MODES {
        let mem = mem_with(1, 64, mode);
        let dev = DmaDev::new(&mem, "nic0");
        let page = mem.alloc_pages(0, 0).unwrap();
        let dma = dev
            .map_page(&page, 0, 4096, DmaDirection::FromDevice)
            .unwrap();
        receive(&mem, &dev, dma, 1500);
        assert!(mem.ownership_violations().is_empty(), "{mode:?}");
    }
}

/// A recycled RX buffer synced for the device too short: a full-length
/// frame writes into the last bytes, which the CPU had since its sync for
/// the CPU. Byte precise: 10 bytes short leave no whole line to the CPU, so
/// only the byte rule sees it, in both modes.
#[test]
fn a_short_refill_sync_names_the_first_unsynced_byte() {
    const BUF_LEN: usize = 3520;
    for mode in MODES {
        for (short, fires) in [(10, true), (0, false)] {
            let (mem, dev, page, dma) = rx_page(mode, DmaDirection::FromDevice);
            receive(&mem, &dev, dma, BUF_LEN);
            let dir = DmaDirection::FromDevice;
            dev.sync_single_range_for_cpu(dma, 0, HEADROOM + BUF_LEN, dir)
                .unwrap();
            dev.sync_single_range_for_device(dma, HEADROOM, BUF_LEN - short, dir)
                .unwrap();
            receive(&mem, &dev, dma, BUF_LEN);
            let v = mem.ownership_violations();
            if fires {
                assert_eq!(classes(&mem), ["ownership/device-write-not-synced"]);
                let first = at(&page, HEADROOM + BUF_LEN - short);
                assert_eq!(v[0].first, first, "{mode:?}: byte precision");
            } else {
                assert!(v.is_empty(), "{mode:?}: {v:?}");
            }
        }
    }
}

/// The refill sync of a fresh page (mapped skipping the CPU sync) from the
/// page offset instead of after the headroom: the last headroom bytes were
/// never synced for the device. The map left every line to the device, so
/// only the byte rule sees it, in both modes.
#[test]
fn a_refill_sync_that_forgets_the_headroom_fires_in_both_modes() {
    const BUF_LEN: usize = 3520;
    for mode in MODES {
        let (mem, dev, page, dma) = rx_page_unsynced(mode, DmaDirection::FromDevice);
        dev.sync_single_range_for_device(dma, 0, BUF_LEN, DmaDirection::FromDevice)
            .unwrap();
        receive(&mem, &dev, dma, BUF_LEN);
        assert_eq!(
            classes(&mem),
            ["ownership/device-write-not-synced"],
            "{mode:?}"
        );
        assert_eq!(mem.ownership_violations()[0].first, at(&page, BUF_LEN));
    }
}
