//! The traffic loop: offers the scenario's frames (wire in, driver xmit,
//! the stack's echoes) in bursts, clocks the NIC and the driver, injects the
//! scenario's faults, and ends once everything is quiet or the cycle
//! budget is spent.

use hostdriver::{NicDevice, TxError};
use pool::FailureInjection;

use super::bench::{Bench, Drv};
use super::format::{Consume, Direction, Scenario};
use super::frames::frame_hash;
use super::options::{Progress, RunOptions};
use super::stack::other_napi_id;
use super::updown::{Transition, UpDown};
use super::wire::WireCounts;

/// Cycles per loop step (the driver services interrupts after each).
const QUANTUM: u64 = 16;
/// Quiet cycles that end a run once everything is idle.
const QUIET: u64 = 2000;
/// Frames queued in the wire source at most.
const SOURCE_QUEUE: usize = 256;

/// What the traffic loop offered, saw and found.
pub(super) struct TrafficLoop<'s> {
    sc: &'s Scenario,
    /// The frames to offer.
    pub(super) frames: Vec<Vec<u8>>,
    /// Frames offered on the wire (RX) and by xmit (TX, loopback).
    pub(super) rx_n: usize,
    pub(super) tx_n: usize,
    burst: usize,
    max_cycles: u64,
    pub(super) rx_next: usize,
    /// Frames the driver accepted for transmit so far.
    pub(super) tx_next: usize,
    in_burst: usize,
    gap_from: Option<u64>,
    sent_seen: u64,
    starving: bool,
    numa_switched: bool,
    quiet: u64,
    /// Frames the stack sent back out.
    pub(super) echoed: u64,
    last_activity: (u64, u64, u64, u64),
    next_progress: u64,
    /// Frames and bytes each way.
    pub(super) wire: WireCounts,
    /// Hashes of the frames the NIC sent out, in order.
    pub(super) out_hashes: Vec<u64>,
    /// `faults.down_at_frames`: the interface down and up under traffic.
    pub(super) updown: UpDown,
}

/// Whether the loop goes on.
enum Step {
    Continue,
    Done,
}

impl<'s> TrafficLoop<'s> {
    /// The loop's state for `sc` sending `frames`.
    pub(super) fn new(sc: &'s Scenario, frames: Vec<Vec<u8>>) -> Self {
        let t = &sc.traffic;
        let n = frames.len();
        let (rx_n, tx_n) = match t.direction {
            Direction::Rx => (n, 0),
            Direction::Tx | Direction::Loopback => (0, n),
        };
        let burst = if t.burst == 0 {
            usize::MAX
        } else {
            t.burst as usize
        };
        let bursts = if t.burst == 0 { 1 } else { n / burst + 1 } as u64;
        let updown = UpDown::new(&sc.faults);
        TrafficLoop {
            sc,
            frames,
            rx_n,
            tx_n,
            burst,
            max_cycles: 2_000_000 + n as u64 * 20_000 + bursts * t.gap_cycles + updown.budget(),
            rx_next: 0,
            tx_next: 0,
            in_burst: 0,
            gap_from: None,
            sent_seen: 0,
            starving: false,
            numa_switched: false,
            quiet: 0,
            echoed: 0,
            last_activity: (0, 0, 0, 0),
            next_progress: 0,
            wire: WireCounts::default(),
            out_hashes: Vec::new(),
            updown,
        }
    }

    /// Runs the loop to its end; the failure that ended it early, if any.
    pub(super) fn run(&mut self, b: &mut Bench, opts: &mut RunOptions<'_>) -> Option<String> {
        loop {
            self.gap(&b.drv);
            let mut failure = None;
            for offer in [Self::offer_rx, Self::offer_tx, Self::offer_echoes] {
                if let Err(e) = offer(self, b) {
                    failure = Some(e);
                }
            }
            if failure.is_some() {
                return failure;
            }
            if let Err(e) = b.drv.run_for(QUANTUM, QUANTUM) {
                return Some(format!("cycle {}: {e}", b.drv.dev().cycle()));
            }
            let cycle = b.drv.dev().cycle();
            if let Err(e) = self.frames_left_the_source(&mut b.drv) {
                return Some(e);
            }
            if let Err(e) = self.down_up(&mut b.drv) {
                return Some(e);
            }
            match self.sc.stack.consume {
                Consume::Process => {
                    let skbs = b.drv.drain_rx();
                    let mut st = b.stack.borrow_mut();
                    for skb in skbs {
                        st.in_process(skb);
                    }
                }
                Consume::OtherNapi => {
                    if let Err(e) = other_napi_poll(b) {
                        return Some(format!("cycle {cycle}: {e}"));
                    }
                }
                Consume::Napi => {}
            }
            self.take_wire_out(&mut b.drv);
            self.report_progress(&b.drv, opts);
            match self.settled(b) {
                Ok(Step::Done) => return None,
                Ok(Step::Continue) => {}
                Err(e) => return Some(e),
            }
            if cycle > self.max_cycles {
                return Some(self.not_settled(&b.drv));
            }
        }
    }

    /// Ends a burst's gap once the NIC and TX are idle for `gap_cycles`.
    fn gap(&mut self, drv: &Drv) {
        if self.in_burst < self.burst {
            return;
        }
        let cycle = drv.dev().cycle();
        let idle = drv.dev().inner().rx().is_idle() && drv.tx_in_flight() == 0;
        if idle {
            let from = *self.gap_from.get_or_insert(cycle);
            if cycle >= from + self.sc.traffic.gap_cycles {
                self.in_burst = 0;
                self.gap_from = None;
            }
        }
    }

    /// The wire's RX side: frames into the source, up to its queue.
    fn offer_rx(&mut self, b: &mut Bench) -> Result<(), String> {
        let drv = &mut b.drv;
        while self.rx_next < self.rx_n
            && self.in_burst < self.burst
            && drv.dev().inner().rx().pending() < SOURCE_QUEUE
        {
            drv.dev_mut()
                .inner_mut()
                .send_frame(self.frames[self.rx_next].clone())
                .map_err(|e| format!("wire source: {e}"))?;
            self.rx_next += 1;
            self.in_burst += 1;
        }
        Ok(())
    }

    /// The driver's transmits, until the ring is full (none while the
    /// interface is down).
    fn offer_tx(&mut self, b: &mut Bench) -> Result<(), String> {
        while !self.updown.is_down() && self.tx_next < self.tx_n && self.in_burst < self.burst {
            match b.drv.xmit(&self.frames[self.tx_next]) {
                Ok(()) => {
                    self.wire.xmit_frames += 1;
                    self.wire.xmit_bytes += self.frames[self.tx_next].len() as u64;
                    self.tx_next += 1;
                    self.in_burst += 1;
                }
                Err(TxError::Busy { .. } | TxError::NoMem(_)) => break,
                Err(e) => return Err(format!("xmit of frame {}: {e}", self.tx_next)),
            }
        }
        Ok(())
    }

    /// The stack's echoes, until the ring is full (they wait while the
    /// interface is down).
    fn offer_echoes(&mut self, b: &mut Bench) -> Result<(), String> {
        while !self.updown.is_down() {
            let Some(f) = b
                .stack
                .borrow_mut()
                .echo
                .as_mut()
                .and_then(|q| q.pop_front())
            else {
                return Ok(());
            };
            match b.drv.xmit(&f) {
                Ok(()) => {
                    self.wire.xmit_frames += 1;
                    self.wire.xmit_bytes += f.len() as u64;
                    self.echoed += 1;
                }
                Err(TxError::Busy { .. } | TxError::NoMem(_)) => {
                    if let Some(q) = b.stack.borrow_mut().echo.as_mut() {
                        q.push_front(f);
                    }
                    return Ok(());
                }
                Err(e) => return Err(format!("echo xmit: {e}")),
            }
        }
        Ok(())
    }

    /// Counts the frames that left the wire source during this step, and
    /// fires the faults they trigger.
    fn frames_left_the_source(&mut self, drv: &mut Drv) -> Result<(), String> {
        let cycle = drv.dev().cycle();
        let sent = drv.dev().inner().rx().sent();
        if sent <= self.sent_seen {
            return Ok(());
        }
        for fr in &self.frames[self.sent_seen as usize..sent as usize] {
            self.wire.rx_frames += 1;
            self.wire.rx_bytes += fr.len() as u64;
        }
        self.sent_seen = sent;
        self.frame_triggered_faults(drv, cycle, sent)
    }

    /// `[faults]`: RX pool starvation and the NUMA switch, by frames sent.
    fn frame_triggered_faults(
        &mut self,
        drv: &mut Drv,
        cycle: u64,
        sent: u64,
    ) -> Result<(), String> {
        let f = &self.sc.faults;
        let s32 = sent.min(u64::from(u32::MAX)) as u32;
        if let Some(from) = f.starve_from_frame {
            let until = f.starve_until_frame.unwrap_or(u32::MAX);
            let want = s32 >= from && s32 < until;
            if want != self.starving {
                self.starving = want;
                let mode = if want {
                    FailureInjection::NextN(u64::MAX)
                } else {
                    FailureInjection::Off
                };
                tracing::info!(
                    cycle,
                    sent,
                    starving = self.starving,
                    "scenario: RX pool allocation failures"
                );
                drv.inject_rx_alloc_failures(mode)
                    .map_err(|e| format!("failure injection: {e}"))?;
            }
        }
        if let Some(at) = f.numa_switch_at_frame {
            if !self.numa_switched && s32 >= at {
                self.numa_switched = true;
                tracing::info!(cycle, sent, "scenario: current CPU moves to NUMA node 1");
                drv.host_mem()
                    .set_local_node(1)
                    .map_err(|e| format!("NUMA switch: {e}"))?;
            }
        }
        Ok(())
    }

    /// `faults.down_at_frames`: the interface down once the next frame
    /// count has left the wire, up again after `down_cycles`; a reopened
    /// RX pool starves on as the old one did.
    fn down_up(&mut self, drv: &mut Drv) -> Result<(), String> {
        if self.updown.step(drv, self.sent_seen)? == Transition::Reopened && self.starving {
            drv.inject_rx_alloc_failures(FailureInjection::NextN(u64::MAX))
                .map_err(|e| format!("failure injection: {e}"))?;
        }
        Ok(())
    }

    /// The wire's TX side: the frames the NIC sent.
    pub(super) fn take_wire_out(&mut self, drv: &mut Drv) {
        for fr in drv.dev_mut().inner_mut().take_tx_frames() {
            self.wire.tx_frames += 1;
            self.wire.tx_bytes += fr.data.len() as u64;
            self.out_hashes.push(frame_hash(&fr.data));
        }
    }

    fn report_progress(&mut self, drv: &Drv, opts: &mut RunOptions<'_>) {
        let cycle = drv.dev().cycle();
        if let Some(p) = opts.progress.as_mut() {
            if cycle >= self.next_progress {
                self.next_progress = cycle + 8192;
                p(&Progress {
                    offered: self.sent_seen + self.tx_next as u64,
                    total: self.frames.len() as u64,
                    cycle,
                });
            }
        }
    }

    /// Done once every frame was offered, nothing moved for [`QUIET`]
    /// cycles and the NIC reports idle.
    fn settled(&mut self, b: &mut Bench) -> Result<Step, String> {
        let drv = &mut b.drv;
        let echo_pending = b
            .stack
            .borrow()
            .echo
            .as_ref()
            .is_some_and(|q| !q.is_empty());
        let idle = self.rx_next == self.rx_n
            && self.updown.finished()
            && self.tx_next == self.tx_n
            && !echo_pending
            && drv.dev().inner().rx().is_idle()
            && !drv.napi_scheduled()
            && drv.tx_in_flight() == 0
            && drv.tx_backlog_len() == 0
            && !drv.dev().irq_asserted();
        let ds = drv.stats();
        let activity = (ds.rx_packets, ds.tx_packets, ds.irqs, ds.napi_polls);
        let mut step = Step::Continue;
        if idle && activity == self.last_activity {
            self.quiet += QUANTUM;
            if self.quiet >= QUIET {
                // Nothing moved for a while: done if the NIC is idle too.
                match drv.dev_mut().mmio_read(nic_hw::regs::STATUS) {
                    Ok(st) if st & nic_hw::regs::status::IDLE != 0 => step = Step::Done,
                    Ok(_) => self.quiet = 0,
                    Err(e) => return Err(format!("reading STATUS: {e}")),
                }
            }
        } else {
            self.quiet = 0;
        }
        self.last_activity = activity;
        Ok(step)
    }

    fn not_settled(&self, drv: &Drv) -> String {
        format!(
            "did not settle within {} cycles: {} of {} frames offered on the wire, {} of {} transmitted, {} TX in flight, NAPI scheduled {}",
            self.max_cycles,
            self.rx_next,
            self.rx_n,
            self.tx_next,
            self.tx_n,
            drv.tx_in_flight(),
            drv.napi_scheduled()
        )
    }
}

/// `consume = "other_napi"`: the poll of the bench's other NAPI instance,
/// after the driver's: the skbs the driver's poll handed on (its socket
/// queue) are consumed there, in a NAPI context of the RX pool that is not
/// the pool's own NAPI.
fn other_napi_poll(b: &mut Bench) -> Result<(), String> {
    let skbs = b.drv.drain_rx();
    if skbs.is_empty() {
        return Ok(());
    }
    let napi = other_napi_id(b.drv.config().napi_id);
    let mut ctx = b
        .drv
        .rx_pool_in_other_napi(napi)
        .ok_or("the other NAPI's poll: the driver has no RX pool (closed)")?;
    let mut st = b.stack.borrow_mut();
    for skb in skbs {
        st.in_napi(skb, &mut ctx);
    }
    Ok(())
}
