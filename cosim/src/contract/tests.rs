//! The monitor fed synthetic transaction sequences: a correct RX and TX
//! exchange stays quiet, and each rule broken is named by its class.

use ::axi::Resp;
use nic_hw::regs::{self, ctrl};
use nic_hw::wire::{Completion, CplStatus, Descriptor};

use super::*;
use crate::bus::{AddrBeat, AxilEvent, BBeat, RBeat, SparseMem, WBeat};

const BW: usize = 8;
const RX_RING: u64 = 0x1000;
const RX_CQ: u64 = 0x2000;
const TX_RING: u64 = 0x3000;
const TX_CQ: u64 = 0x4000;
const HEADROOM: u64 = 64;
const RING: u16 = 8;

/// A monitor, a memory for the data the slave would return, and a clock.
struct Bench {
    m: ContractMonitor,
    mem: SparseMem,
    cycle: u64,
    irq: bool,
}

fn rx_buf(i: u16) -> u64 {
    0x10_0000 + u64::from(i) * 0x1000
}
fn tx_buf(i: u16) -> u64 {
    0x20_0000 + u64::from(i) * 0x1000 + 6
}

impl Bench {
    /// Rings configured, RX and TX enabled, interrupts unmasked, four RX
    /// buffers of 2048 bytes in the ring (not doorbelled).
    fn new() -> Self {
        let mut b = Bench {
            m: ContractMonitor::new(BW),
            mem: SparseMem::new(),
            cycle: 100,
            irq: false,
        };
        for (reg, v) in [
            (regs::RX_RING_BASE_LO, RX_RING as u32),
            (regs::RX_CQ_BASE_LO, RX_CQ as u32),
            (regs::TX_RING_BASE_LO, TX_RING as u32),
            (regs::TX_CQ_BASE_LO, TX_CQ as u32),
            (regs::RX_RING_SIZE, u32::from(RING)),
            (regs::TX_RING_SIZE, u32::from(RING)),
            (regs::RX_HEADROOM, HEADROOM as u32),
            (regs::IRQ_MASK, 0),
            (regs::CTRL, ctrl::ENABLE),
        ] {
            b.reg(reg, v);
        }
        for i in 0..RING {
            let d = Descriptor::new(rx_buf(i), 2048, 100 + u32::from(i));
            b.mem.poke(RX_RING + 16 * u64::from(i), &d.to_bytes());
        }
        b
    }

    fn tick(&mut self) {
        self.m.on_cycle(self.cycle, self.irq);
        self.cycle += 1;
    }

    fn idle(&mut self, n: u64) {
        for _ in 0..n {
            self.tick();
        }
    }

    fn reg(&mut self, reg: u32, value: u32) {
        self.reg_resp(reg, value, Resp::Okay);
    }

    fn reg_resp(&mut self, reg: u32, value: u32, resp: Resp) {
        self.m
            .register(self.cycle, AxilEvent::WriteTaken { reg, value });
        self.tick();
        self.m
            .register(self.cycle, AxilEvent::WriteDone { reg, value, resp });
        self.tick();
    }

    fn read_reg(&mut self, reg: u32, value: u32) {
        self.m.register(self.cycle, AxilEvent::ReadTaken { reg });
        self.tick();
        self.m.register(
            self.cycle,
            AxilEvent::ReadDone {
                reg,
                value,
                resp: Resp::Okay,
            },
        );
        self.tick();
    }

    fn observe(&mut self, m: AxiMasterSignals, s: AxiSlaveSignals) {
        self.m.axi(self.cycle, &m, &s);
        self.tick();
    }

    fn master() -> AxiMasterSignals {
        AxiMasterSignals {
            bready: true,
            rready: true,
            ..Default::default()
        }
    }

    fn addr(id: u8, addr: u64, beats: usize) -> AddrBeat {
        AddrBeat {
            valid: true,
            id,
            addr,
            len: (beats - 1) as u8,
            size: 3,
            burst: 1,
        }
    }

    /// A read burst of `bytes` at the aligned `addr`, answered from memory.
    fn read(&mut self, id: u8, addr: u64, bytes: usize, resp: Resp) {
        let beats = bytes.div_ceil(BW);
        let m = AxiMasterSignals {
            ar: Self::addr(id, addr, beats),
            ..Self::master()
        };
        let ready = AxiSlaveSignals {
            arready: true,
            ..Default::default()
        };
        self.observe(m, ready);
        let data = self.mem.peek_vec(addr, beats * BW);
        for k in 0..beats {
            let mut v = [0u8; 16];
            v[..BW].copy_from_slice(&data[k * BW..(k + 1) * BW]);
            let s = AxiSlaveSignals {
                r: RBeat {
                    valid: true,
                    id,
                    data: u128::from_le_bytes(v),
                    resp,
                    last: k + 1 == beats,
                },
                ..Default::default()
            };
            self.observe(Self::master(), s);
        }
    }

    /// A write burst's address and data: `data` lands at byte `addr` (the
    /// burst starts at `addr` rounded down to the bus width).
    fn write(&mut self, id: u8, addr: u64, data: &[u8]) {
        let base = addr - addr % BW as u64;
        let off = (addr - base) as usize;
        let beats = (off + data.len()).div_ceil(BW).max(1);
        let m = AxiMasterSignals {
            aw: Self::addr(id, base, beats),
            ..Self::master()
        };
        let ready = AxiSlaveSignals {
            awready: true,
            wready: true,
            ..Default::default()
        };
        self.observe(m, ready);
        for k in 0..beats {
            let mut v = [0u8; 16];
            let mut strb = 0u16;
            for (lane, byte) in v.iter_mut().enumerate().take(BW) {
                let at = k * BW + lane;
                if let Some(b) = at.checked_sub(off).and_then(|i| data.get(i)) {
                    *byte = *b;
                    strb |= 1 << lane;
                }
            }
            let m = AxiMasterSignals {
                w: WBeat {
                    valid: true,
                    data: u128::from_le_bytes(v),
                    strb,
                    last: k + 1 == beats,
                },
                ..Self::master()
            };
            self.observe(m, ready);
        }
    }

    fn b(&mut self, id: u8, resp: Resp) {
        let s = AxiSlaveSignals {
            b: BBeat {
                valid: true,
                id,
                resp,
            },
            ..Default::default()
        };
        self.observe(Self::master(), s);
    }

    fn rx_cpl(&mut self, slot: u16, cpl: Completion) {
        self.write(1, RX_CQ + 16 * u64::from(slot % RING), &cpl.to_bytes());
    }

    /// Frame `data` enters; descriptor `i` receives it; its completion.
    fn rx_frame(&mut self, i: u16, data: &[u8]) {
        self.m.rx_frame_in(self.cycle, data);
        self.tick();
        self.write(0, rx_buf(i) + HEADROOM, data);
        self.b(0, Resp::Okay);
        self.rx_cpl(i, ok_cpl(data.len() as u32, 100 + u32::from(i), i));
        self.b(1, Resp::Okay);
    }

    fn classes(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self
            .m
            .violations()
            .iter()
            .map(RtlViolation::class)
            .collect();
        v.extend(self.m.mismatches().iter().map(ScoreboardMismatch::class));
        v
    }

    fn assert_quiet(&self) {
        assert!(
            self.m.violations().is_empty() && self.m.mismatches().is_empty(),
            "{:#?}\n{:#?}",
            self.m.violations(),
            self.m.mismatches()
        );
    }

    /// The first finding is of `class`; its message names it and the cycle.
    fn assert_first(&self, class: &str) {
        let first = self
            .m
            .violations()
            .first()
            .map(|v| (v.class(), v.to_string(), v.cycle()))
            .or_else(|| {
                self.m
                    .mismatches()
                    .first()
                    .map(|v| (v.class(), v.to_string(), v.cycle()))
            });
        let (c, msg, cycle) = first.unwrap_or_else(|| panic!("nothing found, expected {class}"));
        assert_eq!(c, class, "{msg}\nall: {:?}", self.classes());
        assert!(
            msg.starts_with(class) && msg.contains(&format!("cycle {cycle}")),
            "{msg}"
        );
    }
}

fn ok_cpl(len: u32, tag: u32, idx: u16) -> Completion {
    Completion::new(
        len,
        tag,
        idx,
        CplStatus::Ok,
        Completion::expected_phase(idx, RING),
        0,
    )
}

fn frame(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| seed.wrapping_add(i as u8)).collect()
}

/// Doorbell four RX descriptors and fetch them.
fn rx_posted() -> Bench {
    let mut b = Bench::new();
    b.reg(regs::RX_PROD, 4);
    b.read(0, RX_RING, 64, Resp::Okay);
    b
}

#[test]
fn a_correct_rx_exchange_is_quiet() {
    let mut b = rx_posted();
    b.rx_frame(0, &frame(60, 1));
    b.irq = true;
    b.idle(3);
    b.reg(regs::IRQ_STATUS, regs::irq_status::RX_CQ);
    b.irq = false;
    b.rx_frame(1, &frame(1514, 7));
    b.irq = true;
    b.idle(3);
    b.read_reg(regs::STAT_RX_DROP_NO_DESC, 0);
    b.m.finish(b.cycle);
    b.assert_quiet();
}

#[test]
fn a_fetch_beyond_the_doorbell_is_named() {
    let mut b = Bench::new();
    b.reg(regs::RX_PROD, 2);
    b.read(0, RX_RING, 64, Resp::Okay);
    b.assert_first("rtl/desc-fetch-not-doorbelled");
    let msg = b.m.violations()[0].to_string();
    assert!(
        msg.contains("RX descriptor 2") && msg.contains("RX_PROD) is 2"),
        "{msg}"
    );
}

#[test]
fn a_refused_doorbell_is_not_a_doorbell() {
    let mut b = Bench::new();
    b.reg_resp(regs::RX_PROD, 4, Resp::SlvErr);
    b.read(0, RX_RING, 16, Resp::Okay);
    b.assert_first("rtl/desc-fetch-not-doorbelled");
}

#[test]
fn a_fetch_at_the_wrong_slot_is_named() {
    let mut b = Bench::new();
    b.reg(regs::RX_PROD, 4);
    b.read(0, RX_RING + 16, 16, Resp::Okay);
    b.assert_first("rtl/desc-fetch-wrong-address");
}

#[test]
fn payload_outside_the_headroom_window_is_named() {
    let mut b = rx_posted();
    b.m.rx_frame_in(b.cycle, &frame(60, 1));
    b.write(0, rx_buf(0), &frame(60, 1));
    b.assert_first("rtl/rx-payload-outside-buffer");
    let msg = b.m.violations()[0].to_string();
    assert!(msg.contains(&format!("{:#x}+60", rx_buf(0))), "{msg}");
}

#[test]
fn payload_past_the_frame_is_named() {
    let mut b = rx_posted();
    let f = frame(60, 1);
    b.m.rx_frame_in(b.cycle, &f);
    let mut longer = f.clone();
    longer.extend([0xee; 4]);
    b.write(0, rx_buf(0) + HEADROOM, &longer);
    b.b(0, Resp::Okay);
    b.rx_cpl(0, ok_cpl(60, 100, 0));
    b.assert_first("rtl/rx-payload-beyond-frame");
}

#[test]
fn a_completion_before_the_payload_b_is_named() {
    let mut b = rx_posted();
    let f = frame(60, 1);
    b.m.rx_frame_in(b.cycle, &f);
    b.write(0, rx_buf(0) + HEADROOM, &f);
    b.rx_cpl(0, ok_cpl(60, 100, 0));
    b.b(0, Resp::Okay);
    b.b(1, Resp::Okay);
    b.assert_first("rtl/cpl-before-payload-done");
}

#[test]
fn completion_slot_index_and_fields_are_checked() {
    let mut b = rx_posted();
    let f = frame(60, 1);
    b.m.rx_frame_in(b.cycle, &f);
    b.write(0, rx_buf(0) + HEADROOM, &f);
    b.b(0, Resp::Okay);
    b.write(1, RX_CQ + 16 * 3, &ok_cpl(60, 100, 0).to_bytes());
    b.assert_first("rtl/cpl-wrong-slot");

    let mut b = rx_posted();
    b.rx_frame(0, &f);
    b.rx_cpl(0, ok_cpl(60, 100, 0));
    b.assert_first("rtl/cpl-duplicate");

    let mut b = rx_posted();
    b.rx_cpl(6, ok_cpl(60, 106, 6));
    b.assert_first("rtl/cpl-not-fetched");

    let mut b = rx_posted();
    b.m.rx_frame_in(b.cycle, &f);
    b.write(0, rx_buf(0) + HEADROOM, &f);
    b.b(0, Resp::Okay);
    b.rx_cpl(0, ok_cpl(60, 555, 0));
    b.assert_first("rtl/cpl-field-mismatch");
    assert!(b.m.violations()[0]
        .to_string()
        .contains("tag expected 0x64, seen 0x22b"));

    let mut b = rx_posted();
    b.write(1, RX_CQ + 4, &ok_cpl(60, 100, 0).to_bytes()[..8]);
    b.assert_first("rtl/cpl-malformed");
}

#[test]
fn a_completion_with_another_frames_length_or_bytes_is_a_mismatch() {
    let mut b = rx_posted();
    let f = frame(60, 1);
    b.m.rx_frame_in(b.cycle, &f);
    let mut wrong = f.clone();
    wrong[17] ^= 0xff;
    b.write(0, rx_buf(0) + HEADROOM, &wrong);
    b.b(0, Resp::Okay);
    b.rx_cpl(0, ok_cpl(60, 100, 0));
    b.b(1, Resp::Okay);
    b.assert_first("scoreboard/rx-frame-mismatch");
    assert!(b.m.mismatches()[0]
        .to_string()
        .contains("first differing byte 17"));
}

#[test]
fn drops_need_a_reason_and_the_counters_must_agree() {
    // Too long for MAX_FRAME_LEN: dropped, the descriptor not consumed.
    let mut b = rx_posted();
    b.m.rx_frame_in(b.cycle, &frame(1600, 3));
    b.rx_frame(0, &frame(64, 4));
    b.read_reg(regs::STAT_RX_DROP_TOO_LONG, 1);
    b.assert_quiet();
    b.read_reg(regs::STAT_RX_DROP_TOO_LONG, 0);
    b.assert_first("scoreboard/drop-counter");

    // A frame that fits, with descriptors posted: not a drop.
    let mut b = rx_posted();
    b.m.rx_frame_in(b.cycle, &frame(64, 3));
    b.rx_frame(0, &frame(64, 4));
    b.assert_first("scoreboard/rx-frame-mismatch");

    // Lost for good at the end, with a descriptor waiting.
    let mut b = rx_posted();
    b.m.rx_frame_in(b.cycle, &frame(64, 3));
    b.idle(10);
    b.m.finish(b.cycle);
    b.assert_first("scoreboard/rx-drop-unexplained");

    // Dropped while RX was off: explained, and counted as OFF.
    let mut b = rx_posted();
    b.reg(regs::CTRL, 0);
    b.m.rx_frame_in(b.cycle, &frame(64, 3));
    b.idle(10);
    b.m.finish(b.cycle);
    b.read_reg(regs::STAT_RX_DROP_OFF, 1);
    b.assert_quiet();

    // A completion that skips a descriptor: the drop consumed it.
    let mut b = rx_posted();
    b.m.rx_frame_in(b.cycle, &frame(1600, 3));
    b.rx_frame(1, &frame(64, 4));
    b.assert_first("scoreboard/rx-descriptor-skipped");
}

#[test]
fn no_desc_is_explained_only_when_no_descriptor_was_available() {
    let mut b = Bench::new();
    b.m.rx_frame_in(b.cycle, &frame(64, 3));
    b.idle(5);
    b.reg(regs::RX_PROD, 4);
    b.read(0, RX_RING, 64, Resp::Okay);
    b.rx_frame(0, &frame(64, 4));
    b.read_reg(regs::STAT_RX_DROP_NO_DESC, 1);
    b.assert_quiet();
}

/// A TX descriptor of `len` bytes at slot `i`, doorbelled and fetched.
fn tx_posted(len: u32) -> (Bench, Vec<u8>) {
    let mut b = Bench::new();
    let f = frame(len as usize, 9);
    b.mem.poke(tx_buf(0), &f);
    b.mem
        .poke(TX_RING, &Descriptor::new(tx_buf(0), len, 7).to_bytes());
    b.reg(regs::TX_PROD, 1);
    b.read(1, TX_RING, 16, Resp::Okay);
    (b, f)
}

fn tx_cpl(len: u32, status: CplStatus) -> [u8; 16] {
    Completion::new(len, 7, 0, status, true, 0).to_bytes()
}

fn tx_read_all(b: &mut Bench, len: u32) {
    let start = tx_buf(0) - tx_buf(0) % BW as u64;
    let bytes = (tx_buf(0) + u64::from(len) - start) as usize;
    b.read(2, start, bytes, Resp::Okay);
}

#[test]
fn a_correct_tx_exchange_is_quiet() {
    let (mut b, f) = tx_posted(100);
    tx_read_all(&mut b, 100);
    b.write(2, TX_CQ, &tx_cpl(100, CplStatus::Ok));
    b.b(2, Resp::Okay);
    b.m.tx_frame_out(b.cycle, &f);
    b.irq = true;
    b.idle(3);
    b.m.finish(b.cycle);
    b.assert_quiet();
}

#[test]
fn tx_rules_are_named() {
    let (mut b, _) = tx_posted(100);
    b.read(2, tx_buf(0) + 0x800, 64, Resp::Okay);
    b.assert_first("rtl/tx-read-outside-buffer");

    let (mut b, _) = tx_posted(100);
    b.write(2, TX_CQ, &tx_cpl(100, CplStatus::Ok));
    b.assert_first("rtl/cpl-before-payload-done");

    let (mut b, _) = tx_posted(0);
    b.write(2, TX_CQ, &tx_cpl(0, CplStatus::Ok));
    b.assert_first("scoreboard/tx-status");

    let (mut b, f) = tx_posted(100);
    tx_read_all(&mut b, 100);
    b.write(2, TX_CQ, &tx_cpl(100, CplStatus::Ok));
    b.b(2, Resp::Okay);
    b.m.tx_frame_out(b.cycle, &f[..99]);
    b.assert_first("scoreboard/tx-frame-mismatch");

    let (mut b, _) = tx_posted(100);
    tx_read_all(&mut b, 100);
    b.write(2, TX_CQ, &tx_cpl(100, CplStatus::Ok));
    b.m.finish(b.cycle);
    b.assert_first("scoreboard/tx-frame-missing");

    let mut b = Bench::new();
    b.m.tx_frame_out(b.cycle, &[1; 64]);
    b.assert_first("scoreboard/tx-frame-unexpected");
}

#[test]
fn a_stopped_queue_issues_nothing_new() {
    let mut b = rx_posted();
    let f = frame(60, 1);
    b.m.rx_frame_in(b.cycle, &f);
    b.write(0, rx_buf(0) + HEADROOM, &f);
    b.b(0, Resp::SlvErr);
    b.idle(5);
    b.rx_cpl(0, ok_cpl(60, 100, 0));
    b.assert_first("rtl/txn-after-dma-error");
    assert!(b.m.violations()[0]
        .to_string()
        .contains("RX completion write"));

    // TX keeps running; RX frames after the error are explained drops.
    let mut b = rx_posted();
    b.write(0, rx_buf(0) + HEADROOM, &f);
    b.b(0, Resp::SlvErr);
    b.m.rx_frame_in(b.cycle, &f);
    b.reg(regs::TX_PROD, 0);
    b.m.finish(b.cycle);
    b.read_reg(regs::STAT_RX_DROP_OFF, 1);
    b.assert_quiet();
}

#[test]
fn nothing_new_during_a_soft_reset_and_nothing_known_after_it() {
    // A payload write still waits for its B: the reset waits too.
    let mut b = rx_posted();
    b.m.rx_frame_in(b.cycle, &[1; 8]);
    b.write(0, rx_buf(0) + HEADROOM, &[1; 8]);
    b.m.register(
        b.cycle,
        AxilEvent::WriteTaken {
            reg: regs::CTRL,
            value: ctrl::SOFT_RESET,
        },
    );
    b.idle(4);
    b.rx_cpl(0, ok_cpl(8, 100, 0));
    b.assert_first("rtl/txn-during-soft-reset");

    let mut b = rx_posted();
    b.reg(regs::CTRL, ctrl::SOFT_RESET);
    b.idle(5);
    b.read(0, RX_RING, 16, Resp::Okay);
    b.assert_first("rtl/desc-fetch-not-doorbelled");
}

#[test]
fn an_unknown_id_is_named() {
    let mut b = Bench::new();
    b.read(5, 0x9000, 8, Resp::Okay);
    b.assert_first("rtl/unknown-axi-id");
}

#[test]
fn coalescing_must_raise_the_line_and_only_with_a_cause() {
    let mut b = rx_posted();
    b.rx_frame(0, &frame(60, 1));
    b.idle(IRQ_TOLERANCE + 2);
    b.assert_first("scoreboard/irq-late");

    let mut b = rx_posted();
    b.irq = true;
    b.idle(2);
    b.assert_first("scoreboard/irq-spurious");

    // Masked: the line may stay low.
    let mut b = rx_posted();
    b.reg(regs::IRQ_MASK, 0xf);
    b.idle(IRQ_TOLERANCE + 1);
    b.rx_frame(0, &frame(60, 1));
    b.idle(IRQ_TOLERANCE + 2);
    b.assert_quiet();
}
