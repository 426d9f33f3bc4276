//! The run's checkers by name, each of which can be switched off for speed
//! (`cosim run|matrix|demo --no-check NAME,...`): every one is on by
//! default, and a switched-off one's check says so in the report.

use std::fmt;

use super::options::RunOptions;

/// A checker that can be switched off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckName {
    /// Byte-precise DMA ownership of CPU and device accesses
    /// (`ownership/...`, in host memory).
    Ownership,
    /// The page pool's laws (`pool-invariant/...`), at the end of the run.
    PoolInvariants,
    /// The RTL contract monitor and the scoreboard (`rtl/...`,
    /// `scoreboard/...`).
    Contract,
    /// The ring auditor (`ring/...`).
    Ring,
    /// The NAPI contract (`napi/...`).
    Napi,
    /// The barrier auditor (`barrier/...`).
    Barrier,
    /// The watchdog (`watchdog/...`).
    Watchdog,
}

impl CheckName {
    /// Every switchable checker.
    pub const ALL: [CheckName; 7] = [
        CheckName::Ownership,
        CheckName::PoolInvariants,
        CheckName::Contract,
        CheckName::Ring,
        CheckName::Napi,
        CheckName::Barrier,
        CheckName::Watchdog,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CheckName::Ownership => "ownership",
            CheckName::PoolInvariants => "pool-invariants",
            CheckName::Contract => "contract",
            CheckName::Ring => "ring",
            CheckName::Napi => "napi",
            CheckName::Barrier => "barrier",
            CheckName::Watchdog => "watchdog",
        }
    }

    /// The checker called `s`, or an error listing the names.
    pub fn parse(s: &str) -> Result<CheckName, UnknownCheck> {
        CheckName::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCheck(s.to_string()))
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A checker name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown checker {name:?}: expected one of {list}", name = .0, list = names())]
pub struct UnknownCheck(pub String);

fn names() -> String {
    CheckName::ALL.map(CheckName::name).join(", ")
}

impl RunOptions<'_> {
    /// Switches checker `c` off for this run.
    pub fn switch_off(&mut self, c: CheckName) {
        match c {
            CheckName::Ownership => self.no_ownership = true,
            CheckName::PoolInvariants => self.no_pool_invariants = true,
            CheckName::Contract => self.no_contract = true,
            CheckName::Ring => self.monitors.ring.enabled = false,
            CheckName::Napi => self.monitors.napi.enabled = false,
            CheckName::Barrier => self.monitors.barrier.enabled = false,
            CheckName::Watchdog => self.monitors.watchdog.enabled = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_an_unknown_one_lists_them() {
        for c in CheckName::ALL {
            assert_eq!(CheckName::parse(c.name()), Ok(c));
        }
        let e = CheckName::parse("dma").unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown checker \"dma\": expected one of ownership, pool-invariants, contract, ring, napi, barrier, watchdog"
        );
    }

    #[test]
    fn switching_off_touches_only_that_checker() {
        let mut o = RunOptions::default();
        o.switch_off(CheckName::Napi);
        assert!(!o.monitors.napi.enabled);
        assert!(o.monitors.ring.enabled && o.monitors.barrier.enabled);
        assert!(o.monitors.watchdog.enabled);
        assert!(!o.no_contract && !o.no_ownership && !o.no_pool_invariants);
        for c in [
            CheckName::Ownership,
            CheckName::PoolInvariants,
            CheckName::Contract,
        ] {
            o.switch_off(c);
        }
        assert!(o.no_contract && o.no_ownership && o.no_pool_invariants);
    }
}
