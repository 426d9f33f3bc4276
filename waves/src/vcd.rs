//! Writes a VCD copy of a waveform (every scope, every variable, every
//! change, same timescale and times).
//!
//! This is how the co-simulation produces VCD: Verilator 5.006 compiles a
//! model with exactly one trace format (`--trace` for VCD or `--trace-fst`;
//! the generated `trace()` takes either a `VerilatedVcdC` or a
//! `VerilatedFstC`, never both), and the model is built with FST. A second
//! model just for VCD would double the Verilator build; converting the
//! (already windowed) FST costs far less (see waves/PERFORMANCE.md).

use std::io::{BufWriter, Write};
use std::path::Path;

use wellen::{Hierarchy, ScopeRef, SignalRef, SignalValueRef, VarRef};

use crate::load::Wave;
use crate::WaveError;

/// VCD identifier codes: base 93 over `!`..`~` without `[` (which some
/// readers take for the start of a bit range).
fn ident(mut n: usize) -> String {
    const DIGITS: usize = 93;
    let digit = |k: usize| {
        let c = b'!' + k as u8;
        (if c >= b'[' { c + 1 } else { c }) as char
    };
    let mut s = String::new();
    loop {
        s.push(digit(n % DIGITS));
        n /= DIGITS;
        if n == 0 {
            break;
        }
        n -= 1;
    }
    s
}

fn unit(exp: i8) -> &'static str {
    match exp {
        -21 => "zs",
        -18 => "as",
        -15 => "fs",
        -12 => "ps",
        -9 => "ns",
        -6 => "us",
        -3 => "ms",
        _ => "s",
    }
}

/// Writes `wave` as VCD to `out`.
pub fn write_vcd(wave: &mut Wave, out: &Path) -> Result<(), WaveError> {
    let werr = |source: std::io::Error| WaveError::Write {
        path: out.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(out).map_err(werr)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let (factor, exp) = wave.timescale();
    // Signals in first-seen order; several variables may share one signal.
    let h = wave.hierarchy();
    let mut sig_ids: std::collections::HashMap<SignalRef, String> = Default::default();
    let mut order: Vec<(SignalRef, u32)> = Vec::new();
    let mut header = String::new();
    header.push_str("$date cosim waves $end\n$version cosim waves (from ");
    header.push_str(wave.format_name());
    header.push_str(") $end\n");
    header.push_str(&format!("$timescale {factor}{} $end\n", unit(exp)));
    fn scope_rec(
        h: &Hierarchy,
        s: ScopeRef,
        header: &mut String,
        ids: &mut std::collections::HashMap<SignalRef, String>,
        order: &mut Vec<(SignalRef, u32)>,
    ) {
        header.push_str(&format!("$scope module {} $end\n", h[s].name(h)));
        for v in h[s].vars(h) {
            var_decl(h, v, "", header, ids, order);
        }
        for c in h[s].scopes(h) {
            // An unpacked array (elements named `[i]`) is written as
            // `name[i]` variables in this scope, as Verilator's VCD does.
            let elems: Vec<VarRef> = h[c].vars(h).collect();
            let is_array = h[c].scopes(h).next().is_none()
                && !elems.is_empty()
                && elems.iter().all(|v| h[*v].name(h).starts_with('['));
            if is_array {
                for v in elems {
                    var_decl(h, v, h[c].name(h), header, ids, order);
                }
            } else {
                scope_rec(h, c, header, ids, order);
            }
        }
        header.push_str("$upscope $end\n");
    }
    for v in h.vars() {
        var_decl(h, v, "", &mut header, &mut sig_ids, &mut order);
    }
    for s in h.scopes() {
        scope_rec(h, s, &mut header, &mut sig_ids, &mut order);
    }
    header.push_str("$enddefinitions $end\n");
    w.write_all(header.as_bytes()).map_err(werr)?;
    let tt = wave.time_table().to_vec();
    // Changes per time index, loaded in chunks of signals to bound memory.
    let mut per_time: Vec<Vec<u8>> = vec![Vec::new(); tt.len()];
    for chunk in order.chunks(256) {
        let refs: Vec<SignalRef> = chunk.iter().map(|(s, _)| *s).collect();
        let inner = wave.inner_mut();
        inner.load_signals_multi_threaded(&refs);
        for (s, width) in chunk {
            let id = &sig_ids[s];
            let sig = inner.get_signal(*s).expect("signal just loaded");
            for (t, v) in sig.iter_changes() {
                let buf = &mut per_time[t as usize];
                match v {
                    SignalValueRef::BitVec(b) => {
                        let bits = b.bit_string();
                        if *width == 1 {
                            buf.extend_from_slice(bits.as_bytes());
                        } else {
                            buf.push(b'b');
                            buf.extend_from_slice(bits.as_bytes());
                            buf.push(b' ');
                        }
                    }
                    SignalValueRef::Real(r) => {
                        buf.extend_from_slice(format!("r{r} ").as_bytes());
                    }
                    SignalValueRef::String(st) => {
                        buf.extend_from_slice(format!("s{st} ").as_bytes());
                    }
                    SignalValueRef::Event => buf.push(b'1'),
                }
                buf.extend_from_slice(id.as_bytes());
                buf.push(b'\n');
            }
        }
        inner.unload_signals(&refs);
    }
    for (t, lines) in tt.iter().zip(&per_time) {
        if lines.is_empty() {
            continue;
        }
        writeln!(w, "#{t}").map_err(werr)?;
        w.write_all(lines).map_err(werr)?;
    }
    w.flush().map_err(werr)?;
    Ok(())
}

fn var_decl(
    h: &Hierarchy,
    v: VarRef,
    prefix: &str,
    header: &mut String,
    ids: &mut std::collections::HashMap<SignalRef, String>,
    order: &mut Vec<(SignalRef, u32)>,
) {
    let var = &h[v];
    let sig = var.signal_ref();
    let width = var.length(h).unwrap_or(1);
    let next = ids.len();
    let id = ids
        .entry(sig)
        .or_insert_with(|| {
            order.push((sig, width));
            ident(next)
        })
        .clone();
    let range = match var.index() {
        Some(ix) if width > 1 => format!(" [{}:{}]", ix.msb(), ix.lsb()),
        _ if width > 1 => format!(" [{}:0]", width - 1),
        _ => String::new(),
    };
    let kind = if var.is_real(h) { "real" } else { "wire" };
    header.push_str(&format!(
        "$var {kind} {width} {id} {prefix}{}{range} $end\n",
        var.name(h)
    ));
}
