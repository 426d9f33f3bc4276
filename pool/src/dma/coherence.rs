//! Cache-line ownership and cache maintenance: which lines of a frame the
//! device owns, the write-back a sync for the device does and the
//! invalidate a sync for the CPU does (both no-ops on one copy of memory).
//!
//! Mapping a streaming buffer or syncing it for the device gives its lines
//! to the device; syncing for the CPU (or unmapping) gives them back.
//!
//! The line is the platform's ([`crate::Platform::cache_line`]: 64 bytes on
//! x86-64 and arm64-64, 128 on arm64-128), as arm64's `dcache_clean_poc`
//! and `dcache_inval_poc` (arch/arm64/mm/cache.S) step by
//! `CTR_EL0.DminLine`: a range is widened to whole lines. Host memory keeps
//! the state per 64-byte granule; a 128-byte line is a pair of granules,
//! and every range here is widened to whole lines first, so the pair is
//! always dirty, owned, written back and invalidated together.

use std::ops::Range;

use super::device::DmaDev;
use super::direction::DmaDirection;
use super::mapping::Mapping;
use crate::layout::{LINE_GRANULE, PAGE_SHIFT, PAGE_SIZE};
use crate::lock::lock;
use crate::mem::Frame;
use crate::platform::CacheLine;

impl DmaDev {
    /// Applies `f` to the frames, granule ranges (of the whole lines
    /// touched) and byte ranges (within the frame) of `[m.start+rel, +len)`.
    pub(super) fn for_lines(
        &self,
        m: &Mapping,
        rel: u64,
        len: u64,
        mut f: impl FnMut(&mut Frame, Range<usize>, Range<usize>),
    ) {
        if len == 0 {
            return;
        }
        let phys = m.start - self.inner.base + rel;
        let end = phys + len;
        let mut pfn = phys >> PAGE_SHIFT;
        let frames = &self.inner.mem.inner.frames;
        let line = self.inner.mem.inner.cache_line();
        while pfn << PAGE_SHIFT < end {
            let fstart = pfn << PAGE_SHIFT;
            let a = phys.max(fstart) - fstart;
            let b = end.min(fstart + PAGE_SIZE as u64) - fstart;
            let lines = line.granules(a as usize..b as usize);
            f(
                &mut lock(&frames[pfn as usize]),
                lines,
                a as usize..b as usize,
            );
            pfn += 1;
        }
    }
}

/// The first byte of the first line of `[off, off+n)` of `f` the device
/// does not own.
#[inline]
pub(super) fn first_cpu_owned(f: &Frame, off: usize, n: usize, line: CacheLine) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let granules = line.granules(off..off + n);
    let start = granules.start;
    let first = f.dev_owned[granules].first_zero()?;
    Some(line.line_start((first + start) * LINE_GRANULE))
}

/// Cache clean of the whole-line granules `lines`: dirty CPU lines go to
/// RAM (non-coherent mode; on one copy of memory only the record of
/// CPU-written lines is cleared). A 128-byte line's two granules are dirty
/// together, so a dirty line is written back whole, the bytes the CPU did
/// not write included.
pub(super) fn write_back(f: &mut Frame, lines: Range<usize>) {
    if f.cpu.is_empty() {
        f.dirty[lines].fill(false);
        return;
    }
    for granule in lines {
        if f.dirty[granule] {
            let r = granule * LINE_GRANULE..(granule + 1) * LINE_GRANULE;
            let (ram, cpu) = (&mut f.ram, &f.cpu);
            ram[r.clone()].copy_from_slice(&cpu[r]);
            f.dirty.set(granule, false);
        }
    }
}

/// Cache invalidate of the bytes `bytes` of a frame, by `line`s: the CPU's
/// copy is reloaded from RAM (non-coherent mode; nothing to do for
/// `DMA_TO_DEVICE`; on one copy of memory the lines' CPU-written record is
/// cleared), as arm64's `dcache_inval_poc` does it: a line only partly
/// inside the range (the first or last one of a range not aligned to the
/// line) is cleaned and invalidated (`dc civac`), so a dirty CPU copy of it
/// is first written back to RAM, over whatever the device wrote into that
/// line.
pub(super) fn invalidate(f: &mut Frame, bytes: Range<usize>, dir: DmaDirection, line: CacheLine) {
    if dir == DmaDirection::ToDevice || bytes.is_empty() {
        return;
    }
    let lines = line.granules(bytes.clone());
    if f.cpu.is_empty() {
        f.dirty[lines].fill(false);
        return;
    }
    if !line.is_aligned(bytes.start) {
        write_back(f, line.granules_of_line(bytes.start));
    }
    if !line.is_aligned(bytes.end) {
        write_back(f, line.granules_of_line(bytes.end - 1));
    }
    let r = lines.start * LINE_GRANULE..lines.end * LINE_GRANULE;
    let (ram, cpu) = (&f.ram, &mut f.cpu);
    cpu[r.clone()].copy_from_slice(&ram[r]);
    f.dirty[lines].fill(false);
}
