//! The reference model's register file, register by register, against the
//! register map (`rtl/regmap.toml`, through the generated `nic_hw::regs`):
//! reset values, DECERR off the map, SLVERR on read-only registers and on
//! refused values, the read-back of every RW register (and only its own
//! register changes), write masks, W1C, the ring-configuration lock, the
//! doorbell rule and soft reset. The driver tests reach the model only
//! through the values the driver writes; these tests reach every register.

use hostdriver::model::{ModelNic, ModelNicConfig};
use hostdriver::test_utils::memory;
use hostdriver::{DevError, MmioOp, NicDevice};
use nic_hw::regs::{self, ctrl, irq_status};
use nic_hw::{RegAccess, RegInfo};
use pool::Coherence;

fn nic() -> ModelNic {
    ModelNic::new(
        &memory(Coherence::Coherent),
        "nic0",
        ModelNicConfig::default(),
    )
}

fn info(reg: u32) -> &'static RegInfo {
    regs::REGISTERS
        .iter()
        .find(|r| r.offset == reg)
        .expect("a register of the map")
}

fn name(reg: u32) -> &'static str {
    info(reg).name
}

/// Every register of the map, as `peek` sees it (no time passes).
fn snapshot(nic: &ModelNic) -> Vec<(&'static str, u32)> {
    regs::REGISTERS
        .iter()
        .map(|r| (r.name, nic.peek(r.offset)))
        .collect()
}

fn assert_slverr(r: Result<(), DevError>, reg: u32, value: u32) {
    match r {
        Err(DevError::SlvErr {
            reg: got,
            op: MmioOp::Write,
            value: v,
            ..
        }) => {
            assert_eq!(got, reg, "SLVERR names the register written");
            assert_eq!(v, value, "SLVERR carries the value written");
        }
        other => panic!(
            "write of {value:#x} to {}: expected SLVERR, got {other:?}",
            name(reg)
        ),
    }
}

/// The bits IRQ_STATUS and IRQ_MASK have: the fields of IRQ_STATUS.
const IRQ_BITS: u32 =
    irq_status::RX_CQ | irq_status::TX_CQ | irq_status::DMA_ERR | irq_status::RX_DROP;

/// Ring registers whose description in the map says they are locked while
/// CTRL.ENABLE is set.
fn locked_while_enabled(r: &RegInfo) -> bool {
    r.desc.contains("Locked while CTRL.ENABLE")
}

/// The alignment the map asks of a base address register's low half:
/// descriptor rings hold descriptors, completion rings completions.
fn base_alignment(reg: u32) -> Option<u32> {
    match reg {
        regs::RX_RING_BASE_LO | regs::TX_RING_BASE_LO => Some(regs::desc_layout::SIZE as u32),
        regs::RX_CQ_BASE_LO | regs::TX_CQ_BASE_LO => Some(regs::cpl_layout::SIZE as u32),
        _ => None,
    }
}

/// Ring size the doorbell tests configure.
const RING: u32 = 8;

/// What a write to an RW register does, from the register map: the values
/// it accepts with the value each reads back, the values it refuses
/// (SLVERR, nothing changes), the writes to make first, and the other
/// registers the write zeroes.
struct WriteRule {
    accepted: Vec<(u32, u32)>,
    refused: Vec<u32>,
    setup: Vec<(u32, u32)>,
    zeroes: Vec<u32>,
}

impl WriteRule {
    fn any_value() -> Self {
        let accepted = [0, 1, 0x8765_4321, u32::MAX].map(|v| (v, v)).to_vec();
        Self::plain(accepted, vec![])
    }

    fn plain(accepted: Vec<(u32, u32)>, refused: Vec<u32>) -> Self {
        Self {
            accepted,
            refused,
            setup: vec![],
            zeroes: vec![],
        }
    }
}

fn ring_size_rule(prod: u32, cons: u32, cq_prod: u32) -> WriteRule {
    let min = regs::MIN_RING_SIZE as u32;
    let max = regs::MAX_RING_SIZE as u32;
    let accepted = [min, 64, max].map(|v| (v, v)).to_vec();
    WriteRule {
        accepted,
        // Not a power of two, or a power of two outside MIN..=MAX.
        refused: vec![0, 3, 96, max + 1, min / 2, max * 2, u32::MAX],
        // A doorbell rung, so zeroing it shows.
        setup: vec![(prod, 3)],
        zeroes: vec![prod, cons, cq_prod],
    }
}

fn doorbell_rule(size: u32) -> WriteRule {
    WriteRule {
        // Up to RING ahead of CONS (0 here).
        accepted: [1, RING - 1, RING].map(|v| (v, v)).to_vec(),
        // More than RING ahead, or behind (ahead by almost 2^16).
        refused: vec![RING + 1, 0x8000, 0xffff],
        setup: vec![(size, RING)],
        zeroes: vec![],
    }
}

fn write_rule(r: &RegInfo) -> WriteRule {
    let reg = r.offset;
    if let Some(align) = base_alignment(reg) {
        let accepted = [align, 0x1234_5670 / align * align, u32::MAX / align * align]
            .map(|v| (v, v))
            .to_vec();
        let refused = (1..align).filter(|b| b.is_power_of_two()).collect();
        return WriteRule::plain(accepted, refused);
    }
    match reg {
        regs::CTRL => WriteRule::plain(
            vec![
                (ctrl::ENABLE, ctrl::ENABLE),
                (ctrl::LOOPBACK, ctrl::LOOPBACK),
                (ctrl::ENABLE | ctrl::LOOPBACK, ctrl::ENABLE | ctrl::LOOPBACK),
                // Bits outside the fields are not kept.
                (!ctrl::SOFT_RESET, ctrl::ENABLE | ctrl::LOOPBACK),
            ],
            vec![],
        ),
        regs::IRQ_MASK => WriteRule::plain(
            vec![
                (0, 0),
                (
                    irq_status::RX_CQ | irq_status::DMA_ERR,
                    irq_status::RX_CQ | irq_status::DMA_ERR,
                ),
                (u32::MAX, IRQ_BITS),
            ],
            vec![],
        ),
        regs::IRQ_COAL_FRAMES | regs::IRQ_COAL_CYCLES => WriteRule::any_value(),
        regs::MAX_FRAME_LEN => {
            let (min, cap) = (regs::MIN_FRAME_LEN as u32, regs::MAX_FRAME_CAP as u32);
            WriteRule::plain(
                [min, 1000, cap].map(|v| (v, v)).to_vec(),
                vec![0, min - 1, cap + 1, u32::MAX],
            )
        }
        regs::RX_HEADROOM => {
            let max = regs::MAX_RX_HEADROOM as u32;
            WriteRule::plain(
                [1, 256, max].map(|v| (v, v)).to_vec(),
                vec![max + 1, u32::MAX],
            )
        }
        regs::RX_RING_BASE_HI
        | regs::RX_CQ_BASE_HI
        | regs::TX_RING_BASE_HI
        | regs::TX_CQ_BASE_HI => WriteRule::any_value(),
        regs::RX_RING_SIZE => ring_size_rule(regs::RX_PROD, regs::RX_CONS, regs::RX_CQ_PROD),
        regs::TX_RING_SIZE => ring_size_rule(regs::TX_PROD, regs::TX_CONS, regs::TX_CQ_PROD),
        regs::RX_PROD => doorbell_rule(regs::RX_RING_SIZE),
        regs::TX_PROD => doorbell_rule(regs::TX_RING_SIZE),
        _ => panic!(
            "RW register {} has no write rule in this test: add one",
            r.name
        ),
    }
}

/// A model whose RW registers hold values other than their reset values
/// (NIC disabled, no doorbell rung), so a write that clobbers a neighbour
/// shows.
fn configured() -> ModelNic {
    let mut nic = nic();
    let setup = [
        (regs::IRQ_MASK, irq_status::TX_CQ),
        (regs::IRQ_COAL_FRAMES, 5),
        (regs::IRQ_COAL_CYCLES, 700),
        (regs::MAX_FRAME_LEN, 2000),
        (regs::RX_HEADROOM, 128),
        (regs::RX_RING_BASE_LO, 0x1111_1100),
        (regs::RX_RING_BASE_HI, 0x1111_1111),
        (regs::RX_CQ_BASE_LO, 0x2222_2200),
        (regs::RX_CQ_BASE_HI, 0x2222_2222),
        (regs::TX_RING_BASE_LO, 0x3333_3300),
        (regs::TX_RING_BASE_HI, 0x3333_3333),
        (regs::TX_CQ_BASE_LO, 0x4444_4400),
        (regs::TX_CQ_BASE_HI, 0x4444_4444),
        (regs::RX_RING_SIZE, 16),
        (regs::TX_RING_SIZE, 32),
    ];
    for (reg, v) in setup {
        nic.mmio_write(reg, v).expect("configuring write");
        assert_ne!(
            nic.peek(reg),
            info(reg).reset,
            "{} configured off its reset value",
            name(reg)
        );
    }
    nic
}

#[test]
fn every_register_reads_its_reset_value() {
    let mut nic = nic();
    for r in regs::REGISTERS {
        let v = nic
            .mmio_read(r.offset)
            .unwrap_or_else(|e| panic!("{}: {e}", r.name));
        assert_eq!(
            v, r.reset,
            "{} after reset: {v:#x}, the map says {:#x}",
            r.name, r.reset
        );
    }
}

#[test]
fn offsets_off_the_map_answer_decerr_and_registers_do_not() {
    let mut nic = nic();
    let window = 1u32 << regs::REG_ADDR_W;
    for off in (0..window).step_by(4) {
        let mapped = regs::REGISTERS.iter().any(|r| r.offset == off);
        let rd = nic.mmio_read(off);
        let before = snapshot(&nic);
        let wr = nic.mmio_write(off, 0);
        if mapped {
            assert!(rd.is_ok(), "read of {}: {rd:?}", name(off));
            assert!(
                !matches!(wr, Err(DevError::DecErr { .. })),
                "write of {}: {wr:?}",
                name(off)
            );
        } else {
            assert!(
                matches!(rd, Err(DevError::DecErr { reg, op: MmioOp::Read }) if reg == off),
                "read of unmapped {off:#05x}: {rd:?}"
            );
            assert!(
                matches!(wr, Err(DevError::DecErr { reg, op: MmioOp::Write }) if reg == off),
                "write of unmapped {off:#05x}: {wr:?}"
            );
            assert_eq!(snapshot(&nic), before, "a DECERR write changed a register");
        }
    }
}

#[test]
fn writes_to_read_only_registers_answer_slverr_and_change_nothing() {
    let mut nic = configured();
    for r in regs::REGISTERS
        .iter()
        .filter(|r| r.access == RegAccess::ReadOnly)
    {
        for v in [0, 1, r.reset ^ u32::MAX] {
            let before = snapshot(&nic);
            assert_slverr(nic.mmio_write(r.offset, v), r.offset, v);
            assert_eq!(snapshot(&nic), before, "refused write {v:#x} to {}", r.name);
        }
    }
}

/// Every RW register reads back what was written (within its fields), and
/// a write changes that register only (plus what the map says it zeroes);
/// a refused value answers SLVERR and changes nothing.
#[test]
fn every_rw_register_reads_back_its_writes_and_refuses_bad_values() {
    let rw: Vec<&RegInfo> = regs::REGISTERS
        .iter()
        .filter(|r| r.access == RegAccess::ReadWrite)
        .collect();
    assert!(
        rw.iter().any(|r| r.offset == regs::CTRL),
        "CTRL is RW in the map"
    );
    for r in rw {
        let rule = write_rule(r);
        assert!(!rule.accepted.is_empty());
        for &(v, back) in &rule.accepted {
            let mut nic = configured();
            for &(reg, sv) in &rule.setup {
                nic.mmio_write(reg, sv).expect("setup write");
            }
            let before = snapshot(&nic);
            nic.mmio_write(r.offset, v)
                .unwrap_or_else(|e| panic!("write {v:#x} to {}: {e}", r.name));
            assert_eq!(nic.peek(r.offset), back, "{} after writing {v:#x}", r.name);
            for ((n, old), (_, new)) in before.iter().zip(snapshot(&nic)) {
                if *n == r.name {
                    continue;
                }
                let zeroed = rule.zeroes.iter().any(|&z| name(z) == *n);
                let want = if zeroed { 0 } else { *old };
                assert_eq!(
                    new, want,
                    "writing {v:#x} to {} left {n} at {new:#x}",
                    r.name
                );
            }
        }
        for &v in &rule.refused {
            let mut nic = configured();
            for &(reg, sv) in &rule.setup {
                nic.mmio_write(reg, sv).expect("setup write");
            }
            let before = snapshot(&nic);
            assert_slverr(nic.mmio_write(r.offset, v), r.offset, v);
            assert_eq!(snapshot(&nic), before, "refused write {v:#x} to {}", r.name);
        }
    }
}

/// The two halves of a 64-bit base are independent: each write replaces
/// its half, in either order, and a later write of a half replaces the
/// earlier value whole.
#[test]
fn base_address_halves_are_written_independently() {
    let pairs = [
        (regs::RX_RING_BASE_LO, regs::RX_RING_BASE_HI),
        (regs::RX_CQ_BASE_LO, regs::RX_CQ_BASE_HI),
        (regs::TX_RING_BASE_LO, regs::TX_RING_BASE_HI),
        (regs::TX_CQ_BASE_LO, regs::TX_CQ_BASE_HI),
    ];
    for (lo, hi) in pairs {
        let mut nic = nic();
        nic.mmio_write(hi, 0xdead_beef).unwrap();
        nic.mmio_write(lo, 0xffff_fff0).unwrap();
        nic.mmio_write(lo, 0x0000_0120).unwrap();
        assert_eq!(nic.mmio_read(lo).unwrap(), 0x0000_0120, "{}", name(lo));
        assert_eq!(
            nic.mmio_read(hi).unwrap(),
            0xdead_beef,
            "{} after {}",
            name(hi),
            name(lo)
        );
        nic.mmio_write(hi, 0xffff_ffff).unwrap();
        nic.mmio_write(hi, 0x0000_0007).unwrap();
        assert_eq!(nic.mmio_read(hi).unwrap(), 0x0000_0007, "{}", name(hi));
        assert_eq!(
            nic.mmio_read(lo).unwrap(),
            0x0000_0120,
            "{} after {}",
            name(lo),
            name(hi)
        );
    }
}

/// IRQ_STATUS is write-one-to-clear: a write clears the bits written as 1
/// and sets nothing.
#[test]
fn irq_status_is_write_one_to_clear() {
    let mut nic = nic();
    // A frame on a disabled NIC is dropped: RX_DROP is raised.
    nic.send_frame(vec![0u8; 64]);
    nic.advance(100).unwrap();
    assert_eq!(
        nic.mmio_read(regs::IRQ_STATUS).unwrap(),
        irq_status::RX_DROP
    );
    assert_eq!(nic.mmio_read(regs::STAT_RX_DROP_OFF).unwrap(), 1);
    nic.mmio_write(regs::IRQ_STATUS, IRQ_BITS & !irq_status::RX_DROP)
        .unwrap();
    assert_eq!(
        nic.mmio_read(regs::IRQ_STATUS).unwrap(),
        irq_status::RX_DROP,
        "other bits written"
    );
    nic.mmio_write(regs::IRQ_STATUS, irq_status::RX_DROP)
        .unwrap();
    assert_eq!(
        nic.mmio_read(regs::IRQ_STATUS).unwrap(),
        0,
        "RX_DROP written as 1"
    );
    nic.mmio_write(regs::IRQ_STATUS, u32::MAX).unwrap();
    assert_eq!(
        nic.mmio_read(regs::IRQ_STATUS).unwrap(),
        0,
        "a write sets nothing"
    );
}

/// While CTRL.ENABLE is set, every register the map calls locked refuses
/// even a value it accepts otherwise; the others still accept writes.
#[test]
fn ring_configuration_is_locked_while_enabled() {
    let locked: Vec<&RegInfo> = regs::REGISTERS
        .iter()
        .filter(|r| locked_while_enabled(r))
        .collect();
    assert_eq!(
        locked.len(),
        10,
        "ring bases (lo, hi) and sizes of RX, RX CQ, TX, TX CQ"
    );
    let mut nic = configured();
    nic.mmio_write(regs::CTRL, ctrl::ENABLE).unwrap();
    for r in &locked {
        let (v, _) = write_rule(r).accepted[0];
        let before = snapshot(&nic);
        assert_slverr(nic.mmio_write(r.offset, v), r.offset, v);
        assert_eq!(snapshot(&nic), before, "locked {} changed", r.name);
    }
    for r in regs::REGISTERS.iter().filter(|r| {
        r.access == RegAccess::ReadWrite && !locked_while_enabled(r) && r.offset != regs::CTRL
    }) {
        let rule = write_rule(r);
        if !rule.setup.is_empty() {
            continue; // doorbells: their ring size is locked now; below
        }
        let (v, back) = rule.accepted[0];
        nic.mmio_write(r.offset, v)
            .unwrap_or_else(|e| panic!("{} while enabled: {e}", r.name));
        assert_eq!(nic.peek(r.offset), back, "{}", r.name);
    }
    // Disabled again, the ring registers accept writes.
    nic.mmio_write(regs::CTRL, 0).unwrap();
    for r in &locked {
        let (v, back) = write_rule(r).accepted[0];
        nic.mmio_write(r.offset, v)
            .unwrap_or_else(|e| panic!("{} disabled: {e}", r.name));
        assert_eq!(nic.peek(r.offset), back, "{}", r.name);
    }
}

/// A doorbell may run at most a ring ahead of the consumer index, counted
/// modulo 2^16 (the indices are free-running 16-bit counters).
#[test]
fn doorbell_runs_at_most_a_ring_ahead_of_the_consumer() {
    for (size, prod) in [
        (regs::RX_RING_SIZE, regs::RX_PROD),
        (regs::TX_RING_SIZE, regs::TX_PROD),
    ] {
        let mut nic = nic();
        // No ring: only the consumer's own index is accepted.
        assert_slverr(nic.mmio_write(prod, 1), prod, 1);
        nic.mmio_write(prod, 0).unwrap();
        nic.mmio_write(size, RING).unwrap();
        for p in 0..=RING {
            nic.mmio_write(prod, p)
                .unwrap_or_else(|e| panic!("{} = {p}: {e}", name(prod)));
            assert_eq!(nic.peek(prod), p);
        }
        assert_slverr(nic.mmio_write(prod, RING + 1), prod, RING + 1);
        assert_eq!(
            nic.peek(prod),
            RING,
            "a refused doorbell keeps the last one"
        );
    }
}

/// SOFT_RESET reads back 1 until the reset is done; then every register
/// holds its reset value again, counters included.
#[test]
fn soft_reset_restores_every_reset_value() {
    let mut nic = configured();
    nic.mmio_write(regs::CTRL, ctrl::LOOPBACK).unwrap();
    nic.send_frame(vec![0u8; 64]); // dropped at the port in loopback: a counter moves
    nic.advance(100).unwrap();
    assert_eq!(nic.peek(regs::STAT_RX_DROP_OFF), 1);
    let configured = snapshot(&nic);
    let reset: Vec<(&str, u32)> = regs::REGISTERS.iter().map(|r| (r.name, r.reset)).collect();
    let differ = configured
        .iter()
        .zip(&reset)
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        differ >= 15,
        "only {differ} registers off their reset value"
    );

    nic.mmio_write(regs::CTRL, ctrl::SOFT_RESET | ctrl::LOOPBACK)
        .unwrap();
    assert_ne!(
        nic.peek(regs::CTRL) & ctrl::SOFT_RESET,
        0,
        "SOFT_RESET reads 1 while pending"
    );
    let mut waited = 0;
    while nic.mmio_read(regs::CTRL).unwrap() & ctrl::SOFT_RESET != 0 {
        waited += 1;
        assert!(waited < 1000, "soft reset never finished");
    }
    assert_eq!(snapshot(&nic), reset, "after soft reset");
}

/// The model's `Debug` shows where it is: its cycle and its control and
/// interrupt registers, as read.
#[test]
fn debug_shows_the_cycle_and_the_interrupt_registers() {
    let mut nic = nic();
    nic.mmio_write(regs::IRQ_MASK, irq_status::TX_CQ).unwrap();
    nic.mmio_write(regs::CTRL, ctrl::LOOPBACK).unwrap();
    nic.send_frame(vec![0; 64]); // dropped at the port: RX_DROP
    nic.advance(10).unwrap();
    let text = format!("{nic:?}");
    for (field, value) in [
        ("cycle", nic.cycle()),
        ("ctrl", u64::from(nic.peek(regs::CTRL))),
        ("irq_status", u64::from(nic.peek(regs::IRQ_STATUS))),
        ("irq_mask", u64::from(nic.peek(regs::IRQ_MASK))),
    ] {
        assert!(
            text.contains(&format!("{field}: {value}")),
            "{field} = {value} in {text}"
        );
    }
}
