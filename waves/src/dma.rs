//! AXI4 DMA transactions decoded from a waveform.
//!
//! The decoder samples the interface once per rising edge of the clock, at
//! the last value change before the edge (what the flops see), and applies
//! AXI4's rules: a beat moves when `valid && ready`; W beats belong to the
//! write bursts in AW order; a B belongs to the oldest write of its ID
//! still waiting for one; R beats belong to the oldest read of their ID
//! still receiving data, `rlast` closes it.
//!
//! A waveform that begins while bursts are in flight (a cycle window) holds
//! beats of bursts whose address handshake it does not have. They are
//! counted as [`Orphans`] when they cannot belong to a burst of the file: W
//! beats up to the first WLAST before the file's first AW; R beats whose
//! RLAST comes at the wrong beat count for the open read of their ID; a B
//! for a write whose W beats are not all seen. A response of an earlier
//! burst that fits an open burst of the same ID in every respect cannot be
//! told apart and is attributed to it; transactions whose ID had no burst
//! in flight when the file began are exact.
//!
//! The cycle of an edge at time `t` is `t / period` with `period` the
//! distance of the first two rising edges: the co-simulation evaluates the
//! model twice per cycle (clock low at `2c`, high at `2c + 1`), so the
//! numbers are the simulator's own cycle numbers.

use std::collections::VecDeque;

use serde::Serialize;
use wellen::VarRef;

use crate::load::{Cursor, Wave};
use crate::WaveError;

/// Direction, seen from the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    Read,
    Write,
}

impl std::fmt::Display for Dir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dir::Read => "read",
            Dir::Write => "write",
        })
    }
}

/// An AXI response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Resp {
    #[default]
    Okay,
    ExOkay,
    SlvErr,
    DecErr,
}

impl Resp {
    pub fn from_bits(b: u128) -> Resp {
        match b & 3 {
            0 => Resp::Okay,
            1 => Resp::ExOkay,
            2 => Resp::SlvErr,
            _ => Resp::DecErr,
        }
    }
    pub fn is_err(self) -> bool {
        matches!(self, Resp::SlvErr | Resp::DecErr)
    }
}

impl std::fmt::Display for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Resp::Okay => "OKAY",
            Resp::ExOkay => "EXOKAY",
            Resp::SlvErr => "SLVERR",
            Resp::DecErr => "DECERR",
        })
    }
}

/// One decoded burst.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transaction {
    pub dir: Dir,
    pub id: u32,
    pub addr: u64,
    /// Beats (AxLEN + 1).
    pub beats: u16,
    /// AxSIZE and AxBURST as issued.
    pub size: u8,
    pub burst: u8,
    /// Read: bytes of the transfer (beats * bus width - the start offset).
    /// Write: bytes with their strobe set (0 until all W beats are seen).
    pub bytes: u64,
    /// Write strobes of the first and the last beat (None for reads or
    /// before the beat is seen).
    pub first_strb: Option<u32>,
    pub last_strb: Option<u32>,
    /// The first error response of the burst (R beats or B), else OKAY.
    pub resp: Resp,
    /// Cycle and time of the address handshake.
    pub cycle_addr: u64,
    pub time_addr: u64,
    /// Cycle of the first / last data beat (W or R).
    pub cycle_first_data: Option<u64>,
    pub cycle_last_data: Option<u64>,
    /// Read: cycle of the last R beat; write: of the B handshake. None if
    /// the waveform ends first.
    pub cycle_done: Option<u64>,
    pub time_done: Option<u64>,
    /// Data beats seen so far.
    pub beats_seen: u16,
}

impl Transaction {
    pub fn is_complete(&self) -> bool {
        self.cycle_done.is_some()
    }
    /// Whether the burst touches `[lo, hi)`.
    pub fn overlaps(&self, lo: u64, hi: u64) -> bool {
        let end = self.addr.saturating_add(self.span());
        self.addr < hi && lo < end
    }
    fn span(&self) -> u64 {
        (u64::from(self.beats) << self.size).saturating_sub(self.addr % (1u64 << self.size))
    }
}

/// Per-channel handshake and stall counts over the decoded cycles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChannelStats {
    /// Handshakes (`valid && ready` at an edge).
    pub beats: u64,
    /// Edges with `valid` high.
    pub valid_cycles: u64,
    /// Edges with `valid && !ready` (the receiver held the sender back).
    pub stall_cycles: u64,
}

/// The five channels' statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Channels {
    pub aw: ChannelStats,
    pub w: ChannelStats,
    pub b: ChannelStats,
    pub ar: ChannelStats,
    pub r: ChannelStats,
}

/// Beats that match no address handshake in the file (the waveform window
/// opened while their burst was in flight).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Orphans {
    pub w_beats: u64,
    pub b_resps: u64,
    pub r_beats: u64,
}

/// Everything decoded from one waveform.
#[derive(Debug, Clone, Serialize)]
pub struct Decoded {
    /// The scope the interface was found in.
    pub scope: String,
    /// Bytes per data beat (from the width of `wstrb`).
    pub bus_bytes: u32,
    /// First and last decoded cycle (inclusive).
    pub first_cycle: u64,
    pub last_cycle: u64,
    /// Clock period in file time units, and the timescale (factor, 10^exp s).
    pub period: u64,
    pub timescale: (u32, i8),
    /// Transactions in address-handshake order (reads and writes merged by
    /// cycle, writes first within a cycle... see [`decode`]).
    pub transactions: Vec<Transaction>,
    pub channels: Channels,
    pub orphans: Orphans,
    /// Per decoded edge: its cycle, and `valid`/`ready` of the five
    /// channels (bits `2k`/`2k+1`, k = AW, W, B, AR, R), for statistics over
    /// a cycle window ([`Decoded::channels_in`]).
    #[serde(skip)]
    pub samples: Vec<(u64, u16)>,
}

impl Decoded {
    /// Channel statistics over the edges whose cycle is in `[c0, c1)`.
    pub fn channels_in(&self, c0: u64, c1: u64) -> Channels {
        let mut ch = Channels::default();
        for &(c, bits) in &self.samples {
            if !(c0..c1).contains(&c) {
                continue;
            }
            for (k, st) in [&mut ch.aw, &mut ch.w, &mut ch.b, &mut ch.ar, &mut ch.r]
                .into_iter()
                .enumerate()
            {
                let valid = bits >> (2 * k) & 1 == 1;
                let ready = bits >> (2 * k + 1) & 1 == 1;
                if valid {
                    st.valid_cycles += 1;
                    if ready {
                        st.beats += 1;
                    } else {
                        st.stall_cycles += 1;
                    }
                }
            }
        }
        ch
    }

    /// Cycles covered by the decode.
    pub fn cycles(&self) -> u64 {
        self.last_cycle + 1 - self.first_cycle
    }
    /// Seconds per file time unit.
    pub fn time_unit_s(&self) -> f64 {
        f64::from(self.timescale.0) * 10f64.powi(i32::from(self.timescale.1))
    }
}

/// Names of the interface signals: `<prefix><name><suffix>` with the
/// per-direction suffixes of the NIC (`_o` for master outputs, `_i` for
/// inputs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxiNames {
    pub prefix: String,
    pub out_suffix: String,
    pub in_suffix: String,
    pub clock: String,
    /// Only consider this scope (dotted full name); None: the shallowest
    /// scope holding every signal.
    pub scope: Option<String>,
}

impl Default for AxiNames {
    fn default() -> Self {
        AxiNames {
            prefix: "m_axi_".into(),
            out_suffix: "_o".into(),
            in_suffix: "_i".into(),
            clock: "clk_i".into(),
            scope: None,
        }
    }
}

/// Master outputs and inputs the decoder reads, in [`Sig`] order.
const OUTS: &[&str] = &[
    "awid", "awaddr", "awlen", "awsize", "awburst", "awvalid", "wstrb", "wlast", "wvalid",
    "bready", "arid", "araddr", "arlen", "arsize", "arburst", "arvalid", "rready",
];
const INS: &[&str] = &[
    "awready", "wready", "bid", "bresp", "bvalid", "arready", "rid", "rresp", "rlast", "rvalid",
];

#[derive(Clone, Copy)]
#[allow(dead_code)]
enum Sig {
    AwId,
    AwAddr,
    AwLen,
    AwSize,
    AwBurst,
    AwValid,
    WStrb,
    WLast,
    WValid,
    BReady,
    ArId,
    ArAddr,
    ArLen,
    ArSize,
    ArBurst,
    ArValid,
    RReady,
    AwReady,
    WReady,
    BId,
    BResp,
    BValid,
    ArReady,
    RId,
    RResp,
    RLast,
    RValid,
    Clk,
}
const N_SIGS: usize = Sig::Clk as usize + 1;

impl AxiNames {
    /// Every signal name the decoder needs, in [`Sig`] order (clock last).
    pub fn signal_names(&self) -> Vec<String> {
        OUTS.iter()
            .map(|n| format!("{}{n}{}", self.prefix, self.out_suffix))
            .chain(
                INS.iter()
                    .map(|n| format!("{}{n}{}", self.prefix, self.in_suffix)),
            )
            .chain(std::iter::once(self.clock.clone()))
            .collect()
    }
}

/// Options of [`decode`].
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    pub names: AxiNames,
}

/// Finds the interface's variables: the scope (shallowest first) that has
/// every one of `names`.
pub fn find_interface(wave: &Wave, names: &AxiNames) -> Result<(String, Vec<VarRef>), WaveError> {
    let h = wave.hierarchy();
    let wanted = names.signal_names();
    // scope -> found refs
    let mut scopes: Vec<(String, Vec<Option<VarRef>>)> = Vec::new();
    for v in h.all_vars() {
        let var = &h[v];
        let name = var.name(h);
        let Some(k) = wanted.iter().position(|w| w == name) else {
            continue;
        };
        let full = var.full_name(h);
        let scope = full
            .rsplit_once('.')
            .map(|(s, _)| s.to_string())
            .unwrap_or_default();
        if names.scope.as_ref().is_some_and(|s| *s != scope) {
            continue;
        }
        let entry = match scopes.iter_mut().position(|(s, _)| *s == scope) {
            Some(i) => &mut scopes[i].1,
            None => {
                scopes.push((scope, vec![None; wanted.len()]));
                &mut scopes.last_mut().expect("just pushed").1
            }
        };
        if entry[k].is_none() {
            entry[k] = Some(v);
        }
    }
    let complete = scopes
        .iter()
        .filter(|(_, refs)| refs.iter().all(Option::is_some))
        .min_by_key(|(s, _)| (s.matches('.').count(), s.clone()));
    if let Some((scope, refs)) = complete {
        return Ok((
            scope.clone(),
            refs.iter().map(|r| r.expect("all")).collect(),
        ));
    }
    // Report what the best candidate lacks.
    let best = scopes
        .iter()
        .max_by_key(|(s, refs)| (refs.iter().filter(|r| r.is_some()).count(), s.clone()));
    let (scope, missing) = match best {
        Some((s, refs)) => (
            Some(s.clone()),
            wanted
                .iter()
                .zip(refs)
                .filter(|(_, r)| r.is_none())
                .map(|(w, _)| w.clone())
                .collect(),
        ),
        None => (names.scope.clone(), wanted.clone()),
    };
    Err(WaveError::MissingSignals {
        path: wave.path().to_path_buf(),
        missing,
        prefix: names.prefix.clone(),
        clock: names.clock.clone(),
        scope,
    })
}

#[derive(Default)]
struct Pending {
    /// Index into the transaction list.
    txn: usize,
}

/// Decodes every AXI4 transaction of the DMA interface in `wave`.
pub fn decode(wave: &mut Wave, opts: &DecodeOptions) -> Result<Decoded, WaveError> {
    let (scope, vars) = find_interface(wave, &opts.names)?;
    let names = opts.names.signal_names();
    let sigs = wave.changes(&vars);
    // Widths the decoder relies on.
    for (k, max) in [
        (Sig::AwAddr, 128),
        (Sig::ArAddr, 128),
        (Sig::WStrb, 32),
        (Sig::AwLen, 8),
        (Sig::ArLen, 8),
    ] {
        let w = sigs[k as usize].width;
        if w > max {
            return Err(WaveError::BadWidth {
                path: wave.path().to_path_buf(),
                signal: names[k as usize].clone(),
                width: w,
                expected: format!("at most {max}"),
            });
        }
    }
    let strb_w = sigs[Sig::WStrb as usize].width;
    if !strb_w.is_power_of_two() {
        return Err(WaveError::BadWidth {
            path: wave.path().to_path_buf(),
            signal: names[Sig::WStrb as usize].clone(),
            width: strb_w,
            expected: "a power of two (bytes per beat)".into(),
        });
    }
    let tt = wave.time_table().to_vec();
    // Rising edges of the clock, as time-table indices.
    let clk = &sigs[Sig::Clk as usize];
    let mut edges = Vec::new();
    let mut prev = None;
    for &(t, v) in &clk.changes {
        let v = v & 1;
        if v == 1 && prev == Some(0) && t > 0 {
            edges.push(t);
        }
        prev = Some(v);
    }
    if edges.is_empty() {
        return Err(WaveError::NoClock {
            path: wave.path().to_path_buf(),
            clock: names[Sig::Clk as usize].clone(),
        });
    }
    let period = if edges.len() >= 2 {
        (tt[edges[1] as usize] - tt[edges[0] as usize]).max(1)
    } else {
        2
    };
    let mut cur: Vec<Cursor<'_>> = sigs.iter().map(Cursor::new).collect();
    debug_assert_eq!(cur.len(), N_SIGS);
    let mut txns: Vec<Transaction> = Vec::new();
    let mut w_queue: VecDeque<Pending> = VecDeque::new(); // writes awaiting W beats
    let mut early_w: VecDeque<(u64, u32, bool)> = VecDeque::new(); // (cycle, strb, last)
    let mut b_wait: Vec<usize> = Vec::new(); // writes awaiting B, AW order
    let mut r_wait: Vec<usize> = Vec::new(); // reads awaiting R, AR order
    let mut ch = Channels::default();
    let mut orphans = Orphans::default();
    let mut seen_aw = false;
    let mut samples = Vec::with_capacity(edges.len());
    let bus_bytes = strb_w;
    let first_cycle = tt[edges[0] as usize] / period;
    let mut last_cycle = first_cycle;
    for &e in &edges {
        let s = e - 1; // last change before the edge
        let time = tt[e as usize];
        let cycle = time / period;
        last_cycle = cycle;
        let mut v = [0u128; N_SIGS];
        for (k, c) in cur.iter_mut().enumerate() {
            v[k] = c.at(s);
        }
        let b = |x: Sig| v[x as usize] & 1 == 1;
        let count = |st: &mut ChannelStats, valid: bool, ready: bool| {
            if valid {
                st.valid_cycles += 1;
                if ready {
                    st.beats += 1;
                } else {
                    st.stall_cycles += 1;
                }
            }
            valid && ready
        };
        let mut bits = 0u16;
        for (k, (vs, rs)) in [
            (Sig::AwValid, Sig::AwReady),
            (Sig::WValid, Sig::WReady),
            (Sig::BValid, Sig::BReady),
            (Sig::ArValid, Sig::ArReady),
            (Sig::RValid, Sig::RReady),
        ]
        .into_iter()
        .enumerate()
        {
            bits |= u16::from(b(vs)) << (2 * k) | u16::from(b(rs)) << (2 * k + 1);
        }
        samples.push((cycle, bits));
        let aw = count(&mut ch.aw, b(Sig::AwValid), b(Sig::AwReady));
        let w = count(&mut ch.w, b(Sig::WValid), b(Sig::WReady));
        let bh = count(&mut ch.b, b(Sig::BValid), b(Sig::BReady));
        let ar = count(&mut ch.ar, b(Sig::ArValid), b(Sig::ArReady));
        let r = count(&mut ch.r, b(Sig::RValid), b(Sig::RReady));
        // Address handshakes first: the memory model logs an AW before the
        // W beats of the same edge, and so does this decoder.
        if aw {
            seen_aw = true;
            let t = new_txn(Dir::Write, &v, Sig::AwId, cycle, time);
            txns.push(t);
            let i = txns.len() - 1;
            w_queue.push_back(Pending { txn: i });
            b_wait.push(i);
            while let Some((c, strb, last)) = early_w.pop_front() {
                w_beat(&mut txns, &mut w_queue, c, strb, last);
            }
        }
        if w {
            let strb = v[Sig::WStrb as usize] as u32;
            let last = b(Sig::WLast);
            if w_queue.is_empty() {
                early_w.push_back((cycle, strb, last));
                if last && !seen_aw {
                    // A burst whose AW came before the file began.
                    orphans.w_beats += early_w.len() as u64;
                    early_w.clear();
                }
            } else {
                w_beat(&mut txns, &mut w_queue, cycle, strb, last);
            }
        }
        if ar {
            let mut t = new_txn(Dir::Read, &v, Sig::ArId, cycle, time);
            t.bytes = (u64::from(t.beats) * u64::from(bus_bytes))
                .saturating_sub(t.addr % u64::from(bus_bytes));
            txns.push(t);
            r_wait.push(txns.len() - 1);
        }
        if r {
            let id = v[Sig::RId as usize] as u32;
            match r_wait.iter().position(|&i| txns[i].id == id) {
                Some(k) => {
                    let t = &mut txns[r_wait[k]];
                    let resp = Resp::from_bits(v[Sig::RResp as usize]);
                    if t.resp == Resp::Okay || (!t.resp.is_err() && resp.is_err()) {
                        t.resp = resp;
                    }
                    t.cycle_first_data.get_or_insert(cycle);
                    t.cycle_last_data = Some(cycle);
                    t.beats_seen += 1;
                    if b(Sig::RLast) {
                        if t.beats_seen == t.beats {
                            t.cycle_done = Some(cycle);
                            t.time_done = Some(time);
                            r_wait.remove(k);
                        } else {
                            // RLAST at the wrong beat: these beats were a
                            // burst of the same ID issued before the file.
                            orphans.r_beats += u64::from(t.beats_seen);
                            t.beats_seen = 0;
                            t.cycle_first_data = None;
                            t.cycle_last_data = None;
                            t.resp = Resp::Okay;
                        }
                    }
                }
                None => orphans.r_beats += 1,
            }
        }
        if bh {
            let id = v[Sig::BId as usize] as u32;
            // The oldest write of that ID; a B before its last W beat
            // belongs to a write issued before the file began.
            match b_wait
                .iter()
                .position(|&i| txns[i].id == id)
                .filter(|&k| txns[b_wait[k]].beats_seen >= txns[b_wait[k]].beats)
            {
                Some(k) => {
                    let t = &mut txns[b_wait[k]];
                    let resp = Resp::from_bits(v[Sig::BResp as usize]);
                    if !t.resp.is_err() {
                        t.resp = resp;
                    }
                    t.cycle_done = Some(cycle);
                    t.time_done = Some(time);
                    b_wait.remove(k);
                }
                None => orphans.b_resps += 1,
            }
        }
    }
    orphans.w_beats += early_w.len() as u64;
    tracing::debug!(
        path = %wave.path().display(),
        transactions = txns.len(),
        edges = edges.len(),
        "decoded DMA transactions"
    );
    Ok(Decoded {
        scope,
        bus_bytes,
        first_cycle,
        last_cycle,
        period,
        timescale: wave.timescale(),
        transactions: txns,
        channels: ch,
        orphans,
        samples,
    })
}

fn new_txn(dir: Dir, v: &[u128; N_SIGS], base: Sig, cycle: u64, time: u64) -> Transaction {
    let at = |k: usize| v[base as usize + k];
    Transaction {
        dir,
        id: at(0) as u32,
        addr: at(1) as u64,
        beats: at(2) as u16 + 1,
        size: at(3) as u8,
        burst: at(4) as u8,
        bytes: 0,
        first_strb: None,
        last_strb: None,
        resp: Resp::Okay,
        cycle_addr: cycle,
        time_addr: time,
        cycle_first_data: None,
        cycle_last_data: None,
        cycle_done: None,
        time_done: None,
        beats_seen: 0,
    }
}

fn w_beat(txns: &mut [Transaction], q: &mut VecDeque<Pending>, cycle: u64, strb: u32, last: bool) {
    let Some(p) = q.front() else { return };
    let t = &mut txns[p.txn];
    if t.beats_seen == 0 {
        t.first_strb = Some(strb);
        t.cycle_first_data = Some(cycle);
    }
    t.beats_seen += 1;
    t.bytes += u64::from(strb.count_ones());
    t.cycle_last_data = Some(cycle);
    if t.beats_seen >= t.beats || last {
        t.last_strb = Some(strb);
        q.pop_front();
    }
}

/// Keeps the transactions that touch `[lo, hi)` and whose address
/// handshake is in the cycle window `[c0, c1)` and the time window `[t0, t1)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    pub addr: Option<(u64, u64)>,
    pub cycles: Option<(u64, u64)>,
    pub times: Option<(u64, u64)>,
}

impl Filter {
    pub fn keep(&self, t: &Transaction) -> bool {
        self.addr.is_none_or(|(lo, hi)| t.overlaps(lo, hi))
            && self
                .cycles
                .is_none_or(|(a, b)| (a..b).contains(&t.cycle_addr))
            && self
                .times
                .is_none_or(|(a, b)| (a..b).contains(&t.time_addr))
    }
}

/// The decoded transactions as a fixed-width text table: time and cycle of
/// the address handshake, direction, address, bytes (strobed for writes),
/// beats, burst type x bytes per beat, ID, response (`(open)` if the file
/// ends first) and cycles from the address to the last R beat / the B.
pub fn table(d: &Decoded, txns: &[&Transaction]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let unit = unit_name(d.timescale);
    let _ = writeln!(
        s,
        "{:>14} {:>10} {:>5} {:>18} {:>6} {:>5} {:>10} {:>3} {:>7} {:>8}",
        format!("time({unit})"),
        "cycle",
        "dir",
        "address",
        "bytes",
        "beats",
        "burst",
        "id",
        "resp",
        "latency"
    );
    for t in txns {
        let lat = t
            .cycle_done
            .map(|c| c.saturating_sub(t.cycle_addr).to_string())
            .unwrap_or_else(|| "-".into());
        let resp = if t.is_complete() {
            t.resp.to_string()
        } else {
            "(open)".into()
        };
        let burst = format!(
            "{}x{}",
            match t.burst {
                0 => "FIXED",
                1 => "INCR",
                2 => "WRAP",
                _ => "RSVD",
            },
            1u32 << t.size.min(7)
        );
        let _ = writeln!(
            s,
            "{:>14} {:>10} {:>5} {:>#18x} {:>6} {:>5} {:>10} {:>3} {:>7} {:>8}",
            t.time_addr,
            t.cycle_addr,
            match t.dir {
                Dir::Read => "RD",
                Dir::Write => "WR",
            },
            t.addr,
            t.bytes,
            t.beats,
            burst,
            t.id,
            resp,
            lat
        );
    }
    s
}

/// `ps`, `ns`, ... for a timescale (factor prefixed when not 1).
pub fn unit_name(ts: (u32, i8)) -> String {
    let u = match ts.1 {
        -21 => "zs",
        -18 => "as",
        -15 => "fs",
        -12 => "ps",
        -9 => "ns",
        -6 => "us",
        -3 => "ms",
        0 => "s",
        _ => "?",
    };
    if ts.0 == 1 {
        u.to_string()
    } else {
        format!("{}{u}", ts.0)
    }
}
