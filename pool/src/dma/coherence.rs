//! Cache-line ownership and cache maintenance: which lines of a frame the
//! device owns, the write-back a sync for the device does and the
//! invalidate a sync for the CPU does (both no-ops on one copy of memory).
//!
//! Mapping a streaming buffer or syncing it for the device gives its lines
//! to the device; syncing for the CPU (or unmapping) gives them back.

use std::ops::Range;

use super::device::DmaDev;
use super::direction::DmaDirection;
use super::mapping::Mapping;
use crate::layout::{DMA_CACHE_ALIGN, PAGE_SHIFT, PAGE_SIZE};
use crate::lock::lock;
use crate::mem::Frame;

impl DmaDev {
    /// Applies `f` to the frames, line ranges and byte ranges (within the
    /// frame) of `[m.start+rel, +len)`.
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
        while pfn << PAGE_SHIFT < end {
            let fstart = pfn << PAGE_SHIFT;
            let a = phys.max(fstart) - fstart;
            let b = end.min(fstart + PAGE_SIZE as u64) - fstart;
            let lines = (a as usize / DMA_CACHE_ALIGN)..(b as usize).div_ceil(DMA_CACHE_ALIGN);
            f(
                &mut lock(&frames[pfn as usize]),
                lines,
                a as usize..b as usize,
            );
            pfn += 1;
        }
    }
}

/// First line in `[off, off+n)` of `f` not owned by the device.
#[inline]
pub(super) fn first_cpu_owned(f: &Frame, off: usize, n: usize) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let lines = (off / DMA_CACHE_ALIGN)..(off + n).div_ceil(DMA_CACHE_ALIGN);
    let start = lines.start;
    f.dev_owned[lines].first_zero().map(|i| i + start)
}

/// Cache clean: dirty CPU lines go to RAM (non-coherent mode; on one
/// copy of memory only the record of CPU-written lines is cleared).
pub(super) fn write_back(f: &mut Frame, lines: Range<usize>) {
    if f.cpu.is_empty() {
        f.dirty[lines].fill(false);
        return;
    }
    for line in lines {
        if f.dirty[line] {
            let r = line * DMA_CACHE_ALIGN..(line + 1) * DMA_CACHE_ALIGN;
            let (ram, cpu) = (&mut f.ram, &f.cpu);
            ram[r.clone()].copy_from_slice(&cpu[r]);
            f.dirty.set(line, false);
        }
    }
}

/// Cache invalidate of the bytes `bytes` of a frame: the CPU's copy is
/// reloaded from RAM (non-coherent mode; nothing to do for `DMA_TO_DEVICE`;
/// on one copy of memory the lines' CPU-written record is cleared),
/// as arm64's `dcache_inval_poc` does it: a line only partly inside the
/// range (the first or last one of an unaligned range) is cleaned and
/// invalidated (`dc civac`), so a dirty CPU copy of it is first written back
/// to RAM, over whatever the device wrote into that line.
pub(super) fn invalidate(f: &mut Frame, bytes: Range<usize>, dir: DmaDirection) {
    if dir == DmaDirection::ToDevice || bytes.is_empty() {
        return;
    }
    let lines = (bytes.start / DMA_CACHE_ALIGN)..bytes.end.div_ceil(DMA_CACHE_ALIGN);
    if f.cpu.is_empty() {
        f.dirty[lines].fill(false);
        return;
    }
    if bytes.start % DMA_CACHE_ALIGN != 0 {
        write_back(f, lines.start..lines.start + 1);
    }
    if bytes.end % DMA_CACHE_ALIGN != 0 {
        write_back(f, lines.end - 1..lines.end);
    }
    let r = lines.start * DMA_CACHE_ALIGN..lines.end * DMA_CACHE_ALIGN;
    let (ram, cpu) = (&f.ram, &mut f.cpu);
    cpu[r.clone()].copy_from_slice(&ram[r]);
    f.dirty[lines].fill(false);
}
