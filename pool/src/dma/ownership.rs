//! A device's view of the memory's [`OwnershipViolation`]s: the ones on
//! pages it mapped, each joined with the page's mapping history (the
//! memory layer records them knowing nothing of devices).

use super::device::{DevState, DmaDev};
use super::error::DmaViolation;
use crate::lock::lock;
use crate::mem::OwnershipViolation;

impl DmaDev {
    /// The memory's ownership violations that concern this device (a CPU
    /// access of a page it mapped, or an access it made), each with the
    /// page's map/unmap/sync history up to the violation's cycle, oldest
    /// first. Also part of [`Self::violations`].
    pub fn ownership_violations(&self) -> Vec<DmaViolation> {
        let all = self.inner.mem.ownership_violations();
        if all.is_empty() {
            return Vec::new();
        }
        let st = lock(&self.inner.state);
        all.into_iter()
            .filter_map(|v| self.joined(&st, v))
            .collect()
    }

    fn joined(&self, st: &DevState, violation: OwnershipViolation) -> Option<DmaViolation> {
        if violation
            .device
            .as_deref()
            .is_some_and(|d| d != self.inner.name)
        {
            return None;
        }
        let history: Vec<_> = st
            .ledger
            .history(violation.pfn)
            .into_iter()
            .filter(|e| e.cycle <= violation.cycle)
            .collect();
        if history.is_empty() {
            return None;
        }
        Some(DmaViolation::Ownership {
            violation: Box::new(violation),
            history,
        })
    }
}
