#![deny(unsafe_code)]
//! The `cosim` command's subcommands over the `cosim` library (the binary
//! in `src/main.rs` only parses arguments and maps errors to exit codes).

pub mod demo;
pub mod list;
pub mod matrix;
pub mod pcap;
pub mod run;
pub mod switches;
pub mod waves;

use cosim::scenario::{RunError, ScenarioError};
use cosim::SimError;

/// Why a subcommand failed, and which exit code that is: 2 for bad input
/// (an option value, a file, a scenario), 1 for a run that failed a check
/// or could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input the command line itself refuses (an option out of range,
    /// an output path). Exit code 2.
    #[error("{0}")]
    Input(String),
    /// The run itself failed a check (lost frame, page in flight, DMA-API
    /// violation, RTL assertion...). Exit code 1.
    #[error("{0}")]
    Check(String),
    /// A scenario that does not load or validate, and the option that set
    /// the offending field. Exit code 2.
    #[error("{source}{}", flag.map(|f| format!(" (set by {f})")).unwrap_or_default())]
    Scenario {
        /// Why.
        #[source]
        source: ScenarioError,
        /// The command-line option that set the field, if one did.
        flag: Option<&'static str>,
    },
    /// A pcap file given as input. Exit code 2.
    #[error("--pcap-in: {0}")]
    PcapIn(#[source] pcap::PcapError),
    /// A scenario run that could not start. Exit code 2 when the input was
    /// at fault ([`RunError::is_input`]), 1 otherwise.
    #[error(transparent)]
    Run(Box<RunError>),
    /// A waveform that cannot be read or decoded. Exit code 2 when the
    /// file is at fault ([`::waves::WaveError::is_bad_input`]), 1 otherwise.
    #[error(transparent)]
    Waves(#[from] ::waves::WaveError),
    /// The testbench failed while doing `what`. Exit code 2 when the
    /// caller's input was at fault.
    #[error("{what}: {source}")]
    Sim {
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: SimError,
        /// Whether the caller's input was at fault.
        bad_input: bool,
    },
    /// A file or stream could not be read or written while doing `what`.
    /// Exit code 2 when the caller's input was at fault.
    #[error("{what}: {source}")]
    Io {
        /// What was being done (names the file).
        what: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
        /// Whether the caller's input was at fault.
        bad_input: bool,
    },
    /// Writing the output. Exit code 1.
    #[error(transparent)]
    Output(std::io::Error),
    /// JSON encoding (`prefix` names what). Exit code 1.
    #[error("{prefix}{source}")]
    Json {
        /// Prepended to the message.
        prefix: &'static str,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

impl From<RunError> for CliError {
    fn from(e: RunError) -> Self {
        CliError::Run(Box::new(e))
    }
}

impl CliError {
    /// The process exit code: 2 bad input, 1 a failed check or run.
    pub fn exit_code(&self) -> u8 {
        let bad_input = match self {
            CliError::Input(_) | CliError::Scenario { .. } | CliError::PcapIn(_) => true,
            CliError::Run(e) => e.is_input(),
            CliError::Waves(e) => e.is_bad_input(),
            CliError::Sim { bad_input, .. } | CliError::Io { bad_input, .. } => *bad_input,
            CliError::Check(_) | CliError::Output(_) | CliError::Json { .. } => false,
        };
        if bad_input {
            2
        } else {
            1
        }
    }

    /// An I/O failure of the run's own output (exit code 1).
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CliError {
        let what = what.into();
        move |source| CliError::Io {
            what,
            source,
            bad_input: false,
        }
    }

    /// JSON encoding failed.
    pub fn json(prefix: &'static str) -> impl FnOnce(serde_json::Error) -> CliError {
        move |source| CliError::Json { prefix, source }
    }
}

/// ANSI colour in the logs only when stderr is a terminal and `NO_COLOR`
/// (<https://no-color.org>) is unset or empty, so that a CI log or a file
/// holds plain text.
fn colour_on_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Logs through `tracing`, filtered by `RUST_LOG` (default: warnings), to
/// stderr so that stdout stays machine-readable.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour_on_stderr())
        .with_writer(std::io::stderr)
        .with_target(true)
        .try_init();
}
