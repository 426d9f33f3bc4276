//! Host memory as an AXI4 slave: the protocol half.
//!
//! Per cycle (see [`crate::Sim::step`]): [`AxiMem::drive`] gives the slave's
//! outputs for this cycle (from its own state only), the DUT is evaluated,
//! and [`AxiMem::update`] takes the DUT's outputs sampled before the clock
//! edge, computes the handshakes (`valid && ready`) and advances.
//!
//! Bursts are checked against the rules the NIC promises
//! (docs/ARCHITECTURE.md): INCR only, full-width beats, at most
//! `max_burst_beats` beats, no 4 KiB crossing, `wlast` exactly on the last
//! beat, strobes only inside the transfer, valid held and payload stable
//! until the handshake. A violation is an [`AxiError`] naming the cycle and
//! the transaction. Bytes move through a [`DmaStorage`].

use std::collections::VecDeque;
use std::ops::Range;

use super::storage::DmaStorage;
use crate::rng::{Chance, SplitMix64};

/// An AXI response code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Resp {
    #[default]
    Okay,
    ExOkay,
    SlvErr,
    DecErr,
}

impl Resp {
    pub const fn bits(self) -> u8 {
        match self {
            Resp::Okay => 0,
            Resp::ExOkay => 1,
            Resp::SlvErr => 2,
            Resp::DecErr => 3,
        }
    }
    pub const fn from_bits(b: u8) -> Resp {
        match b & 3 {
            0 => Resp::Okay,
            1 => Resp::ExOkay,
            2 => Resp::SlvErr,
            _ => Resp::DecErr,
        }
    }
    pub const fn is_err(self) -> bool {
        matches!(self, Resp::SlvErr | Resp::DecErr)
    }
}

/// Direction of a DMA transaction, seen from the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Device reads host memory (AR/R).
    Read,
    /// Device writes host memory (AW/W/B).
    Write,
}

/// An address-channel beat (AW or AR) as the master drives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddrBeat {
    pub valid: bool,
    pub id: u8,
    pub addr: u64,
    pub len: u8,
    pub size: u8,
    pub burst: u8,
}

/// A W beat as the master drives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WBeat {
    pub valid: bool,
    pub data: u128,
    pub strb: u16,
    pub last: bool,
}

/// Everything the AXI master (the NIC) drives, sampled before the edge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AxiMasterSignals {
    pub aw: AddrBeat,
    pub w: WBeat,
    pub bready: bool,
    pub ar: AddrBeat,
    pub rready: bool,
}

/// A B beat as the slave drives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BBeat {
    pub valid: bool,
    pub id: u8,
    pub resp: Resp,
}

/// An R beat as the slave drives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RBeat {
    pub valid: bool,
    pub id: u8,
    pub data: u128,
    pub resp: Resp,
    pub last: bool,
}

/// Everything the slave (this model) drives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AxiSlaveSignals {
    pub awready: bool,
    pub wready: bool,
    pub arready: bool,
    pub b: BBeat,
    pub r: RBeat,
}

/// Random backpressure: the chance, per cycle, that a ready is withheld or
/// that a valid is not (yet) asserted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backpressure {
    pub aw_stall: Chance,
    pub w_stall: Chance,
    pub ar_stall: Chance,
    pub r_idle: Chance,
    pub b_idle: Chance,
}

impl Backpressure {
    pub const NONE: Backpressure = Backpressure {
        aw_stall: Chance::NEVER,
        w_stall: Chance::NEVER,
        ar_stall: Chance::NEVER,
        r_idle: Chance::NEVER,
        b_idle: Chance::NEVER,
    };

    /// The same chance on every channel.
    pub const fn uniform(pct: u32) -> Backpressure {
        let c = Chance::percent(pct);
        Backpressure {
            aw_stall: c,
            w_stall: c,
            ar_stall: c,
            r_idle: c,
            b_idle: c,
        }
    }
}

/// Which transactions an [`ErrorInjection`] hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorMatch {
    /// Any burst of `dir` that touches `range`.
    AddrRange { dir: Option<Dir>, range: Range<u64> },
    /// The `n`-th (0-based) burst of `dir` the model accepts.
    Nth { dir: Dir, n: u64 },
}

/// Answer matching bursts with `resp` without touching storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInjection {
    pub when: ErrorMatch,
    pub resp: Resp,
}

/// Deliberate protocol violations by the slave, to show that the RTL's
/// assertions catch them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehave {
    /// Drop RVALID one cycle after asserting it if RREADY was low, and
    /// present the beat again later (AXI: valid must stay until ready).
    DropRValidEarly,
    /// Drop BVALID early, likewise.
    DropBValidEarly,
    /// Assert RVALID for one more beat than the burst has after RLAST.
    ExtraRBeat,
}

/// Configuration of [`AxiMem`].
#[derive(Debug, Clone)]
pub struct AxiMemConfig {
    /// Bytes per beat (8 for the NIC's 64-bit bus, 16 for 128).
    pub data_bytes: usize,
    /// Cycles from the AR handshake to the first R beat being offered.
    pub read_latency: u32,
    /// Cycles from the last W beat (or the AW, if later) to B being offered.
    pub write_latency: u32,
    pub backpressure: Backpressure,
    /// Bursts accepted but not yet answered, per direction; the address
    /// ready stays low while full.
    pub max_outstanding: usize,
    /// Longest burst accepted (AXI4 INCR: 256).
    pub max_burst_beats: u16,
    /// Answer bursts of different IDs in a random order (same ID: in order).
    pub reorder_ids: bool,
    pub errors: Vec<ErrorInjection>,
    pub misbehave: Option<Misbehave>,
    /// Seed of the backpressure and reordering choices.
    pub seed: u64,
}

impl Default for AxiMemConfig {
    fn default() -> Self {
        Self {
            data_bytes: 8,
            read_latency: 4,
            write_latency: 2,
            backpressure: Backpressure::NONE,
            max_outstanding: 8,
            max_burst_beats: 256,
            reorder_ids: false,
            errors: Vec::new(),
            misbehave: None,
            seed: 0,
        }
    }
}

/// One address-channel request as accepted, for errors and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AxiTxn {
    pub dir: Dir,
    pub id: u8,
    pub addr: u64,
    /// AxLEN (beats - 1).
    pub len: u8,
    pub size: u8,
    pub burst: u8,
}

impl std::fmt::Display for AxiTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} id {} addr {:#x} len {} ({} beats) size {} burst {}",
            match self.dir {
                Dir::Read => "AR",
                Dir::Write => "AW",
            },
            self.id,
            self.addr,
            self.len,
            u32::from(self.len) + 1,
            self.size,
            self.burst
        )
    }
}

/// An AXI channel, for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Aw,
    W,
    B,
    Ar,
    R,
}

/// A protocol violation by the master (or a misuse of the model).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AxiError {
    #[error("cycle {cycle}: {txn}: crosses a 4 KiB boundary ({bytes} bytes from {:#x})", txn.addr)]
    Crosses4k { cycle: u64, txn: AxiTxn, bytes: u64 },
    #[error("cycle {cycle}: {txn}: burst type {} is not INCR (1)", txn.burst)]
    BurstType { cycle: u64, txn: AxiTxn },
    #[error("cycle {cycle}: {txn}: size {} is not the full bus width (size {expected})", txn.size)]
    Size {
        cycle: u64,
        txn: AxiTxn,
        expected: u8,
    },
    #[error("cycle {cycle}: {txn}: {} beats exceed the maximum of {max}", u32::from(txn.len) + 1)]
    TooLong { cycle: u64, txn: AxiTxn, max: u16 },
    #[error("cycle {cycle}: {txn}: WLAST on beat {beat} of {beats}")]
    EarlyWlast {
        cycle: u64,
        txn: AxiTxn,
        beat: u16,
        beats: u16,
    },
    #[error("cycle {cycle}: {txn}: no WLAST on the last beat ({beats})")]
    MissingWlast { cycle: u64, txn: AxiTxn, beats: u16 },
    #[error("cycle {cycle}: {txn}: beat {beat} strobe {strb:#x} outside the transfer (allowed {allowed:#x})")]
    StrobeOutside {
        cycle: u64,
        txn: AxiTxn,
        beat: u16,
        strb: u16,
        allowed: u16,
    },
    #[error("cycle {cycle}: {channel:?}VALID dropped before the handshake (was {was})")]
    ValidDropped {
        cycle: u64,
        channel: Channel,
        was: String,
    },
    #[error(
        "cycle {cycle}: {channel:?} payload changed while VALID and not READY: {was} -> {now}"
    )]
    PayloadChanged {
        cycle: u64,
        channel: Channel,
        was: String,
        now: String,
    },
    #[error("cycle {cycle}: {beats} W beats arrived with no write address to carry them")]
    WithoutAddress { cycle: u64, beats: usize },
    #[error("invalid memory model configuration: {0}")]
    Config(String),
}

/// One logged DMA transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmaRecord {
    pub dir: Dir,
    pub id: u8,
    pub addr: u64,
    /// Read: bytes of the transfer (beats * width - the start offset).
    /// Write: bytes with their strobe set.
    pub bytes: u64,
    pub beats: u16,
    /// Cycle of the address handshake.
    pub cycle_addr: u64,
    /// Cycle of the last R beat's / the B handshake (None while in flight).
    pub cycle_done: Option<u64>,
    pub resp: Resp,
    /// Why the response is an error: the storage fault or the injection.
    pub fault: Option<String>,
}

#[derive(Debug)]
struct ReadBurst {
    id: u8,
    beats: u16,
    next_beat: u16,
    /// Lane-aligned data, `beats * data_bytes` bytes.
    data: Vec<u8>,
    resp: Resp,
    ready_at: u64,
    log: usize,
}

#[derive(Debug)]
struct WriteBurst {
    txn: AxiTxn,
    beats: u16,
    received: u16,
    data: Vec<u8>,
    strb: Vec<u16>,
    injected: Option<(Resp, String)>,
    log: usize,
}

#[derive(Debug)]
struct BPending {
    id: u8,
    resp: Resp,
    ready_at: u64,
    log: usize,
}

/// The host memory's AXI4 slave.
pub struct AxiMem<S> {
    cfg: AxiMemConfig,
    storage: S,
    rng: SplitMix64,
    size_code: u8,
    cycle: u64,
    // requests
    reads: Vec<ReadBurst>,
    writes: VecDeque<WriteBurst>,
    early_w: VecDeque<WBeat>,
    bs: Vec<BPending>,
    // presentation state
    out: AxiSlaveSignals,
    r_cur: Option<usize>,
    b_cur: Option<usize>,
    r_dropped: bool,
    b_dropped: bool,
    extra_r: bool,
    // master-side stability checks: last cycle's samples and readies
    prev: AxiMasterSignals,
    prev_ready: (bool, bool, bool),
    // counters for ErrorMatch::Nth
    n_reads: u64,
    n_writes: u64,
    log: Vec<DmaRecord>,
    /// Data and strobe buffers of completed write bursts, for reuse.
    spare: Vec<(Vec<u8>, Vec<u16>)>,
}

impl<S: DmaStorage> AxiMem<S> {
    pub fn new(cfg: AxiMemConfig, storage: S) -> Result<Self, AxiError> {
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
        Ok(Self {
            size_code: cfg.data_bytes.trailing_zeros() as u8,
            rng: SplitMix64::new(cfg.seed),
            cfg,
            storage,
            cycle: 0,
            reads: Vec::new(),
            writes: VecDeque::new(),
            early_w: VecDeque::new(),
            spare: Vec::new(),
            bs: Vec::new(),
            out: AxiSlaveSignals::default(),
            r_cur: None,
            b_cur: None,
            r_dropped: false,
            b_dropped: false,
            extra_r: false,
            prev: AxiMasterSignals::default(),
            prev_ready: (false, false, false),
            n_reads: 0,
            n_writes: 0,
            log: Vec::new(),
        })
    }

    pub fn config(&self) -> &AxiMemConfig {
        &self.cfg
    }
    pub fn storage(&self) -> &S {
        &self.storage
    }
    pub fn storage_mut(&mut self) -> &mut S {
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
    /// Adds an error injection at run time.
    pub fn inject(&mut self, e: ErrorInjection) {
        self.cfg.errors.push(e);
    }
    pub fn clear_injections(&mut self) {
        self.cfg.errors.clear();
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
        self.reads.is_empty() && self.writes.is_empty() && self.bs.is_empty()
    }
    /// Bursts in flight: (reads, writes awaiting data or response).
    pub fn outstanding(&self) -> (usize, usize) {
        (self.reads.len(), self.writes.len() + self.bs.len())
    }

    /// The slave's outputs for this cycle, from its state only.
    #[inline]
    pub fn drive(&mut self, cycle: u64) -> AxiSlaveSignals {
        self.cycle = cycle;
        let bp = self.cfg.backpressure;
        let o = &mut self.out;
        o.awready = self.writes.len() + self.bs.len() < self.cfg.max_outstanding
            && !self.rng.hit(bp.aw_stall);
        o.wready = !self.rng.hit(bp.w_stall);
        o.arready = self.reads.len() < self.cfg.max_outstanding && !self.rng.hit(bp.ar_stall);
        if !self.reads.is_empty() || self.out.r.valid || self.extra_r {
            self.drive_r();
        }
        if !self.bs.is_empty() || self.out.b.valid {
            self.drive_b();
        }
        self.out
    }

    fn drive_r(&mut self) {
        if self.extra_r {
            // Misbehave::ExtraRBeat: one beat nobody asked for.
            self.extra_r = false;
            self.out.r = RBeat {
                valid: true,
                id: self.out.r.id,
                data: 0,
                resp: Resp::Okay,
                last: true,
            };
            return;
        }
        if self.out.r.valid {
            // Offered last cycle, not taken: hold (AXI), unless misbehaving.
            if self.cfg.misbehave == Some(Misbehave::DropRValidEarly) && !self.r_dropped {
                self.r_dropped = true;
                self.out.r.valid = false;
            }
            return;
        }
        if self.r_dropped {
            // Re-offer the dropped beat.
            self.r_dropped = false;
            self.out.r.valid = true;
            return;
        }
        let cur = match self.r_cur {
            Some(i) => Some(i),
            None => pick_head(
                self.reads.iter().map(|r| (r.id, r.ready_at)),
                self.cfg.reorder_ids,
                self.cycle,
                &mut self.rng,
            ),
        };
        let Some(i) = cur else { return };
        if self.reads[i].ready_at > self.cycle || self.rng.hit(self.cfg.backpressure.r_idle) {
            return;
        }
        self.r_cur = Some(i);
        let rb = &self.reads[i];
        let bw = self.cfg.data_bytes;
        let off = rb.next_beat as usize * bw;
        let mut data = 0u128;
        for (k, b) in rb.data[off..off + bw].iter().enumerate() {
            data |= u128::from(*b) << (8 * k);
        }
        self.out.r = RBeat {
            valid: true,
            id: rb.id,
            data,
            resp: rb.resp,
            last: rb.next_beat + 1 == rb.beats,
        };
    }

    fn drive_b(&mut self) {
        if self.out.b.valid {
            if self.cfg.misbehave == Some(Misbehave::DropBValidEarly) && !self.b_dropped {
                self.b_dropped = true;
                self.out.b.valid = false;
            }
            return;
        }
        if self.b_dropped {
            self.b_dropped = false;
            self.out.b.valid = true;
            return;
        }
        let Some(i) = pick_head(
            self.bs.iter().map(|b| (b.id, b.ready_at)),
            self.cfg.reorder_ids,
            self.cycle,
            &mut self.rng,
        ) else {
            return;
        };
        if self.bs[i].ready_at > self.cycle || self.rng.hit(self.cfg.backpressure.b_idle) {
            return;
        }
        self.b_cur = Some(i);
        self.out.b = BBeat {
            valid: true,
            id: self.bs[i].id,
            resp: self.bs[i].resp,
        };
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
        let cycle = self.cycle;
        self.check_stable(&prev, prev_ready, m)?;
        if o.awready && m.aw.valid {
            self.accept_aw(&m.aw)?;
        }
        if o.wready && m.w.valid {
            self.accept_w(m.w)?;
        }
        if o.arready && m.ar.valid {
            self.accept_ar(&m.ar)?;
        }
        if o.r.valid && m.rready {
            self.r_beat_taken(cycle);
        }
        if o.b.valid && m.bready {
            let i = self
                .b_cur
                .take()
                .expect("B offered without a pending response");
            let b = self.bs.remove(i);
            self.log[b.log].cycle_done = Some(cycle);
            self.out.b.valid = false;
        }
        Ok(())
    }

    fn check_stable(
        &self,
        prev: &AxiMasterSignals,
        r: (bool, bool, bool),
        m: &AxiMasterSignals,
    ) -> Result<(), AxiError> {
        // `prev` was sampled last cycle with readies `r`; a valid not taken
        // then must still be offered, unchanged.
        let cycle = self.cycle;
        held(
            cycle,
            Channel::Aw,
            !r.0,
            (prev.aw.valid, &prev.aw),
            (m.aw.valid, &m.aw),
        )?;
        held(
            cycle,
            Channel::W,
            !r.1,
            (prev.w.valid, &prev.w),
            (m.w.valid, &m.w),
        )?;
        held(
            cycle,
            Channel::Ar,
            !r.2,
            (prev.ar.valid, &prev.ar),
            (m.ar.valid, &m.ar),
        )?;
        Ok(())
    }

    fn check_addr(&self, a: &AddrBeat, dir: Dir) -> Result<AxiTxn, AxiError> {
        let cycle = self.cycle;
        let txn = AxiTxn {
            dir,
            id: a.id,
            addr: a.addr,
            len: a.len,
            size: a.size,
            burst: a.burst,
        };
        if a.burst != 1 {
            return Err(AxiError::BurstType { cycle, txn });
        }
        if a.size != self.size_code {
            return Err(AxiError::Size {
                cycle,
                txn,
                expected: self.size_code,
            });
        }
        let beats = u16::from(a.len) + 1;
        if beats > self.cfg.max_burst_beats {
            return Err(AxiError::TooLong {
                cycle,
                txn,
                max: self.cfg.max_burst_beats,
            });
        }
        let bw = self.cfg.data_bytes as u64;
        let bytes = u64::from(beats) * bw - (a.addr % bw);
        if (a.addr & 0xfff) + bytes > 0x1000 {
            return Err(AxiError::Crosses4k { cycle, txn, bytes });
        }
        Ok(txn)
    }

    fn injected(&self, dir: Dir, addr: u64, bytes: u64, n: u64) -> Option<(Resp, String)> {
        for e in &self.cfg.errors {
            let hit = match &e.when {
                ErrorMatch::AddrRange { dir: d, range } => {
                    d.is_none_or(|d| d == dir) && addr < range.end && range.start < addr + bytes
                }
                ErrorMatch::Nth { dir: d, n: k } => *d == dir && *k == n,
            };
            if hit {
                return Some((e.resp, format!("injected {:?}: {:?}", e.resp, e.when)));
            }
        }
        None
    }

    fn accept_ar(&mut self, a: &AddrBeat) -> Result<(), AxiError> {
        let txn = self.check_addr(a, Dir::Read)?;
        let bw = self.cfg.data_bytes;
        let beats = u16::from(a.len) + 1;
        let off = (a.addr % bw as u64) as usize;
        let total = usize::from(beats) * bw;
        let bytes = (total - off) as u64;
        let n = self.n_reads;
        self.n_reads += 1;
        let mut data = vec![0u8; total];
        let (resp, fault) = match self.injected(Dir::Read, a.addr, bytes, n) {
            Some((r, why)) => (r, Some(why)),
            None => match self.storage.read(a.addr, &mut data[off..]) {
                Ok(()) => (Resp::Okay, None),
                Err(f) => {
                    data.fill(0);
                    (f.resp, Some(f.to_string()))
                }
            },
        };
        if let Some(f) = &fault {
            tracing::debug!(cycle = self.cycle, %txn, "read answered {resp:?}: {f}");
        }
        self.log.push(DmaRecord {
            dir: Dir::Read,
            id: txn.id,
            addr: txn.addr,
            bytes,
            beats,
            cycle_addr: self.cycle,
            cycle_done: None,
            resp,
            fault,
        });
        self.reads.push(ReadBurst {
            id: a.id,
            beats,
            next_beat: 0,
            data,
            resp,
            ready_at: self.cycle + u64::from(self.cfg.read_latency),
            log: self.log.len() - 1,
        });
        Ok(())
    }

    fn r_beat_taken(&mut self, cycle: u64) {
        self.out.r.valid = false;
        let Some(i) = self.r_cur else {
            // The extra beat of Misbehave::ExtraRBeat.
            return;
        };
        let rb = &mut self.reads[i];
        rb.next_beat += 1;
        if rb.next_beat == rb.beats {
            let rb = self.reads.remove(i);
            self.log[rb.log].cycle_done = Some(cycle);
            self.r_cur = None;
            if self.cfg.misbehave == Some(Misbehave::ExtraRBeat) {
                self.extra_r = true;
            }
        }
    }

    fn accept_aw(&mut self, a: &AddrBeat) -> Result<(), AxiError> {
        let txn = self.check_addr(a, Dir::Write)?;
        let bw = self.cfg.data_bytes;
        let beats = u16::from(a.len) + 1;
        let n = self.n_writes;
        self.n_writes += 1;
        let bytes = u64::from(beats) * bw as u64 - a.addr % bw as u64;
        let injected = self.injected(Dir::Write, a.addr, bytes, n);
        self.log.push(DmaRecord {
            dir: Dir::Write,
            id: txn.id,
            addr: txn.addr,
            bytes: 0,
            beats,
            cycle_addr: self.cycle,
            cycle_done: None,
            resp: Resp::Okay,
            fault: None,
        });
        let (mut data, mut strb) = self.spare.pop().unwrap_or_default();
        data.clear();
        data.resize(usize::from(beats) * bw, 0);
        strb.clear();
        strb.resize(usize::from(beats), 0);
        self.writes.push_back(WriteBurst {
            txn,
            beats,
            received: 0,
            data,
            strb,
            injected,
            log: self.log.len() - 1,
        });
        // W beats that came before their address.
        for w in std::mem::take(&mut self.early_w) {
            self.accept_w(w)?;
        }
        Ok(())
    }

    fn accept_w(&mut self, w: WBeat) -> Result<(), AxiError> {
        let cycle = self.cycle;
        let bw = self.cfg.data_bytes;
        let Some(wb) = self.writes.iter_mut().find(|b| b.received < b.beats) else {
            self.early_w.push_back(w);
            if self.early_w.len() > 1024 {
                return Err(AxiError::WithoutAddress {
                    cycle,
                    beats: self.early_w.len(),
                });
            }
            return Ok(());
        };
        let beat = wb.received;
        let lane_mask: u16 = if bw == 16 { u16::MAX } else { (1u16 << bw) - 1 };
        let mut allowed = lane_mask;
        if beat == 0 {
            let off = (wb.txn.addr % bw as u64) as u16;
            allowed &= lane_mask << off;
        }
        if w.strb & !allowed != 0 {
            return Err(AxiError::StrobeOutside {
                cycle,
                txn: wb.txn,
                beat,
                strb: w.strb,
                allowed,
            });
        }
        let is_last = beat + 1 == wb.beats;
        if w.last && !is_last {
            return Err(AxiError::EarlyWlast {
                cycle,
                txn: wb.txn,
                beat: beat + 1,
                beats: wb.beats,
            });
        }
        if !w.last && is_last {
            return Err(AxiError::MissingWlast {
                cycle,
                txn: wb.txn,
                beats: wb.beats,
            });
        }
        let off = usize::from(beat) * bw;
        wb.data[off..off + bw].copy_from_slice(&w.data.to_le_bytes()[..bw]);
        wb.strb[usize::from(beat)] = w.strb;
        wb.received += 1;
        if is_last {
            self.complete_write();
        }
        Ok(())
    }

    /// The first write burst with all its beats: apply it (per strobe run)
    /// and queue its response.
    fn complete_write(&mut self) {
        let i = self
            .writes
            .iter()
            .position(|b| b.received == b.beats)
            .expect("a complete write burst");
        let wb = self.writes.remove(i).expect("index from position");
        let bw = self.cfg.data_bytes;
        let base = wb.txn.addr - wb.txn.addr % bw as u64;
        let strobed: u64 = wb.strb.iter().map(|s| u64::from(s.count_ones())).sum();
        let (resp, fault) = match wb.injected {
            Some((r, why)) => (r, Some(why)),
            None => {
                let mut res = (Resp::Okay, None);
                let lanes = usize::from(wb.beats) * bw;
                let on = |k: usize| wb.strb[k / bw] & (1 << (k % bw)) != 0;
                // The usual burst: one run of strobed bytes (a partial first
                // and last beat, full beats between): one storage write.
                let first = wb.strb.iter().position(|&s| s != 0);
                let last = wb.strb.iter().rposition(|&s| s != 0);
                let mut k = lanes;
                if let (Some(fb), Some(lb)) = (first, last) {
                    let start = fb * bw + wb.strb[fb].trailing_zeros() as usize;
                    let end = lb * bw + 16 - wb.strb[lb].leading_zeros() as usize;
                    if strobed == (end - start) as u64 {
                        if let Err(f) = self
                            .storage
                            .write(base + start as u64, &wb.data[start..end])
                        {
                            res = (f.resp, Some(f.to_string()));
                        }
                    } else {
                        k = 0;
                    }
                }
                while k < lanes {
                    if !on(k) {
                        k += 1;
                        continue;
                    }
                    let start = k;
                    while k < lanes && on(k) {
                        k += 1;
                    }
                    if let Err(f) = self.storage.write(base + start as u64, &wb.data[start..k]) {
                        res = (f.resp, Some(f.to_string()));
                        break;
                    }
                }
                res
            }
        };
        if let Some(f) = &fault {
            tracing::debug!(cycle = self.cycle, txn = %wb.txn, "write answered {resp:?}: {f}");
        }
        let rec = &mut self.log[wb.log];
        rec.bytes = strobed;
        rec.resp = resp;
        rec.fault = fault;
        self.bs.push(BPending {
            id: wb.txn.id,
            resp,
            ready_at: self.cycle + u64::from(self.cfg.write_latency),
            log: wb.log,
        });
        if self.spare.len() < 16 {
            self.spare.push((wb.data, wb.strb));
        }
    }
}

impl<S> std::fmt::Debug for AxiMem<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AxiMem")
            .field("cycle", &self.cycle)
            .field("reads_in_flight", &self.reads.len())
            .field("writes_in_flight", &(self.writes.len() + self.bs.len()))
            .field("log_len", &self.log.len())
            .finish()
    }
}

/// AXI's rule for a master's channel: a valid that was not taken (`!taken`
/// last cycle) must still be offered this cycle, with the same payload.
fn held<T: PartialEq + std::fmt::Debug>(
    cycle: u64,
    channel: Channel,
    not_taken: bool,
    (was_valid, was): (bool, &T),
    (now_valid, now): (bool, &T),
) -> Result<(), AxiError> {
    if !was_valid || !not_taken {
        return Ok(());
    }
    if !now_valid {
        return Err(AxiError::ValidDropped {
            cycle,
            channel,
            was: format!("{was:?}"),
        });
    }
    if now != was {
        return Err(AxiError::PayloadChanged {
            cycle,
            channel,
            was: format!("{was:?}"),
            now: format!("{now:?}"),
        });
    }
    Ok(())
}

/// The next response to give from `queue` (`(id, ready_at)`, oldest first):
/// the oldest, or with `reorder` the oldest entry of a random ID among the IDs
/// whose oldest entry is ready at `cycle` (AXI orders responses only within
/// an ID).
fn pick_head(
    queue: impl Iterator<Item = (u8, u64)>,
    reorder: bool,
    cycle: u64,
    rng: &mut SplitMix64,
) -> Option<usize> {
    let mut queue = queue.enumerate().peekable();
    queue.peek()?;
    if !reorder {
        return Some(0);
    }
    let mut heads: [Option<usize>; 16] = [None; 16];
    let mut n = 0;
    let mut seen = 0u64;
    for (i, (id, ready_at)) in queue {
        let bit = 1u64 << (id & 63);
        if seen & bit != 0 {
            continue;
        }
        seen |= bit;
        if ready_at <= cycle && n < heads.len() {
            heads[n] = Some(i);
            n += 1;
        }
    }
    if n == 0 {
        return Some(0);
    }
    heads[rng.below(n as u64) as usize]
}
