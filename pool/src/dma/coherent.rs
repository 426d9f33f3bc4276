//! Coherent DMA buffers: `dma_alloc_coherent` and `dma_free_coherent`,
//! for descriptor and completion rings.

use super::device::DmaDev;
use super::direction::DmaDirection;
use super::error::DmaError;
use super::ledger::LedgerOp;
use super::mapping::Mapping;
use crate::addr::{DmaAddr, HostAddr};
use crate::layout::{PAGE_SHIFT, PAGE_SIZE};
use crate::lock::lock;
use crate::mem::pfn_to_host;

/// A `dma_alloc_coherent` buffer: always coherent, even in non-coherent mode.
#[derive(Debug, PartialEq, Eq)]
pub struct CoherentBuf {
    /// CPU address.
    pub host: HostAddr,
    /// Device address.
    pub dma: DmaAddr,
    /// Length requested.
    pub len: usize,
}

impl DmaDev {
    /// `dma_alloc_coherent`: zeroed, always coherent, mapped bidirectionally
    /// for the device; for descriptor and completion rings.
    pub fn alloc_coherent(&self, len: usize) -> Result<CoherentBuf, DmaError> {
        let pages = len.div_ceil(PAGE_SIZE).max(1);
        let order = pages.next_power_of_two().trailing_zeros();
        let mem = &self.inner.mem;
        let head = mem
            .inner
            .alloc_block(order, mem.local_node())
            .map_err(|source| DmaError::Mem {
                device: self.inner.name.clone(),
                source,
            })?;
        for pfn in head..head + (1u64 << order) {
            let mut f = lock(&mem.inner.frames[pfn as usize]);
            f.coherent = true;
            f.ram.fill(0);
            f.cpu.fill(0);
        }
        let cycle = mem.cycle();
        let m = Mapping {
            start: self.inner.base + (head << PAGE_SHIFT),
            len: len as u64,
            dir: DmaDirection::Bidirectional,
            coherent: true,
            mapped_at: cycle,
        };
        let mut st = lock(&self.inner.state);
        st.table.insert(m.clone());
        self.list_active_line(&mut st, cycle, &m, false);
        self.record(&mut st, cycle, LedgerOp::AllocCoherent, &m, 0, m.len, m.dir);
        Ok(CoherentBuf {
            host: pfn_to_host(head),
            dma: DmaAddr::new(m.start),
            len,
        })
    }

    /// `dma_free_coherent`.
    pub fn free_coherent(&self, buf: CoherentBuf) -> Result<(), DmaError> {
        let cycle = self.inner.mem.cycle();
        let mut st = lock(&self.inner.state);
        let found = st
            .table
            .find_exact(buf.dma, buf.len as u64, DmaDirection::Bidirectional);
        if found.is_some_and(|id| !st.table.get(id).coherent) {
            // DMA-API debug: "frees DMA memory with wrong function"
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::TypeMismatch {
                    device: self.inner.name.clone(),
                    op: "dma_free_coherent",
                    addr: buf.dma,
                    mapped_as: "streaming (dma_map_page)",
                },
            ));
        }
        let Some(id) = found else {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::NotMapped {
                    device: self.inner.name.clone(),
                    op: "dma_free_coherent",
                    addr: buf.dma,
                    cycle,
                },
            ));
        };
        let m = st.table.get(id).clone();
        if m.len != buf.len as u64 {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::UnmapSizeMismatch {
                    device: self.inner.name.clone(),
                    addr: buf.dma,
                    mapped: m.len,
                    requested: buf.len as u64,
                },
            ));
        }
        self.check_unmap_in_flight(&mut st, cycle, &m);
        st.table.remove(id, &m);
        self.unlist_active_line(&m);
        self.record(&mut st, cycle, LedgerOp::FreeCoherent, &m, 0, m.len, m.dir);
        drop(st);
        let head = (m.start - self.inner.base) >> PAGE_SHIFT;
        let order = (m.len as usize)
            .div_ceil(PAGE_SIZE)
            .max(1)
            .next_power_of_two()
            .trailing_zeros();
        self.inner.mem.inner.put_page_ref(head, order);
        Ok(())
    }
}
