//! `--no-check NAME,...`: the checkers a run, matrix or demo switches off
//! (for speed; every one is on by default).

use clap::Args;
use cosim::scenario::{CheckName, RunOptions};

/// The checkers to switch off.
#[derive(Debug, Clone, Args, Default, PartialEq, Eq)]
pub struct CheckSwitches {
    /// Switch these checkers off (comma-separated; repeatable): ownership,
    /// pool-invariants, contract (RTL contract monitor and scoreboard),
    /// ring, napi, barrier, watchdog.
    #[arg(long = "no-check", value_name = "NAME,...", value_delimiter = ',', value_parser = parse_check)]
    pub off: Vec<CheckName>,
}

fn parse_check(s: &str) -> Result<CheckName, String> {
    CheckName::parse(s).map_err(|e| e.to_string())
}

impl CheckSwitches {
    /// Applies the switches to `opts`.
    pub fn apply(&self, opts: &mut RunOptions<'_>) {
        for c in &self.off {
            opts.switch_off(*c);
        }
    }
}
