//! Waveform windows as a layer beside the model: [`WaveSpec`] says what to
//! dump and where, [`WaveWindow`] opens the model's trace when the window
//! starts and closes it (writing the save file, converting to VCD) when it
//! ends. [`crate::Sim::step`] consults it with one comparison per cycle.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::error::SimError;
use crate::bridge::Model;

/// Waveform format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaveFormat {
    /// Verilator's FST writer (the default).
    #[default]
    Fst,
    /// VCD: the FST written by Verilator, converted when the file closes
    /// (see [`waves::vcd`] for why).
    Vcd,
}

/// What to dump and where; [`crate::Sim::waves_spec`] applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveSpec {
    pub path: PathBuf,
    /// Cycles to dump (`None`: from now until closed).
    pub window: Option<Range<u64>>,
    pub format: WaveFormat,
    /// A cycle to put GTKWave's marker on (e.g. the failure).
    pub marker_cycle: Option<u64>,
    /// Write the `.gtkw` save file next to the waveform.
    pub save_file: bool,
}

impl WaveSpec {
    /// A spec for `path`: VCD if it ends in `.vcd`, else FST; no window;
    /// with a save file.
    pub fn new(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let format = if path.extension().is_some_and(|e| e == "vcd") {
            WaveFormat::Vcd
        } else {
            WaveFormat::Fst
        };
        WaveSpec {
            path,
            window: None,
            format,
            marker_cycle: None,
            save_file: true,
        }
    }

    /// The file Verilator writes: the path itself for FST, a temporary FST
    /// next to it for VCD.
    pub fn trace_path(&self) -> PathBuf {
        match self.format {
            WaveFormat::Fst => self.path.clone(),
            WaveFormat::Vcd => self.path.with_extension("vcd.tmp.fst"),
        }
    }

    /// The save file's path (`<stem>.gtkw`).
    pub fn save_file_path(&self) -> PathBuf {
        self.path.with_extension("gtkw")
    }

    /// After the trace closed: converts to VCD if asked, writes the save
    /// file.
    pub fn finish(&self) -> Result<(), waves::WaveError> {
        if self.format == WaveFormat::Vcd {
            let tmp = self.trace_path();
            let mut w = waves::open(&tmp)?;
            waves::vcd::write_vcd(&mut w, &self.path)?;
            drop(w);
            if let Err(e) = std::fs::remove_file(&tmp) {
                tracing::warn!(path = %tmp.display(), "cosim: cannot remove the temporary FST: {e}");
            }
        }
        if self.save_file {
            let w = waves::open(&self.path)?;
            // The marker on the rising edge of the cycle (time 2c + 1).
            let marker = self.marker_cycle.map(|c| 2 * c + 1);
            let (gtkw, layout) = waves::gtkw::write_for(&w, marker)?;
            tracing::info!(path = %gtkw.display(), missing = layout.missing.len(), "cosim: GTKWave save file written");
        }
        Ok(())
    }
}

/// A waveform armed for a window of cycles.
#[derive(Debug)]
struct Armed {
    spec: WaveSpec,
    window: Range<u64>,
}

/// The waveform layer of a [`crate::Sim`]: at most one armed window.
#[derive(Debug)]
pub(super) struct WaveWindow {
    armed: Option<Armed>,
    /// The cycle at which the window opens or closes; u64::MAX if none.
    next_event: u64,
}

impl WaveWindow {
    /// Nothing armed.
    pub(super) fn new() -> Self {
        WaveWindow {
            armed: None,
            next_event: u64::MAX,
        }
    }

    /// Whether the window opens or closes at `cycle` ([`WaveWindow::tick`]).
    #[inline]
    pub(super) fn due(&self, cycle: u64) -> bool {
        cycle >= self.next_event
    }

    /// Arms `spec` at `cycle` (closing any waveform open on `model`): the
    /// file opens at the window's start, or now if that has passed.
    pub(super) fn arm(
        &mut self,
        model: &mut Model,
        spec: &WaveSpec,
        cycle: u64,
    ) -> Result<(), SimError> {
        self.close(model);
        let window = spec.window.clone().unwrap_or(cycle..u64::MAX);
        if window.end <= cycle || window.is_empty() {
            return Err(SimError::Wave(format!(
                "window {window:?} is empty or already over (cycle {cycle})"
            )));
        }
        self.next_event = window.start.max(cycle);
        self.armed = Some(Armed {
            spec: spec.clone(),
            window,
        });
        Ok(())
    }

    /// Closes the waveform file now (if open), writes its save file (and
    /// the VCD copy if VCD was asked for) and cancels any window.
    pub(super) fn close(&mut self, model: &mut Model) {
        if model.trace_is_open() {
            model.trace_close();
            if let Some(w) = &self.armed {
                if let Err(e) = w.spec.finish() {
                    tracing::error!(path = %w.spec.path.display(), "cosim: waveform post-processing failed: {e}");
                }
            }
        }
        self.armed = None;
        self.next_event = u64::MAX;
    }

    /// At a due `cycle`: opens the trace on `model` (returns true) or
    /// closes it (false).
    #[cold]
    pub(super) fn tick(&mut self, model: &mut Model, cycle: u64) -> Result<bool, SimError> {
        let Some(w) = &self.armed else {
            self.next_event = u64::MAX;
            return Ok(false);
        };
        if !model.trace_is_open() && cycle < w.window.end {
            let path = w.spec.trace_path();
            let end = w.window.end;
            tracing::info!(cycle, path = %path.display(), "cosim: waveform opened");
            model
                .trace_open(&path)
                .map_err(|e| SimError::Wave(e.to_string()))?;
            self.next_event = end;
            Ok(true)
        } else {
            tracing::info!(cycle, path = %w.spec.path.display(), "cosim: waveform closed");
            self.close(model);
            Ok(false)
        }
    }
}
