//! The one error type of the crate: what failed, with the lower layer's
//! error kept as its source.

use std::path::PathBuf;

/// Why a Verilator build failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read, written, listed or created.
    #[error("{what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A program could not be started (or waited for).
    #[error("cannot run {program}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// A program ran and failed.
    #[error("{what} failed ({status}):\n{output}")]
    Command {
        what: String,
        status: std::process::ExitStatus,
        output: String,
    },
    /// No usable `verilator` binary.
    #[error("{0}")]
    VerilatorNotFound(String),
    /// Verilator's runtime sources are not where its root says.
    #[error("Verilator's runtime sources not found under {} (include/verilated.cpp)", .0.display())]
    RuntimeSources(PathBuf),
    /// A line of a generated header this crate does not understand.
    #[error("{file}: {reason}")]
    Header { file: String, reason: String },
    /// The variants of one design disagree on their ports.
    #[error("{variant}: {reason}")]
    Ports { variant: String, reason: String },
    /// A port the tables cannot describe.
    #[error("port {port}: {reason}")]
    Port { port: String, reason: String },
    /// The design description itself is unusable.
    #[error("{0}")]
    Config(String),
}

impl Error {
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { what, path, source }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
