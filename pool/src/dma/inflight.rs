//! The device's DMA in flight: every burst the memory accepted (AW or AR
//! handshake) and whose last response (B, or the last R beat) has not gone
//! out yet, as the bus models report them with
//! [`DmaDev::device_access_begin`] and [`DmaDev::device_access_end`].
//!
//! Bursts of one device may overlap in time and may end in another order
//! than they began. Unmapping a buffer a burst is still moving is
//! [`DmaViolation::UnmapDuringDma`]; an end no begin matches is
//! [`DmaViolation::UnmatchedBurstEnd`] (a bus model bug).

use super::burst::Burst;
use super::device::{DevState, DmaDev};
use super::direction::Access;
use super::error::DmaViolation;
use super::mapping::Mapping;
use crate::addr::DmaAddr;
use crate::layout::PAGE_SHIFT;
use crate::lock::lock;

impl DmaDev {
    /// The memory accepted a burst of `len` bytes at `addr` (the AW or AR
    /// handshake). Pair it with [`Self::device_access_end`].
    #[inline]
    pub fn device_access_begin(&self, addr: DmaAddr, len: usize, access: Access) {
        let begun_at = self.inner.mem.cycle();
        let mut st = lock(&self.inner.state);
        st.in_flight.bursts.push(Burst {
            addr,
            len,
            access,
            begun_at,
        });
        drop(st);
        self.frames_in_flight(addr, len, true);
    }

    /// The last response of a burst went out (B, or the last R beat). Its
    /// begin is the oldest one in flight with the same address, length and
    /// access; without one, [`DmaViolation::UnmatchedBurstEnd`] is recorded.
    #[inline]
    pub fn device_access_end(&self, addr: DmaAddr, len: usize, access: Access) {
        let mut st = lock(&self.inner.state);
        let found = st
            .in_flight
            .bursts
            .iter()
            .position(|b| b.addr == addr && b.len == len && b.access == access);
        match found {
            Some(i) => {
                st.in_flight.bursts.remove(i);
                drop(st);
                self.frames_in_flight(addr, len, false);
            }
            None => self.unmatched_end(&mut st, addr, len, access),
        }
    }

    /// Device bursts in flight (begun, not yet ended).
    pub fn dma_in_flight(&self) -> usize {
        lock(&self.inner.state).in_flight.bursts.len()
    }

    /// Every burst in flight, oldest first.
    pub fn bursts_in_flight(&self) -> Vec<Burst> {
        lock(&self.inner.state).in_flight.bursts.clone()
    }

    /// Counts the burst in (or out of) the in-flight count of every frame
    /// it touches inside memory, which the layers above read without
    /// knowing the device ([`crate::HostMemory`]'s frame metadata).
    #[inline]
    fn frames_in_flight(&self, addr: DmaAddr, len: usize, begin: bool) {
        let inner = &self.inner.mem.inner;
        let Some(phys) = addr.raw_value().checked_sub(self.inner.base) else {
            return;
        };
        let first = phys >> PAGE_SHIFT;
        let last = (phys + len.max(1) as u64 - 1) >> PAGE_SHIFT;
        for pfn in first..=last.min(inner.total_frames().saturating_sub(1)) {
            inner.meta[pfn as usize].dma_in_flight(begin);
        }
    }

    #[cold]
    fn unmatched_end(&self, st: &mut DevState, addr: DmaAddr, len: usize, access: Access) {
        let cycle = self.inner.mem.cycle();
        let v = DmaViolation::UnmatchedBurstEnd {
            cycle,
            device: self.inner.name.clone(),
            addr,
            len,
            access,
        };
        tracing::warn!("{v}");
        st.violations.push(v);
    }

    /// Records [`DmaViolation::UnmapDuringDma`] if a burst in flight
    /// touches `m`, which is being unmapped.
    #[inline]
    pub(super) fn check_unmap_in_flight(&self, st: &mut DevState, cycle: u64, m: &Mapping) {
        if let Some(burst) = st.in_flight.touching(m).cloned() {
            let mapping = st.table.info(m);
            let v = DmaViolation::UnmapDuringDma {
                cycle,
                device: self.inner.name.clone(),
                burst,
                mapping,
            };
            tracing::warn!("{v}");
            st.violations.push(v);
        }
    }
}
