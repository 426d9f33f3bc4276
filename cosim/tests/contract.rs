//! The contract monitor and the scoreboard on the real NIC RTL: quiet over
//! correct traffic (random lengths, stressed memory, both data widths,
//! drops of every reason, DMA errors that stop a queue), with the counts
//! of what they checked, so quiet is not blind. That they fire on each
//! broken rule is shown on synthetic sequences (`cosim/src/contract/tests.rs`):
//! the bus models' misbehaviour knobs are caught by the RTL's assertions
//! and tolerated by the RTL without them, so none makes the RTL itself
//! break these rules.

use cosim::bus::{Backpressure, Dir, ErrorInjection, ErrorMatch, Resp, SparseMem};
use cosim::contract::Checked;
use cosim::{Chance, ModelConfig, Sim, SimConfig, SplitMix64};
use nic_hw::regs;
use nic_hw::wire::Descriptor;

const RX_RING: u64 = 0x1_0000;
const RX_CQ: u64 = 0x2_0000;
const TX_RING: u64 = 0x3_0000;
const TX_CQ: u64 = 0x4_0000;
const SIZE: u16 = 16;
const HEADROOM: u32 = 66;

fn rx_buf(i: u16) -> u64 {
    0x10_0000 + u64::from(i % SIZE) * 0x1000 + 0x40
}
fn tx_buf(i: u16) -> u64 {
    0x80_0000 + u64::from(i % SIZE) * 0x1000 + 1 + u64::from(i % 7) * 9
}

struct Nic {
    sim: Sim<SparseMem>,
    rx_prod: u16,
    tx_prod: u16,
}

impl Nic {
    fn new(cfg: SimConfig) -> Nic {
        let mut sim = Sim::new(cfg, SparseMem::new()).expect("testbench");
        for (lo, base) in [
            (regs::RX_RING_BASE_LO, RX_RING),
            (regs::RX_CQ_BASE_LO, RX_CQ),
            (regs::TX_RING_BASE_LO, TX_RING),
            (regs::TX_CQ_BASE_LO, TX_CQ),
        ] {
            sim.write_reg(lo, base as u32).unwrap();
        }
        for (reg, v) in [
            (regs::RX_RING_SIZE, u32::from(SIZE)),
            (regs::TX_RING_SIZE, u32::from(SIZE)),
            (regs::RX_HEADROOM, HEADROOM),
            (regs::IRQ_COAL_FRAMES, 4),
            (regs::IRQ_COAL_CYCLES, 300),
            (regs::IRQ_MASK, 0),
            (regs::CTRL, regs::ctrl::ENABLE),
        ] {
            sim.write_reg(reg, v).unwrap();
        }
        Nic {
            sim,
            rx_prod: 0,
            tx_prod: 0,
        }
    }

    fn post_rx(&mut self, n: u16, len: u32) {
        for _ in 0..n {
            let d = Descriptor::new(rx_buf(self.rx_prod), len, 0x100 + u32::from(self.rx_prod));
            let at = RX_RING + 16 * u64::from(self.rx_prod % SIZE);
            self.sim.storage_mut().poke(at, &d.to_bytes());
            self.rx_prod = self.rx_prod.wrapping_add(1);
        }
        self.sim
            .write_reg(regs::RX_PROD, u32::from(self.rx_prod))
            .unwrap();
    }

    fn post_tx(&mut self, frames: &[Vec<u8>]) {
        for f in frames {
            self.sim.storage_mut().poke(tx_buf(self.tx_prod), f);
            let d = Descriptor::new(tx_buf(self.tx_prod), f.len() as u32, 7);
            let at = TX_RING + 16 * u64::from(self.tx_prod % SIZE);
            self.sim.storage_mut().poke(at, &d.to_bytes());
            self.tx_prod = self.tx_prod.wrapping_add(1);
        }
        self.sim
            .write_reg(regs::TX_PROD, u32::from(self.tx_prod))
            .unwrap();
    }

    /// Lets the traffic drain, acknowledges the interrupts, stops the
    /// queues, reads the drop counters and ends the monitor's run.
    fn close(&mut self, cycles: u64) -> Checked {
        self.sim.step_n(cycles).unwrap();
        self.sim.write_reg(regs::IRQ_STATUS, 0xf).unwrap();
        self.sim.write_reg(regs::CTRL, 0).unwrap();
        self.sim.step_n(200).unwrap();
        for reg in [
            regs::STAT_RX_DROP_NO_DESC,
            regs::STAT_RX_DROP_TOO_LONG,
            regs::STAT_RX_DROP_OFF,
            regs::STAT_RX_DROP_DMA_ERR,
        ] {
            self.sim.read_reg(reg).unwrap();
        }
        let c = self.sim.finish_contract().expect("monitor on by default");
        let found: Vec<String> = c
            .violations()
            .iter()
            .map(ToString::to_string)
            .chain(c.mismatches().iter().map(ToString::to_string))
            .collect();
        assert!(found.is_empty(), "{found:#?}");
        c.checked()
    }
}

fn frame(rng: &mut SplitMix64, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

fn stressed(seed: u64, model: ModelConfig) -> SimConfig {
    let mut cfg = SimConfig {
        seed,
        model,
        ..SimConfig::default()
    };
    cfg.mem.read_latency = 1 + (seed * 7 % 30) as u32;
    cfg.mem.write_latency = (seed * 5 % 17) as u32;
    cfg.mem.backpressure = Backpressure::uniform(10 + (seed * 11 % 40) as u32);
    cfg.mem.reorder_ids = true;
    cfg.tx.stall = Chance::percent(30);
    cfg
}

#[test]
fn correct_rx_and_tx_under_stress_keep_the_contract() {
    for (seed, width) in [(1, 64), (2, 128), (3, 64)] {
        let model = ModelConfig {
            data_width: width,
            ..ModelConfig::default()
        };
        let mut nic = Nic::new(stressed(seed, model));
        let mut rng = SplitMix64::new(seed);
        let mut sent = 0;
        for round in 0..3 {
            nic.post_rx(12, 2048);
            let tx: Vec<Vec<u8>> = (0..6)
                .map(|_| {
                    let n = 60 + rng.below(1455) as usize;
                    frame(&mut rng, n)
                })
                .collect();
            nic.post_tx(&tx);
            for _ in 0..10 {
                let n = 60 + rng.below(1455) as usize;
                nic.sim.send_frame(frame(&mut rng, n)).unwrap();
                sent += 1;
            }
            nic.sim.step_n(30_000).unwrap();
            nic.sim.write_reg(regs::IRQ_STATUS, 0x3).unwrap();
            eprintln!("seed {seed} round {round}");
        }
        let c = nic.close(10_000);
        assert_eq!(c.rx_frames, sent);
        assert_eq!(c.completions, [sent, 18], "{c:?}");
        assert_eq!(c.tx_frames, 18);
        assert_eq!(c.counter_reads, 4);
    }
}

#[test]
fn drops_of_every_reason_are_explained_and_counted() {
    let mut nic = Nic::new(SimConfig {
        seed: 4,
        ..SimConfig::default()
    });
    let mut rng = SplitMix64::new(4);
    // No descriptor yet: NO_DESC.
    nic.sim.send_frame(frame(&mut rng, 100)).unwrap();
    nic.sim.step_n(2_000).unwrap();
    nic.post_rx(4, 512);
    // Longer than the buffer, then longer than MAX_FRAME_LEN: TOO_LONG,
    // neither consumes a descriptor.
    for n in [600, 1600, 64] {
        nic.sim.send_frame(frame(&mut rng, n)).unwrap();
    }
    nic.sim.step_n(5_000).unwrap();
    // RX off: OFF.
    nic.sim.write_reg(regs::CTRL, 0).unwrap();
    nic.sim.send_frame(frame(&mut rng, 64)).unwrap();
    nic.sim.step_n(2_000).unwrap();
    nic.sim.write_reg(regs::CTRL, regs::ctrl::ENABLE).unwrap();
    nic.sim.send_frame(frame(&mut rng, 64)).unwrap();
    let c = nic.close(5_000);
    assert_eq!(c.rx_frames, 6);
    assert_eq!(c.completions, [2, 0]);
}

#[test]
fn dma_errors_stop_a_queue_within_the_contract() {
    let mut cfg = SimConfig {
        seed: 5,
        ..SimConfig::default()
    };
    cfg.mem.errors = vec![
        ErrorInjection {
            when: ErrorMatch::AddrRange {
                dir: Some(Dir::Write),
                range: rx_buf(1)..rx_buf(1) + 0x800,
            },
            resp: Resp::SlvErr,
        },
        ErrorInjection {
            when: ErrorMatch::AddrRange {
                dir: Some(Dir::Read),
                range: tx_buf(1)..tx_buf(1) + 1,
            },
            resp: Resp::DecErr,
        },
    ];
    let mut nic = Nic::new(cfg);
    let mut rng = SplitMix64::new(5);
    nic.post_rx(8, 2048);
    let tx: Vec<Vec<u8>> = [100, 200, 300]
        .iter()
        .map(|&n| frame(&mut rng, n))
        .collect();
    nic.post_tx(&tx);
    for _ in 0..6 {
        nic.sim.send_frame(frame(&mut rng, 300)).unwrap();
    }
    let c = nic.close(20_000);
    assert_eq!(c.rx_frames, 6);
    assert_eq!(c.completions, [1, 1], "one each before the error");
}

#[test]
fn every_run_reports_the_monitor_and_the_scoreboard_or_that_they_are_off() {
    use cosim::scenario::{run, RunOptions, Scenario};
    let mut sc = Scenario::load("echo").expect("built-in scenario");
    sc.traffic.frames = 24;
    let names = |no_contract| -> Vec<(String, bool)> {
        let r = run(
            &sc,
            RunOptions {
                no_contract,
                ..RunOptions::default()
            },
        )
        .expect("scenario starts");
        assert!(r.passed(), "{}", r.render_human());
        r.monitors
            .iter()
            .filter(|c| c.name == "RTL contract (monitor)" || c.name == "scoreboard")
            .map(|c| (c.detail.clone(), c.ok))
            .collect()
    };
    assert_eq!(
        names(false),
        [("none".to_string(), true), ("none".to_string(), true)]
    );
    assert_eq!(
        names(true),
        [
            ("switched off".to_string(), true),
            ("switched off".to_string(), true)
        ]
    );
}
