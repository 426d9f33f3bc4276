//! End to end: the NIC RTL (Verilated) clocked from Rust with the
//! cosim bus models. Rings and buffers live in a sparse memory; every test
//! prints its seed and is deterministic.

use cosim::bus::{Backpressure, Dir, ErrorInjection, ErrorMatch, Misbehave, Resp, SparseMem};
use cosim::replay::{with_failure_waves, WaveSpec};
use cosim::{Chance, Sim, SimConfig, SimError, SplitMix64};
use nic_hw::regs;
use nic_hw::wire::{Completion, CplStatus, Descriptor};

const RX_RING: u64 = 0x0001_0000;
const RX_CQ: u64 = 0x0002_0000;
const TX_RING: u64 = 0x0003_0000;
const TX_CQ: u64 = 0x0004_0000;
/// RX buffers: one 4 KiB page each, buffer at page + 0x40.
const RX_BUF: u64 = 0x0010_0000;
/// TX buffers: one 4 KiB page each, frame at page + odd offsets.
const TX_BUF: u64 = 0x0080_0000;
const BUF_LEN: u32 = 2048;
const HEADROOM: u32 = 66;
const GUARD: u8 = 0xA5;

fn rx_buf(i: u64) -> u64 {
    RX_BUF + i * 0x1000 + 0x40
}
fn tx_buf(i: u64) -> u64 {
    TX_BUF + i * 0x1000 + 1 + (i * 13) % 64
}

fn frame(rng: &mut SplitMix64, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

thread_local! {
    /// The waveform the failure replay asks for (set by [`traced`]).
    static WAVES: std::cell::RefCell<Option<WaveSpec>> = const { std::cell::RefCell::new(None) };
}

/// Runs a test body; when it fails, runs it again (the run is deterministic)
/// with waves on for the last cycles before the failure, written to
/// `$COSIM_FAIL_WAVES_DIR/<name>.fst` (+ `.gtkw`), which CI keeps.
fn traced(name: &str, body: impl Fn()) {
    let run = with_failure_waves(name, None, 20_000, |spec| -> Result<(), SimError> {
        WAVES.with(|w| *w.borrow_mut() = spec.cloned());
        body();
        Ok(())
    });
    WAVES.with(|w| *w.borrow_mut() = None);
    if let Err(failed) = run {
        panic!("{failed}");
    }
}

/// The NIC testbench plus the ring bookkeeping a driver would do.
struct Nic {
    sim: Sim<SparseMem>,
    size: u16,
    rx_prod: u16,
    tx_prod: u16,
}

/// Memory model latency/backpressure for a seed: 0 is the quiet case.
fn config(seed: u64, stress: bool) -> SimConfig {
    let mut cfg = SimConfig {
        seed,
        ..SimConfig::default()
    };
    if stress {
        let mut r = SplitMix64::new(seed ^ 0x5eed);
        cfg.mem.read_latency = 1 + r.below(40) as u32;
        cfg.mem.write_latency = r.below(20) as u32;
        cfg.mem.backpressure = Backpressure::uniform(10 + r.below(40) as u32);
        cfg.mem.reorder_ids = true;
        cfg.rx.idle_between_frames = Chance::percent(30);
        cfg.tx.stall = Chance::percent(r.below(60) as u32);
    }
    cfg
}

impl Nic {
    fn new(cfg: SimConfig, size: u16) -> Nic {
        eprintln!("seed {} (mem {:?})", cfg.seed, cfg.mem);
        let mut mem = SparseMem::new();
        // Guard pattern over every buffer page and the rings.
        for i in 0..u64::from(size) {
            mem.poke(RX_BUF + i * 0x1000, &[GUARD; 0x1000]);
            mem.poke(TX_BUF + i * 0x1000, &[GUARD; 0x1000]);
        }
        for base in [RX_RING, RX_CQ, TX_RING, TX_CQ] {
            mem.poke(base, &vec![0; usize::from(size) * 16]);
        }
        let mut sim = Sim::new(cfg, mem).expect("sim");
        WAVES.with(|w| {
            if let Some(spec) = w.borrow().as_ref() {
                sim.waves_spec(spec).expect("waves");
            }
        });
        let mut nic = Nic {
            sim,
            size,
            rx_prod: 0,
            tx_prod: 0,
        };
        nic.configure();
        nic
    }

    fn w(&mut self, reg: u32, v: u32) {
        self.sim.write_reg(reg, v).unwrap_or_else(|e| panic!("{e}"));
    }
    fn r(&mut self, reg: u32) -> u32 {
        self.sim.read_reg(reg).unwrap_or_else(|e| panic!("{e}"))
    }

    fn configure(&mut self) {
        assert_eq!(self.r(regs::ID), regs::DEVICE_ID);
        let size = u32::from(self.size);
        for (lo, hi, base) in [
            (regs::RX_RING_BASE_LO, regs::RX_RING_BASE_HI, RX_RING),
            (regs::RX_CQ_BASE_LO, regs::RX_CQ_BASE_HI, RX_CQ),
            (regs::TX_RING_BASE_LO, regs::TX_RING_BASE_HI, TX_RING),
            (regs::TX_CQ_BASE_LO, regs::TX_CQ_BASE_HI, TX_CQ),
        ] {
            self.w(lo, base as u32);
            self.w(hi, (base >> 32) as u32);
        }
        self.w(regs::RX_RING_SIZE, size);
        self.w(regs::TX_RING_SIZE, size);
        self.w(regs::RX_HEADROOM, HEADROOM);
        self.w(regs::IRQ_MASK, 0);
        self.w(regs::CTRL, regs::ctrl::ENABLE);
    }

    /// Posts `n` RX descriptors (buffers by ring slot) and rings the doorbell.
    fn post_rx(&mut self, n: u16, len: u32) {
        for _ in 0..n {
            let slot = u64::from(self.rx_prod % self.size);
            let d = Descriptor::new(rx_buf(slot), len, 0x1000 + u32::from(self.rx_prod));
            self.sim
                .storage_mut()
                .poke(RX_RING + slot * 16, &d.to_bytes());
            self.rx_prod = self.rx_prod.wrapping_add(1);
        }
        let p = u32::from(self.rx_prod);
        self.w(regs::RX_PROD, p);
    }

    /// Places `frames` in TX buffers, posts their descriptors, rings.
    fn post_tx(&mut self, frames: &[Vec<u8>]) {
        for f in frames {
            let slot = u64::from(self.tx_prod % self.size);
            self.sim.storage_mut().poke(tx_buf(slot), f);
            let d = Descriptor::new(
                tx_buf(slot),
                f.len() as u32,
                0x2000 + u32::from(self.tx_prod),
            );
            self.sim
                .storage_mut()
                .poke(TX_RING + slot * 16, &d.to_bytes());
            self.tx_prod = self.tx_prod.wrapping_add(1);
        }
        let p = u32::from(self.tx_prod);
        self.w(regs::TX_PROD, p);
    }

    /// The completion for free-running index `idx` once its phase is right.
    fn completion(&self, cq: u64, idx: u16) -> Option<Completion> {
        let mut b = [0u8; 16];
        self.sim
            .storage()
            .peek(cq + 16 * u64::from(idx % self.size), &mut b);
        let c = Completion::parse(&b).expect("completion parses");
        (c.phase() == Completion::expected_phase(idx, self.size)).then_some(c)
    }

    /// Waits until completion `upto - 1` shows the right phase in memory
    /// and the device's completion counter (bumped once the completion
    /// write was acknowledged) reached `upto`.
    fn wait_completions(&mut self, cq: u64, upto: u16, max: u64) {
        let last = upto.wrapping_sub(1);
        let size = self.size;
        self.sim
            .run_until("completions", max, |s| {
                let mut b = [0u8; 16];
                s.storage().peek(cq + 16 * u64::from(last % size), &mut b);
                b[11] & 1 == u8::from(Completion::expected_phase(last, size))
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let reg = if cq == RX_CQ {
            regs::RX_CQ_PROD
        } else {
            regs::TX_CQ_PROD
        };
        for _ in 0..100 {
            if self.r(reg) as u16 == upto {
                return;
            }
        }
        panic!("completion counter {reg:#x} did not reach {upto}");
    }
}

/// Expected memory after RX: the snapshot with the payloads and completions.
fn check_rx_memory(before: &SparseMem, after: &SparseMem, writes: &[(u64, Vec<u8>)]) {
    let mut expect = before.clone();
    for (a, d) in writes {
        expect.poke(*a, d);
    }
    let pages = after.touched_pages();
    assert_eq!(
        pages,
        expect.touched_pages(),
        "no page outside the expected ones was written"
    );
    for p in pages {
        let (g, e) = (after.peek_vec(p, 4096), expect.peek_vec(p, 4096));
        if g != e {
            let i = g.iter().zip(&e).position(|(a, b)| a != b).unwrap();
            panic!(
                "memory differs at {:#x}: got {:#04x}, expected {:#04x}",
                p + i as u64,
                g[i],
                e[i]
            );
        }
    }
}

const RX_LENS: &[usize] = &[
    60, 61, 62, 63, 64, 65, 67, 71, 127, 128, 129, 255, 256, 257, 511, 777, 1000, 1023, 1024, 1025,
    1499, 1500, 1513, 1514, 1515, 1517, 1518, 97, 333, 1201, 60, 1518,
];

fn run_rx(seed: u64, stress: bool) -> (SparseMem, Vec<Completion>) {
    let size = 16u16;
    let mut nic = Nic::new(config(seed, stress), size);
    let mut rng = SplitMix64::new(seed);
    let frames: Vec<Vec<u8>> = RX_LENS.iter().map(|&n| frame(&mut rng, n)).collect();
    let mut cpls = Vec::new();
    let mut writes = Vec::new();
    // Two passes through the 16-entry ring: the phase flips.
    for (pass, chunk) in frames.chunks(usize::from(size)).enumerate() {
        let first = nic.rx_prod;
        nic.post_rx(chunk.len() as u16, BUF_LEN);
        let before = nic.sim.storage().clone();
        for f in chunk {
            nic.sim.send_frame(f.clone()).unwrap();
        }
        let upto = first.wrapping_add(chunk.len() as u16);
        nic.wait_completions(RX_CQ, upto, 400_000);
        let mut pass_writes = Vec::new();
        for (k, f) in chunk.iter().enumerate() {
            let idx = first.wrapping_add(k as u16);
            let c = nic
                .completion(RX_CQ, idx)
                .expect("completion with the right phase");
            assert_eq!(
                c.len() as usize,
                f.len(),
                "pass {pass} frame {k}: completion length"
            );
            assert_eq!(c.tag(), 0x1000 + u32::from(idx), "tag");
            assert_eq!(c.desc_idx(), idx, "desc_idx");
            assert_eq!(c.status(), CplStatus::Ok);
            assert_eq!(c.phase(), pass == 0, "phase on pass {pass}");
            let slot = u64::from(idx % size);
            let got = nic
                .sim
                .storage()
                .peek_vec(rx_buf(slot) + u64::from(HEADROOM), f.len());
            assert_eq!(&got, f, "pass {pass} frame {k} ({} bytes) payload", f.len());
            pass_writes.push((rx_buf(slot) + u64::from(HEADROOM), f.clone()));
            pass_writes.push((RX_CQ + 16 * slot, c.to_bytes().to_vec()));
            cpls.push(c);
        }
        check_rx_memory(&before, nic.sim.storage(), &pass_writes);
        writes.extend(pass_writes);
    }
    // Counters match the traffic.
    let bytes: usize = frames.iter().map(Vec::len).sum();
    assert_eq!(nic.r(regs::STAT_RX_FRAMES) as usize, frames.len());
    assert_eq!(nic.r(regs::STAT_RX_BYTES) as usize, bytes);
    assert_eq!(nic.r(regs::RX_CQ_PROD) as usize, frames.len());
    assert_eq!(nic.r(regs::RX_CONS) as usize, frames.len());
    assert_eq!(nic.r(regs::STAT_RX_DROP_NO_DESC), 0);
    assert_eq!(nic.r(regs::STAT_DMA_ERRORS), 0);
    // The interrupt rose and says RX completions.
    assert!(nic.sim.irq().rises() >= 1, "irq rose");
    assert_ne!(nic.r(regs::IRQ_STATUS) & regs::irq_status::RX_CQ, 0);
    // The DMA log: payload writes with ID 0, completions with ID 1, all OKAY.
    let log = nic.sim.mem().log();
    assert!(log
        .iter()
        .all(|r| r.resp == Resp::Okay && r.cycle_done.is_some()));
    let cpl_writes = log
        .iter()
        .filter(|r| r.dir == Dir::Write && r.id == 1)
        .count();
    assert_eq!(cpl_writes, frames.len());
    let payload: u64 = log
        .iter()
        .filter(|r| r.dir == Dir::Write && r.id == 0)
        .map(|r| r.bytes)
        .sum();
    assert_eq!(
        payload as usize, bytes,
        "payload bytes written = frame bytes"
    );
    let _ = writes;
    eprintln!("{} cycles simulated", nic.sim.cycle());
    (nic.sim.storage().clone(), cpls)
}

#[test]
fn rx_frames_land_at_headroom_with_guards_completions_counters_irq() {
    traced(
        "rx_frames_land_at_headroom_with_guards_completions_counters_irq",
        || {
            run_rx(11, false);
        },
    );
}

#[test]
fn rx_under_latency_and_backpressure() {
    traced("rx_under_latency_and_backpressure", || {
        run_rx(12, true);
    });
}

/// Completions without their timestamp (which depends on timing).
fn untimed(c: &[Completion]) -> Vec<(u32, u32, u16, bool)> {
    c.iter()
        .map(|c| (c.len(), c.tag(), c.desc_idx(), c.phase()))
        .collect()
}

fn mem_image_without_ts(m: &SparseMem) -> Vec<(u64, Vec<u8>)> {
    m.touched_pages()
        .into_iter()
        .map(|p| {
            let mut v = m.peek_vec(p, 4096);
            if p == RX_CQ || p == TX_CQ {
                for e in v.chunks_mut(16) {
                    e[12..16].fill(0);
                }
            }
            (p, v)
        })
        .collect()
}

#[test]
fn same_traffic_under_several_seeds_gives_same_memory_and_completions() {
    traced(
        "same_traffic_under_several_seeds_gives_same_memory_and_completions",
        || {
            // Same frames (seed 7 for the traffic); the timing seed varies.
            let (m0, c0) = run_rx_traffic_seeded(7, 100, false);
            for timing in [101u64, 102, 103] {
                let (m, c) = run_rx_traffic_seeded(7, timing, true);
                assert_eq!(
                    untimed(&c),
                    untimed(&c0),
                    "timing seed {timing}: completions"
                );
                assert!(
                    mem_image_without_ts(&m) == mem_image_without_ts(&m0),
                    "timing seed {timing}: memory"
                );
            }
        },
    );
}

fn run_rx_traffic_seeded(traffic: u64, timing: u64, stress: bool) -> (SparseMem, Vec<Completion>) {
    eprintln!("traffic seed {traffic}, timing seed {timing}");
    let mut nic = Nic::new(config(timing, stress), 16);
    let mut rng = SplitMix64::new(traffic);
    let frames: Vec<Vec<u8>> = (0..12)
        .map(|_| {
            let n = 60 + rng.below(1459) as usize;
            frame(&mut rng, n)
        })
        .collect();
    nic.post_rx(12, BUF_LEN);
    for f in &frames {
        nic.sim.send_frame(f.clone()).unwrap();
    }
    let tx: Vec<Vec<u8>> = (0..6)
        .map(|_| {
            let n = 60 + rng.below(1459) as usize;
            frame(&mut rng, n)
        })
        .collect();
    nic.post_tx(&tx);
    nic.wait_completions(RX_CQ, 12, 400_000);
    nic.wait_completions(TX_CQ, 6, 400_000);
    nic.sim
        .run_until("TX frames out", 100_000, |s| s.tx().count() == 6)
        .unwrap();
    let sent: Vec<Vec<u8>> = nic
        .sim
        .take_tx_frames()
        .into_iter()
        .map(|f| f.data)
        .collect();
    assert_eq!(sent, tx);
    let mut c: Vec<Completion> = (0..12).map(|i| nic.completion(RX_CQ, i).unwrap()).collect();
    c.extend((0..6).map(|i| nic.completion(TX_CQ, i).unwrap()));
    (nic.sim.storage().clone(), c)
}

#[test]
fn tx_with_sink_backpressure() {
    traced("tx_with_sink_backpressure", || {
        for (seed, stall) in [(21u64, 0u32), (22, 50), (23, 85)] {
            let mut cfg = config(seed, stall > 0);
            cfg.tx.stall = Chance::percent(stall);
            let mut nic = Nic::new(cfg, 16);
            let mut rng = SplitMix64::new(seed);
            let lens = [
                60usize, 61, 64, 65, 100, 255, 513, 1000, 1514, 1518, 77, 1299,
            ];
            let frames: Vec<Vec<u8>> = lens.iter().map(|&n| frame(&mut rng, n)).collect();
            let before = nic.sim.storage().clone();
            nic.post_tx(&frames);
            nic.wait_completions(TX_CQ, frames.len() as u16, 400_000);
            nic.sim
                .run_until("TX frames out", 200_000, |s| {
                    s.tx().count() == frames.len() as u64
                })
                .unwrap();
            let out = nic.sim.take_tx_frames();
            let sent: Vec<Vec<u8>> = out.iter().map(|f| f.data.clone()).collect();
            assert_eq!(sent, frames, "seed {seed}: frames on the wire, in order");
            for (i, f) in frames.iter().enumerate() {
                let c = nic.completion(TX_CQ, i as u16).unwrap();
                assert_eq!(
                    (c.len() as usize, c.tag(), c.desc_idx(), c.status()),
                    (f.len(), 0x2000 + i as u32, i as u16, CplStatus::Ok)
                );
            }
            assert_eq!(nic.r(regs::STAT_TX_FRAMES) as usize, frames.len());
            assert_eq!(
                nic.r(regs::STAT_TX_BYTES) as usize,
                lens.iter().sum::<usize>()
            );
            assert_eq!(nic.r(regs::TX_CQ_PROD) as usize, frames.len());
            assert_ne!(nic.r(regs::IRQ_STATUS) & regs::irq_status::TX_CQ, 0);
            assert!(nic.sim.irq().rises() >= 1);
            // The NIC only wrote TX completions.
            let cpl: Vec<(u64, Vec<u8>)> = (0..frames.len())
                .map(|i| {
                    (
                        TX_CQ + 16 * i as u64,
                        nic.completion(TX_CQ, i as u16).unwrap().to_bytes().to_vec(),
                    )
                })
                .collect();
            let mut after_posting = before.clone();
            for (i, f) in frames.iter().enumerate() {
                after_posting.poke(tx_buf(i as u64), f);
                let d = Descriptor::new(tx_buf(i as u64), f.len() as u32, 0x2000 + i as u32);
                after_posting.poke(TX_RING + 16 * i as u64, &d.to_bytes());
            }
            check_rx_memory(&after_posting, nic.sim.storage(), &cpl);
            // TX payload reads use ID 2, descriptor fetches ID 1.
            let log = nic.sim.mem().log();
            let read_bytes: u64 = log
                .iter()
                .filter(|r| r.dir == Dir::Read && r.id == 2)
                .map(|r| r.bytes)
                .sum();
            assert!(read_bytes as usize >= lens.iter().sum::<usize>());
            assert!(log.iter().any(|r| r.dir == Dir::Read && r.id == 1));
        }
    });
}

#[test]
fn loopback_tx_frames_arrive_in_rx_buffers() {
    traced("loopback_tx_frames_arrive_in_rx_buffers", || {
        let mut nic = Nic::new(config(31, false), 16);
        nic.w(regs::CTRL, regs::ctrl::ENABLE | regs::ctrl::LOOPBACK);
        let mut rng = SplitMix64::new(31);
        let frames: Vec<Vec<u8>> = [60usize, 333, 1518, 61]
            .iter()
            .map(|&n| frame(&mut rng, n))
            .collect();
        nic.post_rx(8, BUF_LEN);
        // A frame on the external RX port is dropped while in loopback.
        nic.sim.send_frame(frame(&mut rng, 100)).unwrap();
        nic.sim
            .run_until("external frame consumed", 10_000, |s| s.rx().is_idle())
            .unwrap();
        nic.post_tx(&frames);
        nic.wait_completions(RX_CQ, frames.len() as u16, 400_000);
        for (i, f) in frames.iter().enumerate() {
            let c = nic.completion(RX_CQ, i as u16).unwrap();
            assert_eq!(c.len() as usize, f.len());
            let got = nic
                .sim
                .storage()
                .peek_vec(rx_buf(i as u64) + u64::from(HEADROOM), f.len());
            assert_eq!(&got, f, "looped frame {i}");
        }
        nic.wait_completions(TX_CQ, frames.len() as u16, 100_000);
        nic.sim.step_n(2000).unwrap();
        assert_eq!(
            nic.sim.tx().count(),
            0,
            "nothing leaves on the external TX port in loopback"
        );
        assert_eq!(
            nic.r(regs::STAT_RX_DROP_OFF),
            1,
            "the external frame was dropped"
        );
        assert_eq!(nic.r(regs::STAT_RX_FRAMES) as usize, frames.len());
        assert_eq!(nic.r(regs::STAT_TX_FRAMES) as usize, frames.len());
    });
}

#[test]
fn no_descriptor_drops_then_recovery() {
    traced("no_descriptor_drops_then_recovery", || {
        let mut nic = Nic::new(config(41, false), 8);
        let mut rng = SplitMix64::new(41);
        let before = nic.sim.storage().clone();
        for n in [60usize, 1518, 200] {
            nic.sim.send_frame(frame(&mut rng, n)).unwrap();
        }
        // The wire is never stalled forever: all three frames are consumed.
        nic.sim
            .run_until("frames consumed", 50_000, |s| s.rx().is_idle())
            .unwrap();
        nic.sim.run_until("drops counted", 5_000, |_| false).ok();
        assert_eq!(nic.r(regs::STAT_RX_DROP_NO_DESC), 3);
        assert_ne!(nic.r(regs::IRQ_STATUS) & regs::irq_status::RX_DROP, 0);
        assert!(nic.sim.irq().level());
        check_rx_memory(&before, nic.sim.storage(), &[]);
        // Recovery: post descriptors, traffic flows.
        nic.w(regs::IRQ_STATUS, regs::irq_status::RX_DROP);
        nic.post_rx(4, BUF_LEN);
        let frames: Vec<Vec<u8>> = [64usize, 1001]
            .iter()
            .map(|&n| frame(&mut rng, n))
            .collect();
        for f in &frames {
            nic.sim.send_frame(f.clone()).unwrap();
        }
        nic.wait_completions(RX_CQ, 2, 100_000);
        for (i, f) in frames.iter().enumerate() {
            let got = nic
                .sim
                .storage()
                .peek_vec(rx_buf(i as u64) + u64::from(HEADROOM), f.len());
            assert_eq!(&got, f);
        }
        assert_eq!(nic.r(regs::STAT_RX_FRAMES), 2);
        assert_eq!(nic.r(regs::STAT_RX_DROP_NO_DESC), 3);
    });
}

#[test]
fn too_long_frames_are_dropped_and_descriptor_kept() {
    traced("too_long_frames_are_dropped_and_descriptor_kept", || {
        let mut nic = Nic::new(config(51, false), 8);
        let mut rng = SplitMix64::new(51);
        // Descriptor 0 holds 500 bytes: a 501-byte frame does not fit.
        nic.post_rx(1, 500);
        nic.sim.send_frame(frame(&mut rng, 501)).unwrap();
        // Longer than MAX_FRAME_LEN (1518).
        nic.sim.send_frame(frame(&mut rng, 1519)).unwrap();
        nic.sim.send_frame(frame(&mut rng, 4000)).unwrap();
        let fits = frame(&mut rng, 500);
        nic.sim.send_frame(fits.clone()).unwrap();
        nic.wait_completions(RX_CQ, 1, 100_000);
        let c = nic.completion(RX_CQ, 0).unwrap();
        assert_eq!(
            (c.len(), c.desc_idx()),
            (500, 0),
            "the descriptor was not consumed by the drops"
        );
        assert_eq!(
            nic.sim
                .storage()
                .peek_vec(rx_buf(0) + u64::from(HEADROOM), 500),
            fits
        );
        assert_eq!(nic.r(regs::STAT_RX_DROP_TOO_LONG), 3);
        assert_eq!(nic.r(regs::STAT_RX_FRAMES), 1);
        assert_ne!(nic.r(regs::IRQ_STATUS) & regs::irq_status::RX_DROP, 0);
    });
}

#[test]
fn dma_error_stops_the_queue_counts_and_interrupts() {
    traced("dma_error_stops_the_queue_counts_and_interrupts", || {
        let mut cfg = config(61, false);
        // Payload writes into RX buffer 1 get SLVERR.
        cfg.mem.errors = vec![ErrorInjection {
            when: ErrorMatch::AddrRange {
                dir: Some(Dir::Write),
                range: rx_buf(1)..rx_buf(1) + 0x800,
            },
            resp: Resp::SlvErr,
        }];
        let mut nic = Nic::new(cfg, 8);
        let mut rng = SplitMix64::new(61);
        nic.post_rx(4, BUF_LEN);
        let f0 = frame(&mut rng, 300);
        nic.sim.send_frame(f0.clone()).unwrap();
        nic.wait_completions(RX_CQ, 1, 100_000);
        let before = nic.sim.storage().clone();
        nic.sim.send_frame(frame(&mut rng, 300)).unwrap();
        nic.sim
            .run_until("DMA error reported", 100_000, |s| {
                s.irq().level() && s.mem().log().iter().any(|r| r.resp == Resp::SlvErr)
            })
            .unwrap();
        nic.sim.step_n(500).unwrap();
        // Later frames are drained and dropped, nothing else written.
        let writes_before = nic
            .sim
            .mem()
            .log()
            .iter()
            .filter(|r| r.dir == Dir::Write)
            .count();
        nic.sim.send_frame(frame(&mut rng, 100)).unwrap();
        nic.sim.send_frame(frame(&mut rng, 100)).unwrap();
        nic.sim
            .run_until("frames drained", 50_000, |s| s.rx().is_idle())
            .unwrap();
        nic.sim.step_n(500).unwrap();
        assert_eq!(
            nic.sim
                .mem()
                .log()
                .iter()
                .filter(|r| r.dir == Dir::Write)
                .count(),
            writes_before,
            "no DMA write after the stop"
        );
        assert_eq!(nic.r(regs::STAT_DMA_ERRORS), 1);
        assert_ne!(nic.r(regs::IRQ_STATUS) & regs::irq_status::DMA_ERR, 0);
        assert_ne!(nic.r(regs::STATUS) & regs::status::RX_STOPPED, 0);
        let info = nic.r(regs::DMA_ERR_INFO);
        assert_eq!(info & 3, 2, "SLVERR recorded");
        assert_eq!((info >> 2) & 7, 1, "source: RX payload write");
        let addr =
            u64::from(nic.r(regs::DMA_ERR_ADDR_LO)) | u64::from(nic.r(regs::DMA_ERR_ADDR_HI)) << 32;
        assert!(
            (rx_buf(1)..rx_buf(1) + 0x800).contains(&addr),
            "DMA_ERR_ADDR {addr:#x}"
        );
        assert_eq!(nic.r(regs::STAT_RX_DROP_OFF), 2);
        assert_eq!(nic.r(regs::STAT_RX_FRAMES), 1);
        // No completion for the failed frame; the SLVERR burst changed nothing.
        assert!(nic.completion(RX_CQ, 1).is_none());
        check_rx_memory(&before, nic.sim.storage(), &[]);
    });
}

#[test]
fn tx_read_error_stops_tx() {
    traced("tx_read_error_stops_tx", || {
        let mut cfg = config(62, false);
        cfg.mem.errors = vec![ErrorInjection {
            when: ErrorMatch::AddrRange {
                dir: Some(Dir::Read),
                range: tx_buf(1)..tx_buf(1) + 1,
            },
            resp: Resp::DecErr,
        }];
        let mut nic = Nic::new(cfg, 8);
        let mut rng = SplitMix64::new(62);
        let frames: Vec<Vec<u8>> = [100usize, 200, 300]
            .iter()
            .map(|&n| frame(&mut rng, n))
            .collect();
        nic.post_tx(&frames);
        nic.sim
            .run_until("DMA error", 100_000, |s| {
                s.irq().level() && s.mem().log().iter().any(|r| r.resp == Resp::DecErr)
            })
            .unwrap();
        nic.sim.step_n(3000).unwrap();
        let out = nic.sim.take_tx_frames();
        assert_eq!(out.len(), 1, "only the frame before the error went out");
        assert_eq!(out[0].data, frames[0]);
        assert_eq!(nic.r(regs::STAT_DMA_ERRORS), 1);
        assert_ne!(nic.r(regs::STATUS) & regs::status::TX_STOPPED, 0);
        let info = nic.r(regs::DMA_ERR_INFO);
        assert_eq!(
            (info & 3, (info >> 2) & 7),
            (3, 4),
            "DECERR on a TX payload read"
        );
        assert!(nic.completion(TX_CQ, 1).is_none());
    });
}

#[test]
fn register_errors_name_the_register() {
    traced("register_errors_name_the_register", || {
        let mut nic = Nic::new(config(71, false), 8);
        let e = nic.sim.write_reg(regs::ID, 1).unwrap_err();
        assert!(
            e.to_string().contains("ID (0x000)") && e.to_string().contains("SLVERR"),
            "{e}"
        );
        let e = nic.sim.read_reg(0xff0).unwrap_err();
        assert!(e.to_string().contains("DECERR"), "{e}");
        // Ring registers are locked while enabled.
        let e = nic.sim.write_reg(regs::RX_RING_SIZE, 8).unwrap_err();
        assert!(e.to_string().contains("RX_RING_SIZE"), "{e}");
    });
}

#[test]
fn misbehaving_slave_is_caught_by_the_rtl_assertions() {
    traced("misbehaving_slave_is_caught_by_the_rtl_assertions", || {
        let mut nic = Nic::new(config(81, false), 8);
        nic.sim.mem_mut().set_misbehave(Some(Misbehave::ExtraRBeat));
        nic.post_rx(2, BUF_LEN);
        let err = nic
            .sim
            .run_until("an assertion", 10_000, |_| false)
            .expect_err("an R beat nobody asked for must fail an RTL assertion");
        eprintln!("{err}");
        assert!(err.is_assertion(), "{err:?}");
        let stop = err.rtl_stop().unwrap();
        assert!(stop.file.ends_with(".sv") && stop.line > 0, "{stop:?}");
        // The simulation stays stopped and says why.
        assert_eq!(nic.sim.step().unwrap_err(), err);
        assert!(matches!(err, SimError::Rtl { cycle, .. } if cycle > 0));
    });
}
