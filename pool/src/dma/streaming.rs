//! The streaming DMA API: `dma_map_page`, `dma_unmap_page` and the
//! `dma_sync_single_range_for_{device,cpu}` calls, with the checks of the
//! kernel's DMA-API debug mode.

use super::cacheline::{ActiveCachelines, LineOwner};
use super::coherence::{invalidate, write_back};
use super::device::{DevState, DmaDev};
use super::direction::{DmaAttrs, DmaDirection};
use super::error::{DmaError, DmaViolation};
use super::ledger::LedgerOp;
use super::mapping::Mapping;
use super::page::DmaPage;
use crate::addr::DmaAddr;
use crate::layout::{PAGE_SHIFT, PAGE_SIZE};
use crate::lock::lock;
use crate::mem::{pfn_to_host, FrameState, MemError};

/// `L1_CACHE_SHIFT` of x86-64 and arm64 (a compile-time 64 bytes on both,
/// whatever the line the hardware has): the unit of DMA-API debug's cache
/// line numbers (`to_cacheline_number`).
const L1_CACHE_SHIFT: u32 = 6;

impl DmaDev {
    /// `add_dma_entry`'s `active_cacheline_insert`: lists the first cache
    /// line of `m`, and reports an overlap with a live mapping unless the
    /// map skipped the CPU sync.
    pub(super) fn list_active_line(
        &self,
        st: &mut DevState,
        cycle: u64,
        m: &Mapping,
        skip_cpu_sync: bool,
    ) {
        if !ActiveCachelines::tracks(m.dir) {
            return;
        }
        let owner = LineOwner {
            device: self.inner.name.clone(),
            dma: DmaAddr::new(m.start),
        };
        let Some(first) = self
            .inner
            .active_lines
            .insert(self.cacheline_number(m), owner)
        else {
            return;
        };
        if skip_cpu_sync {
            return;
        }
        let v = DmaViolation::OverlappingCacheline {
            cycle,
            device: self.inner.name.clone(),
            dma: DmaAddr::new(m.start),
            len: m.len,
            dir: m.dir,
            first_device: first.device,
            first_dma: first.dma,
        };
        tracing::warn!(cycle, "{v}");
        st.violations.push(v);
    }

    /// `active_cacheline_remove` at unmap or free.
    pub(super) fn unlist_active_line(&self, m: &Mapping) {
        if ActiveCachelines::tracks(m.dir) {
            self.inner.active_lines.remove(self.cacheline_number(m));
        }
    }

    /// `to_cacheline_number`: the physical address of the mapping's first
    /// byte in 64-byte lines.
    fn cacheline_number(&self, m: &Mapping) -> u64 {
        (m.start - self.inner.base) >> L1_CACHE_SHIFT
    }

    /// `dma_map_page(dev, page, offset, len, dir)`: implies a sync for the
    /// device of the range (write-back of dirty CPU lines in non-coherent
    /// mode). `page` is any [`DmaPage`]: a plain page, or a page pool page
    /// mapped on this device whatever device its pool maps for, as a target
    /// driver's `ndo_xdp_xmit` maps a frame redirected from another device
    /// (zero copy). That mapping is this device's own, independent of the
    /// pool's (which stays in place); unmap it with [`Self::unmap_page`]
    /// before the page goes back to its pool.
    pub fn map_page<P: DmaPage + ?Sized>(
        &self,
        page: &P,
        offset: usize,
        len: usize,
        dir: DmaDirection,
    ) -> Result<DmaAddr, DmaError> {
        self.map_page_attrs(page, offset, len, dir, DmaAttrs::default())
    }

    /// `dma_map_page_attrs`.
    pub fn map_page_attrs<P: DmaPage + ?Sized>(
        &self,
        page: &P,
        offset: usize,
        len: usize,
        dir: DmaDirection,
        attrs: DmaAttrs,
    ) -> Result<DmaAddr, DmaError> {
        if page.pfn() >= self.inner.mem.inner.total_frames() {
            return Err(DmaError::Mem {
                device: self.inner.name.clone(),
                source: MemError::OutOfRange {
                    addr: page.host_addr(),
                    len,
                },
            });
        }
        self.map_raw(page.pfn(), page.order(), offset, len, dir, attrs)
    }

    /// `dma_unmap_page(dev, addr, len, dir)`: implies a sync for the CPU.
    pub fn unmap_page(&self, addr: DmaAddr, len: usize, dir: DmaDirection) -> Result<(), DmaError> {
        self.unmap_page_attrs(addr, len, dir, DmaAttrs::default())
    }

    /// `dma_unmap_page_attrs`.
    pub fn unmap_page_attrs(
        &self,
        addr: DmaAddr,
        len: usize,
        dir: DmaDirection,
        attrs: DmaAttrs,
    ) -> Result<(), DmaError> {
        let cycle = self.inner.mem.cycle();
        let mut st = lock(&self.inner.state);
        let id = st.table.find_exact(addr, len as u64, dir);
        let Some(id) = id else {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::NotMapped {
                    device: self.inner.name.clone(),
                    op: "dma_unmap_page",
                    addr,
                    cycle,
                },
            ));
        };
        let m = st.table.get(id).clone();
        if m.coherent {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::TypeMismatch {
                    device: self.inner.name.clone(),
                    op: "dma_unmap_page",
                    addr,
                    mapped_as: "coherent (dma_alloc_coherent)",
                },
            ));
        }
        if m.len != len as u64 {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::UnmapSizeMismatch {
                    device: self.inner.name.clone(),
                    addr,
                    mapped: m.len,
                    requested: len as u64,
                },
            ));
        }
        if m.dir != dir {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::DirectionMismatch {
                    device: self.inner.name.clone(),
                    op: "dma_unmap_page",
                    addr,
                    mapped: m.dir,
                    requested: dir,
                },
            ));
        }
        self.check_unmap_in_flight(&mut st, cycle, &m);
        st.table.remove(id, &m);
        self.unlist_active_line(&m);
        let line = self.inner.mem.inner.cache_line();
        self.for_lines(&m, 0, m.len, |f, lines, bytes| {
            if m.dir.device_may_write() {
                f.take_device_bytes(bytes.clone());
            }
            if !attrs.skip_cpu_sync {
                invalidate(f, bytes, dir, line);
            }
            f.dev_owned[lines].fill(false);
            f.map_count = f.map_count.saturating_sub(1);
        });
        self.record(&mut st, cycle, LedgerOp::Unmap, &m, 0, m.len, dir);
        Ok(())
    }

    /// `dma_sync_single_range_for_device(dev, addr, offset, len, dir)`: gives
    /// the lines to the device; in non-coherent mode writes dirty CPU lines
    /// back to RAM.
    pub fn sync_single_range_for_device(
        &self,
        addr: DmaAddr,
        offset: usize,
        len: usize,
        dir: DmaDirection,
    ) -> Result<(), DmaError> {
        self.sync(addr, offset as u64, len as u64, dir, false)
    }

    /// `dma_sync_single_range_for_cpu(dev, addr, offset, len, dir)`: gives the
    /// lines to the CPU; in non-coherent mode (unless `DMA_TO_DEVICE`)
    /// invalidates the CPU's copy so it sees what the device wrote.
    pub fn sync_single_range_for_cpu(
        &self,
        addr: DmaAddr,
        offset: usize,
        len: usize,
        dir: DmaDirection,
    ) -> Result<(), DmaError> {
        self.sync(addr, offset as u64, len as u64, dir, true)
    }

    /// Maps `len` bytes at `offset` of the `2^order`-frame page at `head`.
    pub(crate) fn map_raw(
        &self,
        head: u64,
        order: u32,
        offset: usize,
        len: usize,
        dir: DmaDirection,
        attrs: DmaAttrs,
    ) -> Result<DmaAddr, DmaError> {
        let mem = &self.inner.mem;
        let page_len = (PAGE_SIZE as u64) << order;
        let host = pfn_to_host(head);
        let cycle = mem.cycle();
        // The cache maintenance of a map or a sync for the device ends in a
        // barrier (arm64: `dsb`): the CPU's writes reach RAM.
        mem.inner.weak_drain(cycle, true);
        let mut st = lock(&self.inner.state);
        if len == 0 || offset as u64 + len as u64 > page_len {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::BadMapRange {
                    device: self.inner.name.clone(),
                    page: host,
                    offset: offset as u64,
                    len: len as u64,
                    page_len,
                },
            ));
        }
        let state = lock(&mem.inner.frames[head as usize]).state;
        if !matches!(state, FrameState::Allocated { head: h, order: o } if h == head && o >= order)
        {
            return Err(DmaError::Mem {
                device: self.inner.name.clone(),
                source: MemError::NotAllocated { addr: host, cycle },
            });
        }
        if st.inject.armed() && st.inject.should_fail() {
            return Err(DmaError::MapFailed {
                device: self.inner.name.clone(),
                page: host,
            });
        }
        let m = Mapping {
            start: self.inner.base + (head << PAGE_SHIFT) + offset as u64,
            len: len as u64,
            dir,
            coherent: false,
            mapped_at: cycle,
        };
        st.table.insert(m.clone());
        self.list_active_line(&mut st, cycle, &m, attrs.skip_cpu_sync);
        self.for_lines(&m, 0, m.len, |f, lines, bytes| {
            if dir.device_may_write() {
                f.give_device_bytes(bytes, !attrs.skip_cpu_sync);
            }
            if !attrs.skip_cpu_sync {
                write_back(f, lines.clone());
            }
            f.dev_owned[lines].fill(true);
            f.map_count += 1;
        });
        self.record(&mut st, cycle, LedgerOp::Map, &m, 0, m.len, dir);
        Ok(DmaAddr::new(m.start))
    }

    fn sync(
        &self,
        addr: DmaAddr,
        offset: u64,
        len: u64,
        dir: DmaDirection,
        for_cpu: bool,
    ) -> Result<(), DmaError> {
        let op = if for_cpu {
            "dma_sync_single_range_for_cpu"
        } else {
            "dma_sync_single_range_for_device"
        };
        let cycle = self.inner.mem.cycle();
        if !for_cpu {
            self.inner.mem.inner.weak_drain(cycle, true);
        }
        let mut st = lock(&self.inner.state);
        let Some(id) = st.table.find_containing(addr) else {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::NotMapped {
                    device: self.inner.name.clone(),
                    op,
                    addr,
                    cycle,
                },
            ));
        };
        let m = st.table.get(id).clone();
        let rel = addr.raw_value() - m.start;
        let end = rel.checked_add(offset).and_then(|v| v.checked_add(len));
        if end.map_or(true, |e| e > m.len) {
            return Err(self.api_err(
                &mut st,
                cycle,
                DmaError::SyncOutOfRange {
                    device: self.inner.name.clone(),
                    op,
                    addr,
                    offset,
                    len,
                    mapping_start: DmaAddr::new(m.start),
                    mapping_len: m.len,
                },
            ));
        }
        if m.dir != DmaDirection::Bidirectional && m.dir != dir {
            let device = self.inner.name.clone();
            let err = match (for_cpu, m.dir) {
                (true, DmaDirection::ToDevice) => DmaError::SyncForCpuOfDeviceReadOnly {
                    device,
                    addr,
                    requested: dir,
                },
                (false, DmaDirection::FromDevice) => DmaError::SyncForDeviceOfDeviceWriteOnly {
                    device,
                    addr,
                    requested: dir,
                },
                _ => DmaError::DirectionMismatch {
                    device,
                    op,
                    addr,
                    mapped: m.dir,
                    requested: dir,
                },
            };
            return Err(self.api_err(&mut st, cycle, err));
        }
        if !m.coherent && len > 0 {
            let device_writes = m.dir.device_may_write();
            // A sync for the CPU with DMA_TO_DEVICE invalidates nothing, so
            // what the device wrote is not handed to the CPU by it.
            let hands_back = device_writes && dir.device_may_write();
            let line = self.inner.mem.inner.cache_line();
            self.for_lines(&m, rel + offset, len, |f, lines, bytes| {
                if for_cpu {
                    if hands_back {
                        f.take_device_bytes(bytes.clone());
                    }
                    invalidate(f, bytes, dir, line);
                    f.dev_owned[lines].fill(false);
                } else {
                    if device_writes {
                        f.give_device_bytes(bytes, true);
                    }
                    write_back(f, lines.clone());
                    f.dev_owned[lines].fill(true);
                }
            });
        }
        let ledger_op = if for_cpu {
            LedgerOp::SyncForCpu
        } else {
            LedgerOp::SyncForDevice
        };
        self.record_at(&mut st, cycle, ledger_op, addr, offset, len, dir);
        Ok(())
    }
}
