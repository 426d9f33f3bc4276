//! The device side: `device_read` and `device_write` for the bus models,
//! one AXI burst each, refused with a [`DmaFault`] outside live mappings,
//! against their direction, or (writes) into lines the CPU owns.

use std::sync::MutexGuard;

use super::coherence::first_cpu_owned;
use super::device::{DevState, DmaDev};
use super::direction::Access;
use super::direction::DmaDirection;
use super::error::{DmaFault, DmaViolation, FaultKind};
use super::mapping::Mapping;
use crate::addr::{DmaAddr, HostAddr};
use crate::layout::{PAGE_SHIFT, PAGE_SIZE};
use crate::lock::lock;
use crate::mem::{pfn_to_host, Frame, FrameState, OwnershipKind, PoolLocation};

struct AccessPlan {
    /// (pfn, offset in frame, length, position in the caller's buffer)
    chunks: Vec<(u64, usize, usize, usize)>,
}

impl DmaDev {
    /// Device-side read of `buf.len()` bytes at `addr` (one AXI burst).
    /// Refused unless every byte is covered by live mappings that let the
    /// device read.
    #[inline]
    pub fn device_read(&self, addr: DmaAddr, buf: &mut [u8]) -> Result<(), DmaFault> {
        self.weak_tick();
        let st = lock(&self.inner.state);
        let plan = self.plan(&st, addr, buf.len(), Access::Read);
        let plan = match plan {
            Ok(p) => p,
            Err(fault) => return Err(self.fault(st, fault)),
        };
        let mut cpu_owned: Option<DmaAddr> = None;
        let checked = self.inner.mem.inner.ownership_checked();
        let mut cpu_written = None;
        let mut pooled = None;
        let line = self.inner.mem.inner.cache_line();
        for &(pfn, off, n, pos) in &plan.chunks {
            let f = lock(&self.inner.mem.inner.frames[pfn as usize]);
            if !f.coherent && cpu_owned.is_none() {
                if let Some(first) = first_cpu_owned(&f, off, n, line) {
                    cpu_owned = Some(self.dma_of(pfn, first));
                }
            }
            if checked && cpu_written.is_none() {
                cpu_written = f
                    .first_cpu_written_line(off..off + n, line)
                    .map(|l| (pfn, l));
            }
            if pooled.is_none() {
                pooled = self.pooled_head(&f);
            }
            buf[pos..pos + n].copy_from_slice(&f.ram[off..off + n]);
        }
        if let Some(line) = cpu_owned {
            let cycle = self.inner.mem.cycle();
            let mut st = st;
            tracing::warn!(device = %self.inner.name, %addr, "device read of CPU-owned line {line}");
            st.violations.push(DmaViolation::DeviceReadCpuOwned {
                cycle,
                device: self.inner.name.clone(),
                addr: line,
                len: buf.len(),
            });
        } else {
            drop(st);
        }
        if let Some((head, location)) = pooled {
            self.record_pooled(addr, buf.len(), Access::Read, head, location);
        }
        if let Some((pfn, first)) = cpu_written {
            let kind = OwnershipKind::DeviceReadCpuWritten;
            self.record_ownership(kind, &plan, buf.len(), pfn, first);
        }
        Ok(())
    }

    /// Device-side write of `data` at `addr` (one AXI burst). Refused (and
    /// nothing written) unless every byte is covered by live mappings that
    /// let the device write, and no touched line is owned by the CPU.
    #[inline]
    pub fn device_write(&self, addr: DmaAddr, data: &[u8]) -> Result<(), DmaFault> {
        self.weak_tick();
        let st = lock(&self.inner.state);
        let plan = match self.plan(&st, addr, data.len(), Access::Write) {
            Ok(p) => p,
            Err(fault) => return Err(self.fault(st, fault)),
        };
        let frames = &self.inner.mem.inner.frames;
        // Check every chunk before writing any, so a fault writes nothing.
        let mut guards = Vec::with_capacity(plan.chunks.len());
        let line = self.inner.mem.inner.cache_line();
        for &(pfn, off, n, _) in &plan.chunks {
            let f = lock(&frames[pfn as usize]);
            if !f.coherent {
                if let Some(first) = first_cpu_owned(&f, off, n, line) {
                    drop(guards);
                    drop(f);
                    let first = self.dma_of(pfn, first);
                    let fault = (
                        addr,
                        data.len(),
                        Access::Write,
                        FaultKind::CpuOwnedLines { first },
                        Some(pfn),
                    );
                    return Err(self.fault(st, fault));
                }
            }
            guards.push(f);
        }
        let checked = self.inner.mem.inner.ownership_checked();
        let mut cpu_written = None;
        let mut unsynced = None;
        let mut pooled = None;
        for (f, &(pfn, off, n, pos)) in guards.iter_mut().zip(&plan.chunks) {
            if checked && cpu_written.is_none() {
                cpu_written = f
                    .first_cpu_written_line(off..off + n, line)
                    .map(|l| (pfn, l));
            }
            if checked && unsynced.is_none() {
                unsynced = f.first_device_unsynced(off..off + n).map(|b| (pfn, b));
            }
            if pooled.is_none() {
                pooled = self.pooled_head(f);
            }
            f.note_device_write(off..off + n);
            f.ram[off..off + n].copy_from_slice(&data[pos..pos + n]);
        }
        drop(guards);
        drop(st);
        if let Some((head, location)) = pooled {
            self.record_pooled(addr, data.len(), Access::Write, head, location);
        }
        if let Some((pfn, first)) = cpu_written {
            let kind = OwnershipKind::DeviceWriteCpuWritten;
            self.record_ownership(kind, &plan, data.len(), pfn, first);
        }
        if let Some((pfn, byte)) = unsynced {
            let kind = OwnershipKind::DeviceWriteNotSynced;
            self.record_ownership(kind, &plan, data.len(), pfn, byte);
        }
        Ok(())
    }

    /// The head frame of `f`'s page and where its pool keeps it, if the
    /// page is back in a page pool (cache or ring).
    #[inline]
    fn pooled_head(&self, f: &Frame) -> Option<(u64, PoolLocation)> {
        let FrameState::Allocated { head, .. } = f.state else {
            return None;
        };
        let location = self.inner.mem.inner.meta[head as usize].pool_location();
        location.in_pool().then_some((head, location))
    }

    /// Records a device access into a page that is back in a page pool.
    #[cold]
    fn record_pooled(
        &self,
        addr: DmaAddr,
        len: usize,
        access: Access,
        head: u64,
        location: PoolLocation,
    ) {
        let meta = &self.inner.mem.inner.meta[head as usize];
        let v = DmaViolation::DeviceAccessPooledPage {
            cycle: self.inner.mem.cycle(),
            device: self.inner.name.clone(),
            addr,
            len,
            access,
            page: pfn_to_host(head),
            pool: meta.pp_id.load(std::sync::atomic::Ordering::Relaxed),
            location,
        };
        tracing::warn!("{v}");
        lock(&self.inner.state).violations.push(v);
    }

    /// Records a device access of `len` bytes (split as `plan`) that broke
    /// the ownership rule `kind` first at byte `off` of frame `pfn`.
    #[cold]
    fn record_ownership(
        &self,
        kind: OwnershipKind,
        plan: &AccessPlan,
        len: usize,
        pfn: u64,
        off: usize,
    ) {
        let (first_pfn, first_off, _, _) = plan.chunks[0];
        let addr = HostAddr::new(pfn_to_host(first_pfn).raw_value() + first_off as u64);
        self.inner
            .mem
            .inner
            .record_ownership(kind, Some(&self.inner.name), addr, len, pfn, off);
    }

    /// The CPU writes due by now reach RAM before the device looks
    /// (weak-ordering mode only).
    #[inline]
    fn weak_tick(&self) {
        let mem = &self.inner.mem;
        if mem.inner.weak.is_some() {
            mem.inner.weak_drain(mem.cycle(), false);
        }
    }

    /// Checks an access and splits it into frame chunks.
    #[inline]
    fn plan(
        &self,
        st: &DevState,
        addr: DmaAddr,
        len: usize,
        access: Access,
    ) -> Result<AccessPlan, (DmaAddr, usize, Access, FaultKind, Option<u64>)> {
        let raw = addr.raw_value();
        let total = self.inner.mem.inner.total_frames() << PAGE_SHIFT;
        let phys = raw
            .checked_sub(self.inner.base)
            .filter(|p| p.checked_add(len as u64).is_some_and(|e| e <= total));
        let Some(phys) = phys else {
            return Err((addr, len, access, FaultKind::OutsideWindow, None));
        };
        let mut chunks = Vec::with_capacity(1);
        let mut pos = 0usize;
        while pos < len {
            let p = phys + pos as u64;
            let pfn = p >> PAGE_SHIFT;
            let off = (p & (PAGE_SIZE as u64 - 1)) as usize;
            let n = (PAGE_SIZE - off).min(len - pos);
            let a = raw + pos as u64;
            if let Err(kind) = check_cover(st, pfn, a, a + n as u64, access) {
                return Err((addr, len, access, kind, Some(pfn)));
            }
            chunks.push((pfn, off, n, pos));
            pos += n;
        }
        Ok(AccessPlan { chunks })
    }

    #[cold]
    fn fault(
        &self,
        mut st: MutexGuard<'_, DevState>,
        (addr, len, access, kind, pfn): (DmaAddr, usize, Access, FaultKind, Option<u64>),
    ) -> DmaFault {
        let history = pfn.map(|p| st.ledger.history(p)).unwrap_or_default();
        let fault = DmaFault {
            device: self.inner.name.clone(),
            cycle: self.inner.mem.cycle(),
            addr,
            len,
            access,
            kind,
            page: pfn.map(pfn_to_host),
            history,
        };
        tracing::warn!("{fault}");
        st.violations
            .push(DmaViolation::Fault(Box::new(fault.clone())));
        fault
    }
}

/// Checks that `[a, b)` (DMA addresses inside frame `pfn`) is covered by live
/// mappings allowing `access`.
#[inline]
fn check_cover(st: &DevState, pfn: u64, a: u64, b: u64, access: Access) -> Result<(), FaultKind> {
    let allows = |m: &Mapping| match access {
        Access::Read => m.dir.device_may_read(),
        Access::Write => m.dir.device_may_write(),
    };
    let Some(ids) = st.table.ids_at(pfn) else {
        return Err(FaultKind::NotMapped {
            first: DmaAddr::new(a),
        });
    };
    // Common case: one mapping covers the whole access.
    for id in ids {
        let m = st.table.get(*id);
        if m.start <= a && b <= m.end() && allows(m) {
            return Ok(());
        }
    }
    // General case: sweep over the union of mappings.
    let sweep = |filter: &dyn Fn(&Mapping) -> bool| -> u64 {
        let mut cur = a;
        loop {
            let next = ids
                .iter()
                .map(|id| st.table.get(*id))
                .filter(|m| filter(m) && m.start <= cur && cur < m.end())
                .map(Mapping::end)
                .max();
            match next {
                Some(e) if e >= b => return b,
                Some(e) => cur = e,
                None => return cur,
            }
        }
    };
    let ok_upto = sweep(&allows);
    if ok_upto >= b {
        return Ok(());
    }
    let any_upto = sweep(&|_| true);
    if any_upto > ok_upto {
        let dir = ids
            .iter()
            .map(|id| st.table.get(*id))
            .find(|m| m.start <= ok_upto && ok_upto < m.end())
            .map_or(DmaDirection::Bidirectional, |m| m.dir);
        Err(FaultKind::WrongDirection {
            first: DmaAddr::new(ok_upto),
            dir,
        })
    } else {
        Err(FaultKind::NotMapped {
            first: DmaAddr::new(ok_upto),
        })
    }
}
