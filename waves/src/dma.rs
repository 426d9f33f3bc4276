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

pub use axi::{Burst, Dir, Resp};
use serde::Serialize;
use wellen::VarRef;

use crate::load::{Changes, Cursor, Wave};
use crate::WaveError;

/// One decoded burst: the shared [`Burst`] record (what the co-simulation's
/// memory model logs too) plus what only a waveform shows: the strobes of
/// the first and last W beat, the file times and the data-beat cycles. It
/// reads as its [`Burst`] (`t.dir`, `t.addr`, `t.cycle_done`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Direction, request, bytes (writes: 0 until all W beats are seen),
    /// response and the cycles of the address handshake and of the end
    /// (None if the waveform ends first).
    pub record: Burst,
    /// Write strobes of the first and the last beat (None for reads or
    /// before the beat is seen).
    pub first_strb: Option<u32>,
    pub last_strb: Option<u32>,
    /// Time of the address handshake.
    pub time_addr: u64,
    /// Cycle of the first / last data beat (W or R).
    pub cycle_first_data: Option<u64>,
    pub cycle_last_data: Option<u64>,
    /// Time of the end (see `record.cycle_done`).
    pub time_done: Option<u64>,
    /// Data beats seen so far.
    pub beats_seen: u16,
}

impl std::ops::Deref for Transaction {
    type Target = Burst;
    fn deref(&self) -> &Burst {
        &self.record
    }
}

/// The JSON form of a [`Transaction`]: one flat object, fields in this order.
#[derive(Serialize)]
struct TransactionJson {
    dir: Dir,
    id: u8,
    addr: u64,
    beats: u16,
    size: u8,
    burst: u8,
    bytes: u64,
    first_strb: Option<u32>,
    last_strb: Option<u32>,
    resp: Resp,
    cycle_addr: u64,
    time_addr: u64,
    cycle_first_data: Option<u64>,
    cycle_last_data: Option<u64>,
    cycle_done: Option<u64>,
    time_done: Option<u64>,
    beats_seen: u16,
}

impl Serialize for Transaction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let b = &self.record;
        TransactionJson {
            dir: b.dir,
            id: b.id,
            addr: b.addr,
            beats: b.beats,
            size: b.size,
            burst: b.burst,
            bytes: b.bytes,
            first_strb: self.first_strb,
            last_strb: self.last_strb,
            resp: b.resp,
            cycle_addr: b.cycle_addr,
            time_addr: self.time_addr,
            cycle_first_data: self.cycle_first_data,
            cycle_last_data: self.cycle_last_data,
            cycle_done: b.cycle_done,
            time_done: self.time_done,
            beats_seen: self.beats_seen,
        }
        .serialize(s)
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

/// Most bits the decoder takes from a signal (IDs: the shared record's
/// `u8`; strobes: 32 lanes; AxLEN: AXI4's 8 bits).
const MAX_WIDTHS: &[(Sig, u32)] = &[
    (Sig::AwAddr, 128),
    (Sig::ArAddr, 128),
    (Sig::WStrb, 32),
    (Sig::AwLen, 8),
    (Sig::ArLen, 8),
    (Sig::AwId, 8),
    (Sig::ArId, 8),
    (Sig::BId, 8),
    (Sig::RId, 8),
];

/// The valid/ready pairs of the five channels, AW, W, B, AR, R.
const HANDSHAKES: [(Sig, Sig); 5] = [
    (Sig::AwValid, Sig::AwReady),
    (Sig::WValid, Sig::WReady),
    (Sig::BValid, Sig::BReady),
    (Sig::ArValid, Sig::ArReady),
    (Sig::RValid, Sig::RReady),
];

/// Decodes every AXI4 transaction of the DMA interface in `wave`.
pub fn decode(wave: &mut Wave, opts: &DecodeOptions) -> Result<Decoded, WaveError> {
    let (scope, vars) = find_interface(wave, &opts.names)?;
    let names = opts.names.signal_names();
    let sigs = wave.changes(&vars);
    check_widths(wave, &names, &sigs)?;
    let tt = wave.time_table().to_vec();
    let edges = rising_edges(&sigs[Sig::Clk as usize]);
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
    let bus_bytes = sigs[Sig::WStrb as usize].width;
    let mut dec = Decoder::new(bus_bytes, edges.len());
    let first_cycle = tt[edges[0] as usize] / period;
    let mut last_cycle = first_cycle;
    for &e in &edges {
        let time = tt[e as usize];
        let cycle = time / period;
        last_cycle = cycle;
        let mut v = [0u128; N_SIGS];
        for (k, c) in cur.iter_mut().enumerate() {
            // The last change before the edge.
            v[k] = c.at(e - 1);
        }
        dec.edge(&v, cycle, time);
    }
    dec.orphans.w_beats += dec.early_w.len() as u64;
    tracing::debug!(
        path = %wave.path().display(),
        transactions = dec.txns.len(),
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
        transactions: dec.txns,
        channels: dec.channels,
        orphans: dec.orphans,
        samples: dec.samples,
    })
}

/// Refuses signals wider than the decoder reads ([`MAX_WIDTHS`]) and a
/// strobe whose width is not a power of two.
fn check_widths(wave: &Wave, names: &[String], sigs: &[Changes]) -> Result<(), WaveError> {
    let bad = |k: Sig, width: u32, expected: String| WaveError::BadWidth {
        path: wave.path().to_path_buf(),
        signal: names[k as usize].clone(),
        width,
        expected,
    };
    for &(k, max) in MAX_WIDTHS {
        let w = sigs[k as usize].width;
        if w > max {
            return Err(bad(k, w, format!("at most {max}")));
        }
    }
    let strb_w = sigs[Sig::WStrb as usize].width;
    if !strb_w.is_power_of_two() {
        return Err(bad(
            Sig::WStrb,
            strb_w,
            "a power of two (bytes per beat)".into(),
        ));
    }
    Ok(())
}

/// Rising edges of the clock, as time-table indices.
fn rising_edges(clk: &Changes) -> Vec<u32> {
    let mut edges = Vec::new();
    let mut prev = None;
    for &(t, v) in &clk.changes {
        let v = v & 1;
        if v == 1 && prev == Some(0) && t > 0 {
            edges.push(t);
        }
        prev = Some(v);
    }
    edges
}

/// Counts one edge of a channel; whether a beat moved.
fn count(st: &mut ChannelStats, valid: bool, ready: bool) -> bool {
    if valid {
        st.valid_cycles += 1;
        if ready {
            st.beats += 1;
        } else {
            st.stall_cycles += 1;
        }
    }
    valid && ready
}

/// The decoder's state between edges.
struct Decoder {
    bus_bytes: u32,
    txns: Vec<Transaction>,
    /// Writes awaiting W beats, AW order (indices into `txns`).
    w_queue: VecDeque<usize>,
    /// W beats before any AW: (cycle, strb, last).
    early_w: VecDeque<(u64, u32, bool)>,
    /// Writes awaiting B, AW order.
    b_wait: Vec<usize>,
    /// Reads awaiting R, AR order.
    r_wait: Vec<usize>,
    channels: Channels,
    orphans: Orphans,
    seen_aw: bool,
    samples: Vec<(u64, u16)>,
}

impl Decoder {
    fn new(bus_bytes: u32, edges: usize) -> Self {
        Decoder {
            bus_bytes,
            txns: Vec::new(),
            w_queue: VecDeque::new(),
            early_w: VecDeque::new(),
            b_wait: Vec::new(),
            r_wait: Vec::new(),
            channels: Channels::default(),
            orphans: Orphans::default(),
            seen_aw: false,
            samples: Vec::with_capacity(edges),
        }
    }

    /// One rising edge with the values `v` the flops see.
    fn edge(&mut self, v: &[u128; N_SIGS], cycle: u64, time: u64) {
        let b = |x: Sig| v[x as usize] & 1 == 1;
        let mut bits = 0u16;
        for (k, (vs, rs)) in HANDSHAKES.into_iter().enumerate() {
            bits |= u16::from(b(vs)) << (2 * k) | u16::from(b(rs)) << (2 * k + 1);
        }
        self.samples.push((cycle, bits));
        let ch = &mut self.channels;
        let aw = count(&mut ch.aw, b(Sig::AwValid), b(Sig::AwReady));
        let w = count(&mut ch.w, b(Sig::WValid), b(Sig::WReady));
        let bh = count(&mut ch.b, b(Sig::BValid), b(Sig::BReady));
        let ar = count(&mut ch.ar, b(Sig::ArValid), b(Sig::ArReady));
        let r = count(&mut ch.r, b(Sig::RValid), b(Sig::RReady));
        // Address handshakes first: the memory model logs an AW before the
        // W beats of the same edge, and so does this decoder.
        if aw {
            self.aw(v, cycle, time);
        }
        if w {
            self.w(v[Sig::WStrb as usize] as u32, b(Sig::WLast), cycle);
        }
        if ar {
            let mut t = new_txn(Dir::Read, v, Sig::ArId, cycle, time);
            let bus = u64::from(self.bus_bytes);
            t.record.bytes = (u64::from(t.beats) * bus).saturating_sub(t.addr % bus);
            self.txns.push(t);
            self.r_wait.push(self.txns.len() - 1);
        }
        if r {
            self.r(v, cycle, time);
        }
        if bh {
            self.b(v, cycle, time);
        }
    }

    fn aw(&mut self, v: &[u128; N_SIGS], cycle: u64, time: u64) {
        self.seen_aw = true;
        self.txns
            .push(new_txn(Dir::Write, v, Sig::AwId, cycle, time));
        let i = self.txns.len() - 1;
        self.w_queue.push_back(i);
        self.b_wait.push(i);
        while let Some((c, strb, last)) = self.early_w.pop_front() {
            self.w_beat(c, strb, last);
        }
    }

    fn w(&mut self, strb: u32, last: bool, cycle: u64) {
        if !self.w_queue.is_empty() {
            self.w_beat(cycle, strb, last);
            return;
        }
        self.early_w.push_back((cycle, strb, last));
        if last && !self.seen_aw {
            // A burst whose AW came before the file began.
            self.orphans.w_beats += self.early_w.len() as u64;
            self.early_w.clear();
        }
    }

    fn w_beat(&mut self, cycle: u64, strb: u32, last: bool) {
        let Some(&i) = self.w_queue.front() else {
            return;
        };
        let t = &mut self.txns[i];
        if t.beats_seen == 0 {
            t.first_strb = Some(strb);
            t.cycle_first_data = Some(cycle);
        }
        t.beats_seen += 1;
        t.record.bytes += u64::from(strb.count_ones());
        t.cycle_last_data = Some(cycle);
        if t.beats_seen >= t.beats || last {
            t.last_strb = Some(strb);
            self.w_queue.pop_front();
        }
    }

    fn r(&mut self, v: &[u128; N_SIGS], cycle: u64, time: u64) {
        let id = v[Sig::RId as usize] as u8;
        let Some(k) = self.r_wait.iter().position(|&i| self.txns[i].id == id) else {
            self.orphans.r_beats += 1;
            return;
        };
        let t = &mut self.txns[self.r_wait[k]];
        let resp = Resp::from_bits(v[Sig::RResp as usize] as u8);
        if t.resp == Resp::Okay || (!t.resp.is_err() && resp.is_err()) {
            t.record.resp = resp;
        }
        t.cycle_first_data.get_or_insert(cycle);
        t.cycle_last_data = Some(cycle);
        t.beats_seen += 1;
        if v[Sig::RLast as usize] & 1 == 0 {
            return;
        }
        if t.beats_seen == t.beats {
            t.record.cycle_done = Some(cycle);
            t.time_done = Some(time);
            self.r_wait.remove(k);
        } else {
            // RLAST at the wrong beat: these beats were a burst of the same
            // ID issued before the file.
            self.orphans.r_beats += u64::from(t.beats_seen);
            t.beats_seen = 0;
            t.cycle_first_data = None;
            t.cycle_last_data = None;
            t.record.resp = Resp::Okay;
        }
    }

    fn b(&mut self, v: &[u128; N_SIGS], cycle: u64, time: u64) {
        let id = v[Sig::BId as usize] as u8;
        // The oldest write of that ID; a B before its last W beat belongs
        // to a write issued before the file began.
        let txns = &self.txns;
        let Some(k) = self
            .b_wait
            .iter()
            .position(|&i| txns[i].id == id)
            .filter(|&k| txns[self.b_wait[k]].beats_seen >= txns[self.b_wait[k]].beats)
        else {
            self.orphans.b_resps += 1;
            return;
        };
        let t = &mut self.txns[self.b_wait[k]];
        let resp = Resp::from_bits(v[Sig::BResp as usize] as u8);
        if !t.resp.is_err() {
            t.record.resp = resp;
        }
        t.record.cycle_done = Some(cycle);
        t.time_done = Some(time);
        self.b_wait.remove(k);
    }
}

fn new_txn(dir: Dir, v: &[u128; N_SIGS], base: Sig, cycle: u64, time: u64) -> Transaction {
    let at = |k: usize| v[base as usize + k];
    Transaction {
        record: Burst::requested(
            dir,
            at(0) as u8,
            at(1) as u64,
            at(2) as u8,
            at(3) as u8,
            at(4) as u8,
            cycle,
        ),
        first_strb: None,
        last_strb: None,
        time_addr: time,
        cycle_first_data: None,
        cycle_last_data: None,
        time_done: None,
        beats_seen: 0,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_serializes_flat_in_its_documented_field_order() {
        let t = Transaction {
            record: Burst {
                bytes: 13,
                resp: Resp::SlvErr,
                cycle_done: Some(9),
                ..Burst::requested(Dir::Write, 2, 0x1003, 1, 3, 1, 5)
            },
            first_strb: Some(0xf8),
            last_strb: Some(0xff),
            time_addr: 11,
            cycle_first_data: Some(6),
            cycle_last_data: Some(7),
            time_done: Some(19),
            beats_seen: 2,
        };
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            concat!(
                r#"{"dir":"write","id":2,"addr":4099,"beats":2,"size":3,"burst":1,"bytes":13,"#,
                r#""first_strb":248,"last_strb":255,"resp":"SLVERR","cycle_addr":5,"time_addr":11,"#,
                r#""cycle_first_data":6,"cycle_last_data":7,"cycle_done":9,"time_done":19,"beats_seen":2}"#
            )
        );
        assert!(t.is_complete() && t.overlaps(0x100f, 0x1020) && !t.overlaps(0x1010, 0x1020));
    }
}
