//! The NIC's hardware/software contract, checked from outside the RTL.
//!
//! [`ContractMonitor`] is a layer of [`crate::Sim`], fed only from what the
//! bus models already see: the register writes and reads on AXI4-Lite
//! ([`AxilEvent`]), the AXI4 handshakes with their data ([`bursts`]), the
//! frames entering the RX stream and leaving the TX stream, and the
//! interrupt line. It knows nothing of the driver or of the RTL's own
//! assertions, so a bug in either cannot silence it. It learns the ring
//! bases and sizes, RX_HEADROOM, MAX_FRAME_LEN, the doorbells and soft
//! reset from the writes ([`regs`]), each descriptor from the read data of
//! the NIC's descriptor fetches ([`ring`]), and checks ARCHITECTURE.md's
//! rules on the RX path ([`rx`]), the TX path ([`tx`]), the completions
//! ([`cpl`]) and the stopped queues, reporting [`RtlViolation`]s
//! (`rtl/...`).
//!
//! Beside it, the transaction-level scoreboard predicts from the stimulus
//! and the settings what the NIC must do: every RX frame completes in
//! order with its exact bytes or is dropped for a reason the stimulus
//! explains, and the drop counters agree ([`frames`]); every TX
//! descriptor's bytes reach the wire ([`tx`]); coalescing raises the
//! interrupt in time and never without a cause ([`irq`]). It reports
//! [`ScoreboardMismatch`]es (`scoreboard/...`).
//!
//! Cost: the step calls it once per cycle with one comparison (the
//! interrupt line and the next timed event) and otherwise only on a
//! handshake. Imports point from here to `bus` (signals) and `nic_hw`;
//! `sim` owns the monitor, nothing here imports `sim`.

pub mod bursts;
mod cpl;
mod frames;
mod irq;
mod mismatch;
mod regs;
mod ring;
mod rx;
mod tx;
mod violation;

#[cfg(test)]
mod tests;

use ::axi::Resp;
use nic_hw::regs::{self as nic_regs, ctrl, irq_status};

use crate::bus::{AxiMasterSignals, AxiSlaveSignals, AxilEvent};
use bursts::{BurstAddr, Bursts, BusEvent, BySeq, ReadData, WriteData};
use frames::RxFrames;
use irq::Coalescing;
pub use irq::{IRQ_TOLERANCE, TIMER_SLACK};
pub use mismatch::{DropReason, IrqCause, ScoreboardMismatch};
use regs::{RegChange, RegView};
use rx::RxSide;
use tx::TxSide;
pub use violation::{CplField, Ring, RtlViolation, TxnKind};

/// Cycles the NIC may take to stop issuing after a DMA error response or
/// a CTRL.SOFT_RESET write: a transaction whose VALID rose later is new.
pub const STOP_SLACK: u64 = 2;

/// How much the monitor checked (so a quiet run can be told from a blind
/// one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checked {
    /// Descriptors seen fetched (RX, TX).
    pub fetched: [u64; 2],
    /// Completion writes checked (RX, TX).
    pub completions: [u64; 2],
    /// RX frames that entered the NIC.
    pub rx_frames: u64,
    /// TX frames compared on the wire.
    pub tx_frames: u64,
    /// Drop-counter reads compared.
    pub counter_reads: u64,
}

/// The contract monitor and the scoreboard of one testbench.
#[derive(Debug)]
pub struct ContractMonitor {
    bus_bytes: usize,
    bursts: Bursts,
    events: Vec<BusEvent>,
    regs: RegView,
    rx: RxSide,
    tx: TxSide,
    frames: RxFrames,
    coal: Coalescing,
    /// Write bursts awaiting their B: seq -> kind.
    writes: BySeq<TxnKind>,
    /// Cycle each queue stopped on a DMA error.
    stopped: [Option<u64>; 2],
    /// Cycle CTRL.SOFT_RESET was written, until the reset is done.
    reset_at: Option<u64>,
    /// A register write taken, awaiting its response: (reg, value, the
    /// doorbell before it).
    taken: Option<(u32, u32, u16)>,
    /// A drop counter read taken: (reason, certain count then).
    counter_read: Option<(DropReason, u64)>,
    /// Cycle RX_DROP was last cleared.
    rx_drop_cleared: Option<u64>,
    rtl: Vec<RtlViolation>,
    sb: Vec<ScoreboardMismatch>,
    finished: bool,
    checked: Checked,
}

fn is_error(r: Resp) -> bool {
    matches!(r, Resp::SlvErr | Resp::DecErr)
}

fn kind_of(write: bool, id: u8) -> Option<TxnKind> {
    Some(match (write, id) {
        (false, 0) => TxnKind::RxDescFetch,
        (false, 1) => TxnKind::TxDescFetch,
        (false, 2) => TxnKind::TxPayloadRead,
        (true, 0) => TxnKind::RxPayloadWrite,
        (true, 1) => TxnKind::RxCplWrite,
        (true, 2) => TxnKind::TxCplWrite,
        _ => return None,
    })
}

impl ContractMonitor {
    /// A monitor for a NIC with `bus_bytes`-wide AXI data, fresh from reset.
    pub fn new(bus_bytes: usize) -> Self {
        Self {
            bus_bytes,
            bursts: Bursts::new(bus_bytes),
            events: Vec::new(),
            regs: RegView::default(),
            rx: RxSide::new(),
            tx: TxSide::new(),
            frames: RxFrames::default(),
            coal: Coalescing::new(),
            writes: BySeq::default(),
            stopped: [None; 2],
            reset_at: None,
            taken: None,
            counter_read: None,
            rx_drop_cleared: None,
            rtl: Vec::new(),
            sb: Vec::new(),
            finished: false,
            checked: Checked::default(),
        }
    }

    /// The contract violations found so far, in the order seen.
    pub fn violations(&self) -> &[RtlViolation] {
        &self.rtl
    }

    /// The scoreboard mismatches found so far, in the order seen.
    pub fn mismatches(&self) -> &[ScoreboardMismatch] {
        &self.sb
    }

    /// How much was checked so far.
    pub fn checked(&self) -> Checked {
        self.checked
    }

    /// The end of the run (the NIC idle, the queues stopped): every RX
    /// frame still waiting was dropped and needs a reason, every TX frame
    /// read must have reached the wire. Once; later calls do nothing.
    pub fn finish(&mut self, cycle: u64) {
        if std::mem::replace(&mut self.finished, true) {
            return;
        }
        self.frames.finish(self.rx.head(), cycle, &mut self.sb);
        if self.stopped[Ring::Tx as usize].is_none() {
            for f in self.tx.wire.drain(..) {
                self.sb.push(ScoreboardMismatch::TxFrameMissing {
                    idx: f.idx,
                    len: f.data.len(),
                    cycle,
                });
            }
        }
    }

    /// `rst_ni` went low: everything restarts from the reset values.
    pub fn hard_reset(&mut self) {
        self.clear();
        self.bursts = Bursts::new(self.bus_bytes);
        self.writes.clear();
    }

    fn clear(&mut self) {
        self.regs = RegView::default();
        self.rx.restart();
        self.tx.restart();
        self.tx.wire.clear();
        self.frames.reset();
        self.coal = Coalescing::new();
        self.stopped = [None; 2];
        self.reset_at = None;
    }

    /// Once per cycle: the interrupt line sampled at `cycle`.
    #[inline]
    pub fn on_cycle(&mut self, cycle: u64, irq: bool) {
        let frames = &self.frames;
        let cleared = self.rx_drop_cleared;
        self.coal.line(
            cycle,
            irq,
            &self.regs,
            || {
                frames.unresolved() > 0
                    || frames
                        .last_drop
                        .is_some_and(|d| cleared.is_none_or(|c| d >= c))
            },
            &mut self.sb,
        );
        if self.reset_at.is_some() {
            self.reset_progress(cycle);
        }
    }

    #[cold]
    fn reset_progress(&mut self, cycle: u64) {
        let Some(r) = self.reset_at else { return };
        if cycle > r + STOP_SLACK && self.bursts.in_flight() == (0, 0) {
            self.clear();
        }
    }

    /// The AXI4 channels at `cycle`: the NIC's outputs and the memory
    /// slave's, as sampled before the edge.
    #[inline]
    pub fn axi(&mut self, cycle: u64, m: &AxiMasterSignals, s: &AxiSlaveSignals) {
        if Bursts::active(m, s) {
            self.handshakes(cycle, m, s);
        }
    }

    fn handshakes(&mut self, cycle: u64, m: &AxiMasterSignals, s: &AxiSlaveSignals) {
        let mut events = std::mem::take(&mut self.events);
        self.bursts.observe(cycle, m, s, &mut events);
        for e in events.drain(..) {
            match e {
                BusEvent::WriteIssued(a) => self.issued(true, &a),
                BusEvent::ReadIssued(a) => self.issued(false, &a),
                BusEvent::WriteData(w) => self.write_data(&w),
                BusEvent::WriteResp {
                    seq, resp, cycle, ..
                } => self.write_resp(seq, resp, cycle),
                BusEvent::ReadBeat {
                    seq,
                    id,
                    data,
                    resp,
                } => self.read_beat(seq, id, data, resp),
                BusEvent::ReadDone(r) => self.read_done(&r),
            }
        }
        self.events = events;
    }

    fn issued(&mut self, write: bool, a: &BurstAddr) {
        let Some(kind) = kind_of(write, a.id) else {
            self.rtl.push(RtlViolation::UnknownId {
                write,
                id: a.id,
                addr: a.addr,
                cycle: a.issued,
            });
            return;
        };
        if write {
            self.writes.insert(a.seq, kind);
        }
        if let Some(e) = self.stopped[kind.ring() as usize] {
            if a.issued > e + STOP_SLACK {
                self.rtl.push(RtlViolation::AfterDmaError {
                    kind,
                    addr: a.addr,
                    error_cycle: e,
                    cycle: a.issued,
                });
            }
        }
        if let Some(r) = self.reset_at {
            if a.issued > r + STOP_SLACK {
                self.rtl.push(RtlViolation::DuringSoftReset {
                    kind,
                    addr: a.addr,
                    reset_cycle: r,
                    cycle: a.issued,
                });
            }
        }
        let bw = self.bus_bytes;
        if matches!(kind, TxnKind::RxDescFetch | TxnKind::TxDescFetch) {
            let n = (usize::from(a.beats) * bw / nic_hw::wire::Descriptor::SIZE).max(1);
            self.checked.fetched[kind.ring() as usize] += n as u64;
        }
        match kind {
            TxnKind::RxDescFetch => self.rx.ring.fetch_issued(a, bw, &self.regs, &mut self.rtl),
            TxnKind::TxDescFetch => self.tx.ring.fetch_issued(a, bw, &self.regs, &mut self.rtl),
            TxnKind::TxPayloadRead => self.tx.read_issued(a, bw, &mut self.rtl),
            _ => {}
        }
    }

    fn write_data(&mut self, w: &WriteData) {
        let bw = self.bus_bytes;
        match self.writes.get(w.addr.seq) {
            Some(TxnKind::RxPayloadWrite) => self.rx.payload(w, bw, &self.regs, &mut self.rtl),
            Some(TxnKind::RxCplWrite) => match cpl::decode(Ring::Rx, w, bw) {
                Ok(c) => {
                    self.checked.completions[0] += 1;
                    self.rx.completion(
                        &c,
                        &self.regs,
                        &mut self.frames,
                        &mut self.rtl,
                        &mut self.sb,
                    );
                }
                Err(v) => self.rtl.push(v),
            },
            Some(TxnKind::TxCplWrite) => match cpl::decode(Ring::Tx, w, bw) {
                Ok(c) => {
                    self.checked.completions[1] += 1;
                    self.tx
                        .completion(&c, &self.regs, &mut self.rtl, &mut self.sb);
                }
                Err(v) => self.rtl.push(v),
            },
            _ => {}
        }
    }

    fn write_resp(&mut self, seq: u64, resp: Resp, cycle: u64) {
        let Some(kind) = self.writes.remove(seq) else {
            return;
        };
        self.rx.payload_resp(seq, cycle);
        if is_error(resp) {
            self.dma_error(kind.ring(), cycle);
            return;
        }
        match kind {
            TxnKind::RxCplWrite => self.coal.ack(IrqCause::RxCq, cycle, &self.regs),
            TxnKind::TxCplWrite => self.coal.ack(IrqCause::TxCq, cycle, &self.regs),
            _ => {}
        }
    }

    fn read_beat(&mut self, seq: u64, id: u8, data: u128, resp: Resp) {
        let bw = self.bus_bytes;
        match id {
            0 => self.rx.ring.fetch_beat(seq, data, resp, bw),
            1 => self.tx.ring.fetch_beat(seq, data, resp, bw),
            _ => {}
        }
    }

    fn read_done(&mut self, r: &ReadData) {
        let bw = self.bus_bytes;
        match r.addr.id {
            0 => self.rx.ring.fetch_done(r.addr.seq),
            1 => self.tx.ring.fetch_done(r.addr.seq),
            2 => {
                if let Some(f) = self.tx.read_done(r, bw) {
                    if self.regs.loopback() {
                        let reasons = self.rx_reasons(true);
                        self.frames
                            .enter(f.data, f.cycle, reasons, self.regs.max_frame_len);
                    } else {
                        self.tx.wire.push_back(f);
                    }
                }
            }
            _ => return,
        }
        if is_error(r.resp) {
            let ring = if r.addr.id == 0 { Ring::Rx } else { Ring::Tx };
            self.dma_error(ring, r.cycle);
        }
    }

    fn dma_error(&mut self, ring: Ring, cycle: u64) {
        self.stopped[ring as usize].get_or_insert(cycle);
        self.coal.dma_err = true;
        if ring == Ring::Rx {
            self.frames.allow(DropReason::DmaErr);
            self.frames.allow(DropReason::Off);
            self.rx.errored = true;
        }
    }

    /// The drop reasons plausible for a frame entering now.
    fn rx_reasons(&self, looped: bool) -> u8 {
        let mut r = 0;
        let off = !self.regs.enabled()
            || self.reset_at.is_some()
            || self.stopped[Ring::Rx as usize].is_some()
            || (self.regs.loopback() && !looped);
        if off {
            r |= DropReason::Off.bit();
        }
        if self.stopped[Ring::Rx as usize].is_some() {
            r |= DropReason::DmaErr.bit();
        }
        r
    }

    /// A frame entered the NIC's RX stream (its last beat's handshake at
    /// `cycle`).
    pub fn rx_frame_in(&mut self, cycle: u64, data: &[u8]) {
        let reasons = self.rx_reasons(false);
        self.checked.rx_frames += 1;
        self.frames
            .enter(data.to_vec(), cycle, reasons, self.regs.max_frame_len);
    }

    /// A frame left the NIC's TX stream.
    pub fn tx_frame_out(&mut self, cycle: u64, data: &[u8]) {
        self.checked.tx_frames += 1;
        self.tx.frame_out(data, cycle, &mut self.sb);
    }

    /// What the register bus did at `cycle`.
    pub fn register(&mut self, cycle: u64, ev: AxilEvent) {
        match ev {
            AxilEvent::WriteTaken { reg, value } => self.write_taken(reg, value, cycle),
            AxilEvent::WriteDone { reg, value, resp } => {
                if self.taken.is_none() {
                    self.write_taken(reg, value, cycle);
                }
                self.write_done(resp, cycle);
            }
            AxilEvent::ReadTaken { reg } => {
                self.counter_read =
                    DropReason::of_register(reg).map(|r| (r, self.frames.certain(r)));
            }
            AxilEvent::ReadDone { reg, value, resp } => {
                if let Some((reason, min)) = self.counter_read.take() {
                    if reason.register() == reg && !is_error(resp) {
                        self.checked.counter_reads += 1;
                        self.frames
                            .check_counter(reason, value, min, cycle, &mut self.sb);
                    }
                }
            }
        }
    }

    fn write_taken(&mut self, reg: u32, value: u32, cycle: u64) {
        let mut before = 0;
        match reg {
            nic_regs::RX_PROD => {
                before = self.rx.ring.doorbell();
                let size = self.regs.ring_size(Ring::Rx);
                self.rx.ring.post(value as u16, size, cycle);
            }
            nic_regs::TX_PROD => {
                before = self.tx.ring.doorbell();
                let size = self.regs.ring_size(Ring::Tx);
                self.tx.ring.post(value as u16, size, cycle);
            }
            nic_regs::CTRL => {
                if value & ctrl::SOFT_RESET != 0 {
                    self.reset_at.get_or_insert(cycle);
                }
                if value & ctrl::ENABLE == 0 || value & ctrl::LOOPBACK != 0 {
                    self.frames.allow(DropReason::Off);
                }
            }
            nic_regs::IRQ_STATUS => {
                self.coal.driver_write(cycle, value);
                if value & irq_status::RX_DROP != 0 {
                    self.rx_drop_cleared = Some(cycle);
                }
            }
            nic_regs::IRQ_MASK => self.coal.driver_write(cycle, 0),
            _ => {}
        }
        self.taken = Some((reg, value, before));
    }

    fn write_done(&mut self, resp: Resp, cycle: u64) {
        let Some((reg, value, before)) = self.taken.take() else {
            return;
        };
        if is_error(resp) {
            match reg {
                nic_regs::RX_PROD => self.rx.ring.unpost(before),
                nic_regs::TX_PROD => self.tx.ring.unpost(before),
                _ => {}
            }
            return;
        }
        match self.regs.apply(reg, value) {
            RegChange::RingSize(Ring::Rx) => self.rx.restart(),
            RegChange::RingSize(Ring::Tx) => self.tx.restart(),
            RegChange::Coalescing => self.coal.restart(cycle),
            RegChange::Mask | RegChange::None => {}
        }
        if reg == nic_regs::MAX_FRAME_LEN {
            self.frames.max_len_changed(value);
        }
    }
}
