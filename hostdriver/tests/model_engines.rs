//! The reference model's engines, cycle by cycle: the RX FIFO takes frames
//! off the wire while they fit (and always when it is empty), an RX frame
//! and a TX frame each take the fixed overhead plus one cycle per bus beat
//! from start to completion, TX sends only what it completed and refuses a
//! length above MAX_FRAME_LEN with BAD_LEN, and a refused DMA access stops
//! its queue and is reported in DMA_ERR_* (`docs/ARCHITECTURE.md`, the
//! register map's descriptions).

use hostdriver::model::{ModelNic, ModelNicConfig};
use hostdriver::test_utils::*;
use hostdriver::{Driver, DriverConfig, NicDevice};
use nic_hw::regs::{self, ctrl, dma_err_info, irq_status, status};
use pool::Coherence;

/// Lets one cycle pass at a time until `done` holds; the cycle it first
/// held at. Fails after `max` cycles.
fn step_until(nic: &mut ModelNic, max: u64, what: &str, done: impl Fn(&ModelNic) -> bool) -> u64 {
    let start = nic.cycle();
    while !done(nic) {
        assert!(nic.cycle() - start < max, "{what}: not within {max} cycles");
        nic.advance(1).expect("advance");
    }
    nic.cycle()
}

/// Cycles the model takes to move a frame of `len` bytes.
fn frame_cycles(cfg: &ModelNicConfig, len: usize) -> u64 {
    cfg.frame_overhead + len.div_ceil(cfg.bus_bytes) as u64
}

fn disabled_nic(rx_fifo_bytes: usize) -> ModelNic {
    let cfg = ModelNicConfig {
        rx_fifo_bytes,
        ..ModelNicConfig::default()
    };
    ModelNic::new(&memory(Coherence::Coherent), "nic0", cfg)
}

/// Frames that fit in the FIFO are all taken off the wire in one cycle,
/// up to a FIFO filled to the byte; the next one waits on the wire
/// (back-pressure) until the head frame leaves.
#[test]
fn rx_fifo_takes_frames_while_they_fit() {
    let fifo = 1000;
    let mut nic = disabled_nic(fifo);
    for i in 0..5u8 {
        nic.send_frame(vec![i; fifo / 4]);
    }
    nic.advance(1).unwrap();
    // Four fill the FIFO exactly (the head one is then dropped: RX is off).
    assert_eq!(nic.wire_backlog(), 1, "frames of a quarter FIFO each");
    let taken = step_until(&mut nic, 10_000, "the fifth frame taken", |n| {
        n.wire_backlog() == 0
    });
    assert!(taken > 1, "the fifth frame waited for room");
    step_until(&mut nic, 10_000, "all dropped", |n| {
        n.peek(regs::STAT_RX_DROP_OFF) == 5
    });
}

/// A frame larger than the whole FIFO is still taken when the FIFO is
/// empty (the FIFO always drains; it is dropped as too long or as RX off),
/// and a frame behind it waits only until the FIFO is empty again.
#[test]
fn rx_fifo_takes_an_oversized_frame_when_empty() {
    let fifo = 1000;
    let mut nic = disabled_nic(fifo);
    nic.send_frame(vec![1; fifo + 200]);
    nic.send_frame(vec![2; 100]);
    nic.advance(1).unwrap();
    assert_eq!(
        nic.wire_backlog(),
        1,
        "the big frame taken, the small one waits"
    );
    nic.advance(1).unwrap();
    assert_eq!(nic.wire_backlog(), 0, "taken once the big one left");
    step_until(&mut nic, 10_000, "both dropped", |n| {
        n.peek(regs::STAT_RX_DROP_OFF) == 2
    });
}

/// In loopback the external port's frames are dropped at the port,
/// counted as RX off, and raise RX_DROP.
#[test]
fn loopback_drops_the_external_port() {
    let mut nic = disabled_nic(16384);
    nic.mmio_write(regs::CTRL, ctrl::LOOPBACK).unwrap();
    for _ in 0..3 {
        nic.send_frame(vec![0; 64]);
    }
    nic.advance(1).unwrap();
    assert_eq!(nic.wire_backlog(), 0);
    assert_eq!(nic.peek(regs::STAT_RX_DROP_OFF), 3);
    assert_eq!(nic.peek(regs::IRQ_STATUS), irq_status::RX_DROP);
}

fn open_driver() -> Driver<ModelNic> {
    let mut drv = driver(DriverConfig::default(), Coherence::Coherent);
    drv.open().unwrap();
    drv
}

/// An RX frame's completion is written the fixed overhead plus one cycle
/// per bus beat after the frame left the wire; the frame arrives intact.
#[test]
fn rx_frame_takes_overhead_plus_one_cycle_per_beat() {
    let cfg = ModelNicConfig::default();
    let mut drv = open_driver();
    let lens = [60usize, 64, 65, 1024, 1518];
    let mut sent = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        let f = frame(i as u32, len);
        sent.push(f.clone());
        let nic = drv.dev_mut();
        let cq = nic.peek(regs::RX_CQ_PROD);
        nic.send_frame(f);
        let taken = step_until(nic, 100, "frame taken", |n| n.wire_backlog() == 0);
        let done = step_until(nic, 10_000, "RX completion", |n| {
            n.peek(regs::RX_CQ_PROD) != cq
        });
        assert_eq!(done - taken, frame_cycles(&cfg, len), "RX of {len} bytes");
        assert_eq!(nic.peek(regs::STAT_RX_FRAMES), i as u32 + 1);
    }
    run_until_rx(&mut drv, lens.len(), 100_000);
    assert_eq!(bytes(&drv.drain_rx()), sent);
    settle(&mut drv);
    close_clean(&mut drv);
}

/// A TX frame: its completion is written the fixed overhead plus one cycle
/// per bus beat after the descriptor fetch, and the frame goes on the wire
/// then, not before.
#[test]
fn tx_frame_takes_overhead_plus_one_cycle_per_beat() {
    let cfg = ModelNicConfig::default();
    let mut drv = open_driver();
    let lens = [60usize, 64, 65, 1024, 1518];
    let mut bytes_sent = 0;
    for (i, &len) in lens.iter().enumerate() {
        let f = frame(100 + i as u32, len);
        let (cons, cq) = (
            drv.dev().peek(regs::TX_CONS),
            drv.dev().peek(regs::TX_CQ_PROD),
        );
        drv.xmit(&f).unwrap();
        let nic = drv.dev_mut();
        let fetched = step_until(nic, 100, "TX descriptor fetch", |n| {
            n.peek(regs::TX_CONS) != cons
        });
        let done = step_until(nic, 10_000, "TX completion", |n| {
            n.peek(regs::TX_CQ_PROD) != cq
        });
        let on_wire = nic.take_tx_frames();
        assert_eq!(done - fetched, frame_cycles(&cfg, len), "TX of {len} bytes");
        assert_eq!(
            on_wire,
            vec![f],
            "the frame sent once its completion is written"
        );
        bytes_sent += len as u32;
        assert_eq!(nic.peek(regs::STAT_TX_FRAMES), i as u32 + 1);
        assert_eq!(nic.peek(regs::STAT_TX_BYTES), bytes_sent);
    }
    settle(&mut drv);
    assert!(drv.dev_mut().take_tx_frames().is_empty());
    close_clean(&mut drv);
}

/// The completion is not there, nor the frame on the wire, one cycle
/// before the frame's time is up.
#[test]
fn tx_frame_is_not_sent_before_its_completion() {
    let cfg = ModelNicConfig::default();
    let mut drv = open_driver();
    let f = frame(7, 300);
    let cons = drv.dev().peek(regs::TX_CONS);
    drv.xmit(&f).unwrap();
    let nic = drv.dev_mut();
    step_until(nic, 100, "TX descriptor fetch", |n| {
        n.peek(regs::TX_CONS) != cons
    });
    for _ in 1..frame_cycles(&cfg, f.len()) {
        nic.advance(1).unwrap();
        assert_eq!(
            nic.peek(regs::TX_CQ_PROD),
            0,
            "completion early at {}",
            nic.cycle()
        );
        assert!(
            nic.take_tx_frames().is_empty(),
            "frame sent early at {}",
            nic.cycle()
        );
    }
    nic.advance(1).unwrap();
    assert_eq!(nic.peek(regs::TX_CQ_PROD), 1);
    assert_eq!(nic.take_tx_frames(), vec![f]);
    settle(&mut drv);
    close_clean(&mut drv);
}

/// A TX descriptor longer than MAX_FRAME_LEN completes with BAD_LEN and
/// sends nothing (STAT_TX_BAD_DESC); one of exactly MAX_FRAME_LEN is sent.
#[test]
fn tx_longer_than_max_frame_len_completes_bad_len() {
    let mut drv = open_driver();
    let max = 200u32;
    drv.dev_mut().mmio_write(regs::MAX_FRAME_LEN, max).unwrap();
    let long = frame(1, max as usize + 1);
    let exact = frame(2, max as usize);
    for (f, sent) in [(&long, false), (&exact, true)] {
        let cq = drv.dev().peek(regs::TX_CQ_PROD);
        drv.xmit(f).unwrap();
        step_until(drv.dev_mut(), 10_000, "TX completion", |n| {
            n.peek(regs::TX_CQ_PROD) != cq
        });
        let wire = drv.dev_mut().take_tx_frames();
        if sent {
            assert_eq!(wire, vec![f.clone()], "{} bytes sent", f.len());
        } else {
            assert!(wire.is_empty(), "{} bytes: nothing sent", f.len());
        }
    }
    let nic = drv.dev();
    assert_eq!(nic.peek(regs::STAT_TX_BAD_DESC), 1);
    assert_eq!(nic.peek(regs::STAT_TX_FRAMES), 1);
    assert_eq!(nic.peek(regs::STAT_TX_BYTES), max);
    settle(&mut drv);
}

fn field(v: u32, mask: u32, shift: u32) -> u32 {
    (v & mask) >> shift
}

/// A descriptor fetch from an address the IOMMU refuses: the queue stops
/// (STATUS), DMA_ERR is raised, DMA_ERR_ADDR holds the address, DMA_ERR_INFO
/// the response and the engine; a second error counts but keeps the first
/// one's record.
#[test]
fn a_refused_descriptor_fetch_stops_its_queue_and_is_recorded() {
    let mut nic = disabled_nic(16384);
    let rx_ring = 0x0000_0012_3456_7800u64;
    let tx_ring = 0x0000_0034_5678_9a00u64;
    for (reg, v) in [
        (regs::RX_RING_BASE_LO, rx_ring as u32),
        (regs::RX_RING_BASE_HI, (rx_ring >> 32) as u32),
        (regs::RX_RING_SIZE, 8),
        (regs::TX_RING_BASE_LO, tx_ring as u32),
        (regs::TX_RING_BASE_HI, (tx_ring >> 32) as u32),
        (regs::TX_RING_SIZE, 8),
        (regs::IRQ_MASK, 0),
        (regs::CTRL, ctrl::ENABLE),
        (regs::RX_PROD, 1),
    ] {
        nic.mmio_write(reg, v).unwrap();
    }
    nic.send_frame(vec![0; 64]);
    step_until(&mut nic, 1000, "RX stopped", |n| {
        n.peek(regs::STATUS) & status::RX_STOPPED != 0
    });
    assert!(nic.irq_asserted(), "DMA_ERR unmasked");
    assert_eq!(nic.peek(regs::STATUS) & status::TX_STOPPED, 0);
    assert_ne!(nic.peek(regs::IRQ_STATUS) & irq_status::DMA_ERR, 0);
    assert_eq!(nic.peek(regs::STAT_DMA_ERRORS), 1);
    assert_eq!(
        nic.peek(regs::STAT_RX_DROP_OFF),
        1,
        "the frame dropped: RX stopped"
    );
    let record = |nic: &ModelNic| {
        let info = nic.peek(regs::DMA_ERR_INFO);
        (
            u64::from(nic.peek(regs::DMA_ERR_ADDR_HI)) << 32
                | u64::from(nic.peek(regs::DMA_ERR_ADDR_LO)),
            field(info, dma_err_info::RESP, dma_err_info::RESP_SHIFT),
            field(info, dma_err_info::SOURCE, dma_err_info::SOURCE_SHIFT),
        )
    };
    let rx_err = (
        rx_ring,
        regs::AXI_RESP_SLVERR as u32,
        regs::DMA_ERR_SRC_RX_DESC as u32,
    );
    assert_eq!(record(&nic), rx_err);

    nic.mmio_write(regs::TX_PROD, 1).unwrap();
    step_until(&mut nic, 1000, "TX stopped", |n| {
        n.peek(regs::STATUS) & status::TX_STOPPED != 0
    });
    assert_eq!(nic.peek(regs::STAT_DMA_ERRORS), 2);
    assert_eq!(record(&nic), rx_err, "the first error's record is kept");

    // Another NIC, TX first: the TX engine's source.
    let mut nic = disabled_nic(16384);
    for (reg, v) in [
        (regs::TX_RING_BASE_LO, tx_ring as u32),
        (regs::TX_RING_BASE_HI, (tx_ring >> 32) as u32),
        (regs::TX_RING_SIZE, 8),
        (regs::CTRL, ctrl::ENABLE),
        (regs::TX_PROD, 1),
    ] {
        nic.mmio_write(reg, v).unwrap();
    }
    step_until(&mut nic, 1000, "TX stopped", |n| {
        n.peek(regs::STATUS) & status::TX_STOPPED != 0
    });
    assert_eq!(
        record(&nic),
        (
            tx_ring,
            regs::AXI_RESP_SLVERR as u32,
            regs::DMA_ERR_SRC_TX_DESC as u32
        )
    );
}
