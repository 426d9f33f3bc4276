//! Errors of reading and decoding waveforms. Every variant names the file.

use std::path::PathBuf;

/// Why a waveform could not be read or decoded.
#[derive(Debug, thiserror::Error)]
pub enum WaveError {
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: the file is empty (0 bytes), not a waveform", path.display())]
    Empty { path: PathBuf },
    #[error("{}: not an FST or VCD waveform: {reason}", path.display())]
    NotAWaveform { path: PathBuf, reason: String },
    #[error("{}: the {format} waveform is truncated or corrupt: {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },
    #[error(
        "{}: no AXI4 DMA interface in this waveform: missing signal(s) {} \
         (looked for `{prefix}*` next to `{clock}`{})",
        path.display(),
        missing.join(", "),
        scope.as_deref().map(|s| format!(" in scope {s}")).unwrap_or_default()
    )]
    MissingSignals {
        path: PathBuf,
        missing: Vec<String>,
        prefix: String,
        clock: String,
        scope: Option<String>,
    },
    #[error("{}: signal {signal} is {width} bits wide, the decoder expects {expected}", path.display())]
    BadWidth {
        path: PathBuf,
        signal: String,
        width: u32,
        expected: String,
    },
    #[error("{}: the clock {clock} never rises: no cycle to decode", path.display())]
    NoClock { path: PathBuf, clock: String },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl WaveError {
    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            WaveError::Io { path, .. }
            | WaveError::Empty { path }
            | WaveError::NotAWaveform { path, .. }
            | WaveError::Corrupt { path, .. }
            | WaveError::MissingSignals { path, .. }
            | WaveError::BadWidth { path, .. }
            | WaveError::NoClock { path, .. }
            | WaveError::Write { path, .. } => path,
        }
    }

    /// Whether the error is about the input file (as opposed to writing
    /// output): the `cosim waves` commands exit with code 2 for these.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, WaveError::Write { .. })
    }
}
