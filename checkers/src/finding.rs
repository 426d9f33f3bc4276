//! Every finding of every monitor, as one type the run report lists: its
//! class, its cycle, and a one-line message (plus indented detail lines).

use std::fmt;

use crate::barrier::BarrierViolation;
use crate::napi::NapiViolation;
use crate::ring_audit::RingViolation;
use crate::watchdog::WatchdogViolation;

/// The monitors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Checker {
    /// The ring auditor.
    Ring,
    /// The NAPI contract.
    Napi,
    /// The barrier auditor.
    Barrier,
    /// The watchdog.
    Watchdog,
}

impl Checker {
    /// Every monitor, in report order.
    pub const ALL: [Checker; 4] = [
        Checker::Ring,
        Checker::Napi,
        Checker::Barrier,
        Checker::Watchdog,
    ];

    /// Its name (the prefix of its classes).
    pub fn name(self) -> &'static str {
        match self {
            Checker::Ring => "ring",
            Checker::Napi => "napi",
            Checker::Barrier => "barrier",
            Checker::Watchdog => "watchdog",
        }
    }
}

impl fmt::Display for Checker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One finding of a monitor.
#[derive(Clone, Debug, PartialEq)]
pub enum Violation {
    /// The ring auditor's.
    Ring(RingViolation),
    /// The NAPI contract's.
    Napi(NapiViolation),
    /// The barrier auditor's.
    Barrier(BarrierViolation),
    /// The watchdog's.
    Watchdog(WatchdogViolation),
}

impl Violation {
    /// The monitor that found it.
    pub fn checker(&self) -> Checker {
        match self {
            Violation::Ring(_) => Checker::Ring,
            Violation::Napi(_) => Checker::Napi,
            Violation::Barrier(_) => Checker::Barrier,
            Violation::Watchdog(_) => Checker::Watchdog,
        }
    }

    /// The stable class name (`ring/...`, `napi/...`, `watchdog/...`).
    pub fn class(&self) -> &'static str {
        match self {
            Violation::Ring(v) => v.class(),
            Violation::Napi(v) => v.class(),
            Violation::Barrier(v) => v.class(),
            Violation::Watchdog(v) => v.class(),
        }
    }

    /// The device cycle it was seen at.
    pub fn cycle(&self) -> u64 {
        match self {
            Violation::Ring(v) => v.cycle(),
            Violation::Napi(v) => v.cycle(),
            Violation::Barrier(v) => v.cycle(),
            Violation::Watchdog(v) => v.cycle(),
        }
    }

    /// The first line of its message.
    pub fn headline(&self) -> String {
        self.to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Ring(v) => v.fmt(f),
            Violation::Napi(v) => v.fmt(f),
            Violation::Barrier(v) => v.fmt(f),
            Violation::Watchdog(v) => v.fmt(f),
        }
    }
}
