//! The CPU's reads and writes: through its cached copy in non-coherent
//! mode, straight to RAM otherwise; either way marking the written lines
//! CPU-written until a sync for the device, and checked against the DMA
//! ownership of their bytes (`ownership`); in the weak-ordering mode
//! through its store buffer and read reordering (`weak`).

use super::error::MemError;
use super::frames::{pfn_to_host, Frame, FrameState};
use super::memory::{HostMemory, MemInner};
use super::ownership::OwnershipKind;
use crate::addr::HostAddr;
use crate::layout::{DMA_CACHE_ALIGN, PAGE_SIZE};
use crate::lock::lock;

impl HostMemory {
    /// Reads through the CPU's view: in non-coherent mode, the CPU's cached
    /// copy, which is stale if the driver did not sync for the CPU.
    pub fn cpu_read(&self, addr: HostAddr, buf: &mut [u8]) -> Result<(), MemError> {
        let cycle = self.cycle();
        let len = buf.len();
        let mut dma_visible = false;
        let checked = self.inner.ownership_checked();
        let mut offender = None;
        let weak = self.inner.weak.is_some();
        let mut reordered = Vec::new();
        self.inner
            .for_each_chunk(addr, len, |frame, pfn, off, range| {
                if frame.state == FrameState::Free {
                    return Err(MemError::NotAllocated {
                        addr: pfn_to_host(pfn),
                        cycle,
                    });
                }
                dma_visible |= frame.dma_visible();
                let n = range.len();
                if offender.is_none() && checked {
                    offender = frame
                        .cpu_access_offender(off..off + n, false)
                        .map(|o| (pfn, o));
                }
                if weak && frame.weakly_ordered() {
                    reordered.push((pfn, off, range.clone()));
                }
                buf[range].copy_from_slice(&frame.cpu_view()[off..off + n]);
                Ok(())
            })?;
        for (pfn, off, range) in reordered {
            self.inner.weak_forward(pfn, off, &mut buf[range.clone()]);
            self.inner.weak_read(cycle, pfn, off, &mut buf[range]);
        }
        if let Some((pfn, off)) = offender {
            let kind = OwnershipKind::CpuReadDeviceOwned;
            self.inner.record_ownership(kind, None, addr, len, pfn, off);
        }
        self.notify(|o| o.cpu_read(cycle, addr, len, dma_visible));
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
    /// cache, marking the lines dirty until a sync for the device).
    pub fn cpu_write(&self, addr: HostAddr, data: &[u8]) -> Result<(), MemError> {
        let cycle = self.cycle();
        let mut dma_visible = false;
        let checked = self.inner.ownership_checked();
        let mut offender = None;
        let weak = self.inner.weak.is_some();
        let mut reordered = Vec::new();
        self.inner
            .for_each_chunk(addr, data.len(), |frame, pfn, off, range| {
                if frame.state == FrameState::Free {
                    return Err(MemError::NotAllocated {
                        addr: pfn_to_host(pfn),
                        cycle,
                    });
                }
                dma_visible |= frame.dma_visible();
                let n = range.len();
                if offender.is_none() && checked {
                    offender = frame
                        .cpu_access_offender(off..off + n, true)
                        .map(|o| (pfn, o));
                }
                if weak && frame.weakly_ordered() {
                    reordered.push((pfn, off, range));
                } else {
                    frame.cpu_view()[off..off + n].copy_from_slice(&data[range]);
                }
                if !frame.coherent && n > 0 {
                    let first = off / DMA_CACHE_ALIGN;
                    let last = (off + n - 1) / DMA_CACHE_ALIGN;
                    frame.dirty[first..=last].fill(true);
                }
                Ok(())
            })?;
        for (pfn, off, range) in reordered {
            self.inner.weak_write(cycle, pfn, off, &data[range]);
        }
        if let Some((pfn, off)) = offender {
            let kind = OwnershipKind::CpuWriteDeviceOwned;
            self.inner
                .record_ownership(kind, None, addr, data.len(), pfn, off);
        }
        self.notify(|o| o.cpu_write(cycle, addr, data.len(), dma_visible));
        Ok(())
    }
}

impl MemInner {
    /// Calls `f(frame, pfn, offset_in_frame, range_in_buffer)` for every
    /// frame touched by `[addr, addr+len)`.
    pub(super) fn for_each_chunk(
        &self,
        addr: HostAddr,
        len: usize,
        mut f: impl FnMut(&mut Frame, u64, usize, std::ops::Range<usize>) -> Result<(), MemError>,
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
