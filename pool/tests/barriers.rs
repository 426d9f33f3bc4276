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
