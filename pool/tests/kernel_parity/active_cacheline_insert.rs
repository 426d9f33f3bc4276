//! `active_cacheline_insert` / `active_cacheline_remove` (kernel/dma/debug.c,
//! 6.12), called by `add_dma_entry` and `dma_entry_free`: the first cache
//! line (`to_cacheline_number`, 64-byte `L1_CACHE_BYTES`) of every live
//! mapping that is not `DMA_TO_DEVICE` is listed in one tree for the whole
//! system; a second one starting in a listed line is `-EEXIST`, reported
//! as "cacheline tracking EEXIST, overlapping mappings aren't supported"
//! unless the map passed `DMA_ATTR_SKIP_CPU_SYNC`; an overlap count keeps
//! the line listed until the last of its mappings is gone.

use crate::common::*;
use pool::*;

fn overlaps(dev: &DmaDev) -> Vec<DmaViolation> {
    dev.violations()
        .into_iter()
        .filter(|v| v.class() == "dma/overlapping-cacheline")
        .collect()
}

/// Two `DMA_FROM_DEVICE` buffers in one 64-byte line: the second map is
/// reported (with both handles and the cycle), and still made.
#[test]
fn a_second_mapping_in_a_listed_line_is_reported() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic0");
    let page = mem.alloc_pages(0, 0).unwrap();
    let a = dev
        .map_page(&page, 0, 32, DmaDirection::FromDevice)
        .unwrap();
    mem.set_cycle(77);
    let b = dev
        .map_page(&page, 32, 32, DmaDirection::FromDevice)
        .unwrap();
    let v = overlaps(&dev);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].cycle(), 77);
    let text = v[0].to_string();
    assert!(
        text.contains("cacheline tracking EEXIST, overlapping mappings aren't supported")
            && text.contains(&b.to_string())
            && text.contains(&a.to_string()),
        "{text}"
    );
    assert_eq!(dev.live_mappings().len(), 2, "the mapping is made");
    dev.unmap_page(b, 32, DmaDirection::FromDevice).unwrap();
    dev.unmap_page(a, 32, DmaDirection::FromDevice).unwrap();
    dev.check_teardown().unwrap();
}

/// Not an overlap: `DMA_TO_DEVICE` mappings (never listed), buffers in
/// different lines, and a line whose mapping was unmapped.
#[test]
fn to_device_other_lines_and_freed_lines_are_not_overlaps() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic0");
    let page = mem.alloc_pages(0, 0).unwrap();
    let t1 = dev.map_page(&page, 0, 16, DmaDirection::ToDevice).unwrap();
    let t2 = dev.map_page(&page, 16, 16, DmaDirection::ToDevice).unwrap();
    let r1 = dev
        .map_page(&page, 32, 16, DmaDirection::FromDevice)
        .unwrap();
    let r2 = dev
        .map_page(&page, 64, 64, DmaDirection::Bidirectional)
        .unwrap();
    dev.unmap_page(r1, 16, DmaDirection::FromDevice).unwrap();
    let r3 = dev
        .map_page(&page, 48, 16, DmaDirection::FromDevice)
        .unwrap();
    assert_eq!(overlaps(&dev), [], "a TO_DEVICE line is not listed");
    for (a, l, d) in [
        (t1, 16, DmaDirection::ToDevice),
        (t2, 16, DmaDirection::ToDevice),
        (r2, 64, DmaDirection::Bidirectional),
        (r3, 16, DmaDirection::FromDevice),
    ] {
        dev.unmap_page(a, l, d).unwrap();
    }
    assert_eq!(dev.violations(), []);
}

/// `add_dma_entry`: `DMA_ATTR_SKIP_CPU_SYNC` silences the report (the page
/// pool maps this way), but the line is still counted: after the first
/// mapping goes, the skip-sync one still holds it.
#[test]
fn skip_cpu_sync_is_not_reported_but_still_holds_the_line() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic0");
    let page = mem.alloc_pages(0, 0).unwrap();
    let skip = DmaAttrs {
        skip_cpu_sync: true,
    };
    let a = dev.map_page(&page, 0, 8, DmaDirection::FromDevice).unwrap();
    let b = dev
        .map_page_attrs(&page, 8, 8, DmaDirection::FromDevice, skip)
        .unwrap();
    assert_eq!(overlaps(&dev), []);
    dev.unmap_page(a, 8, DmaDirection::FromDevice).unwrap();
    let c = dev
        .map_page(&page, 16, 8, DmaDirection::FromDevice)
        .unwrap();
    assert_eq!(overlaps(&dev).len(), 1, "b still holds the line");
    dev.unmap_page_attrs(b, 8, DmaDirection::FromDevice, skip)
        .unwrap();
    dev.unmap_page(c, 8, DmaDirection::FromDevice).unwrap();
    let d = dev
        .map_page(&page, 24, 8, DmaDirection::FromDevice)
        .unwrap();
    assert_eq!(overlaps(&dev).len(), 1, "the line was free again");
    dev.unmap_page(d, 8, DmaDirection::FromDevice).unwrap();
}

/// The tree is the system's, not a device's: a second device mapping the
/// line another device's buffer starts in is reported on the second one.
#[test]
fn the_line_tree_spans_devices() {
    let mem = mem();
    let nic = DmaDev::new(&mem, "nic0");
    let other = DmaDev::new(&mem, "nvme0");
    let page = mem.alloc_pages(0, 0).unwrap();
    let a = nic
        .map_page(&page, 128, 32, DmaDirection::FromDevice)
        .unwrap();
    let b = other
        .map_page(&page, 160, 32, DmaDirection::FromDevice)
        .unwrap();
    assert_eq!(overlaps(&nic), []);
    let v = overlaps(&other);
    assert_eq!(v.len(), 1);
    assert!(v[0].to_string().contains("nic0's live mapping"), "{}", v[0]);
    other.unmap_page(b, 32, DmaDirection::FromDevice).unwrap();
    nic.unmap_page(a, 32, DmaDirection::FromDevice).unwrap();
}
