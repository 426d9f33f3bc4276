//! End to end: waveforms of the Verilated NIC read back out.
//!
//! * the AXI4 transactions decoded from a waveform equal the memory model's
//!   own DMA log, transaction for transaction (FST, VCD, a cycle window);
//! * the GTKWave save file names only signals the waveform has;
//! * a failing run (an RTL assertion) is re-run with waves on for its last
//!   cycles only, and the waveform covers the failure;
//! * the driver-side markers (doorbells, NAPI, pool in-flight, syncs) are in
//!   the waveform of a run through the host driver.

use std::path::{Path, PathBuf};

use cosim::bus::{Backpressure, Dir, DmaRecord, Misbehave, Resp, SparseMem};
use cosim::replay::{with_failure_waves, WaveFormat, WaveSpec};
use cosim::waves::{self, Transaction};
use cosim::{Chance, ModelConfig, PoolStorage, Sim, SimConfig, SimError, SplitMix64};
use hostdriver::{Driver, DriverConfig};
use nic_hw::regs;
use nic_hw::wire::Descriptor;
use pool::{HostMemory, MemConfig, Platform};

const RX_RING: u64 = 0x0001_0000;
const RX_CQ: u64 = 0x0002_0000;
const TX_RING: u64 = 0x0003_0000;
const TX_CQ: u64 = 0x0004_0000;
const RX_BUF: u64 = 0x0010_0000;
const TX_BUF: u64 = 0x0080_0000;
const RING: u16 = 16;

fn out_dir(test: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("waves")
        .join(test);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create output dir");
    d
}

fn stress_cfg(seed: u64) -> SimConfig {
    let mut cfg = SimConfig {
        seed,
        ..SimConfig::default()
    };
    cfg.mem.read_latency = 7;
    cfg.mem.write_latency = 3;
    cfg.mem.backpressure = Backpressure::uniform(25);
    cfg.mem.reorder_ids = true;
    cfg.rx.idle_between_frames = Chance::percent(20);
    cfg.tx.stall = Chance::percent(20);
    cfg
}

/// Configures the rings, then posts RX buffers and TX frames and sends RX
/// frames on the wire; returns the testbench once every completion is in.
fn rx_tx_traffic(sim: &mut Sim<SparseMem>, seed: u64, frames: u16) -> Result<(), SimError> {
    let mut rng = SplitMix64::new(seed);
    for base in [RX_RING, RX_CQ, TX_RING, TX_CQ] {
        sim.storage_mut().poke(base, &[0; RING as usize * 16]);
    }
    for (lo, hi, base) in [
        (regs::RX_RING_BASE_LO, regs::RX_RING_BASE_HI, RX_RING),
        (regs::RX_CQ_BASE_LO, regs::RX_CQ_BASE_HI, RX_CQ),
        (regs::TX_RING_BASE_LO, regs::TX_RING_BASE_HI, TX_RING),
        (regs::TX_CQ_BASE_LO, regs::TX_CQ_BASE_HI, TX_CQ),
    ] {
        sim.write_reg(lo, base as u32)?;
        sim.write_reg(hi, (base >> 32) as u32)?;
    }
    sim.write_reg(regs::RX_RING_SIZE, u32::from(RING))?;
    sim.write_reg(regs::TX_RING_SIZE, u32::from(RING))?;
    sim.write_reg(regs::RX_HEADROOM, 66)?;
    sim.write_reg(regs::CTRL, regs::ctrl::ENABLE)?;
    let n = frames.min(RING);
    for i in 0..n {
        let slot = u64::from(i);
        let d = Descriptor::new(RX_BUF + slot * 0x1000 + 0x40, 2048, u32::from(i));
        sim.storage_mut().poke(RX_RING + slot * 16, &d.to_bytes());
        let len = 60 + rng.below(1400) as usize;
        let f: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let at = TX_BUF + slot * 0x1000 + 1 + slot * 13 % 64;
        sim.storage_mut().poke(at, &f);
        let d = Descriptor::new(at, len as u32, 0x100 + u32::from(i));
        sim.storage_mut().poke(TX_RING + slot * 16, &d.to_bytes());
    }
    sim.write_reg(regs::RX_PROD, u32::from(n))?;
    sim.write_reg(regs::TX_PROD, u32::from(n))?;
    for _ in 0..n {
        let len = 60 + rng.below(1400) as usize;
        sim.send_frame((0..len).map(|_| rng.next_u64() as u8).collect())?;
    }
    sim.run_until("all completions", 400_000, |s| {
        s.tx().frames().len() >= usize::from(n) && s.mem().is_idle() && s.rx().is_idle()
    })?;
    // Let the last completions' B beats land.
    sim.step_n(200)?;
    let rx_done = sim.read_reg(regs::RX_CQ_PROD)?;
    let tx_done = sim.read_reg(regs::TX_CQ_PROD)?;
    assert_eq!(
        (rx_done, tx_done),
        (u32::from(n), u32::from(n)),
        "completions"
    );
    Ok(())
}

/// The comparable part of a log record and of a decoded transaction.
type Key = (Dir, u8, u64, u64, u16, Resp, u64, Option<u64>);

fn log_key(r: &DmaRecord) -> Key {
    (
        r.dir,
        r.id,
        r.addr,
        r.bytes,
        r.beats,
        r.resp,
        r.cycle_addr,
        r.cycle_done,
    )
}

fn wave_key(t: &Transaction) -> Key {
    (
        t.dir,
        t.id,
        t.addr,
        t.bytes,
        t.beats,
        t.resp,
        t.cycle_addr,
        t.cycle_done,
    )
}

fn decode(path: &Path) -> waves::Decoded {
    let mut w = waves::open(path).unwrap_or_else(|e| panic!("{e}"));
    waves::decode(&mut w, &waves::DecodeOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_same(log: &[Key], got: &[Key]) {
    for (i, (a, b)) in log.iter().zip(got).enumerate() {
        assert_eq!(a, b, "transaction {i}: DMA log vs waveform");
    }
    assert_eq!(log.len(), got.len(), "number of transactions");
}

fn traced_run(path: &Path, format: WaveFormat, window: Option<std::ops::Range<u64>>) -> Vec<Key> {
    traced_run_on(ModelConfig::default(), path, format, window)
}

fn traced_run_on(
    model: ModelConfig,
    path: &Path,
    format: WaveFormat,
    window: Option<std::ops::Range<u64>>,
) -> Vec<Key> {
    let mut cfg = stress_cfg(61);
    cfg.model = model;
    let mut sim = Sim::new(cfg, SparseMem::new()).expect("sim");
    let spec = WaveSpec {
        format,
        window,
        ..WaveSpec::new(path)
    };
    sim.waves_spec(&spec).expect("waves");
    rx_tx_traffic(&mut sim, 61, RING).unwrap_or_else(|e| panic!("{e}"));
    sim.waves_close();
    sim.mem().log().iter().map(log_key).collect()
}

#[test]
fn decoded_transactions_equal_the_memory_models_dma_log_fst() {
    let dir = out_dir("log_fst");
    let path = dir.join("run.fst");
    let log = traced_run(&path, WaveFormat::Fst, None);
    assert!(
        log.len() > 50,
        "a scenario with traffic: {} bursts",
        log.len()
    );
    assert!(log.iter().any(|k| k.0 == Dir::Read) && log.iter().any(|k| k.0 == Dir::Write));
    let d = decode(&path);
    assert_eq!(d.bus_bytes, 8);
    assert_eq!(d.orphans, waves::dma::Orphans::default());
    let got: Vec<Key> = d.transactions.iter().map(wave_key).collect();
    assert_same(&log, &got);
    // Backpressure was on: the decoder saw stalls on the memory's readies.
    assert!(d.channels.aw.stall_cycles > 0 && d.channels.w.stall_cycles > 0);
    // Every DMA stream of the NIC is in it: reads 0 RX descriptors, 1 TX
    // descriptors, 2 TX payload; writes 0 RX payload, 1 RX and 2 TX
    // completions.
    for dir in [waves::Dir::Read, waves::Dir::Write] {
        for id in 0..3 {
            assert!(
                d.transactions.iter().any(|t| t.dir == dir && t.id == id),
                "{dir} id {id}"
            );
        }
    }
}

/// The 128-bit build, on the model without assertions (one eval per cycle,
/// both clock phases dumped while a waveform is open).
#[test]
fn decoded_transactions_equal_the_dma_log_at_128_bits_on_the_fast_model() {
    let dir = out_dir("log_fst_128");
    let path = dir.join("run.fst");
    let log = traced_run_on(ModelConfig::FAST, &path, WaveFormat::Fst, None);
    assert!(log.len() > 50, "{} bursts", log.len());
    let d = decode(&path);
    assert_eq!(d.bus_bytes, 16);
    assert_eq!(d.orphans, waves::dma::Orphans::default());
    let got: Vec<Key> = d.transactions.iter().map(wave_key).collect();
    assert_same(&log, &got);
}

#[test]
fn decoded_transactions_equal_the_dma_log_vcd() {
    let dir = out_dir("log_vcd");
    let path = dir.join("run.vcd");
    assert_eq!(
        WaveSpec::new(&path).format,
        WaveFormat::Vcd,
        "a .vcd path asks for VCD (Sim::waves too)"
    );
    let log = traced_run(&path, WaveFormat::Vcd, None);
    let text = std::fs::read_to_string(&path).expect("VCD is text");
    assert!(text.starts_with("$date") && text.contains("$enddefinitions"));
    assert!(
        !dir.join("run.vcd.tmp.fst").exists(),
        "temporary FST removed"
    );
    let got: Vec<Key> = decode(&path).transactions.iter().map(wave_key).collect();
    assert_same(&log, &got);
}

#[test]
fn a_cycle_window_holds_exactly_the_transactions_inside_it() {
    let dir = out_dir("window");
    let path = dir.join("win.fst");
    let window = 1_000..2_500;
    let log = traced_run(&path, WaveFormat::Fst, Some(window.clone()));
    let d = decode(&path);
    assert_eq!(d.first_cycle, window.start, "file starts at the window");
    assert_eq!(d.last_cycle, window.end - 1, "file ends with the window");
    // Bursts whose whole life is inside the window are decoded exactly,
    // unless a burst of the same direction and ID was in flight when the
    // window opened (its response cannot be told apart; see waves::dma).
    let open_at_start = |k: &Key| {
        log.iter().any(|p| {
            (p.0, p.1) == (k.0, k.1) && p.6 < window.start && p.7.is_none_or(|c| c >= window.start)
        })
    };
    let inside: Vec<Key> = log
        .iter()
        .filter(|k| window.contains(&k.6) && k.7.is_some_and(|c| window.contains(&c)))
        .filter(|k| !open_at_start(k))
        .cloned()
        .collect();
    let got: Vec<Key> = d
        .transactions
        .iter()
        .filter(|t| t.is_complete())
        .map(wave_key)
        .filter(|k| !open_at_start(k))
        .collect();
    assert!(
        d.orphans.w_beats + d.orphans.r_beats + d.orphans.b_resps > 0,
        "the window opened mid-burst"
    );
    assert!(
        inside.len() > 10,
        "{} bursts inside the window",
        inside.len()
    );
    assert_same(&inside, &got);
}

#[test]
fn the_gtkwave_save_file_names_only_signals_the_waveform_has() {
    let dir = out_dir("gtkw");
    let path = dir.join("run.fst");
    let mut sim = Sim::new(SimConfig::default(), SparseMem::new()).expect("sim");
    sim.waves(&path, Some(0..2_000)).expect("waves");
    rx_tx_traffic(&mut sim, 3, 2).unwrap_or_else(|e| panic!("{e}"));
    drop(sim);
    let gtkw = dir.join("run.gtkw");
    let text = std::fs::read_to_string(&gtkw).expect("save file next to the waveform");
    let wave = waves::open(&path).expect("open");
    let layout = waves::gtkw::resolve(&wave, &waves::gtkw::nic_layout());
    assert!(layout.missing.is_empty(), "missing: {:?}", layout.missing);
    assert!(layout.nic_scope.ends_with("u_nic"), "{}", layout.nic_scope);
    // Every trace line of the file is a variable of the waveform (with
    // GTKWave's range suffix on vectors).
    let mut names: std::collections::HashSet<String> = wave.var_names().into_iter().collect();
    for v in wave.var_names() {
        names.insert(v);
    }
    let traces: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(['[', '@', '-', '*']))
        .collect();
    assert!(traces.len() > 60, "{} traces", traces.len());
    for t in &traces {
        let base = t.split('[').next().unwrap();
        assert!(names.contains(base), "{t} is not in the waveform");
    }
    for group in [
        "AXI read address (AR)",
        "AXI read data (R)",
        "AXI write address (AW)",
        "AXI write data (W)",
        "AXI write response (B)",
        "RX descriptor fetch",
        "TX descriptor fetch",
        "RX engine",
        "TX engine",
        "Interrupts",
        "Driver markers",
    ] {
        assert!(
            text.contains(&format!("@800200\n-{group}\n")),
            "group {group}"
        );
    }
    assert!(text.contains(&format!(
        "[dumpfile] \"{}\"",
        path.canonicalize().unwrap().display()
    )));
    assert!(
        text.contains("m_axi_araddr_o[63:0]"),
        "vector names carry their range"
    );
}

/// A run where the memory model answers one R beat too many: the RTL's
/// assertion stops it. `waves` applies the failure-window spec.
fn misbehaving_run(waves: Option<&WaveSpec>) -> Result<u64, SimError> {
    let mut sim = Sim::new(stress_cfg(81), SparseMem::new())?;
    if let Some(spec) = waves {
        sim.waves_spec(spec)?;
    }
    // Some healthy traffic first, so the failure is deep into the run.
    rx_tx_traffic(&mut sim, 81, 4)?;
    sim.mem_mut().set_misbehave(Some(Misbehave::ExtraRBeat));
    let idx = sim.read_reg(regs::TX_PROD)?;
    sim.write_reg(regs::TX_PROD, idx + 1)?;
    sim.run_until("an assertion", 20_000, |_| false)?;
    Ok(sim.cycle())
}

#[test]
fn a_failing_run_is_replayed_with_waves_on_its_last_cycles_only() {
    let dir = out_dir("failure");
    let n = 500;
    let err = with_failure_waves("extra_r_beat", Some(&dir), n, misbehaving_run)
        .expect_err("the extra R beat must fail an RTL assertion");
    eprintln!("{err}");
    let cosim::replay::Failure::Error(e) = &err.failure else {
        panic!("an error, not a panic: {err}");
    };
    assert!(e.is_assertion(), "{e:?}");
    let fail = err.cycle.expect("failure cycle");
    assert!(fail > 2 * n, "deep into the run: cycle {fail}");
    let path = err.waves.clone().expect("a waveform of the failure");
    assert_eq!(path, dir.join("extra_r_beat.fst"));
    assert!(err.save_file.as_ref().is_some_and(|g| g.exists()));
    assert!(err.note.is_none(), "{:?}", err.note);
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(
        msg.contains("Assertion failed") || msg.contains("Assertion"),
        "{msg}"
    );
    // The file covers the N cycles before the failure and the failure
    // itself, not the whole run.
    let d = decode(&path);
    assert_eq!(d.first_cycle, fail - n, "window start");
    assert_eq!(
        d.last_cycle, fail,
        "the failing cycle is the last one traced"
    );
    // The R beat nobody asked for is in it: an R handshake with no read open.
    assert!(d.orphans.r_beats >= 1, "{:?}", d.orphans);
    // The save file's marker sits on the failing cycle.
    let gtkw = std::fs::read_to_string(err.save_file.unwrap()).unwrap();
    let marker_line = gtkw.lines().find(|l| l.starts_with('*')).unwrap();
    assert_eq!(
        marker_line.split(' ').nth(1),
        Some((2 * fail + 1).to_string().as_str()),
        "{marker_line}"
    );
}

#[test]
fn a_panicking_test_body_is_replayed_too() {
    let dir = out_dir("panic");
    let res: Result<(), Box<cosim::replay::FailedRun<SimError>>> =
        with_failure_waves("panics", Some(&dir), 300, |waves| {
            let mut sim = Sim::new(SimConfig::default(), SparseMem::new())?;
            if let Some(spec) = waves {
                sim.waves_spec(spec)?;
            }
            sim.step_n(1_000)?;
            let id = sim.read_reg(regs::ID)?;
            assert_eq!(id, 0xdead_beef, "a check of the test fails here");
            Ok(())
        });
    let err = res.expect_err("the body panics");
    assert!(
        matches!(err.failure, cosim::replay::Failure::Panic(ref m) if m.contains("a check of the test fails"))
    );
    let fail = err.cycle.expect("the cycle the testbench reached");
    let d = decode(err.waves.as_ref().expect("waveform"));
    assert_eq!(d.first_cycle, fail - 300);
    assert_eq!(
        d.last_cycle,
        fail - 1,
        "traced until the testbench was dropped"
    );
}

/// A DMA fault the test finds only after the run: it reports the fault's
/// own cycle, and the waveform's window ends there.
fn unmapped_ring_run(waves: Option<&WaveSpec>) -> Result<(), cosim::replay::AtCycle> {
    let mem = HostMemory::new(MemConfig::default());
    let mut sim = Sim::new(
        SimConfig::default(),
        PoolStorage::new(pool::DmaDev::new(&mem, "nic0")),
    )?;
    if let Some(spec) = waves {
        sim.waves_spec(spec)?;
    }
    sim.step_n(2_000)?;
    // The RX ring points at memory the driver never mapped.
    sim.write_reg(regs::RX_RING_BASE_LO, 0x4000_0000)?;
    sim.write_reg(regs::RX_RING_SIZE, 8)?;
    sim.write_reg(regs::CTRL, regs::ctrl::ENABLE)?;
    sim.write_reg(regs::RX_PROD, 1)?;
    sim.step_n(3_000)?;
    match sim.storage().faults().first() {
        Some(f) => Err(cosim::replay::AtCycle::new(f.cycle, f)),
        None => Ok(()),
    }
}

#[test]
fn a_fault_found_after_the_run_gets_a_window_ending_at_its_cycle() {
    let dir = out_dir("fault");
    let err = with_failure_waves("unmapped_ring", Some(&dir), 400, unmapped_ring_run)
        .expect_err("the descriptor fetch faults");
    eprintln!("{err}");
    let fault = err.cycle.expect("the fault's cycle");
    assert!(err.to_string().contains("0x40000000"), "{err}");
    let d = decode(err.waves.as_ref().expect("waveform"));
    assert_eq!(d.first_cycle, fault - 400);
    assert_eq!(
        d.last_cycle,
        fault + cosim::replay::CYCLES_AFTER,
        "the window ends just after the fault, not where the run stopped"
    );
    let ar = d
        .transactions
        .iter()
        .find(|t| t.dir == waves::Dir::Read && t.addr == 0x4000_0000)
        .expect("the faulting descriptor fetch");
    assert_eq!((ar.id, ar.cycle_addr), (0, fault));
}

#[test]
fn without_a_directory_a_failure_says_how_to_get_waves() {
    let err =
        cosim::replay::replay_failure("no_dir", None, 100, misbehaving_run).expect_err("fails");
    assert!(err.waves.is_none());
    assert!(err.to_string().contains("COSIM_FAIL_WAVES_DIR"), "{err}");
}

/// Values of one marker signal at every change.
fn marker_changes(path: &Path, name: &str) -> Vec<u128> {
    let mut w = waves::open(path).unwrap();
    let h = w.hierarchy();
    let v = h
        .all_vars()
        .find(|v| h[*v].name(h) == name && h[*v].full_name(h).contains("tb_top"))
        .unwrap_or_else(|| panic!("{name} in the waveform"));
    let ch = w.changes(&[v]);
    ch[0].changes.iter().map(|(_, x)| *x).collect()
}

#[test]
fn driver_markers_appear_next_to_the_hardware() {
    let dir = out_dir("markers");
    let path = dir.join("driver.fst");
    let mem = HostMemory::new(MemConfig {
        pages_per_node: 4096,
        platform: Platform::Arm64Line64,
        ..MemConfig::default()
    });
    let sim = Sim::new(
        SimConfig::default(),
        PoolStorage::new(pool::DmaDev::new(&mem, "nic0")),
    )
    .expect("sim");
    let cfg = DriverConfig {
        rx_ring_size: 32,
        tx_ring_size: 16,
        ..DriverConfig::default()
    };
    let mut drv = Driver::probe(sim, cfg).expect("probe");
    drv.open().expect("open");
    let pools = vec![
        drv.rx_pool().expect("rx pool").clone(),
        drv.tx_pool().expect("tx pool").clone(),
    ];
    cosim::markers::PoolProbe::install(drv.dev_mut(), pools);
    drv.dev_mut().waves(&path, None).expect("waves");
    for i in 0..20u32 {
        let f: Vec<u8> = (0..(60 + 37 * i as usize)).map(|k| k as u8).collect();
        drv.dev_mut().send_frame(f).expect("send");
    }
    let ok = drv
        .run_until(500_000, 32, |d| d.rx_queued() >= 20)
        .expect("run");
    assert!(ok, "20 frames received");
    drop(drv.drain_rx());
    for i in 0..4u8 {
        drv.xmit(&[i; 128]).expect("xmit");
    }
    drv.run_for(20_000, 32).expect("run");
    drv.dev_mut().waves_close();
    let napi = marker_changes(&path, "drv_napi_active_i");
    assert!(
        napi.contains(&1) && napi.contains(&0),
        "NAPI active toggles: {napi:?}"
    );
    let rx_db = marker_changes(&path, "drv_rx_doorbell_i");
    assert!(
        rx_db.len() >= 2 && rx_db.windows(2).all(|p| p[1] != p[0]),
        "{rx_db:?}"
    );
    let tx_db = marker_changes(&path, "drv_tx_doorbell_i");
    assert!(tx_db.contains(&4), "TX doorbell reached 4: {tx_db:?}");
    let inflight = marker_changes(&path, "drv_pool_inflight_i");
    assert!(
        inflight.iter().any(|&x| x > 0),
        "pages in flight: {inflight:?}"
    );
    let strobe = marker_changes(&path, "drv_sync_strobe_i");
    assert!(
        strobe.iter().filter(|&&x| x == 1).count() >= 10,
        "sync strobes: {strobe:?}"
    );
    let dirs = marker_changes(&path, "drv_sync_dir_i");
    assert!(
        dirs.contains(&u128::from(cosim::markers::SYNC_FOR_CPU)),
        "{dirs:?}"
    );
    let lens = marker_changes(&path, "drv_sync_len_i");
    assert!(lens.iter().any(|&l| l >= 60), "sync lengths: {lens:?}");
    let _ = drv.close().expect("close");
}
