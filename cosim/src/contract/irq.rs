//! The scoreboard's interrupt side: from the acknowledged completion
//! writes and the coalescing settings it predicts when IRQ_STATUS.RX_CQ /
//! TX_CQ must rise, and checks the interrupt line against it.
//!
//! Tolerances: the line must be high within [`IRQ_TOLERANCE`] cycles of
//! the cycle a cause is due (the completion's B handshake that reaches
//! `max(IRQ_COAL_FRAMES, 1)`, or the oldest pending B plus
//! `IRQ_COAL_CYCLES`), unless the cause was masked, or the driver wrote
//! IRQ_MASK or cleared the cause, within that window. Acknowledgements
//! within [`TIMER_SLACK`] cycles of a timer expiry may fall in either batch:
//! they are left out of the next batch's count, and the line may rise for
//! them for one timer period more. A rise with no cause possibly set (no
//! completion pending or signalled and not cleared, no DMA error, no RX
//! frame that may have been dropped) is spurious.

use nic_hw::regs::irq_status;

use super::mismatch::{IrqCause, ScoreboardMismatch};
use super::regs::RegView;

/// Cycles from a coalescing cause being due to the line being high.
pub const IRQ_TOLERANCE: u64 = 8;
/// Cycles either side of a timer expiry whose acknowledgements are
/// ambiguous.
pub const TIMER_SLACK: u64 = 4;

#[derive(Debug, Clone, Copy, Default)]
struct Direction {
    pending: u32,
    oldest: Option<u64>,
    /// Predicted IRQ_STATUS bit (set, not yet cleared by the driver).
    status: bool,
    /// Due and unmasked: the line must be high by `due + IRQ_TOLERANCE`.
    due: Option<u64>,
    /// The last time the cause became due.
    last_due: Option<u64>,
    /// Until then the cause may be set although the count says not.
    maybe_until: u64,
    /// Acknowledgements up to then are ambiguous (not counted).
    ambiguous_until: u64,
    last_ack: Option<u64>,
}

/// The coalescing prediction and the line's history.
#[derive(Debug, Default)]
pub struct Coalescing {
    dirs: [Direction; 2],
    level: bool,
    last_high: Option<u64>,
    /// The next cycle something is due (a timer, a deadline).
    next_event: u64,
    /// A DMA error response seen since DMA_ERR was last cleared.
    pub dma_err: bool,
    /// Cycle of the last IRQ_MASK write or IRQ_STATUS clear.
    last_driver_write: Option<u64>,
}

fn bit(c: IrqCause) -> u32 {
    match c {
        IrqCause::RxCq => irq_status::RX_CQ,
        IrqCause::TxCq => irq_status::TX_CQ,
    }
}

const CAUSES: [IrqCause; 2] = [IrqCause::RxCq, IrqCause::TxCq];

impl Coalescing {
    pub fn new() -> Self {
        Self {
            next_event: u64::MAX,
            ..Self::default()
        }
    }

    /// Forgets every pending count (reset, settings changed at `cycle`).
    pub fn restart(&mut self, cycle: u64) {
        for d in &mut self.dirs {
            *d = Direction {
                status: d.status,
                maybe_until: cycle + IRQ_TOLERANCE,
                ambiguous_until: cycle + TIMER_SLACK,
                ..Direction::default()
            };
        }
        self.next_event = u64::MAX;
    }

    /// A completion write of `cause`'s direction was acknowledged OKAY.
    pub fn ack(&mut self, cause: IrqCause, cycle: u64, regs: &RegView) {
        let d = &mut self.dirs[cause as usize];
        d.last_ack = Some(cycle);
        if cycle <= d.ambiguous_until {
            d.maybe_until = d
                .maybe_until
                .max(cycle + u64::from(regs.coal_cycles) + IRQ_TOLERANCE);
            return;
        }
        d.pending += 1;
        d.oldest.get_or_insert(cycle);
        if d.pending >= regs.coal_frames.max(1) {
            self.fire(cause, cycle, regs);
        } else if regs.coal_cycles > 0 {
            self.next_event = self
                .next_event
                .min(d.oldest.unwrap_or(cycle) + u64::from(regs.coal_cycles));
        }
    }

    fn fire(&mut self, cause: IrqCause, at: u64, regs: &RegView) {
        let d = &mut self.dirs[cause as usize];
        d.pending = 0;
        d.oldest = None;
        d.status = true;
        d.last_due = Some(at);
        if regs.irq_mask & bit(cause) == 0 && d.due.is_none() {
            d.due = Some(at);
            self.next_event = self.next_event.min(at + IRQ_TOLERANCE);
        }
    }

    /// The driver wrote IRQ_MASK, or cleared `bits` of IRQ_STATUS (the NIC
    /// took the write at `cycle`).
    pub fn driver_write(&mut self, cycle: u64, cleared: u32) {
        self.last_driver_write = Some(cycle);
        for c in CAUSES {
            let d = &mut self.dirs[c as usize];
            if cleared & bit(c) != 0 {
                // An event in the same cycle as the clear wins.
                if d.last_due.is_some_and(|t| t + IRQ_TOLERANCE >= cycle) {
                    d.maybe_until = d.maybe_until.max(cycle + IRQ_TOLERANCE);
                }
                d.status = false;
            }
        }
        if cleared & irq_status::DMA_ERR != 0 {
            self.dma_err = false;
        }
    }

    /// The line's level sampled at `cycle`; `rx_drop_possible`: an RX
    /// frame may have been dropped since RX_DROP was last cleared.
    #[inline]
    pub fn line(
        &mut self,
        cycle: u64,
        level: bool,
        regs: &RegView,
        rx_drop_possible: impl FnOnce() -> bool,
        out: &mut Vec<ScoreboardMismatch>,
    ) {
        if level {
            if !self.level && !self.explained(cycle) && !rx_drop_possible() {
                out.push(ScoreboardMismatch::IrqSpurious {
                    mask: regs.irq_mask,
                    cycle,
                });
            }
            self.last_high = Some(cycle);
        }
        self.level = level;
        if cycle >= self.next_event {
            self.due_now(cycle, regs, out);
        }
    }

    fn explained(&self, cycle: u64) -> bool {
        self.dma_err
            || self
                .last_driver_write
                .is_some_and(|t| t + IRQ_TOLERANCE >= cycle)
            || self
                .dirs
                .iter()
                .any(|d| d.status || d.pending > 0 || d.maybe_until >= cycle)
    }

    #[cold]
    fn due_now(&mut self, cycle: u64, regs: &RegView, out: &mut Vec<ScoreboardMismatch>) {
        self.next_event = u64::MAX;
        for c in CAUSES {
            let i = c as usize;
            if regs.coal_cycles > 0 {
                if let Some(o) = self.dirs[i].oldest {
                    let t = o + u64::from(regs.coal_cycles);
                    if cycle >= t {
                        let d = &mut self.dirs[i];
                        d.ambiguous_until = t + TIMER_SLACK;
                        if d.last_ack.is_some_and(|a| a + TIMER_SLACK >= t) {
                            d.maybe_until = d
                                .maybe_until
                                .max(t + u64::from(regs.coal_cycles) + IRQ_TOLERANCE);
                        }
                        self.fire(c, t, regs);
                    } else {
                        self.next_event = self.next_event.min(t);
                    }
                }
            }
            let Some(due) = self.dirs[i].due else {
                continue;
            };
            let deadline = due + IRQ_TOLERANCE;
            if cycle < deadline {
                self.next_event = self.next_event.min(deadline);
                continue;
            }
            self.dirs[i].due = None;
            let seen = self.level || self.last_high.is_some_and(|h| h >= due);
            let excused = regs.irq_mask & bit(c) != 0
                || self
                    .last_driver_write
                    .is_some_and(|w| w + IRQ_TOLERANCE >= due);
            if !seen && !excused {
                out.push(ScoreboardMismatch::IrqLate {
                    cause: c,
                    due,
                    deadline,
                    cycle,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regs(frames: u32, cycles: u32) -> RegView {
        let mut r = RegView::default();
        r.apply(nic_hw::regs::IRQ_MASK, 0);
        r.apply(nic_hw::regs::IRQ_COAL_FRAMES, frames);
        r.apply(nic_hw::regs::IRQ_COAL_CYCLES, cycles);
        r
    }

    fn run(
        c: &mut Coalescing,
        r: &RegView,
        from: u64,
        to: u64,
        high_from: Option<u64>,
    ) -> Vec<ScoreboardMismatch> {
        let mut out = Vec::new();
        for cy in from..to {
            c.line(
                cy,
                high_from.is_some_and(|h| cy >= h),
                r,
                || false,
                &mut out,
            );
        }
        out
    }

    #[test]
    fn the_frame_count_raises_the_line_within_the_tolerance() {
        let r = regs(2, 0);
        let mut c = Coalescing::new();
        c.ack(IrqCause::RxCq, 10, &r);
        assert!(
            run(&mut c, &r, 10, 20, None).is_empty(),
            "one of two: not due"
        );
        c.ack(IrqCause::RxCq, 20, &r);
        assert!(run(&mut c, &r, 20, 40, Some(22)).is_empty());
        let mut c = Coalescing::new();
        c.ack(IrqCause::RxCq, 10, &r);
        c.ack(IrqCause::RxCq, 12, &r);
        let out = run(&mut c, &r, 10, 40, None);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].class(), "scoreboard/irq-late", "{}", out[0]);
    }

    #[test]
    fn the_timer_raises_the_line_and_masking_excuses_it() {
        let r = regs(16, 100);
        let mut c = Coalescing::new();
        c.ack(IrqCause::TxCq, 10, &r);
        assert!(run(&mut c, &r, 10, 150, Some(111)).is_empty());
        let mut c = Coalescing::new();
        c.ack(IrqCause::TxCq, 10, &r);
        let out = run(&mut c, &r, 10, 150, None);
        assert_eq!(out[0].class(), "scoreboard/irq-late");
        let mut masked = r.clone();
        masked.apply(nic_hw::regs::IRQ_MASK, 0xf);
        let mut c = Coalescing::new();
        c.ack(IrqCause::TxCq, 10, &masked);
        assert!(run(&mut c, &masked, 10, 150, None).is_empty());
    }

    #[test]
    fn a_rise_with_nothing_pending_is_spurious() {
        let r = regs(1, 0);
        let mut c = Coalescing::new();
        let out = run(&mut c, &r, 0, 20, Some(5));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].class(), "scoreboard/irq-spurious");
        let mut c = Coalescing::new();
        c.ack(IrqCause::RxCq, 3, &r);
        assert!(run(&mut c, &r, 3, 20, Some(5)).is_empty());
    }
}
