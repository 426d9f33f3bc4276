use super::*;
use crate::addr::HostAddr;
use crate::inject::FailureInjection;
use crate::layout::PAGE_SIZE;
use crate::platform::Coherence;

fn small(coherence: Coherence) -> HostMemory {
    HostMemory::new(MemConfig {
        nodes: 2,
        pages_per_node: 64,
        platform: coherence.into(),
        clock_hz: 1000,
        ..MemConfig::default()
    })
}

#[test]
fn alloc_free_and_capacity() {
    let mem = small(Coherence::Coherent);
    let pages: Vec<Page> = (0..64).map(|_| mem.alloc_pages(0, 1).unwrap()).collect();
    assert!(pages.iter().all(|p| p.nid() == 1));
    assert_eq!(
        mem.alloc_pages(0, 1),
        Err(MemError::OutOfMemory { order: 0, nid: 1 })
    );
    assert_eq!(mem.allocated_pages(1).unwrap(), 64);
    for p in pages {
        mem.free_pages(p).unwrap();
    }
    assert_eq!(mem.allocated_pages(1).unwrap(), 0);
    assert!(matches!(
        mem.alloc_pages(0, 2),
        Err(MemError::InvalidNode { nid: 2, nodes: 2 })
    ));
}

#[test]
fn compound_pages_are_aligned() {
    let mem = small(Coherence::Coherent);
    let a = mem.alloc_pages(0, 0).unwrap();
    let b = mem.alloc_pages(3, 0).unwrap();
    assert_eq!(b.pfn() % 8, 0);
    assert_ne!(b.pfn(), a.pfn());
    assert_eq!(b.len(), 8 * PAGE_SIZE);
    // a write across all 8 frames reads back
    let data: Vec<u8> = (0..b.len()).map(|i| i as u8).collect();
    mem.cpu_write(b.host_addr(), &data).unwrap();
    let mut back = vec![0; b.len()];
    mem.cpu_read(b.host_addr(), &mut back).unwrap();
    assert_eq!(back, data);
    assert!(matches!(
        mem.alloc_pages(MAX_PAGE_ORDER + 1, 0),
        Err(MemError::OrderTooHigh { .. })
    ));
}

#[test]
fn use_after_free_is_reported() {
    let mem = small(Coherence::NonCoherent);
    let p = mem.alloc_pages(0, 0).unwrap();
    let addr = p.host_addr();
    mem.set_cycle(42);
    mem.free_pages(p).unwrap();
    let mut b = [0u8; 4];
    let err = mem.cpu_read(addr, &mut b).unwrap_err();
    assert_eq!(err, MemError::NotAllocated { addr, cycle: 42 });
    assert!(err.to_string().contains("use after free"));
}

#[test]
fn page_refs_keep_pages_alive() {
    let mem = small(Coherence::Coherent);
    let p = mem.alloc_pages(0, 0).unwrap();
    let addr = p.host_addr();
    let r = mem.get_page(&p);
    assert_eq!(mem.page_ref_count(addr).unwrap(), 2);
    mem.free_pages(p).unwrap();
    assert_eq!(mem.page_ref_count(addr).unwrap(), 1);
    mem.cpu_write(addr, &[1, 2, 3]).unwrap();
    drop(r);
    assert_eq!(mem.page_ref_count(addr).unwrap(), 0);
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
}

#[test]
fn injected_failures() {
    let mem = small(Coherence::Coherent);
    mem.inject_alloc_failures(FailureInjection::NextN(2));
    assert!(matches!(
        mem.alloc_pages(0, 0),
        Err(MemError::Injected { .. })
    ));
    let mut v = Vec::new();
    assert_eq!(mem.inner.alloc_bulk(0, 4, &mut v), 0);
    assert_eq!(mem.inner.alloc_bulk(0, 4, &mut v), 4);
    assert_eq!(mem.injected_alloc_failures(), 2);
}

#[test]
fn out_of_range_addresses() {
    let mem = small(Coherence::Coherent);
    let mut b = [0u8; 1];
    assert!(matches!(
        mem.cpu_read(HostAddr::new(0x1000), &mut b),
        Err(MemError::OutOfRange { .. })
    ));
    let end = HostAddr::new(HOST_BASE + 128 * PAGE_SIZE as u64);
    assert!(matches!(
        mem.cpu_read(end, &mut b),
        Err(MemError::OutOfRange { .. })
    ));
}
