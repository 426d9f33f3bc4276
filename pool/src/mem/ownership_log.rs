//! The memory's record of [`OwnershipViolation`]s: where the CPU path and
//! the DMA layer put them, and how to read them.

use std::sync::atomic::Ordering;

use super::frames::pfn_to_host;
use super::memory::{HostMemory, MemInner};
use super::ownership::{OwnershipKind, OwnershipViolation};
use crate::addr::HostAddr;
use crate::lock::lock;

impl HostMemory {
    /// Every ownership violation recorded so far (CPU and device side, all
    /// devices), oldest first. [`crate::DmaDev::violations`] reports the ones
    /// on pages a device mapped, with their mapping history.
    pub fn ownership_violations(&self) -> Vec<OwnershipViolation> {
        lock(&self.inner.ownership).clone()
    }

    /// Turns the ownership checks on or off (on by default).
    pub fn set_ownership_checks(&self, on: bool) {
        self.inner.ownership_on.store(on, Ordering::Relaxed);
    }
}

impl MemInner {
    /// Whether the ownership checks are on.
    #[inline]
    pub(crate) fn ownership_checked(&self) -> bool {
        self.ownership_on.load(Ordering::Relaxed)
    }

    /// Records a violation of `kind` at byte `off` of frame `pfn`.
    #[cold]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn record_ownership(
        &self,
        kind: OwnershipKind,
        device: Option<&str>,
        addr: HostAddr,
        len: usize,
        pfn: u64,
        off: usize,
    ) {
        let page = pfn_to_host(pfn);
        let v = OwnershipViolation {
            kind,
            cycle: self.cycle.load(Ordering::Relaxed),
            device: device.map(str::to_owned),
            addr,
            len,
            first: HostAddr::new(page.raw_value() + off as u64),
            page,
            pfn,
        };
        tracing::warn!("{v}");
        lock(&self.ownership).push(v);
    }
}
