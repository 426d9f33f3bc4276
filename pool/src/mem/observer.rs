//! Memory barriers and the CPU-access observer hook.
//!
//! [`HostMemory::wmb`], [`HostMemory::rmb`], [`HostMemory::dma_wmb`] and
//! [`HostMemory::dma_rmb`] are the kernel's barriers, with its semantics:
//! `dma_wmb()` orders the CPU's writes to DMA-visible memory among
//! themselves; `wmb()` also orders them before a later MMIO write (a
//! doorbell); `dma_rmb()` orders a read of DMA memory before later reads of
//! it (a completion's phase bit before its other fields); `rmb()` also
//! orders MMIO reads. A [`CpuObserver`] set with
//! [`HostMemory::set_cpu_observer`] sees every CPU access and barrier (a
//! barrier auditor is one). In the weak-ordering mode (`weak`) the write
//! barriers drain the store buffer and the read barriers fence reads.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::barrier::{Barrier, CpuObserver};
use super::memory::HostMemory;
use crate::lock::{read, write};

impl HostMemory {
    /// Installs (or, with `None`, removes) the observer of CPU accesses and
    /// barriers. Without one, an access costs one relaxed load more.
    pub fn set_cpu_observer(&self, observer: Option<Arc<dyn CpuObserver>>) {
        let mut slot = write(&self.inner.observer);
        self.inner
            .observed
            .store(observer.is_some(), Ordering::Release);
        *slot = observer;
    }

    /// `wmb()`.
    #[inline]
    pub fn wmb(&self) {
        self.barrier(Barrier::Wmb);
    }

    /// `rmb()`.
    #[inline]
    pub fn rmb(&self) {
        self.barrier(Barrier::Rmb);
    }

    /// `dma_wmb()`.
    #[inline]
    pub fn dma_wmb(&self) {
        self.barrier(Barrier::DmaWmb);
    }

    /// `dma_rmb()`.
    #[inline]
    pub fn dma_rmb(&self) {
        self.barrier(Barrier::DmaRmb);
    }

    /// Any barrier.
    #[inline]
    pub fn barrier(&self, kind: Barrier) {
        let cycle = self.cycle();
        if self.inner.weak.is_some() {
            if kind.orders_writes() {
                self.inner.weak_drain(cycle, true);
            } else {
                self.inner.weak_read_fence();
            }
        }
        self.notify(|o| o.barrier(cycle, kind));
    }

    /// Calls `f` on the observer, if one is installed.
    #[inline]
    pub(super) fn notify(&self, f: impl FnOnce(&dyn CpuObserver)) {
        if !self.inner.observed.load(Ordering::Acquire) {
            return;
        }
        self.notify_slow(f);
    }

    #[cold]
    fn notify_slow(&self, f: impl FnOnce(&dyn CpuObserver)) {
        let observer = read(&self.inner.observer).clone();
        if let Some(o) = observer {
            f(o.as_ref());
        }
    }
}
