//! The `cosim` command's subcommands over the `cosim` library (the binary
//! in `src/main.rs` only parses arguments and maps errors to exit codes).

pub mod demo;
pub mod list;
pub mod matrix;
pub mod pcap;
pub mod run;
pub mod waves;

/// Why a subcommand failed, and which exit code that is.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: an option value, a file, a scenario. Exit code 2.
    #[error("{0}")]
    Input(String),
    /// The run itself failed a check (lost frame, page in flight, DMA-API
    /// violation, RTL assertion...). Exit code 1.
    #[error("{0}")]
    Check(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Check(_) => 1,
        }
    }
}

/// Logs through `tracing`, filtered by `RUST_LOG` (default: warnings), to
/// stderr so that stdout stays machine-readable.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .try_init();
}
