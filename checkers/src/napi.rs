//! The NAPI contract, from the steps the driver reports, the interrupt
//! register writes it makes and the completion ring in memory: a poll runs
//! only while NAPI is scheduled and never does more than its budget (the
//! RX completions it consumed are counted independently of what it
//! reports), NAPI completes only below the budget, the interrupt is
//! unmasked only after complete, IRQ_STATUS is acknowledged while masked
//! (before the final re-check of the rings), and no completion whose cause
//! was already acknowledged is left pending at the unmask.
//!
//! RX completions consumed are bounded from below by the doorbells: slot
//! `i` can be posted again only after completion `i - size` was consumed.
//! The driver's own count (`NapiEvent::Poll::done`) is taken when larger.

use std::fmt;

use hostdriver::NapiEvent;
use nic_hw::regs::irq_status;

use crate::view::RingView;

/// The rules of the NAPI contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NapiRule {
    /// A poll started while NAPI was not scheduled.
    PollNotScheduled,
    /// A poll reported more work than its budget.
    OverBudgetReported,
    /// A poll consumed more RX completions than its budget.
    OverBudgetConsumed,
    /// NAPI completed although the poll used its whole budget.
    CompleteAtFullBudget,
    /// The interrupt was unmasked while NAPI was still scheduled.
    UnmaskWhileScheduled,
    /// IRQ_STATUS acknowledged while the cause was unmasked and NAPI idle.
    AckAfterUnmask,
    /// Unmasked with a completion pending whose cause was acknowledged.
    UnmaskWithAckedPending,
}

impl NapiRule {
    /// The stable class name.
    pub fn class(self) -> &'static str {
        match self {
            NapiRule::PollNotScheduled => "napi/poll-not-scheduled",
            NapiRule::OverBudgetReported => "napi/over-budget-reported",
            NapiRule::OverBudgetConsumed => "napi/over-budget-consumed",
            NapiRule::CompleteAtFullBudget => "napi/complete-at-full-budget",
            NapiRule::UnmaskWhileScheduled => "napi/unmask-while-scheduled",
            NapiRule::AckAfterUnmask => "napi/ack-after-unmask",
            NapiRule::UnmaskWithAckedPending => "napi/unmask-with-acked-pending",
        }
    }
}

/// One breach of the NAPI contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NapiViolation {
    /// The rule broken.
    pub rule: NapiRule,
    /// Device cycle.
    pub cycle: u64,
    /// The register or step involved (`IRQ_MASK`, `poll`, ...).
    pub subject: &'static str,
    /// What the contract expects.
    pub expected: String,
    /// What was seen.
    pub seen: String,
}

impl NapiViolation {
    /// The stable class name.
    pub fn class(&self) -> &'static str {
        self.rule.class()
    }
    /// The device cycle it was seen at.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }
}

impl fmt::Display for NapiViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} at cycle {}: expected {}, seen {}",
            self.class(),
            self.subject,
            self.cycle,
            self.expected,
            self.seen
        )
    }
}

/// A poll in progress.
#[derive(Clone, Copy, Debug)]
struct PollState {
    budget: usize,
    consumed_at_start: u64,
}

/// The last poll that ended.
#[derive(Clone, Copy, Debug)]
struct PollEnd {
    reported: usize,
    consumed: u64,
    budget: usize,
}

/// The NAPI contract checker.
#[derive(Clone, Debug)]
pub struct NapiChecker {
    scheduled: bool,
    mask: u32,
    poll: Option<PollState>,
    last_poll: Option<PollEnd>,
    reported_rx: u64,
    acked_at: [Option<u64>; 4],
    violations: Vec<NapiViolation>,
}

impl Default for NapiChecker {
    fn default() -> Self {
        NapiChecker {
            scheduled: false,
            mask: IRQ_MASK_RESET,
            poll: None,
            last_poll: None,
            reported_rx: 0,
            acked_at: [None; 4],
            violations: Vec::new(),
        }
    }
}

/// IRQ_MASK after reset: every cause masked.
const IRQ_MASK_RESET: u32 = 0xf;

impl NapiChecker {
    /// Everything found so far.
    pub fn violations(&self) -> &[NapiViolation] {
        &self.violations
    }

    /// Whether NAPI is scheduled, as the driver reported.
    pub fn scheduled(&self) -> bool {
        self.scheduled
    }

    /// Back to the state after reset (keeps the findings).
    pub fn reset(&mut self) {
        let violations = std::mem::take(&mut self.violations);
        *self = NapiChecker {
            violations,
            ..NapiChecker::default()
        };
    }

    /// The RX ring was programmed afresh: nothing consumed on it yet.
    pub fn rx_ring_restarted(&mut self) {
        self.reported_rx = 0;
        self.poll = None;
        self.last_poll = None;
    }

    /// RX completions the driver consumed, at least.
    pub fn rx_consumed(&self, view: &RingView) -> u64 {
        let rx = &view.rx;
        let by_doorbell = rx.prod.saturating_sub(u64::from(rx.size));
        by_doorbell.max(self.reported_rx).min(rx.completed)
    }

    /// RX completions written and not consumed.
    pub fn rx_pending(&self, view: &RingView) -> u64 {
        view.rx.completed - self.rx_consumed(view)
    }

    fn push(
        &mut self,
        rule: NapiRule,
        cycle: u64,
        subject: &'static str,
        expected: String,
        seen: String,
    ) {
        self.violations.push(NapiViolation {
            rule,
            cycle,
            subject,
            expected,
            seen,
        });
    }

    /// A step the driver reported.
    pub fn on_event(&mut self, ev: &NapiEvent, view: &RingView) {
        match *ev {
            NapiEvent::Irq { .. } | NapiEvent::Repoll { .. } => self.scheduled = true,
            NapiEvent::PollStart { cycle, budget } => {
                if !self.scheduled {
                    self.push(
                        NapiRule::PollNotScheduled,
                        cycle,
                        "poll",
                        "a poll only while NAPI is scheduled".into(),
                        "a poll with NAPI idle (completed, or never scheduled)".into(),
                    );
                }
                self.poll = Some(PollState {
                    budget,
                    consumed_at_start: self.rx_consumed(view),
                });
            }
            NapiEvent::Poll {
                cycle,
                done,
                budget,
            } => self.poll_end(cycle, done, budget, view),
            NapiEvent::Complete { cycle } => {
                if let Some(p) = self.last_poll {
                    if p.reported >= p.budget || p.consumed >= p.budget as u64 {
                        self.push(
                            NapiRule::CompleteAtFullBudget,
                            cycle,
                            "napi_complete_done",
                            format!("complete only when work < budget {}", p.budget),
                            format!(
                                "complete after {} reported, {} RX completions consumed",
                                p.reported, p.consumed
                            ),
                        );
                    }
                }
                self.scheduled = false;
            }
            NapiEvent::Unmask { .. } => {}
        }
    }

    fn poll_end(&mut self, cycle: u64, done: usize, budget: usize, view: &RingView) {
        let start = self.poll.take();
        let budget = start.map_or(budget, |s| s.budget.min(budget));
        let consumed = start.map_or(0, |s| {
            self.rx_consumed(view).saturating_sub(s.consumed_at_start)
        });
        if done > budget {
            self.push(
                NapiRule::OverBudgetReported,
                cycle,
                "poll",
                format!("work <= budget {budget}"),
                format!("{done} reported"),
            );
        }
        if consumed > budget as u64 {
            self.push(
                NapiRule::OverBudgetConsumed,
                cycle,
                "poll",
                format!("at most budget {budget} RX completions consumed"),
                format!(
                    "{consumed} consumed (RX ring re-posted up to {}, ring size {})",
                    view.rx.prod, view.rx.size
                ),
            );
        }
        self.reported_rx += done as u64;
        self.last_poll = Some(PollEnd {
            reported: done,
            consumed,
            budget,
        });
    }

    /// A write of IRQ_MASK, before it reaches the device.
    pub fn on_mask_write(&mut self, value: u32, view: &RingView, cycle: u64) {
        let unmasked = self.mask & !value & 0xf;
        self.mask = value & 0xf;
        if unmasked == 0 {
            return;
        }
        if self.scheduled {
            self.push(
                NapiRule::UnmaskWhileScheduled,
                cycle,
                "IRQ_MASK",
                "unmask only after napi_complete_done".into(),
                format!("causes {unmasked:#x} unmasked while NAPI is scheduled"),
            );
        }
        if unmasked & irq_status::RX_CQ == 0 || view.rx.stopped {
            return;
        }
        let pending = self.rx_pending(view);
        let Some(acked) = self.acked_at[irq_status::RX_CQ_SHIFT as usize] else {
            return;
        };
        if pending > 0 {
            let oldest = self.rx_consumed(view);
            let seen = view.rx.seen_at(oldest);
            if seen <= acked {
                self.push(
                    NapiRule::UnmaskWithAckedPending,
                    cycle,
                    "IRQ_MASK",
                    "no RX completion pending at the unmask whose IRQ_STATUS.RX_CQ was acknowledged".into(),
                    format!(
                        "{pending} pending from index {oldest} (seen at cycle {seen}), RX_CQ acknowledged at cycle {acked}: the interrupt is lost"
                    ),
                );
            }
        }
    }

    /// A write of IRQ_STATUS (write 1 to clear), before it reaches the
    /// device.
    pub fn on_status_ack(&mut self, value: u32, cycle: u64) {
        let acked = value & 0xf;
        for bit in 0..4 {
            if acked & (1 << bit) != 0 {
                self.acked_at[bit] = Some(cycle);
            }
        }
        let live = acked & !self.mask;
        if live != 0 && !self.scheduled {
            self.push(
                NapiRule::AckAfterUnmask,
                cycle,
                "IRQ_STATUS",
                "causes acknowledged while masked, before the final re-check of the rings".into(),
                format!("causes {live:#x} acknowledged while unmasked with NAPI idle"),
            );
        }
    }
}
