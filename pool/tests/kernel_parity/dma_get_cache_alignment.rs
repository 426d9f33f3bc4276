//! `dma_get_cache_alignment()` (Linux 6.12 include/linux/dma-mapping.h) and
//! its use by `page_pool_alloc_frag_netmem` (net/core/page_pool.c: `size =
//! ALIGN(size, dma_get_cache_alignment())`) and `page_pool_alloc`
//! (include/net/page_pool/helpers.h).
//!
//! 6.12: `dma_get_cache_alignment()` is `ARCH_DMA_MINALIGN` where the
//! architecture defines one (`ARCH_HAS_DMA_MINALIGN`, include/linux/cache.h)
//! and 1 otherwise. x86 defines none (arch/x86/include/asm/cache.h: only
//! `L1_CACHE_BYTES` = 64), so x86-64 does not round fragments at all; arm64
//! defines it as 128 (arch/arm64/include/asm/cache.h), whatever line the
//! core has (`cache_line_size()` reads CTR_EL0, 64 on most cores), so both
//! arm64 platforms round fragments to 128.

use crate::common::*;
use pool::*;

use crate::common::mem_on as memory;

/// `count` fragments of `size` bytes from a fresh pool on `platform`:
/// their offsets (the pages stay with the test).
fn frag_offsets(platform: Platform, size: u32, count: usize) -> Vec<u32> {
    let mem = memory(platform);
    let dev = DmaDev::new(&mem, "nic0");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let mut out = Vec::new();
    for _ in 0..count {
        let mut off = u32::MAX;
        let frag = pool.dev_alloc_frag(&mut off, size).unwrap();
        out.push(off);
        std::mem::forget(frag);
    }
    out
}

/// `dma_get_cache_alignment()`: 1 on x86-64 (no `ARCH_DMA_MINALIGN`), 128
/// on arm64 (`ARCH_DMA_MINALIGN`) on a 64-byte-line core too; the cache
/// line is `L1_CACHE_BYTES` = 64 on x86-64 and the core's line on arm64;
/// only x86-64 is DMA-coherent.
#[test]
fn dma_get_cache_alignment_is_arch_dma_minalign_or_1() {
    let table: Vec<_> = Platform::ALL
        .iter()
        .map(|p| {
            (
                p.name(),
                p.dma_get_cache_alignment(),
                p.cache_line().bytes(),
                p.coherence(),
            )
        })
        .collect();
    assert_eq!(
        table,
        [
            ("x86-64", 1, 64, Coherence::Coherent),
            ("arm64-64", 128, 64, Coherence::NonCoherent),
            ("arm64-128", 128, 128, Coherence::NonCoherent),
        ]
    );
}

/// The default machine is x86-64, and an older configuration that only
/// named its coherence keeps its meaning: coherent is x86-64, non-coherent
/// is arm64 with the 64-byte lines the model had.
#[test]
fn the_default_platform_is_x86_64_and_coherence_maps_onto_a_platform() {
    assert_eq!(MemConfig::default().platform, Platform::X86_64);
    assert_eq!(mem().platform(), Platform::X86_64);
    assert_eq!(Platform::from(Coherence::Coherent), Platform::X86_64);
    assert_eq!(
        Platform::from(Coherence::NonCoherent),
        Platform::Arm64Line64
    );
}

/// `page_pool_alloc_frag_netmem` on x86-64: `ALIGN(size, 1)` leaves the
/// size alone, so 100-byte fragments sit 100 bytes apart.
#[test]
fn x86_64_fragments_are_not_rounded() {
    assert_eq!(frag_offsets(Platform::X86_64, 100, 4), [0, 100, 200, 300]);
    assert_eq!(frag_offsets(Platform::X86_64, 1, 3), [0, 1, 2]);
}

/// `page_pool_alloc_frag_netmem` on arm64: fragments are rounded up to
/// `ARCH_DMA_MINALIGN` = 128, on a core with 64-byte lines as on one with
/// 128-byte lines (150 bytes take 256).
#[test]
fn arm64_fragments_round_to_128_whatever_the_cache_line() {
    for p in [Platform::Arm64Line64, Platform::Arm64Line128] {
        assert_eq!(frag_offsets(p, 150, 3), [0, 256, 512], "{p}");
        assert_eq!(frag_offsets(p, 128, 3), [0, 128, 256], "{p}");
    }
}

/// `page_pool_alloc` on x86-64: the fragments are the requested sizes, and
/// when no room for another one of the same size remains, the last one
/// takes the rest of the page (`*size = max_size - *offset`): 1000-byte
/// requests give 0, 1000, 2000 and 3000, the last one 1096 bytes long.
#[test]
fn x86_64_page_pool_alloc_tail_takes_the_unrounded_rest() {
    let mem = memory(Platform::X86_64);
    let dev = DmaDev::new(&mem, "nic0");
    let mut pool = mapped_pool(&mem, &dev, |_| {});
    let mut got = Vec::new();
    for _ in 0..4 {
        let (mut off, mut size) = (u32::MAX, 1000);
        let frag = pool.dev_alloc(&mut off, &mut size).unwrap();
        got.push((off, size));
        std::mem::forget(frag);
    }
    assert_eq!(got, [(0, 1000), (1000, 1000), (2000, 1000), (3000, 1096)]);
}

/// `page_pool_alloc` on arm64: 1030 bytes take 1152 of the page (rounded
/// to 128; `*size` stays the caller's 1030), and the third fragment, after
/// which 1030 more would not fit, takes the rest of the page: 4096 - 2304.
#[test]
fn arm64_page_pool_alloc_tail_takes_the_rounded_rest() {
    for p in [Platform::Arm64Line64, Platform::Arm64Line128] {
        let mem = memory(p);
        let dev = DmaDev::new(&mem, "nic0");
        let mut pool = mapped_pool(&mem, &dev, |_| {});
        let mut got = Vec::new();
        for _ in 0..3 {
            let (mut off, mut size) = (u32::MAX, 1030);
            let frag = pool.dev_alloc(&mut off, &mut size).unwrap();
            got.push((off, size));
            std::mem::forget(frag);
        }
        assert_eq!(got, [(0, 1030), (1152, 1030), (2304, 1792)], "{p}");
    }
}
