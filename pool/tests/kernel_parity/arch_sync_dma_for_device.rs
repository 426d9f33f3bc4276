//! `arch_sync_dma_for_device` (Linux 6.12 arch/arm64/mm/dma-mapping.c): a
//! sync for the device, and the map that implies one, cleans the range
//! with `dcache_clean_poc` (arch/arm64/mm/cache.S), which rounds the start
//! down to the cache line (`dcache_by_line_op cvac`, the line from
//! `CTR_EL0.DminLine`) and cleans every line up to the end: a line partly
//! in the range is written back whole.

use pool::*;

use crate::common::mem_on as memory;

/// `dcache_clean_poc` of the second half of a 128-byte line writes the
/// whole line back, so the device sees what the CPU wrote into its first
/// half; with 64-byte lines that half is another line, left in the CPU's
/// cache and still the CPU's.
#[test]
fn a_sync_for_device_of_half_a_line_writes_the_whole_line_back() {
    for (platform, sees_cpu_bytes) in [
        (Platform::Arm64Line128, true),
        (Platform::Arm64Line64, false),
    ] {
        let mem = memory(platform);
        let dev = DmaDev::new(&mem, "nic0");
        let page = mem.alloc_pages(0, 0).unwrap();
        let dir = DmaDirection::Bidirectional;
        let a = dev.map_page(&page, 0, 4096, dir).unwrap();
        dev.sync_single_range_for_cpu(a, 0, 4096, dir).unwrap();
        mem.cpu_write(page.host_addr(), b"header").unwrap();
        dev.sync_single_range_for_device(a, 64, 64, dir).unwrap();
        let mut b = [0u8; 6];
        dev.device_read(a, &mut b).unwrap();
        let owned_by_cpu = dev
            .violations()
            .iter()
            .any(|v| matches!(v, DmaViolation::DeviceReadCpuOwned { .. }));
        if sees_cpu_bytes {
            assert_eq!(&b, b"header", "{platform}: the whole line was cleaned");
            assert!(!owned_by_cpu, "{platform}: the whole line is the device's");
        } else {
            assert_eq!(b, [0; 6], "{platform}: line 0 was not cleaned");
            assert!(owned_by_cpu, "{platform}: line 0 is still the CPU's");
        }
        dev.unmap_page(a, 4096, dir).unwrap();
        mem.free_pages(page).unwrap();
    }
}

/// A CPU write of one byte dirties the platform's whole line, and the
/// clean writes the whole line back: the CPU's copy of the line's other
/// bytes goes to RAM too, over what the device wrote there (128-byte
/// lines: bytes 64..128 with the write at byte 0).
#[test]
fn a_dirty_line_is_written_back_whole() {
    for (platform, kept) in [
        (Platform::Arm64Line128, false),
        (Platform::Arm64Line64, true),
    ] {
        let mem = memory(platform);
        let dev = DmaDev::new(&mem, "nic0");
        let page = mem.alloc_pages(0, 0).unwrap();
        let dir = DmaDirection::Bidirectional;
        let a = dev.map_page(&page, 0, 4096, dir).unwrap();
        dev.device_write(a.checked_add(64).unwrap(), &[0xdd; 64])
            .unwrap();
        // The driver's bug: a CPU write into the mapping while the device
        // owns it, with no sync for the CPU first.
        mem.cpu_write(page.host_addr(), &[0xcc]).unwrap();
        dev.sync_single_range_for_device(a, 0, 64, dir).unwrap();
        let mut b = [0u8; 64];
        dev.device_read(a.checked_add(64).unwrap(), &mut b).unwrap();
        let want = if kept { [0xdd; 64] } else { [0; 64] };
        assert_eq!(b, want, "{platform}");
        dev.unmap_page(a, 4096, dir).unwrap();
        mem.free_pages(page).unwrap();
    }
}
