//! Barriers, the CPU-access observer and the weak-ordering memory model.

mod common;
use std::sync::{Arc, Mutex};

use common::*;
use pool::*;

#[derive(Debug, PartialEq)]
enum Event {
    Read(u64, HostAddr, usize, bool),
    Write(u64, HostAddr, usize, bool),
    Fence(u64, Barrier),
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl CpuObserver for Recorder {
    fn cpu_read(&self, cycle: u64, addr: HostAddr, len: usize, dma_visible: bool) {
        self.0
            .lock()
            .unwrap()
            .push(Event::Read(cycle, addr, len, dma_visible));
    }
    fn cpu_write(&self, cycle: u64, addr: HostAddr, len: usize, dma_visible: bool) {
        self.0
            .lock()
            .unwrap()
            .push(Event::Write(cycle, addr, len, dma_visible));
    }
    fn barrier(&self, cycle: u64, kind: Barrier) {
        self.0.lock().unwrap().push(Event::Fence(cycle, kind));
    }
}

#[test]
fn the_observer_sees_accesses_barriers_and_dma_visibility() {
    let mem = mem_with(1, 64, Coherence::NonCoherent);
    let dev = DmaDev::new(&mem, "nic0");
    let ring = dev.alloc_coherent(256).unwrap();
    let plain = mem.alloc_pages(0, 0).unwrap();
    let mapped = mem.alloc_pages(0, 0).unwrap();
    let dma = dev
        .map_page(&mapped, 0, 128, DmaDirection::ToDevice)
        .unwrap();
    let rec = Arc::new(Recorder::default());
    mem.set_cpu_observer(Some(rec.clone()));
    mem.set_cycle(5);
    mem.cpu_write(ring.host, &[1; 16]).unwrap();
    mem.dma_wmb();
    mem.set_cycle(6);
    mem.cpu_read(plain.host_addr(), &mut [0; 8]).unwrap();
    mem.wmb();
    mem.cpu_write(mapped.host_addr(), &[2; 4]).unwrap();
    mem.dma_rmb();
    mem.rmb();
    mem.set_cpu_observer(None);
    mem.cpu_write(ring.host, &[3; 16]).unwrap();
    assert_eq!(
        *rec.0.lock().unwrap(),
        [
            Event::Write(5, ring.host, 16, true),
            Event::Fence(5, Barrier::DmaWmb),
            Event::Read(6, plain.host_addr(), 8, false),
            Event::Fence(6, Barrier::Wmb),
            Event::Write(6, mapped.host_addr(), 4, true),
            Event::Fence(6, Barrier::DmaRmb),
            Event::Fence(6, Barrier::Rmb),
        ]
    );
    dev.unmap_page(dma, 128, DmaDirection::ToDevice).unwrap();
    dev.free_coherent(ring).unwrap();
    mem.free_pages(plain).unwrap();
    mem.free_pages(mapped).unwrap();
}

fn weak_mem(coherence: Coherence, weak: WeakOrder) -> (HostMemory, DmaDev, CoherentBuf) {
    let mem = HostMemory::new(MemConfig {
        pages_per_node: 64,
        platform: coherence.into(),
        weak_order: Some(weak),
        ..MemConfig::default()
    });
    let dev = DmaDev::new(&mem, "nic0");
    let ring = dev.alloc_coherent(4096).unwrap();
    (mem, dev, ring)
}

fn device_sees(dev: &DmaDev, ring: &CoherentBuf, len: usize) -> Vec<u8> {
    let mut b = vec![0; len];
    dev.device_read(ring.dma, &mut b).unwrap();
    b
}

#[test]
fn strong_mode_is_the_default_and_writes_are_visible_at_once() {
    assert_eq!(MemConfig::default().weak_order, None);
    let mem = mem_with(1, 64, Coherence::Coherent);
    let dev = DmaDev::new(&mem, "nic0");
    let ring = dev.alloc_coherent(64).unwrap();
    mem.cpu_write(ring.host, &[7; 16]).unwrap();
    assert_eq!(device_sees(&dev, &ring, 16), [7; 16]);
}

#[test]
fn an_unfenced_descriptor_write_reaches_the_device_late() {
    for mode in [Coherence::Coherent, Coherence::NonCoherent] {
        let (mem, dev, ring) = weak_mem(mode, WeakOrder::new(1));
        mem.set_cycle(100);
        mem.cpu_write(ring.host, &[0xd5; 16]).unwrap();
        // The CPU sees its own write at once; the device does not.
        let mut own = [0u8; 16];
        mem.cpu_read(ring.host, &mut own).unwrap();
        assert_eq!(own, [0xd5; 16]);
        assert_eq!(
            device_sees(&dev, &ring, 16),
            [0; 16],
            "{mode:?}: no wmb, no data"
        );
        // It gets there by itself within max_write_delay cycles.
        mem.set_cycle(100 + WeakOrder::new(1).max_write_delay);
        assert_eq!(device_sees(&dev, &ring, 16), [0xd5; 16], "{mode:?}");
    }
}

#[test]
fn a_write_barrier_makes_the_writes_visible_in_order() {
    for barrier in [Barrier::Wmb, Barrier::DmaWmb] {
        let (mem, dev, ring) = weak_mem(Coherence::Coherent, WeakOrder::new(2));
        mem.cpu_write(ring.host, &[1; 16]).unwrap();
        mem.cpu_write(ring.host, &[2; 8]).unwrap();
        mem.barrier(barrier);
        let seen = device_sees(&dev, &ring, 16);
        assert_eq!(
            &seen[..8],
            &[2; 8],
            "{barrier:?}: the later write to the same bytes wins"
        );
        assert_eq!(&seen[8..], &[1; 8]);
    }
}

#[test]
fn a_read_barrier_is_no_write_barrier() {
    let (mem, dev, ring) = weak_mem(Coherence::Coherent, WeakOrder::new(3));
    mem.cpu_write(ring.host, &[9; 4]).unwrap();
    mem.dma_rmb();
    mem.rmb();
    assert_eq!(device_sees(&dev, &ring, 4), [0; 4]);
}

/// A completion the device wrote after the CPU's previous read of its line:
/// an unfenced re-read may see the bytes of that previous read.
fn reread(weak: WeakOrder, fence: bool) -> Vec<u8> {
    let (mem, dev, ring) = weak_mem(Coherence::Coherent, weak);
    let mut b = [0u8; 16];
    mem.cpu_read(ring.host, &mut b).unwrap(); // the phase check
    dev.device_write(ring.dma, &[0xcc; 16]).unwrap();
    if fence {
        mem.dma_rmb();
    }
    mem.cpu_read(ring.host, &mut b).unwrap();
    b.to_vec()
}

#[test]
fn an_unfenced_reread_may_be_stale_and_a_fenced_one_never_is() {
    let always = WeakOrder {
        stale_read_percent: 100,
        ..WeakOrder::new(4)
    };
    assert_eq!(
        reread(always, false),
        [0; 16],
        "hoisted load: the old bytes"
    );
    assert_eq!(reread(always, true), [0xcc; 16], "dma_rmb orders it");
    let never = WeakOrder {
        stale_read_percent: 0,
        ..WeakOrder::new(4)
    };
    assert_eq!(reread(never, false), [0xcc; 16]);
}

#[test]
fn a_reread_after_the_window_is_fresh() {
    let (mem, dev, ring) = weak_mem(
        Coherence::Coherent,
        WeakOrder {
            stale_read_percent: 100,
            read_window: 2,
            ..WeakOrder::new(5)
        },
    );
    let mut b = [0u8; 4];
    mem.set_cycle(10);
    mem.cpu_read(ring.host, &mut b).unwrap();
    dev.device_write(ring.dma, &[1; 4]).unwrap();
    mem.set_cycle(12);
    mem.cpu_read(ring.host, &mut b).unwrap();
    assert_eq!(b, [0; 4], "within the window");
    mem.set_cycle(13);
    mem.cpu_read(ring.host, &mut b).unwrap();
    assert_eq!(b, [1; 4], "past it");
}

/// What the device sees of 64 unfenced writes, cycle by cycle, and what 64
/// unfenced re-reads return: a function of the seed alone.
fn trace(seed: u64) -> Vec<u8> {
    let (mem, dev, ring) = weak_mem(Coherence::Coherent, WeakOrder::new(seed));
    let mut out = Vec::new();
    for i in 0..64u64 {
        mem.set_cycle(i);
        mem.cpu_write(ring.host.checked_add(i * 8).unwrap(), &[i as u8 + 1; 8])
            .unwrap();
        out.extend(
            device_sees(&dev, &ring, 512)
                .iter()
                .map(|&b| u8::from(b != 0)),
        );
        dev.device_write(ring.dma.checked_add(1024).unwrap(), &[i as u8; 8])
            .unwrap();
        let mut b = [0u8; 8];
        mem.cpu_read(ring.host.checked_add(1024).unwrap(), &mut b)
            .unwrap();
        out.push(b[0]);
    }
    out
}

#[test]
fn the_weak_mode_is_deterministic_per_seed() {
    assert_eq!(trace(11), trace(11));
    assert_ne!(trace(11), trace(12));
}

#[test]
fn streaming_syncs_for_the_device_imply_the_barrier() {
    let (mem, dev, _ring) = weak_mem(Coherence::Coherent, WeakOrder::new(6));
    let page = mem.alloc_pages(0, 0).unwrap();
    let dma = dev.map_page(&page, 0, 256, DmaDirection::ToDevice).unwrap();
    mem.cpu_write(page.host_addr(), &[3; 64]).unwrap();
    let mut b = [0u8; 64];
    dev.device_read(dma, &mut b).unwrap();
    assert_eq!(
        b, [0; 64],
        "written, not yet synced: still in the store buffer"
    );
    dev.sync_single_range_for_device(dma, 0, 64, DmaDirection::ToDevice)
        .unwrap();
    dev.device_read(dma, &mut b).unwrap();
    assert_eq!(b, [3; 64]);
    dev.unmap_page(dma, 256, DmaDirection::ToDevice).unwrap();
    mem.free_pages(page).unwrap();
}
