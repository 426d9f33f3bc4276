//! The CPU's reads and writes: through its cached copy in non-coherent
//! mode (marking written lines dirty), straight to RAM otherwise.

use super::error::MemError;
use super::frames::{pfn_to_host, Frame, FrameState};
use super::memory::{HostMemory, MemInner};
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
        self.inner
            .for_each_chunk(addr, len, |frame, pfn, off, range| {
                if frame.state == FrameState::Free {
                    return Err(MemError::NotAllocated {
                        addr: pfn_to_host(pfn),
                        cycle,
                    });
                }
                dma_visible |= frame.dma_visible();
                buf[range.clone()].copy_from_slice(&frame.cpu_view()[off..off + range.len()]);
                Ok(())
            })?;
        self.notify(|o| o.cpu_read(cycle, addr, len, dma_visible));
        Ok(())
    }

    /// Writes through the CPU's view (non-coherent mode: into the CPU's
    /// cache, marking the lines dirty until a sync for the device).
    pub fn cpu_write(&self, addr: HostAddr, data: &[u8]) -> Result<(), MemError> {
        let cycle = self.cycle();
        let mut dma_visible = false;
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
                frame.cpu_view()[off..off + n].copy_from_slice(&data[range]);
                if !frame.cpu.is_empty() && !frame.coherent && n > 0 {
                    let first = off / DMA_CACHE_ALIGN;
                    let last = (off + n - 1) / DMA_CACHE_ALIGN;
                    frame.dirty[first..=last].fill(true);
                }
                Ok(())
            })?;
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
