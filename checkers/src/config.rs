//! Which monitors run and with which limits: a plain struct, every
//! monitor on by default.

use crate::finding::Checker;
use crate::watchdog::WatchdogConfig;

/// A monitor that has only an on/off switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Switch {
    /// Whether it runs.
    pub enabled: bool,
}

impl Default for Switch {
    fn default() -> Self {
        Switch { enabled: true }
    }
}

/// The configuration of every monitor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MonitorConfig {
    /// The ring auditor (`ring/...`).
    pub ring: Switch,
    /// The NAPI contract (`napi/...`).
    pub napi: Switch,
    /// The barrier auditor (`barrier/...`), host memory's CPU observer.
    pub barrier: Switch,
    /// The watchdog (`watchdog/...`).
    pub watchdog: WatchdogConfig,
}

impl MonitorConfig {
    /// Whether `c` runs.
    pub fn enabled(&self, c: Checker) -> bool {
        match c {
            Checker::Ring => self.ring.enabled,
            Checker::Napi => self.napi.enabled,
            Checker::Barrier => self.barrier.enabled,
            Checker::Watchdog => self.watchdog.enabled,
        }
    }
}
