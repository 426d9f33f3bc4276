//! The CPU's reads and writes: through its cached copy in non-coherent
//! mode, straight to RAM otherwise; either way marking the written lines
//! CPU-written until a sync for the device, and checked against the DMA
//! ownership of their bytes (`ownership`); in the weak-ordering mode
//! through its store buffer and read reordering (`weak`).

use std::ops::Range;

use super::error::MemError;
use super::frames::{pfn_to_host, Frame, FrameState};
use super::memory::{HostMemory, MemInner};
use super::ownership::OwnershipKind;
use crate::addr::HostAddr;
use crate::layout::PAGE_SIZE;
use crate::lock::lock;

impl HostMemory {
    /// Reads through the CPU's view: in non-coherent mode, the CPU's cached
    /// copy, which is stale if the driver did not sync for the CPU.
    pub fn cpu_read(&self, addr: HostAddr, buf: &mut [u8]) -> Result<(), MemError> {
        let cycle = self.cycle();
        let len = buf.len();
        let seen = self.cpu_access(addr, len, false, cycle, |frame, off, range, _| {
            let n = range.len();
            buf[range].copy_from_slice(&frame.cpu_view()[off..off + n]);
        })?;
        for (pfn, off, range) in seen.weak {
            self.inner.weak_forward(pfn, off, &mut buf[range.clone()]);
            self.inner.weak_read(cycle, pfn, off, &mut buf[range]);
        }
        if let Some((pfn, off)) = seen.offender {
            let kind = OwnershipKind::CpuReadDeviceOwned;
            self.inner.record_ownership(kind, None, addr, len, pfn, off);
        }
        self.notify(|o| o.cpu_read(cycle, addr, len, seen.dma_visible));
        Ok(())
    }

    /// A monitor's read of what the CPU sees at `addr` (its cached copy,
    /// its own writes still in the store buffer of the weak-ordering mode):
    /// no ownership check, no observer, no reordering bookkeeping, so a
    /// checker looking at the rings neither perturbs the run nor is audited
    /// as the driver.
    pub fn peek(&self, addr: HostAddr, buf: &mut [u8]) -> Result<(), MemError> {
        let cycle = self.cycle();
        let weak = self.inner.weak.is_some();
        let mut buffered = Vec::new();
        self.inner
            .for_each_chunk(addr, buf.len(), |frame, pfn, off, range| {
                if frame.state == FrameState::Free {
                    return Err(MemError::NotAllocated {
                        addr: pfn_to_host(pfn),
                        cycle,
                    });
                }
                if weak && frame.weakly_ordered() {
                    buffered.push((pfn, off, range.clone()));
                }
                let n = range.len();
                buf[range].copy_from_slice(&frame.cpu_view()[off..off + n]);
                Ok(())
            })?;
        for (pfn, off, range) in buffered {
            self.inner.weak_forward(pfn, off, &mut buf[range]);
        }
        Ok(())
    }

    /// Writes through the CPU's view (non-coherent mode: into the CPU's
    /// cache, marking the whole lines written, 64 or 128 bytes as the
    /// platform has them, dirty until a sync for the device).
    pub fn cpu_write(&self, addr: HostAddr, data: &[u8]) -> Result<(), MemError> {
        let cycle = self.cycle();
        let len = data.len();
        let line = self.inner.cache_line();
        let seen = self.cpu_access(addr, len, true, cycle, |frame, off, range, weak| {
            let n = range.len();
            if !weak {
                frame.cpu_view()[off..off + n].copy_from_slice(&data[range]);
            }
            if !frame.coherent && n > 0 {
                frame.dirty[line.granules(off..off + n)].fill(true);
            }
        })?;
        for (pfn, off, range) in seen.weak {
            self.inner.weak_write(cycle, pfn, off, &data[range]);
        }
        if let Some((pfn, off)) = seen.offender {
            let kind = OwnershipKind::CpuWriteDeviceOwned;
            self.inner.record_ownership(kind, None, addr, len, pfn, off);
        }
        self.notify(|o| o.cpu_write(cycle, addr, len, seen.dma_visible));
        Ok(())
    }

    /// The walk a CPU read or write makes over the frames of `[addr,
    /// addr+len)`: refuses a free frame, notes whether any byte is visible
    /// to a device, finds the first byte the access may not touch (when
    /// the ownership checks are on), and calls `each(frame, offset,
    /// range_in_buffer, weakly_ordered)` for the bytes themselves; the
    /// weakly ordered chunks are returned for the store buffer.
    #[inline]
    fn cpu_access(
        &self,
        addr: HostAddr,
        len: usize,
        write: bool,
        cycle: u64,
        mut each: impl FnMut(&mut Frame, usize, Range<usize>, bool),
    ) -> Result<CpuAccess, MemError> {
        let checked = self.inner.ownership_checked();
        let weak_mode = self.inner.weak.is_some();
        let mut seen = CpuAccess::default();
        self.inner
            .for_each_chunk(addr, len, |frame, pfn, off, range| {
                if frame.state == FrameState::Free {
                    return Err(MemError::NotAllocated {
                        addr: pfn_to_host(pfn),
                        cycle,
                    });
                }
                seen.dma_visible |= frame.dma_visible();
                if seen.offender.is_none() && checked {
                    seen.offender = frame
                        .cpu_access_offender(off..off + range.len(), write)
                        .map(|o| (pfn, o));
                }
                let weak = weak_mode && frame.weakly_ordered();
                if weak {
                    seen.weak.push((pfn, off, range.clone()));
                }
                each(frame, off, range, weak);
                Ok(())
            })?;
        Ok(seen)
    }
}

/// What a CPU access found on its way through the frames.
#[derive(Default)]
struct CpuAccess {
    /// Some byte is in a coherent buffer or a live streaming mapping.
    dma_visible: bool,
    /// The first byte the access may not touch: (pfn, offset in frame).
    offender: Option<(u64, usize)>,
    /// The chunks in weakly ordered frames: (pfn, offset, range in buffer).
    weak: Vec<(u64, usize, Range<usize>)>,
}

impl MemInner {
    /// Calls `f(frame, pfn, offset_in_frame, range_in_buffer)` for every
    /// frame touched by `[addr, addr+len)`.
    pub(super) fn for_each_chunk(
        &self,
        addr: HostAddr,
        len: usize,
        mut f: impl FnMut(&mut Frame, u64, usize, Range<usize>) -> Result<(), MemError>,
    ) -> Result<(), MemError> {
        let mut pfn = self.host_to_pfn(addr, len)?;
        let mut off = (addr.raw_value() & (PAGE_SIZE as u64 - 1)) as usize;
        let mut done = 0;
        while done < len {
            let n = (PAGE_SIZE - off).min(len - done);
            let mut frame = lock(&self.frames[pfn as usize]);
            f(&mut frame, pfn, off, done..done + n)?;
            done += n;
            off = 0;
            pfn += 1;
        }
        Ok(())
    }
}
