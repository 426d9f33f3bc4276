//! Driver-side markers in waveforms, observed from the co-simulation side
//! (the driver itself has no marker hook).
//!
//! [`crate::Sim`]'s marker layer (`sim::driver_markers`) drives the
//! `drv_*` inputs and sets the doorbell and NAPI markers from the register
//! writes it carries out (`RX_PROD`/`TX_PROD`; `IRQ_MASK` all-masked = NAPI
//! polling, unmasked or CTRL without ENABLE = not). [`PoolProbe`] adds the
//! page pools' in-flight count and a strobe per DMA sync, read from the
//! pools and the DMA device's ledger whenever the driver enters the
//! testbench while a waveform is open. Syncs happen in driver code between
//! two testbench calls, so they are shown at the cycle the driver resumed
//! the simulation; several syncs in one such gap show as one strobe with
//! the last one's direction and length (and the count in the log).

use hostdriver::NicDevice;
use pool::{DmaDev, LedgerOp, PagePoolHandle};

use crate::{DriverMarkers, PoolStorage, Sim};

/// `drv_sync_dir` values.
pub const SYNC_FOR_DEVICE: u8 = 1;
pub const SYNC_FOR_CPU: u8 = 2;

/// Reads pool in-flight counts and new DMA syncs into the markers.
pub struct PoolProbe {
    dev: DmaDev,
    pools: Vec<PagePoolHandle>,
    seen: usize,
}

impl PoolProbe {
    /// A probe over `dev`'s ledger and `pools` (e.g. the driver's
    /// `rx_pool()` and `tx_pool()`); syncs recorded so far are skipped.
    pub fn new(dev: DmaDev, pools: Vec<PagePoolHandle>) -> Self {
        let seen = dev.ledger().len();
        PoolProbe { dev, pools, seen }
    }

    /// Updates `m` from the pools and the ledger.
    pub fn update(&mut self, m: &mut DriverMarkers) {
        m.pool_inflight = self.pools.iter().map(|p| p.inflight().max(0) as u32).sum();
        let ledger = self.dev.ledger();
        if ledger.len() < self.seen {
            // Someone took the ledger.
            self.seen = 0;
        }
        let mut n = 0;
        for e in &ledger[self.seen..] {
            let dir = match e.op {
                LedgerOp::SyncForDevice => SYNC_FOR_DEVICE,
                LedgerOp::SyncForCpu => SYNC_FOR_CPU,
                _ => continue,
            };
            m.sync_dir = dir;
            m.sync_len = e.len.min(u64::from(u16::MAX)) as u16;
            m.sync_strobe = true;
            n += 1;
        }
        if n > 1 {
            tracing::trace!(syncs = n, "cosim: several DMA syncs shown as one marker");
        }
        self.seen = ledger.len();
    }

    /// Installs a probe over `sim`'s DMA device and `pools` into `sim`.
    pub fn install(sim: &mut Sim<PoolStorage>, pools: Vec<PagePoolHandle>) {
        let mut probe = PoolProbe::new(sim.dma_dev().clone(), pools);
        sim.set_marker_probe(Some(Box::new(move |m| probe.update(m))));
    }
}

impl std::fmt::Debug for PoolProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolProbe")
            .field("pools", &self.pools.len())
            .field("seen", &self.seen)
            .finish()
    }
}
