//! The watchdog: a cycle bound no run passes, and a no-progress detector
//! (no doorbell, no completion, no register write for a configured number
//! of cycles while descriptors are in flight or completions wait). Its
//! finding is an error the device returns, so the driver stops with it,
//! and it says where every ring and every pool's pages were.

use std::fmt;

use pool::PagePoolInfo;

use crate::ring_audit::DescImage;
use crate::view::{Queue, QueueView};

/// The watchdog's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchdogConfig {
    /// Whether the watchdog runs.
    pub enabled: bool,
    /// No `advance` past this device cycle.
    pub cycle_limit: u64,
    /// Cycles without progress, while work is outstanding, that make a
    /// stall.
    pub stall_cycles: u64,
}

impl Default for WatchdogConfig {
    fn default() -> Self {
        WatchdogConfig {
            enabled: true,
            cycle_limit: 1_000_000_000,
            stall_cycles: 5_000_000,
        }
    }
}

/// The two ways a run is stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchdogRule {
    /// The run reached the cycle bound.
    CycleBound,
    /// Nothing progressed while work was outstanding.
    NoProgress,
}

impl WatchdogRule {
    /// The stable class name.
    pub fn class(self) -> &'static str {
        match self {
            WatchdogRule::CycleBound => "watchdog/cycle-bound",
            WatchdogRule::NoProgress => "watchdog/no-progress",
        }
    }
}

/// One queue at the time of a stall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueDump {
    /// Which queue.
    pub queue: Queue,
    /// Ring entries.
    pub size: u16,
    /// Producer index doorbelled.
    pub prod: u64,
    /// Completions the NIC wrote.
    pub completed: u64,
    /// Completions the driver consumed (at least).
    pub consumed: u64,
    /// Stopped (disabled or after a DMA error).
    pub stopped: bool,
    /// Posted descriptors (index, descriptor), oldest first.
    pub posted: Vec<(u64, DescImage)>,
}

/// Posted descriptors listed per queue in a dump.
const DUMP_POSTED: usize = 16;

impl fmt::Display for QueueDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "    {} ring: size {}, prod {}, completed {}, consumed {}{}, {} posted",
            self.queue,
            self.size,
            self.prod,
            self.completed,
            self.consumed,
            if self.stopped { ", stopped" } else { "" },
            self.posted.len()
        )?;
        for (idx, d) in self.posted.iter().take(DUMP_POSTED) {
            write!(
                f,
                "\n      index {idx} slot {}: {d}",
                idx % u64::from(self.size.max(1))
            )?;
        }
        if self.posted.len() > DUMP_POSTED {
            write!(f, "\n      ... {} more", self.posted.len() - DUMP_POSTED)?;
        }
        Ok(())
    }
}

/// A run the watchdog stopped, with where everything was.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchdogViolation {
    /// Which limit.
    pub rule: WatchdogRule,
    /// Device cycle.
    pub cycle: u64,
    /// The limit: the cycle bound, or the stall length.
    pub limit: u64,
    /// The last cycle anything progressed.
    pub last_progress: u64,
    /// Both queues.
    pub queues: Vec<QueueDump>,
    /// Every page pool of the memory the user can see (the `page-pool-get`
    /// dump), with its in-flight pages.
    pub pools: Vec<PagePoolInfo>,
}

impl WatchdogViolation {
    /// The stable class name.
    pub fn class(&self) -> &'static str {
        self.rule.class()
    }
    /// The device cycle it was seen at.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }
}

impl fmt::Display for WatchdogViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            WatchdogRule::CycleBound => write!(
                f,
                "{}: device at cycle {}: expected the run to end within the cycle bound {}, seen it still running (last progress at cycle {})",
                self.class(),
                self.cycle,
                self.limit,
                self.last_progress
            )?,
            WatchdogRule::NoProgress => write!(
                f,
                "{}: device at cycle {}: expected a doorbell, completion or register write within {} cycles while work is outstanding, seen none since cycle {}",
                self.class(),
                self.cycle,
                self.limit,
                self.last_progress
            )?,
        }
        for q in &self.queues {
            write!(f, "\n{q}")?;
        }
        for p in &self.pools {
            let text = p.to_text();
            for line in text.lines() {
                write!(f, "\n    {line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for WatchdogViolation {}

/// What the watchdog needs to know about a queue to tell a stall.
#[derive(Clone, Copy, Debug)]
pub struct Outstanding {
    /// TX descriptors in flight on a running queue.
    pub tx_in_flight: u64,
    /// RX completions written and not consumed on a running queue.
    pub rx_pending: u64,
}

impl Outstanding {
    /// From the views and the RX completions consumed.
    pub fn of(rx: &QueueView, tx: &QueueView, rx_pending: u64) -> Self {
        Outstanding {
            tx_in_flight: if tx.stopped { 0 } else { tx.in_flight() },
            rx_pending: if rx.stopped { 0 } else { rx_pending },
        }
    }
    fn any(self) -> bool {
        self.tx_in_flight > 0 || self.rx_pending > 0
    }
}

/// The watchdog's clock.
#[derive(Clone, Debug)]
pub struct Watchdog {
    cfg: WatchdogConfig,
    last_progress: u64,
}

impl Watchdog {
    /// A watchdog with `cfg`.
    pub fn new(cfg: WatchdogConfig) -> Self {
        Watchdog {
            cfg,
            last_progress: 0,
        }
    }

    /// The limits.
    pub fn config(&self) -> WatchdogConfig {
        self.cfg
    }

    /// Something moved at `cycle`.
    pub fn progress(&mut self, cycle: u64) {
        self.last_progress = self.last_progress.max(cycle);
    }

    /// Before advancing from `cycle` by `cycles`: the rule it would break.
    pub fn before_advance(&self, cycle: u64, cycles: u64) -> Option<(WatchdogRule, u64, u64)> {
        (self.cfg.enabled && cycle.saturating_add(cycles) > self.cfg.cycle_limit).then_some((
            WatchdogRule::CycleBound,
            self.cfg.cycle_limit,
            self.last_progress,
        ))
    }

    /// After advancing to `cycle`: the rule broken, if nothing progressed
    /// for too long with work outstanding.
    pub fn after_advance(
        &mut self,
        cycle: u64,
        work: Outstanding,
    ) -> Option<(WatchdogRule, u64, u64)> {
        if !work.any() {
            // Idle is progress: the clock restarts when work appears.
            self.progress(cycle);
            return None;
        }
        (self.cfg.enabled && cycle - self.last_progress.min(cycle) >= self.cfg.stall_cycles)
            .then_some((
                WatchdogRule::NoProgress,
                self.cfg.stall_cycles,
                self.last_progress,
            ))
    }
}
