//! Host memory as an AXI4 slave: the protocol half.
//!
//! Per cycle (see [`crate::Sim::step`]): [`AxiMem::drive`] gives the slave's
//! outputs for this cycle (from its own state only), the DUT is evaluated,
//! and [`AxiMem::update`] takes the DUT's outputs sampled before the clock
//! edge, computes the handshakes (`valid && ready`) and advances.
//!
//! Bursts are checked against the rules the NIC promises (`rules`); a
//! violation is an [`AxiError`] naming the cycle and the transaction. Bytes
//! move through a [`DmaStorage`], wrapped in the [`FaultInjector`] layer
//! that answers the bursts a test asks for with errors. Every accepted
//! burst is logged as a [`DmaRecord`].
//!
//! Parts: `signals` (the channels' beats), `config` (latencies,
//! backpressure, misbehaviour), `rules` (protocol checks), the read and
//! write paths (`read`, `write`) with the response order (`order`), the
//! transaction `log` and the `error`s.

mod config;
mod error;
mod log;
mod order;
mod read;
mod rules;
mod signals;
mod write;

use ::axi::Dir;

pub use config::{AxiMemConfig, Backpressure, Misbehave};
pub use error::AxiError;
pub use log::DmaRecord;
pub use signals::{AddrBeat, AxiMasterSignals, AxiSlaveSignals, BBeat, Channel, RBeat, WBeat};

use super::fault::{ErrorInjection, FaultInjector};
use super::storage::DmaStorage;
use crate::rng::SplitMix64;
use read::ReadPath;
use rules::{check_request, check_stable};
use write::WritePath;

/// The host memory's AXI4 slave.
pub struct AxiMem<S> {
    cfg: AxiMemConfig,
    storage: FaultInjector<S>,
    rng: SplitMix64,
    size_code: u8,
    cycle: u64,
    rd: ReadPath,
    wr: WritePath,
    /// The outputs [`AxiMem::drive`] gave for this cycle.
    out: AxiSlaveSignals,
    // master-side stability checks: last cycle's samples and readies
    prev: AxiMasterSignals,
    prev_ready: (bool, bool, bool),
    log: Vec<DmaRecord>,
}

impl<S: DmaStorage> AxiMem<S> {
    /// The slave over `storage`; `cfg.errors` go to its fault layer.
    pub fn new(mut cfg: AxiMemConfig, storage: S) -> Result<Self, AxiError> {
        check_config(&cfg)?;
        let injections = std::mem::take(&mut cfg.errors);
        Ok(Self {
            size_code: cfg.data_bytes.trailing_zeros() as u8,
            rng: SplitMix64::new(cfg.seed),
            cfg,
            storage: FaultInjector::new(storage, injections),
            cycle: 0,
            rd: ReadPath::default(),
            wr: WritePath::default(),
            out: AxiSlaveSignals::default(),
            prev: AxiMasterSignals::default(),
            prev_ready: (false, false, false),
            log: Vec::new(),
        })
    }

    /// The configuration; its `errors` are empty, the injections live in
    /// the fault layer ([`AxiMem::faults`]).
    pub fn config(&self) -> &AxiMemConfig {
        &self.cfg
    }
    pub fn storage(&self) -> &S {
        self.storage.inner()
    }
    pub fn storage_mut(&mut self) -> &mut S {
        self.storage.inner_mut()
    }
    /// The error-injection layer around the storage.
    pub fn faults(&self) -> &FaultInjector<S> {
        &self.storage
    }
    pub fn faults_mut(&mut self) -> &mut FaultInjector<S> {
        &mut self.storage
    }
    /// Every transaction seen so far, in address-handshake order.
    pub fn log(&self) -> &[DmaRecord] {
        &self.log
    }
    /// Forgets the log; refused while bursts are in flight (their records
    /// are still being filled in).
    pub fn clear_log(&mut self) -> Result<(), AxiError> {
        if !self.is_idle() {
            return Err(AxiError::Config(format!(
                "cannot clear the DMA log with {:?} bursts (reads, writes) in flight",
                self.outstanding()
            )));
        }
        self.log.clear();
        Ok(())
    }
    /// Adds an error injection at run time (to the fault layer).
    pub fn inject(&mut self, e: ErrorInjection) {
        self.storage.inject(e);
    }
    pub fn clear_injections(&mut self) {
        self.storage.clear_injections();
    }
    /// Changes the backpressure at run time.
    pub fn set_backpressure(&mut self, bp: Backpressure) {
        self.cfg.backpressure = bp;
    }
    pub fn set_misbehave(&mut self, m: Option<Misbehave>) {
        self.cfg.misbehave = m;
    }
    /// No burst accepted and not yet answered.
    pub fn is_idle(&self) -> bool {
        self.rd.in_flight() == 0 && self.wr.is_idle()
    }
    /// Bursts in flight: (reads, writes awaiting data or response).
    pub fn outstanding(&self) -> (usize, usize) {
        (self.rd.in_flight(), self.wr.in_flight())
    }

    /// Tells the storage the clock reached `cycle`.
    #[inline]
    pub fn on_cycle(&mut self, cycle: u64) {
        self.storage.on_cycle(cycle);
    }

    /// The slave's outputs for this cycle, from its state only.
    #[inline]
    pub fn drive(&mut self, cycle: u64) -> AxiSlaveSignals {
        self.cycle = cycle;
        let bp = self.cfg.backpressure;
        let max = self.cfg.max_outstanding;
        let awready = self.wr.in_flight() < max && !self.rng.hit(bp.aw_stall);
        let wready = !self.rng.hit(bp.w_stall);
        let arready = self.rd.in_flight() < max && !self.rng.hit(bp.ar_stall);
        let r = self.rd.drive(&self.cfg, cycle, &mut self.rng);
        let b = self.wr.drive(&self.cfg, cycle, &mut self.rng);
        self.out = AxiSlaveSignals {
            awready,
            wready,
            arready,
            b,
            r,
        };
        self.out
    }

    /// Takes the master's outputs sampled before the clock edge of `cycle`
    /// (the one [`AxiMem::drive`] was called for) and advances.
    #[inline]
    pub fn update(&mut self, m: &AxiMasterSignals) -> Result<(), AxiError> {
        let o = self.out;
        let prev = self.prev;
        let prev_ready = self.prev_ready;
        self.prev = *m;
        self.prev_ready = (o.awready, o.wready, o.arready);
        // Fast path: nothing offered now or pending from the last cycle.
        if !(m.aw.valid
            | m.w.valid
            | m.ar.valid
            | o.r.valid
            | o.b.valid
            | prev.aw.valid
            | prev.w.valid
            | prev.ar.valid)
        {
            return Ok(());
        }
        self.handshakes(&o, &prev, prev_ready, m)
    }

    fn handshakes(
        &mut self,
        o: &AxiSlaveSignals,
        prev: &AxiMasterSignals,
        prev_ready: (bool, bool, bool),
        m: &AxiMasterSignals,
    ) -> Result<(), AxiError> {
        let cycle = self.cycle;
        check_stable(cycle, prev, prev_ready, m)?;
        if o.awready && m.aw.valid {
            let txn = check_request(&m.aw, Dir::Write, cycle, &self.cfg, self.size_code)?;
            self.wr
                .accept_aw(txn, &self.cfg, &mut self.storage, &mut self.log)?;
        }
        if o.wready && m.w.valid {
            self.wr
                .accept_w(m.w, cycle, &self.cfg, &mut self.storage, &mut self.log)?;
        }
        if o.arready && m.ar.valid {
            let txn = check_request(&m.ar, Dir::Read, cycle, &self.cfg, self.size_code)?;
            self.rd
                .accept(txn, &self.cfg, &mut self.storage, &mut self.log);
        }
        if o.r.valid && m.rready {
            self.rd
                .beat_taken(cycle, self.cfg.misbehave, &mut self.storage, &mut self.log);
        }
        if o.b.valid && m.bready {
            self.wr.b_taken(cycle, &mut self.storage, &mut self.log);
        }
        Ok(())
    }
}

/// The limits [`AxiMem::new`] accepts.
fn check_config(cfg: &AxiMemConfig) -> Result<(), AxiError> {
    if !matches!(cfg.data_bytes, 1 | 2 | 4 | 8 | 16) {
        return Err(AxiError::Config(format!(
            "data_bytes {} must be 1, 2, 4, 8 or 16",
            cfg.data_bytes
        )));
    }
    if cfg.max_outstanding == 0 {
        return Err(AxiError::Config(
            "max_outstanding must be at least 1".into(),
        ));
    }
    if !(1..=256).contains(&cfg.max_burst_beats) {
        return Err(AxiError::Config(format!(
            "max_burst_beats {} must be in 1..=256",
            cfg.max_burst_beats
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

impl<S> std::fmt::Debug for AxiMem<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AxiMem")
            .field("cycle", &self.cycle)
            .field("reads_in_flight", &self.rd.in_flight())
            .field("writes_in_flight", &self.wr.in_flight())
            .field("log_len", &self.log.len())
            .finish()
    }
}
