//! `arch_sync_dma_for_cpu` (Linux 6.12 arch/arm64/mm/dma-mapping.c): a
//! sync for the CPU (and the unmap that implies one), unless
//! `DMA_TO_DEVICE`, invalidates the range with `dcache_inval_poc`
//! (arch/arm64/mm/cache.S). The line is `CTR_EL0.DminLine`'s; a line only
//! partly in the range (an unaligned start or end) is cleaned and
//! invalidated (`dc civac`), the others only invalidated (`dc ivac`).

use pool::*;

use crate::common::mem_on as memory;

/// A receive buffer that starts 64 bytes into a page shares, on a core
/// with 128-byte lines, its first line with the CPU's own data in front of
/// it: the CPU writing that data dirties the whole line, and
/// `dcache_inval_poc` of the buffer's first 64 bytes (an unaligned start)
/// cleans that line before invalidating it, writing the CPU's stale copy
/// of the buffer bytes over what the device wrote. With 64-byte lines the
/// buffer's bytes are a line of their own and arrive intact. (Why arm64's
/// `ARCH_DMA_MINALIGN`, and so the fragment rounding, is 128.)
#[test]
fn a_partial_line_at_the_start_is_cleaned_before_it_is_invalidated() {
    for (platform, arrives) in [
        (Platform::Arm64Line128, false),
        (Platform::Arm64Line64, true),
    ] {
        let mem = memory(platform);
        let dev = DmaDev::new(&mem, "nic0");
        let page = mem.alloc_pages(0, 0).unwrap();
        let dir = DmaDirection::FromDevice;
        let a = dev.map_page(&page, 64, 4096 - 64, dir).unwrap();
        mem.cpu_write(page.host_addr(), b"cpu data").unwrap();
        dev.device_write(a, &[0xdd; 64]).unwrap();
        dev.sync_single_range_for_cpu(a, 0, 64, dir).unwrap();
        let mut b = [0u8; 64];
        mem.cpu_read(page.host_addr().checked_add(64).unwrap(), &mut b)
            .unwrap();
        let want = if arrives { [0xdd; 64] } else { [0; 64] };
        assert_eq!(b, want, "{platform}");
        let mut own = [0u8; 8];
        mem.cpu_read(page.host_addr(), &mut own).unwrap();
        assert_eq!(&own, b"cpu data", "{platform}: the CPU's own bytes stay");
        dev.unmap_page(a, 4096 - 64, dir).unwrap();
        mem.free_pages(page).unwrap();
    }
}

/// After a sync for the CPU of the first 64 bytes, the CPU has the whole
/// line: on 128-byte lines a device write to byte 100 is into a CPU-owned
/// line and faults, naming the line's first byte; with 64-byte lines byte
/// 100 is in the next line, still the device's.
#[test]
fn a_sync_for_cpu_takes_back_whole_lines() {
    for (platform, faults) in [
        (Platform::Arm64Line128, true),
        (Platform::Arm64Line64, false),
    ] {
        let mem = memory(platform);
        let dev = DmaDev::new(&mem, "nic0");
        let page = mem.alloc_pages(0, 0).unwrap();
        let dir = DmaDirection::FromDevice;
        let a = dev.map_page(&page, 0, 4096, dir).unwrap();
        dev.sync_single_range_for_cpu(a, 0, 64, dir).unwrap();
        let r = dev.device_write(a.checked_add(100).unwrap(), &[1]);
        if faults {
            assert_eq!(
                r.unwrap_err().kind,
                FaultKind::CpuOwnedLines { first: a },
                "{platform}"
            );
        } else {
            r.unwrap();
        }
        dev.unmap_page(a, 4096, dir).unwrap();
        mem.free_pages(page).unwrap();
    }
}
