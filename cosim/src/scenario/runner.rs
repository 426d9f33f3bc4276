//! Runs a [`Scenario`]: host memory, the Verilated NIC, the NAPI driver, a
//! small network stack, the traffic, then close and the accounting.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::Range;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

use hostdriver::{Driver, NicDevice, RedirectTarget, SkBuff, TxError, XdpAction, XdpBuff};
use pool::{
    Coherence, DestroyOutcome, FailureInjection, HostAddr, HostMemory, MemConfig, NapiCtx,
    PagePool, PagePoolParams, PpPage,
};

use super::frames::{frame_hash, generate_frames};
use super::report::{
    fnv1a, summarise_ledger, Check, Counters, DmaSummary, PoolReport, Report, WireCounts, WireDir,
    WireFrame,
};
use super::{Consume, Direction, MemMisbehave, Scenario, Verdict};
use crate::bus::{Backpressure, Dir, Misbehave};
use crate::{Chance, PoolStorage, Sim, SimConfig};

type Drv = Driver<Sim<PoolStorage>>;

/// Where a run is, for progress displays.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Frames offered so far (wire in + xmit).
    pub offered: u64,
    /// Frames to offer.
    pub total: u64,
    /// Simulated cycle.
    pub cycle: u64,
}

/// A progress callback (called every few thousand cycles).
pub type ProgressFn<'a> = Box<dyn FnMut(&Progress) + 'a>;

/// `--waves PATH [--waves-window A..B]`.
#[derive(Debug, Clone)]
pub struct WavesOpt {
    /// FST file.
    pub path: PathBuf,
    /// Cycle window (whole run when absent).
    pub window: Option<Range<u64>>,
}

/// How to run (beyond the scenario itself).
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Write an FST waveform.
    pub waves: Option<WavesOpt>,
    /// Keep every frame seen on the wire in [`Report::wire_frames`].
    pub record_wire: bool,
    /// Frames to send instead of generated ones (`--pcap-in`).
    pub frames: Option<Vec<Vec<u8>>>,
    /// Turn the DMA ledger off (benchmarks): the sync summary is then empty.
    pub no_ledger: bool,
    /// Progress callback.
    pub progress: Option<ProgressFn<'a>>,
    /// Clock a model without assertions with two evals per cycle too
    /// ([`SimConfig::two_evals`]).
    pub two_evals: bool,
}

/// A run that could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// Bad input (an option value, an output path).
    #[error("{0}")]
    Input(String),
    /// The testbench, driver probe or open failed.
    #[error("{0}")]
    Setup(String),
}

/// Cycles per loop step (the driver services interrupts after each).
const QUANTUM: u64 = 16;
/// Quiet cycles that end a run once everything is idle.
const QUIET: u64 = 2000;
/// Frames queued in the wire source at most.
const SOURCE_QUEUE: usize = 256;

#[derive(Default)]
struct Stack {
    hold: usize,
    held: VecDeque<SkBuff>,
    copy_pool: Option<PagePool>,
    copies: VecDeque<PpPage>,
    mem: Option<HostMemory>,
    got: Vec<u64>,
    echo: Option<VecDeque<Vec<u8>>>,
    frames: u64,
    bytes: u64,
    errors: Vec<String>,
}

impl Stack {
    fn record(&mut self, skb: &SkBuff) {
        match skb.to_vec() {
            Ok(v) => {
                self.got.push(frame_hash(&v));
                self.frames += 1;
                self.bytes += v.len() as u64;
            }
            Err(e) => self.errors.push(format!("reading an skb: {e}")),
        }
    }

    fn in_napi(&mut self, skb: SkBuff, napi: &mut NapiCtx<'_>) {
        self.record(&skb);
        if self.hold == 0 {
            skb.free_in_napi(napi);
            return;
        }
        self.held.push_back(skb);
        if self.held.len() >= self.hold {
            for s in self.held.drain(..) {
                s.free_in_napi(napi);
            }
        }
    }

    fn in_process(&mut self, skb: SkBuff) {
        self.record(&skb);
        if let Some(q) = self.echo.as_mut() {
            match skb.to_vec() {
                Ok(v) => q.push_back(v),
                Err(e) => self.errors.push(format!("reading an skb to echo: {e}")),
            }
        }
        if let Some(pp) = self.copy_pool.as_mut() {
            let data = skb.to_vec().unwrap_or_default();
            skb.free();
            let mut off = 0;
            match pp.dev_alloc_frag(&mut off, data.len() as u32) {
                Ok(page) => {
                    let at = HostAddr::new(page.host_addr().raw_value() + u64::from(off));
                    if let Some(mem) = &self.mem {
                        if let Err(e) = mem.cpu_write(at, &data) {
                            self.errors.push(format!("copying an skb: {e}"));
                        }
                    }
                    self.copies.push_back(page);
                }
                Err(e) => self.errors.push(format!("stack copy pool: {e}")),
            }
            while self.copies.len() > self.hold {
                if let Some(p) = self.copies.pop_front() {
                    pp.put_page(p, -1, false);
                }
            }
            return;
        }
        self.held.push_back(skb);
        while self.held.len() > self.hold {
            if let Some(s) = self.held.pop_front() {
                s.free();
            }
        }
    }

    /// Frees everything still held, from process context.
    fn release_all(&mut self) {
        for s in self.held.drain(..) {
            s.free();
        }
        if let Some(pp) = self.copy_pool.as_mut() {
            for p in self.copies.drain(..) {
                pp.put_page(p, -1, false);
            }
        }
    }
}

/// `got` is `want` with some elements left out, in order.
fn subsequence(got: &[u64], want: &[u64]) -> Result<(), String> {
    let mut w = want.iter().enumerate();
    for (i, g) in got.iter().enumerate() {
        loop {
            match w.next() {
                Some((_, x)) if x == g => break,
                Some(_) => continue,
                None => {
                    return Err(format!(
                        "frame {i} of {} delivered is not one of the frames sent, or out of order",
                        got.len()
                    ))
                }
            }
        }
    }
    Ok(())
}

fn setup<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> RunError {
    move |e| RunError::Setup(format!("{what}: {e}"))
}

/// Runs `sc` and accounts for every frame and every page.
pub fn run(sc: &Scenario, mut opts: RunOptions<'_>) -> Result<Report, RunError> {
    let t0 = Instant::now();
    let t = &sc.traffic;
    let m = &sc.memory;
    let mem = HostMemory::try_new(MemConfig {
        nodes: m.nodes,
        pages_per_node: m.pages_per_node as usize,
        coherence: if m.coherent {
            Coherence::Coherent
        } else {
            Coherence::NonCoherent
        },
        ..MemConfig::default()
    })
    .map_err(setup("host memory"))?;
    let dma = pool::DmaDev::new(&mem, &sc.name);
    if opts.no_ledger {
        dma.set_ledger_enabled(false);
    }
    let mut scfg = SimConfig {
        name: sc.name.clone(),
        seed: t.seed,
        model: sc.model_config(),
        two_evals: opts.two_evals,
        ..SimConfig::default()
    };
    scfg.mem.read_latency = m.read_latency;
    scfg.mem.write_latency = m.write_latency;
    scfg.mem.backpressure = Backpressure::uniform(m.backpressure);
    scfg.mem.reorder_ids = m.reorder_ids;
    scfg.tx.stall = Chance::percent(m.tx_stall);
    scfg.mem.misbehave = match m.misbehave {
        MemMisbehave::None => None,
        MemMisbehave::ExtraRbeat => Some(Misbehave::ExtraRBeat),
    };
    let mut sim = Sim::new(scfg, PoolStorage::new(dma.clone())).map_err(setup("testbench"))?;
    if let Some(w) = &opts.waves {
        // The caller writes the save file once the waveform has its final
        // name; the format follows the extension (FST, or VCD).
        let mut spec = crate::WaveSpec::new(&w.path);
        spec.window = w.window.clone();
        spec.save_file = false;
        sim.waves_spec(&spec)
            .map_err(|e| RunError::Input(format!("--waves {}: {e}", w.path.display())))?;
    }
    let mut drv: Drv = Driver::probe(sim, sc.driver_config()).map_err(setup("driver probe"))?;
    let action = match sc.driver.verdict {
        Verdict::None => None,
        Verdict::Pass => Some(XdpAction::Pass),
        Verdict::Drop => Some(XdpAction::Drop),
        Verdict::Tx => Some(XdpAction::Tx),
        Verdict::Redirect => Some(XdpAction::Redirect(RedirectTarget::Ifindex(
            drv.config().ifindex,
        ))),
        Verdict::Aborted => Some(XdpAction::Aborted),
    };
    if let Some(act) = action {
        drv.set_xdp_prog(Some(Box::new(move |_: &mut XdpBuff| act)))
            .map_err(setup("XDP program"))?;
    }
    let stack = Rc::new(RefCell::new(Stack {
        hold: sc.stack.hold as usize,
        mem: Some(mem.clone()),
        echo: sc.stack.echo.then(VecDeque::new),
        ..Stack::default()
    }));
    if sc.stack.copy_pool_order > 0 {
        let pp = PagePool::create(PagePoolParams {
            order: sc.stack.copy_pool_order,
            ..PagePoolParams::new(&mem)
        })
        .map_err(setup("stack copy pool"))?;
        stack.borrow_mut().copy_pool = Some(pp);
    }
    if sc.stack.consume == Consume::Napi {
        let st = stack.clone();
        drv.set_rx_handler(Some(Box::new(
            move |skb: SkBuff, napi: &mut NapiCtx<'_>| -> Option<SkBuff> {
                st.borrow_mut().in_napi(skb, napi);
                None
            },
        )));
    }
    drv.open().map_err(setup("driver open"))?;

    let frames = opts
        .frames
        .take()
        .unwrap_or_else(|| generate_frames(t.frames, t.size, t.seed));
    let hashes: Vec<u64> = frames.iter().map(|f| frame_hash(f)).collect();
    let n = frames.len();
    let (rx_n, tx_n) = match t.direction {
        Direction::Rx => (n, 0),
        Direction::Tx | Direction::Loopback => (0, n),
    };
    let burst = if t.burst == 0 {
        usize::MAX
    } else {
        t.burst as usize
    };
    let bursts = if t.burst == 0 { 1 } else { n / burst + 1 } as u64;
    let max_cycles = 2_000_000 + n as u64 * 20_000 + bursts * t.gap_cycles;

    let mut wire_frames = Vec::new();
    let mut wire = WireCounts::default();
    let mut out_hashes = Vec::new();
    let (mut rx_next, mut tx_next) = (0usize, 0usize);
    let mut in_burst = 0usize;
    let mut gap_from: Option<u64> = None;
    let mut sent_seen = 0u64;
    let mut starving = false;
    let mut numa_switched = false;
    let mut quiet = 0u64;
    let mut echoed = 0u64;
    let mut last_activity = (0, 0, 0, 0);
    let mut failure: Option<String> = None;
    let mut next_progress = 0u64;
    let f = &sc.faults;
    loop {
        let cycle = drv.dev().cycle();
        // Bursts and gaps.
        if in_burst >= burst {
            let idle = drv.dev().rx().is_idle() && drv.tx_in_flight() == 0;
            if idle {
                let from = *gap_from.get_or_insert(cycle);
                if cycle >= from + t.gap_cycles {
                    in_burst = 0;
                    gap_from = None;
                }
            }
        }
        // The wire's RX side.
        while rx_next < rx_n && in_burst < burst && drv.dev().rx().pending() < SOURCE_QUEUE {
            if let Err(e) = drv.dev_mut().send_frame(frames[rx_next].clone()) {
                failure = Some(format!("wire source: {e}"));
                break;
            }
            rx_next += 1;
            in_burst += 1;
        }
        // The driver's transmits.
        while tx_next < tx_n && in_burst < burst {
            match drv.xmit(&frames[tx_next]) {
                Ok(()) => {
                    wire.xmit_frames += 1;
                    wire.xmit_bytes += frames[tx_next].len() as u64;
                    tx_next += 1;
                    in_burst += 1;
                }
                Err(TxError::Busy { .. } | TxError::NoMem(_)) => break,
                Err(e) => {
                    failure = Some(format!("xmit of frame {tx_next}: {e}"));
                    break;
                }
            }
        }
        // The stack's echoes.
        loop {
            let Some(f) = stack.borrow_mut().echo.as_mut().and_then(|q| q.pop_front()) else {
                break;
            };
            match drv.xmit(&f) {
                Ok(()) => {
                    wire.xmit_frames += 1;
                    wire.xmit_bytes += f.len() as u64;
                    echoed += 1;
                }
                Err(TxError::Busy { .. } | TxError::NoMem(_)) => {
                    if let Some(q) = stack.borrow_mut().echo.as_mut() {
                        q.push_front(f);
                    }
                    break;
                }
                Err(e) => {
                    failure = Some(format!("echo xmit: {e}"));
                    break;
                }
            }
        }
        if failure.is_some() {
            break;
        }
        if let Err(e) = drv.run_for(QUANTUM, QUANTUM) {
            failure = Some(format!("cycle {}: {e}", drv.dev().cycle()));
            break;
        }
        let cycle = drv.dev().cycle();
        // Frames that left the wire source during this step.
        let sent = drv.dev().rx().sent();
        if sent > sent_seen {
            for i in sent_seen..sent {
                let fr = &frames[i as usize];
                wire.rx_frames += 1;
                wire.rx_bytes += fr.len() as u64;
                if opts.record_wire {
                    wire_frames.push(WireFrame {
                        cycle,
                        dir: WireDir::In,
                        data: fr.clone(),
                    });
                }
            }
            sent_seen = sent;
            let s32 = sent.min(u64::from(u32::MAX)) as u32;
            if let Some(from) = f.starve_from_frame {
                let until = f.starve_until_frame.unwrap_or(u32::MAX);
                let want = s32 >= from && s32 < until;
                if want != starving {
                    starving = want;
                    let mode = if want {
                        FailureInjection::NextN(u64::MAX)
                    } else {
                        FailureInjection::Off
                    };
                    tracing::info!(
                        cycle,
                        sent,
                        starving,
                        "scenario: RX pool allocation failures"
                    );
                    if let Err(e) = drv.inject_rx_alloc_failures(mode) {
                        failure = Some(format!("failure injection: {e}"));
                        break;
                    }
                }
            }
            if let Some(at) = f.numa_switch_at_frame {
                if !numa_switched && s32 >= at {
                    numa_switched = true;
                    tracing::info!(cycle, sent, "scenario: current CPU moves to NUMA node 1");
                    if let Err(e) = drv.host_mem().set_local_node(1) {
                        failure = Some(format!("NUMA switch: {e}"));
                        break;
                    }
                }
            }
        }
        // The stack, from process context.
        if sc.stack.consume == Consume::Process {
            let skbs = drv.drain_rx();
            let mut st = stack.borrow_mut();
            for skb in skbs {
                st.in_process(skb);
            }
        }
        // The wire's TX side.
        for fr in drv.dev_mut().take_tx_frames() {
            wire.tx_frames += 1;
            wire.tx_bytes += fr.data.len() as u64;
            out_hashes.push(frame_hash(&fr.data));
            if opts.record_wire {
                wire_frames.push(WireFrame {
                    cycle: fr.first_cycle,
                    dir: WireDir::Out,
                    data: fr.data,
                });
            }
        }
        if let Some(p) = opts.progress.as_mut() {
            if cycle >= next_progress {
                next_progress = cycle + 8192;
                p(&Progress {
                    offered: sent_seen + tx_next as u64,
                    total: n as u64,
                    cycle,
                });
            }
        }
        let echo_pending = stack.borrow().echo.as_ref().is_some_and(|q| !q.is_empty());
        let idle = rx_next == rx_n
            && tx_next == tx_n
            && !echo_pending
            && drv.dev().rx().is_idle()
            && !drv.napi_scheduled()
            && drv.tx_in_flight() == 0
            && drv.tx_backlog_len() == 0
            && !drv.dev().irq_asserted();
        let ds = drv.stats();
        let activity = (ds.rx_packets, ds.tx_packets, ds.irqs, ds.napi_polls);
        if idle && activity == last_activity {
            quiet += QUANTUM;
            if quiet >= QUIET {
                // Nothing moved for a while: done if the NIC is idle too.
                match drv.dev_mut().mmio_read(nic_hw::regs::STATUS) {
                    Ok(st) if st & nic_hw::regs::status::IDLE != 0 => break,
                    Ok(_) => quiet = 0,
                    Err(e) => {
                        failure = Some(format!("reading STATUS: {e}"));
                        break;
                    }
                }
            }
        } else {
            quiet = 0;
        }
        last_activity = activity;
        if cycle > max_cycles {
            failure = Some(format!(
                "did not settle within {max_cycles} cycles: {} of {rx_n} frames offered on the wire, {} of {tx_n} transmitted, {} TX in flight, NAPI scheduled {}",
                rx_next,
                tx_next,
                drv.tx_in_flight(),
                drv.napi_scheduled()
            ));
            break;
        }
    }
    // Completions the driver has not processed although it went idle (a
    // lost interrupt would leave some behind).
    let left_behind = if failure.is_none() {
        let regs_now = (|| -> Result<(u32, u32, u32), hostdriver::DevError> {
            let d = drv.dev_mut();
            Ok((
                d.mmio_read(nic_hw::regs::RX_CQ_PROD)?,
                d.mmio_read(nic_hw::regs::IRQ_STATUS)?,
                d.mmio_read(nic_hw::regs::IRQ_MASK)?,
            ))
        })();
        match regs_now {
            Ok((prod, st, mask)) => {
                let behind = (prod as u16).wrapping_sub(drv.stats().rx_packets as u16);
                Some((behind, st, mask, drv.dev().irq_asserted()))
            }
            Err(_) => None,
        }
    } else {
        None
    };
    // `page-pool-get` dump while the interface is up.
    let pool_dump = pool::PoolRegistry::of(&mem).dump();
    // The stack lets go of everything it held, then the interface goes down.
    stack.borrow_mut().release_all();
    let close = drv.close();
    // Completions drained by close, and frames sent meanwhile.
    {
        let mut st = stack.borrow_mut();
        for skb in drv.drain_rx() {
            st.in_process(skb);
        }
        st.release_all();
    }
    for fr in drv.dev_mut().take_tx_frames() {
        wire.tx_frames += 1;
        wire.tx_bytes += fr.data.len() as u64;
        out_hashes.push(frame_hash(&fr.data));
        if opts.record_wire {
            wire_frames.push(WireFrame {
                cycle: fr.first_cycle,
                dir: WireDir::Out,
                data: fr.data,
            });
        }
    }
    drv.dev_mut().waves_close();
    let copy_pool_info = {
        let mut st = stack.borrow_mut();
        st.copy_pool.take().map(|pp| {
            let h = pp.handle();
            let out = pp.destroy();
            (h.info(), out, h.violations())
        })
    };
    let cycles = drv.dev().cycle();
    let wall = t0.elapsed().as_secs_f64();

    // ---- accounting ---------------------------------------------------------
    let s = drv.stats();
    let hw = match &close {
        Ok(r) => r.hw,
        Err(_) => drv.hw_stats().unwrap_or_default(),
    };
    let ethtool = match drv.ethtool_stats() {
        Ok(v) => Counters(v),
        Err(_) => Counters(
            s.pairs()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ),
    };
    let nic = Counters(
        hw.pairs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    );
    let mut drops = Counters::default();
    drops.push("nic_rx_no_desc", hw.hw_rx_drop_no_desc);
    drops.push("nic_rx_too_long", hw.hw_rx_drop_too_long);
    drops.push("nic_rx_off", hw.hw_rx_drop_off);
    drops.push("nic_rx_dma_err", hw.hw_rx_drop_dma_err);
    drops.push("nic_tx_bad_desc", hw.hw_tx_bad_desc);
    drops.push("xdp_drop", s.rx_xdp_drop);
    drops.push("xdp_aborted", s.rx_xdp_aborted);
    drops.push("xdp_tx_ring_full", s.rx_xdp_tx_errors);
    drops.push("rx_len_errors", s.rx_len_errors);
    drops.push("tx_dropped_at_close", s.tx_dropped_at_close);

    let mut pools = Vec::new();
    if let Some(h) = drv.rx_pool() {
        pools.push(PoolReport {
            role: "rx".into(),
            info: h.info(),
        });
    }
    if let Some(h) = drv.tx_pool() {
        pools.push(PoolReport {
            role: "tx".into(),
            info: h.info(),
        });
    }
    if let Some((info, _, _)) = &copy_pool_info {
        pools.push(PoolReport {
            role: "stack-copy".into(),
            info: info.clone(),
        });
    }

    let ledger = dma.ledger();
    let (syncs, ledger_ops) = summarise_ledger(&ledger);
    // Hashes over every field of every record (no formatting: this runs
    // over the whole log at the end of long runs).
    let mut lh = 0;
    for e in &ledger {
        let mut b = [0u8; 42];
        b[0..8].copy_from_slice(&e.cycle.to_le_bytes());
        b[8] = e.op as u8;
        b[9] = e.dir as u8;
        b[10..18].copy_from_slice(&e.dma.raw_value().to_le_bytes());
        b[18..26].copy_from_slice(&e.offset.to_le_bytes());
        b[26..34].copy_from_slice(&e.len.to_le_bytes());
        b[34..42].copy_from_slice(&e.page.raw_value().to_le_bytes());
        lh = fnv1a(lh, &b);
    }
    let log = drv.dev().mem().log();
    let mut dh = 0;
    let mut dsum = DmaSummary::default();
    let (mut rd, mut wr) = ([0u64; 3], [0u64; 3]);
    for r in log {
        let mut b = [0u8; 46];
        b[0] = r.dir as u8;
        b[1] = r.id;
        b[2..10].copy_from_slice(&r.addr.to_le_bytes());
        b[10..18].copy_from_slice(&r.bytes.to_le_bytes());
        b[18..20].copy_from_slice(&r.beats.to_le_bytes());
        b[20..28].copy_from_slice(&r.cycle_addr.to_le_bytes());
        b[28] = u8::from(r.cycle_done.is_some());
        b[29..37].copy_from_slice(&r.cycle_done.unwrap_or(0).to_le_bytes());
        b[37] = r.resp as u8;
        b[38..46].copy_from_slice(&(r.fault.as_ref().map_or(0, |f| f.len()) as u64).to_le_bytes());
        dh = fnv1a(dh, &b);
        if let Some(f) = &r.fault {
            dh = fnv1a(dh, f.as_bytes());
        }
        let i = usize::from(r.id.min(2));
        match r.dir {
            Dir::Read => {
                rd[i] += 1;
                dsum.read_bytes += r.bytes;
            }
            Dir::Write => {
                wr[i] += 1;
                dsum.write_bytes += r.bytes;
            }
        }
        if r.fault.is_some() || r.resp != crate::bus::Resp::Okay {
            dsum.error_bursts += 1;
        }
    }
    for (i, name) in ["rx_desc", "tx_desc", "tx_data"].iter().enumerate() {
        dsum.read_bursts.push(*name, rd[i]);
    }
    for (i, name) in ["rx_data", "rx_cpl", "tx_cpl"].iter().enumerate() {
        dsum.write_bursts.push(*name, wr[i]);
    }

    // ---- checks ---------------------------------------------------------------
    let st = stack.borrow();
    wire.stack_frames = st.frames;
    wire.stack_bytes = st.bytes;
    let mut checks = Vec::new();
    let mut check = |name: &str, ok: bool, detail: String| {
        checks.push(Check {
            name: name.to_string(),
            ok,
            detail,
        })
    };
    check(
        "run completed",
        failure.is_none(),
        failure
            .clone()
            .unwrap_or_else(|| "traffic offered, driver idle".into()),
    );
    if let Some((behind, st, mask, line)) = left_behind {
        check(
            "driver idle with no completion left behind",
            behind == 0,
            format!(
                "{behind} RX completions unprocessed when the driver went idle (IRQ_STATUS {st:#x}, IRQ_MASK {mask:#x}, irq line {line})"
            ),
        );
    }
    let rtl = drv.dev().halted().cloned();
    check(
        "no RTL assertion",
        rtl.is_none(),
        rtl.map_or_else(|| "none fired".into(), |e| e.to_string()),
    );
    check(
        "wire delivered every frame",
        drv.dev().rx().sent() == rx_n as u64,
        format!(
            "{} of {rx_n} frames left the wire source",
            drv.dev().rx().sent()
        ),
    );
    let looped = if t.direction == Direction::Loopback {
        hw.hw_tx_frames
    } else {
        0
    };
    check(
        "NIC in = written + dropped by reason",
        hw.rx_frames_in() == rx_n as u64 + looped,
        format!(
            "{} in (wire {rx_n} + looped {looped}) = written {} + no_desc {} + too_long {} + off {} + dma_err {}",
            rx_n as u64 + looped,
            hw.hw_rx_frames,
            hw.hw_rx_drop_no_desc,
            hw.hw_rx_drop_too_long,
            hw.hw_rx_drop_off,
            hw.hw_rx_drop_dma_err
        ),
    );
    check(
        "completions = frames written",
        s.rx_packets == hw.hw_rx_frames,
        format!(
            "driver rx_packets {} vs NIC STAT_RX_FRAMES {}",
            s.rx_packets, hw.hw_rx_frames
        ),
    );
    let verdicts = s.rx_pass
        + s.rx_xdp_drop
        + s.rx_xdp_aborted
        + s.rx_xdp_tx
        + s.rx_xdp_redirect
        + s.rx_len_errors;
    check(
        "verdicts add up",
        s.rx_packets == verdicts,
        format!(
            "rx_packets {} = pass {} + drop {} + aborted {} + tx {} + redirect {} + len_errors {}",
            s.rx_packets,
            s.rx_pass,
            s.rx_xdp_drop,
            s.rx_xdp_aborted,
            s.rx_xdp_tx,
            s.rx_xdp_redirect,
            s.rx_len_errors
        ),
    );
    check(
        "stack got every PASS frame",
        st.frames == s.rx_pass,
        format!("stack received {} of {} passed", st.frames, s.rx_pass),
    );
    let want_in: &[u64] = match t.direction {
        Direction::Rx => &hashes,
        _ => &hashes[..tx_next],
    };
    let intact = subsequence(&st.got, want_in);
    check(
        "stack frames intact and in order",
        intact.is_ok(),
        intact
            .err()
            .unwrap_or_else(|| format!("{} frames byte-exact, in wire order", st.got.len())),
    );
    let want_out: &[u64] = match t.direction {
        Direction::Tx => &hashes[..tx_next],
        Direction::Rx => &hashes,
        Direction::Loopback => &[],
    };
    if sc.stack.echo {
        let left = st.echo.as_ref().map_or(0, VecDeque::len);
        check(
            "stack echoed every frame it received",
            echoed == st.frames && left == 0,
            format!(
                "{echoed} of {} received frames sent back, {left} still queued",
                st.frames
            ),
        );
    }
    let intact = subsequence(&out_hashes, want_out);
    check(
        "wire-out frames intact and in order",
        intact.is_ok(),
        intact
            .err()
            .unwrap_or_else(|| format!("{} frames byte-exact, in order", out_hashes.len())),
    );
    let tx_in = s.tx_xmit + s.rx_xdp_tx + s.rx_xdp_redirect
        - s.rx_xdp_tx_errors.min(s.rx_xdp_tx + s.rx_xdp_redirect);
    let tx_out = s.tx_packets + s.tx_bad_desc + s.tx_dropped_at_close;
    check(
        "TX queued = completed",
        tx_in == tx_out,
        format!(
            "xmit {} + xdp_tx {} + redirect {} - ring full {} = sent {} + bad_desc {} + dropped at close {}",
            s.tx_xmit,
            s.rx_xdp_tx,
            s.rx_xdp_redirect,
            s.rx_xdp_tx_errors,
            s.tx_packets,
            s.tx_bad_desc,
            s.tx_dropped_at_close
        ),
    );
    let wire_expect = if t.direction == Direction::Loopback {
        0
    } else {
        hw.hw_tx_frames
    };
    check(
        "wire out = frames sent by the NIC",
        wire.tx_frames == wire_expect && hw.hw_tx_frames == s.tx_packets,
        format!(
            "wire out {} (expected {wire_expect}), NIC STAT_TX_FRAMES {}, TX completions {}",
            wire.tx_frames, hw.hw_tx_frames, s.tx_packets
        ),
    );
    check(
        "no DMA error",
        hw.hw_dma_errors == 0 && dsum.error_bursts == 0,
        format!(
            "STAT_DMA_ERRORS {}, error bursts {}",
            hw.hw_dma_errors, dsum.error_bursts
        ),
    );
    match &close {
        Ok(r) => {
            let copy_inflight = copy_pool_info.as_ref().map_or(0, |(i, _, _)| i.inflight);
            check(
                "no page in flight after close",
                r.rx_inflight == 0 && r.tx_inflight == 0 && copy_inflight == 0,
                format!(
                    "RX pool {}, TX pool {}, stack copy pool {copy_inflight} pages in flight (close drained {} RX completions, released {} posted buffers, {} TX unsent)",
                    r.rx_inflight, r.tx_inflight, r.rx_drained, r.rx_buffers_released, r.tx_unsent
                ),
            );
            let copy_freed = copy_pool_info
                .as_ref()
                .is_none_or(|(_, o, _)| *o == DestroyOutcome::Freed);
            check(
                "pools freed at destroy",
                r.rx_pool == DestroyOutcome::Freed
                    && r.tx_pool == DestroyOutcome::Freed
                    && copy_freed,
                format!("RX {:?}, TX {:?}", r.rx_pool, r.tx_pool),
            );
            check(
                "no DMA mapping left",
                r.live_mappings == 0,
                format!("{} live mappings after close", r.live_mappings),
            );
        }
        Err(e) => check("close", false, e.to_string()),
    }
    let v = dma.violations();
    check(
        "no DMA-API violation",
        v.is_empty(),
        v.first().map_or_else(
            || "none".into(),
            |x| format!("{} violations; first: {x}", v.len()),
        ),
    );
    let faults = drv.dev().storage().faults();
    check(
        "no NIC DMA fault",
        faults.is_empty(),
        faults.first().map_or_else(
            || "none".into(),
            |x| format!("{} faults; first: {x}", faults.len()),
        ),
    );
    let mut pv: Vec<String> = Vec::new();
    for h in [drv.rx_pool(), drv.tx_pool()].into_iter().flatten() {
        pv.extend(h.violations().iter().map(|x| format!("{x:?}")));
    }
    if let Some((_, _, v)) = &copy_pool_info {
        pv.extend(v.iter().map(|x| format!("{x:?}")));
    }
    pv.extend(drv.skb_violations().iter().map(|x| format!("{x:?}")));
    pv.extend(st.errors.iter().cloned());
    check(
        "no page-pool or skb misuse",
        pv.is_empty(),
        pv.first().map_or_else(
            || "none".into(),
            |x| format!("{} found; first: {x}", pv.len()),
        ),
    );
    drop(st);

    wire_frames.sort_by_key(|w| w.cycle);
    Ok(Report {
        scenario: sc.name.clone(),
        description: sc.description.clone(),
        seed: t.seed,
        config: sc.clone(),
        wire,
        cycles,
        wall_secs: wall,
        cycles_per_sec: cycles as f64 / wall.max(1e-9),
        frames_per_sec: (wire.rx_frames + wire.xmit_frames) as f64 / wall.max(1e-9),
        drops,
        ethtool,
        nic,
        pools,
        pool_dump,
        syncs,
        ledger_ops,
        dma: dsum,
        checks,
        ledger_entries: ledger.len() as u64,
        ledger_hash: format!("{lh:016x}"),
        dma_log_entries: log.len() as u64,
        dma_log_hash: format!("{dh:016x}"),
        wire_frames,
    })
}
