//! Opening waveforms with `wellen`, with errors that name the file.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use wellen::{FileFormat, Hierarchy, LoadOptions, SignalValueRef, Time, VarRef};

use crate::WaveError;

/// An open waveform (header and time table read; signals load on demand).
pub struct Wave {
    path: PathBuf,
    inner: wellen::simple::Waveform,
}

impl std::fmt::Debug for Wave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wave")
            .field("path", &self.path)
            .field("format", &self.format_name())
            .field("times", &self.inner.time_table().len())
            .finish()
    }
}

/// The changes of one signal as integers: `(time table index, value)`,
/// X/Z bits read as 0. Values wider than 128 bits keep their low 128 bits.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub width: u32,
    pub changes: Vec<(u32, u128)>,
}

/// A cursor over [`Changes`] for monotonically increasing time indices.
#[derive(Debug)]
pub struct Cursor<'a> {
    ch: &'a [(u32, u128)],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(c: &'a Changes) -> Self {
        Cursor {
            ch: &c.changes,
            pos: 0,
        }
    }
    /// The value in effect at time index `t` (0 before the first change).
    /// `t` must not decrease between calls.
    #[inline]
    pub fn at(&mut self, t: u32) -> u128 {
        while self.pos + 1 < self.ch.len() && self.ch[self.pos + 1].0 <= t {
            self.pos += 1;
        }
        match self.ch.get(self.pos) {
            Some(&(ti, v)) if ti <= t => v,
            _ => 0,
        }
    }
}

/// Opens an FST or VCD file.
pub fn open(path: impl AsRef<Path>) -> Result<Wave, WaveError> {
    let path = path.as_ref().to_path_buf();
    let meta = std::fs::metadata(&path).map_err(|source| WaveError::Io {
        path: path.clone(),
        source,
    })?;
    if meta.len() == 0 {
        return Err(WaveError::Empty { path });
    }
    let format = sniff(&path)?;
    let opts = LoadOptions {
        multi_thread: true,
        remove_scopes_with_empty_name: false,
    };
    let p = path.clone();
    let res = catch_unwind(AssertUnwindSafe(|| {
        wellen::simple::read_with_options(&p, &opts)
    }));
    let corrupt = |reason: String| WaveError::Corrupt {
        path: path.clone(),
        format,
        reason,
    };
    let inner = match res {
        Ok(Ok(w)) => w,
        Ok(Err(wellen::WellenError::UnknownFileFormat)) => {
            return Err(WaveError::NotAWaveform {
                path,
                reason: "the reader recognises neither FST nor VCD".into(),
            })
        }
        Ok(Err(e)) => return Err(corrupt(one_line(&e.to_string()))),
        Err(panic) => return Err(corrupt(panic_text(&panic))),
    };
    if inner.time_table().is_empty() {
        return Err(corrupt("no value changes (no time step)".into()));
    }
    tracing::debug!(path = %path.display(), format, times = inner.time_table().len(), "waveform opened");
    Ok(Wave { path, inner })
}

/// FST files start with a header block (type 0, length 329); VCD files
/// with `$` keywords (after optional white space).
fn sniff(path: &Path) -> Result<&'static str, WaveError> {
    use std::io::Read;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|source| WaveError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let head = &head[..n];
    if head.len() >= 9 && head[0] == 0 && head[1..9] == 329u64.to_be_bytes() {
        return Ok("FST");
    }
    let text = head.iter().copied().find(|b| !b.is_ascii_whitespace());
    if text == Some(b'$') {
        return Ok("VCD");
    }
    Err(WaveError::NotAWaveform {
        path: path.to_path_buf(),
        reason: format!(
            "it starts with {:02x?}, neither an FST header block nor a VCD `$` keyword",
            &head[..head.len().min(8)]
        ),
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    let msg = if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "the reader failed".to_string()
    };
    format!("reader stopped: {}", one_line(&msg))
}

impl Wave {
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn hierarchy(&self) -> &Hierarchy {
        self.inner.hierarchy()
    }
    /// Times of the value changes, in the file's timescale units.
    pub fn time_table(&self) -> &[Time] {
        self.inner.time_table()
    }
    pub fn format_name(&self) -> &'static str {
        match self.inner.hierarchy().file_format() {
            FileFormat::Vcd => "VCD",
            FileFormat::Fst => "FST",
            FileFormat::Ghw => "GHW",
            FileFormat::Unknown => "unknown",
        }
    }
    /// The timescale as `(factor, exponent)`, e.g. `(1, -12)` for 1 ps;
    /// 1 ps when the file does not say.
    pub fn timescale(&self) -> (u32, i8) {
        self.inner
            .hierarchy()
            .timescale()
            .and_then(|t| t.unit.to_exponent().map(|e| (t.factor, e)))
            .unwrap_or((1, -12))
    }

    /// Every variable's full dotted name (scopes joined by `.`), in file order.
    pub fn var_names(&self) -> Vec<String> {
        let h = self.inner.hierarchy();
        h.all_vars().map(|v| h[v].full_name(h)).collect()
    }

    /// Loads the signals of `vars` and returns their changes as integers, in
    /// the same order.
    pub fn changes(&mut self, vars: &[VarRef]) -> Vec<Changes> {
        let h = self.inner.hierarchy();
        let sigs: Vec<_> = vars.iter().map(|v| h[*v].signal_ref()).collect();
        let widths: Vec<u32> = vars.iter().map(|v| h[*v].length(h).unwrap_or(1)).collect();
        self.inner.load_signals_multi_threaded(&sigs);
        let out = sigs
            .iter()
            .zip(widths)
            .map(|(s, width)| {
                let sig = self.inner.get_signal(*s).expect("signal just loaded");
                let changes = sig
                    .iter_changes()
                    .map(|(t, v)| (t, value_u128(&v)))
                    .collect();
                Changes { width, changes }
            })
            .collect();
        self.inner.unload_signals(&sigs);
        out
    }

    /// The wellen waveform (for callers that need more than this API).
    pub fn inner_mut(&mut self) -> &mut wellen::simple::Waveform {
        &mut self.inner
    }
}

/// A value as an integer: two-state bit vectors from their bytes, others
/// from their bit string with X/Z/… as 0.
pub fn value_u128(v: &SignalValueRef<'_>) -> u128 {
    match v {
        SignalValueRef::BitVec(b) => {
            if let Some(bytes) = b.be_bytes() {
                let mut x = 0u128;
                for byte in bytes.iter().rev().take(16).rev() {
                    x = (x << 8) | u128::from(*byte);
                }
                x
            } else {
                let s = b.bit_string();
                let mut x = 0u128;
                for c in s.bytes().rev().take(128).rev() {
                    x = (x << 1) | u128::from(c == b'1' || c == b'h');
                }
                x
            }
        }
        SignalValueRef::Real(r) => *r as u128,
        SignalValueRef::Event | SignalValueRef::String(_) => 0,
    }
}
