//! Interrupt discipline, NAPI budget, coalescing, refill failure.

use hostdriver::model::ModelNic;
use hostdriver::test_utils::*;
use hostdriver::{Driver, DriverConfig, MmioOp, NapiEvent, NicDevice};
use nic_hw::regs;
use pool::{Coherence, FailureInjection};

/// In the NIC's own log: between an IRQ_MASK = all write and the next
/// unmask write, the driver acknowledged IRQ_STATUS (W1C) first.
fn assert_mmio_unmask_after_ack(nic: &ModelNic) {
    let log = nic.mmio_log();
    for (i, m) in log.iter().enumerate() {
        if m.op == MmioOp::Write && m.reg == regs::IRQ_MASK && m.value == 0 && i > 0 {
            let before = &log[..i];
            // (open's first enable has no mask before it: from the start.)
            let last_mask = before
                .iter()
                .rposition(|x| x.op == MmioOp::Write && x.reg == regs::IRQ_MASK)
                .unwrap_or(0);
            assert!(
                before[last_mask..]
                    .iter()
                    .any(|x| x.reg == regs::IRQ_STATUS),
                "unmask at cycle {} without touching IRQ_STATUS since the mask",
                m.cycle
            );
        }
    }
}

#[test]
fn burst_larger_than_the_budget_takes_several_polls_then_unmasks_once() {
    let cfg = DriverConfig {
        rx_ring_size: 256,
        ..DriverConfig::default()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    drv.take_events();
    for i in 0..200 {
        drv.dev_mut().send_frame(frame(i, 64));
    }
    // The NIC writes all 200 before the CPU gets to the interrupt.
    let nic = drv.dev_mut();
    for _ in 0..10_000 {
        if nic.peek(regs::RX_CQ_PROD) == 200 {
            break;
        }
        nic.advance(100).unwrap();
    }
    assert_eq!(nic.peek(regs::RX_CQ_PROD), 200);
    assert!(nic.irq_asserted());
    let polls = drv.service().unwrap();
    assert_eq!(polls, 4, "64 + 64 + 64 + 8");
    let st = drv.stats();
    assert_eq!(st.irqs, 1);
    assert_eq!(st.napi_polls, 4);
    assert_eq!(st.napi_budget_exhausted, 3);
    assert_eq!(st.napi_complete, 1);
    let dones: Vec<usize> = drv
        .events()
        .iter()
        .filter_map(|e| match e {
            NapiEvent::Poll { done, .. } => Some(*done),
            _ => None,
        })
        .collect();
    assert_eq!(dones, vec![64, 64, 64, 8]);
    assert_irq_discipline(drv.events());
    assert_eq!(
        drv.dev().peek(regs::IRQ_MASK),
        0,
        "unmasked after completing"
    );
    // Each poll rang the RX doorbell once for its whole batch.
    let doorbells = drv
        .dev()
        .mmio_log()
        .iter()
        .filter(|m| m.op == MmioOp::Write && m.reg == regs::RX_PROD)
        .count();
    assert_eq!(doorbells, 1 + 4, "one at open, one per poll");
    assert_eq!(drv.drain_rx().len(), 200);
    settle(&mut drv);
    assert_irq_discipline(drv.events());
    assert_mmio_unmask_after_ack(drv.dev());
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

#[test]
fn the_interrupt_stays_masked_during_the_poll_and_repolls_when_work_arrived() {
    // Find the arrival time at which frame 2 lands after the poll's RX loop
    // but before its completion check (deterministic model: scan).
    let mut found = false;
    for delay in 0..120u64 {
        let mut drv = driver(
            DriverConfig {
                rx_ring_size: 16,
                ..DriverConfig::default()
            },
            Coherence::Coherent,
        );
        drv.open().unwrap();
        drv.dev_mut().send_frame(frame(0, 60));
        drv.dev_mut().advance(200).unwrap();
        assert!(drv.handle_irq().unwrap());
        assert_eq!(drv.dev().peek(regs::IRQ_MASK), 0xf, "masked by the handler");
        drv.dev_mut().send_frame(frame(1, 60));
        drv.dev_mut().advance(delay).unwrap();
        let out = drv.napi_poll().unwrap();
        assert!(out.completed);
        if out.rescheduled {
            assert_eq!(out.done, 1);
            assert!(drv.napi_scheduled());
            assert_eq!(
                drv.dev().peek(regs::IRQ_MASK),
                0xf,
                "still masked when rescheduled"
            );
            let out2 = drv.napi_poll().unwrap();
            assert_eq!(
                out2.done, 1,
                "the repoll picks up the frame that arrived meanwhile"
            );
            assert!(!out2.rescheduled);
            assert_eq!(drv.dev().peek(regs::IRQ_MASK), 0);
            assert_eq!(drv.stats().napi_repoll, 1);
            assert_irq_discipline(drv.events());
            assert_eq!(drv.drain_rx().len(), 2);
            settle(&mut drv);
            close_clean(&mut drv);
            found = true;
            break;
        }
        assert_eq!(drv.dev().peek(regs::IRQ_MASK) == 0, !drv.napi_scheduled());
        settle(&mut drv);
        assert_eq!(drv.drain_rx().len(), 2);
        close_clean(&mut drv);
    }
    assert!(found, "no arrival time produced a repoll");
}

fn run_paced(coal_frames: u32, coal_cycles: u32, n: u32, gap: u64) -> (u64, u64, Driver<ModelNic>) {
    let mut drv = driver(
        DriverConfig {
            rx_ring_size: 128,
            coal_frames,
            coal_cycles,
            ..DriverConfig::default()
        },
        Coherence::Coherent,
    );
    drv.open().unwrap();
    let edges0 = drv.dev().irq_edges();
    let mut got = Vec::new();
    for i in 0..n {
        drv.dev_mut().send_frame(frame(i, 128));
        drv.run_for(gap, 16).unwrap();
        got.extend(drv.drain_rx());
    }
    settle(&mut drv);
    got.extend(drv.drain_rx());
    assert_eq!(
        got.len(),
        n as usize,
        "coal {coal_frames}/{coal_cycles}: every frame delivered"
    );
    let edges = drv.dev().irq_edges() - edges0;
    let irqs = drv.stats().irqs;
    assert_irq_discipline(drv.events());
    (irqs, edges, drv)
}

#[test]
fn coalescing_registers_change_how_many_interrupts_arrive() {
    let (irq1, edges1, mut d1) = run_paced(1, 0, 96, 300);
    let (irq16, edges16, mut d16) = run_paced(16, 20_000, 96, 300);
    let (irq_t, _, mut dt) = run_paced(1000, 1500, 96, 300);
    assert!(
        irq1 >= 90,
        "one interrupt per frame without coalescing: {irq1}"
    );
    assert!(irq16 <= 96 / 16 + 1, "one per 16 frames: {irq16}");
    assert!(edges16 < edges1 / 8, "edges {edges16} vs {edges1}");
    // Timer only: an interrupt every ~1500 cycles = every ~5 frames.
    assert!(
        irq_t > irq16 && irq_t < irq1 / 3,
        "timer coalescing: {irq_t}"
    );
    for d in [&mut d1, &mut d16, &mut dt] {
        assert_rx_conservation(d, 0);
        close_clean(d);
    }
}

#[test]
fn refill_failure_leaves_slots_empty_nic_drops_and_traffic_recovers() {
    let mut drv = driver(
        DriverConfig {
            rx_ring_size: 16,
            ..DriverConfig::default()
        },
        Coherence::Coherent,
    );
    drv.open().unwrap();
    drv.inject_rx_alloc_failures(FailureInjection::NextN(1_000_000))
        .unwrap();
    for i in 0..40 {
        drv.dev_mut().send_frame(frame(i, 100));
    }
    settle(&mut drv);
    let got1 = drv.drain_rx().len();
    assert_eq!(got1, 16, "only the posted buffers were filled");
    assert_eq!(drv.rx_posted(), 0, "every slot left empty");
    let hw = drv.hw_stats().unwrap();
    assert_eq!(
        hw.hw_rx_drop_no_desc, 24,
        "the NIC dropped and counted the rest"
    );
    let fails = drv.stats().rx_refill_failures;
    assert!(
        fails >= 2,
        "failures counted and retried on later polls: {fails}"
    );
    // Memory returns. The next drop's interrupt runs a poll that refills.
    drv.inject_rx_alloc_failures(FailureInjection::Off).unwrap();
    let mut expect = Vec::new();
    for i in 100..150 {
        let f = frame(i, 100);
        expect.push(f.clone());
        drv.dev_mut().send_frame(f);
        drv.run_for(400, 32).unwrap();
    }
    settle(&mut drv);
    let got2 = bytes(&drv.drain_rx());
    let hw2 = drv.hw_stats().unwrap();
    let lost = (hw2.hw_rx_drop_no_desc - hw.hw_rx_drop_no_desc) as usize;
    assert!(
        lost <= 1,
        "at most the frame whose drop woke the poll: {lost}"
    );
    assert_eq!(got2.len() + lost, 50);
    assert_eq!(got2[..], expect[lost..], "traffic recovered, in order");
    assert_eq!(drv.rx_posted(), 16, "ring full again");
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

#[test]
fn close_waits_for_idle_releases_pages_and_reports_inflight() {
    let mut drv = driver(
        DriverConfig {
            rx_ring_size: 32,
            ..DriverConfig::default()
        },
        Coherence::Coherent,
    );
    drv.open().unwrap();
    for i in 0..10 {
        drv.dev_mut().send_frame(frame(i, 200));
    }
    settle(&mut drv);
    let held = drv.drain_rx(); // the "stack" still holds 10 skbs
    let rep = drv.close().unwrap();
    assert_eq!(rep.rx_buffers_released, 32);
    assert_eq!(rep.rx_inflight, 10, "pages held by the stack are reported");
    assert_eq!(rep.rx_pool, pool::DestroyOutcome::Detached { inflight: 10 });
    assert_eq!(rep.hw.hw_rx_frames, 10);
    assert_eq!(
        drv.dev().peek(regs::CTRL) & regs::ctrl::ENABLE,
        0,
        "queues stopped"
    );
    // The stack lets go; the detached pool is released on its next retry.
    drop(held);
    let reg = pool::PoolRegistry::of(drv.host_mem());
    let hz = drv.host_mem().config().clock_hz;
    let ev = reg.service(drv.dev().cycle() + 2 * hz);
    assert!(
        ev.iter()
            .any(|e| matches!(e, pool::ServiceEvent::Freed { .. })),
        "{ev:?}"
    );
    assert!(drv.rx_pool().unwrap().is_freed());
    assert!(drv.dma_dev().live_mappings().is_empty());
    assert!(drv.dma_dev().violations().is_empty());
    // Open again: a fresh pool, traffic flows.
    drv.open().unwrap();
    drv.dev_mut().send_frame(frame(99, 70));
    run_until_rx(&mut drv, 1, 100_000);
    assert_eq!(drv.recv().unwrap().to_vec().unwrap(), frame(99, 70));
    settle(&mut drv);
    // The reopen's soft reset cleared STAT_*: the driver's totals kept
    // the first opening's frames.
    assert_eq!(drv.dev().peek(regs::STAT_RX_FRAMES), 1);
    assert_eq!(drv.hw_stats().unwrap().hw_rx_frames, 11);
    close_clean(&mut drv);
}

#[test]
fn model_register_file_follows_the_map() {
    use hostdriver::DevError;
    let mem = memory(Coherence::Coherent);
    let mut nic = ModelNic::new(&mem, "regs", Default::default());
    assert_eq!(nic.mmio_read(regs::ID).unwrap(), regs::DEVICE_ID);
    assert_eq!(
        nic.mmio_read(regs::IRQ_MASK).unwrap(),
        0xf,
        "all masked after reset"
    );
    assert_eq!(
        nic.mmio_read(regs::STATUS).unwrap() & regs::status::IDLE,
        regs::status::IDLE
    );
    assert!(matches!(
        nic.mmio_write(regs::ID, 1),
        Err(DevError::SlvErr { name: "ID", .. })
    ));
    assert!(matches!(
        nic.mmio_read(0x0fc),
        Err(DevError::DecErr { reg: 0x0fc, .. })
    ));
    assert!(matches!(
        nic.mmio_write(regs::RX_RING_SIZE, 3),
        Err(DevError::SlvErr { .. })
    ));
    assert!(matches!(
        nic.mmio_write(regs::RX_RING_SIZE, 8192),
        Err(DevError::SlvErr { .. })
    ));
    assert!(matches!(
        nic.mmio_write(regs::RX_RING_BASE_LO, 0x1008),
        Err(DevError::SlvErr { .. })
    ));
    assert!(matches!(
        nic.mmio_write(regs::MAX_FRAME_LEN, 13),
        Err(DevError::SlvErr { .. })
    ));
    assert!(matches!(
        nic.mmio_write(regs::RX_HEADROOM, 4096),
        Err(DevError::SlvErr { .. })
    ));
    nic.mmio_write(regs::RX_RING_SIZE, 8).unwrap();
    assert!(
        matches!(
            nic.mmio_write(regs::RX_PROD, 9),
            Err(DevError::SlvErr { .. })
        ),
        "more than SIZE ahead of CONS"
    );
    nic.mmio_write(regs::RX_PROD, 8).unwrap();
    nic.mmio_write(regs::CTRL, regs::ctrl::ENABLE).unwrap();
    let e = nic.mmio_write(regs::RX_RING_SIZE, 16).unwrap_err();
    assert!(e.to_string().contains("RX_RING_SIZE"), "{e}");
    nic.mmio_write(regs::CTRL, regs::ctrl::SOFT_RESET).unwrap();
    nic.advance(20).unwrap();
    assert_eq!(nic.mmio_read(regs::CTRL).unwrap(), 0);
    assert_eq!(nic.mmio_read(regs::RX_RING_SIZE).unwrap(), 0);
}

#[test]
fn free_running_u16_indices_wrap_past_65536_without_losing_a_frame() {
    let mut drv = driver(
        DriverConfig {
            rx_ring_size: 8,
            tx_ring_size: 8,
            ..DriverConfig::default()
        },
        Coherence::Coherent,
    );
    let seen = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let s2 = seen.clone();
    drv.set_rx_handler(Some(Box::new(
        move |skb: hostdriver::SkBuff, napi: &mut pool::NapiCtx<'_>| {
            let d = skb.to_vec().unwrap();
            let seq = u32::from_le_bytes(d[14..18].try_into().unwrap());
            assert_eq!(seq, s2.get(), "in order across the wrap");
            s2.set(seq + 1);
            skb.free_in_napi(napi);
            None
        },
    )));
    drv.open().unwrap();
    let n = 66_000u32;
    let mut sent = 0;
    // 200 cycles a round, at least one frame every few rounds.
    let deadline = drv.dev().cycle() + u64::from(n) * 2_000;
    while sent < n {
        assert_before(&drv, deadline, "66000 frames through a ring of 8");
        // Keep a few frames on the wire: the ring of 8 is refilled every poll.
        while sent < n && drv.dev().wire_backlog() < 4 {
            drv.dev_mut().send_frame(frame(sent, 60));
            sent += 1;
        }
        drv.run_for(200, 50).unwrap();
    }
    settle(&mut drv);
    assert_eq!(seen.get(), n);
    assert_eq!(drv.hw_stats().unwrap().hw_rx_drop_no_desc, 0);
    assert_eq!(
        drv.dev().peek(regs::RX_CQ_PROD),
        n & 0xffff,
        "the NIC's index wrapped"
    );
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

/// The model reads TX payload in whole bus beats, as the RTL does: a mapping
/// that covers the frame's bytes but ends inside a beat faults (the bug the
/// RTL caught in a first zero-copy redirect), and one rounded out to the beat
/// does not.
#[test]
fn model_tx_reads_whole_bus_beats_like_the_rtl() {
    use nic_hw::wire::Descriptor;
    use pool::DmaDirection;
    for (map_len, expect_fault) in [(60usize, true), (64, false)] {
        let mem = memory(Coherence::Coherent);
        let mut nic = ModelNic::new(&mem, "beats", Default::default());
        let dma = nic.dma_dev().clone();
        let ring = dma.alloc_coherent(4096).unwrap();
        let cq = dma.alloc_coherent(4096).unwrap();
        let page = mem.alloc_pages(0, 0).unwrap();
        mem.cpu_write(page.host_addr(), &[0x5a; 60]).unwrap();
        let buf = dma
            .map_page(&page, 0, map_len, DmaDirection::ToDevice)
            .unwrap();
        let desc = Descriptor::new(buf.raw_value(), 60, 7);
        mem.cpu_write(ring.host, &desc.to_bytes()).unwrap();
        for (reg, v) in [
            (regs::TX_RING_BASE_LO, ring.dma.raw_value() as u32),
            (regs::TX_RING_BASE_HI, (ring.dma.raw_value() >> 32) as u32),
            (regs::TX_CQ_BASE_LO, cq.dma.raw_value() as u32),
            (regs::TX_CQ_BASE_HI, (cq.dma.raw_value() >> 32) as u32),
            (regs::TX_RING_SIZE, 8),
            (regs::CTRL, regs::ctrl::ENABLE),
            (regs::TX_PROD, 1),
        ] {
            nic.mmio_write(reg, v).unwrap();
        }
        nic.advance(2_000).unwrap();
        let errors = nic.mmio_read(regs::STAT_DMA_ERRORS).unwrap();
        let sent = nic.mmio_read(regs::STAT_TX_FRAMES).unwrap();
        if expect_fault {
            assert_eq!((errors, sent), (1, 0), "mapping of {map_len} bytes");
            assert_ne!(
                nic.mmio_read(regs::STATUS).unwrap() & regs::status::TX_STOPPED,
                0
            );
        } else {
            assert_eq!((errors, sent), (0, 1), "mapping of {map_len} bytes");
        }
    }
}

/// A device whose clock never moves (`advance` returns, `cycle()` stays)
/// makes the driver's waits fail with `ClockStuck`, never spin for ever.
#[test]
fn a_device_whose_clock_is_stuck_fails_the_wait() {
    use hostdriver::{DevError, DriverError};
    struct Frozen(ModelNic);
    impl NicDevice for Frozen {
        fn mmio_read(&mut self, reg: u32) -> Result<u32, DevError> {
            self.0.mmio_read(reg)
        }
        fn mmio_write(&mut self, reg: u32, value: u32) -> Result<(), DevError> {
            self.0.mmio_write(reg, value)
        }
        fn irq_asserted(&self) -> bool {
            self.0.irq_asserted()
        }
        fn advance(&mut self, _cycles: u64) -> Result<(), DevError> {
            Ok(())
        }
        fn cycle(&self) -> u64 {
            self.0.cycle()
        }
        fn dma_dev(&self) -> &pool::DmaDev {
            self.0.dma_dev()
        }
        fn host_mem(&self) -> &pool::HostMemory {
            self.0.host_mem()
        }
    }
    let mem = pool::HostMemory::new(pool::MemConfig::default());
    let nic = Frozen(ModelNic::new(&mem, "frozen", Default::default()));
    let cycle = nic.cycle();
    match Driver::probe(nic, DriverConfig::default()) {
        Err(DriverError::ClockStuck { cycle: c, asked }) => {
            // Register accesses still take bus cycles; advance took none.
            assert!(c >= cycle, "{c} < {cycle}");
            assert!(asked > 0);
        }
        other => panic!("expected ClockStuck, got {:?}", other.err()),
    }
}

/// One `service` call runs at most `max_polls_per_service` polls of at
/// most `budget` frames each, then returns with NAPI still scheduled; the
/// next call goes on where it stopped, without a new interrupt.
#[test]
fn service_stops_after_max_polls_with_napi_still_scheduled() {
    let cfg = DriverConfig {
        rx_ring_size: 64,
        budget: 4,
        max_polls_per_service: 3,
        ..DriverConfig::default()
    };
    let (budget, max_polls) = (cfg.budget, cfg.max_polls_per_service);
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    let n = 40usize;
    for f in frames(n as u32) {
        drv.dev_mut().send_frame(f);
    }
    // Every frame written before the driver looks.
    let deadline = drv.dev().cycle() + 1_000_000;
    while drv.dev().peek(regs::RX_CQ_PROD) != n as u32 {
        assert_before(&drv, deadline, "40 RX completions");
        drv.dev_mut().advance(64).unwrap();
    }
    let mut received = 0;
    for call in 1..=3 {
        assert_eq!(drv.service().unwrap(), max_polls, "service call {call}");
        assert!(
            drv.napi_scheduled(),
            "call {call}: budget used up, still scheduled"
        );
        received += max_polls * budget;
        assert_eq!(drv.stats().rx_packets, received as u64, "after call {call}");
        assert_eq!(drv.stats().irqs, 1, "one interrupt taken");
    }
    settle(&mut drv);
    assert_eq!(
        bytes(&drv.drain_rx()),
        frames(n as u32),
        "every frame, in order"
    );
    assert_irq_discipline(drv.events());
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}
