//! End to end: the host driver (`hostdriver`) against the Verilated
//! NIC (`cosim::Sim` over `PoolStorage`, so every NIC access goes through the
//! pool's IOMMU-like checks). Every test ends with conservation: frames in =
//! delivered + dropped by reason, pool in-flight 0 after close, no DMA-API
//! violation recorded.

use cosim::bus::Backpressure;
use cosim::{PoolStorage, Sim, SimConfig};
use hostdriver::test_utils::{
    self, assert_before, assert_frame_conservation, assert_irq_discipline, bytes, frame, frames,
    len_for, memory, run_until_rx, settle_until, xmit_retrying,
};
use hostdriver::{
    Driver, DriverConfig, NicDevice, RedirectTarget, RxMode, SkBuff, XdpAction, XdpBuff,
};
use nic_hw::regs;
use pool::{
    Coherence, DmaDirection, DmaViolation, FailureInjection, HostMemory, IfIndex, LedgerOp,
    NapiCtx, NapiId, PAGE_SIZE,
};

type Drv = Driver<Sim<PoolStorage>>;

fn sim_cfg(name: &str, seed: u64, stress: bool) -> SimConfig {
    let mut cfg = SimConfig {
        name: name.into(),
        seed,
        ..SimConfig::default()
    };
    if stress {
        cfg.mem.read_latency = 17;
        cfg.mem.write_latency = 9;
        cfg.mem.backpressure = Backpressure::uniform(30);
        cfg.mem.reorder_ids = true;
    }
    cfg
}

fn driver_on(mem: &HostMemory, name: &str, seed: u64, stress: bool, cfg: DriverConfig) -> Drv {
    eprintln!("{name}: seed {seed} stress {stress}");
    let sim = Sim::new(
        sim_cfg(name, seed, stress),
        PoolStorage::new(pool::DmaDev::new(mem, name)),
    )
    .expect("sim");
    Driver::probe(sim, cfg).expect("probe")
}

fn driver(cfg: DriverConfig, coherence: Coherence) -> Drv {
    driver_on(&memory(coherence), "nic0", 1, false, cfg)
}

fn small() -> DriverConfig {
    DriverConfig {
        rx_ring_size: 32,
        tx_ring_size: 16,
        ..DriverConfig::default()
    }
}

fn send(drv: &mut Drv, fs: &[Vec<u8>]) {
    for f in fs {
        drv.dev_mut().send_frame(f.clone()).expect("send");
    }
}

fn wire_out(drv: &mut Drv) -> Vec<Vec<u8>> {
    drv.dev_mut()
        .take_tx_frames()
        .into_iter()
        .map(|f| f.data)
        .collect()
}

/// Runs until the wire source is drained, TX is empty and NAPI is idle,
/// then a quiet period.
fn settle(drv: &mut Drv) {
    settle_until(drv, 5_000, |sim| sim.rx().is_idle());
}

/// The wire delivered all `offered` frames, and the NIC and the driver
/// account for each ([`assert_frame_conservation`]).
fn assert_conservation(drv: &mut Drv, offered: u64, looped: u64) {
    let sent = drv.dev().rx().sent();
    assert_frame_conservation(drv, offered, sent, looped);
}

/// [`test_utils::close_clean`], and the NIC saw no DMA fault.
fn close_clean(drv: &mut Drv) {
    test_utils::close_clean(drv);
    assert!(drv.dev().storage().faults().is_empty(), "NIC DMA faults");
}

#[test]
fn wire_to_stack_exact_bytes_in_order_page_mode() {
    for (seed, stress) in [(1, false), (7, true)] {
        let mem = memory(Coherence::Coherent);
        let mut drv = driver_on(&mem, "nic0", seed, stress, small());
        drv.open().unwrap();
        let fs = frames(100);
        send(&mut drv, &fs);
        run_until_rx(&mut drv, 100, 3_000_000);
        let skbs = drv.drain_rx();
        assert_eq!(bytes(&skbs), fs, "seed {seed}");
        assert!(skbs
            .iter()
            .all(|s| s.pp_recycle() && s.truesize() == PAGE_SIZE as u32));
        drop(skbs);
        settle(&mut drv);
        assert_conservation(&mut drv, 100, 0);
        assert_eq!(drv.stats().rx_pass, 100);
        let pp = drv.pool_stats().unwrap();
        assert_eq!(pp.recycle_stats.ring, 100);
        // Exactly headroom + length synced for the CPU, per frame.
        let syncs: Vec<u64> = drv
            .dma_dev()
            .ledger()
            .iter()
            .filter(|e| e.op == LedgerOp::SyncForCpu)
            .map(|e| e.len)
            .collect();
        let want: Vec<u64> = fs.iter().map(|f| 256 + f.len() as u64).collect();
        assert_eq!(syncs, want);
        close_clean(&mut drv);
    }
}

#[test]
fn wire_to_stack_frag_mode() {
    let cfg = DriverConfig {
        rx_mode: RxMode::Frag,
        headroom: 64,
        ..small()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    let fs = frames(80);
    send(&mut drv, &fs);
    run_until_rx(&mut drv, 80, 3_000_000);
    let skbs = drv.drain_rx();
    assert_eq!(bytes(&skbs), fs);
    assert!(skbs.iter().all(|s| s.truesize() < PAGE_SIZE as u32));
    let offs: std::collections::BTreeSet<u64> = skbs
        .iter()
        .map(|s| s.data_addr().unwrap().raw_value() % PAGE_SIZE as u64)
        .collect();
    assert!(
        offs.len() >= 2,
        "fragments at several page offsets: {offs:?}"
    );
    drop(skbs);
    settle(&mut drv);
    assert_conservation(&mut drv, 80, 0);
    close_clean(&mut drv);
}

fn xdp(verdict: impl FnMut(&mut XdpBuff) -> XdpAction + 'static) -> Drv {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.set_xdp_prog(Some(Box::new(verdict))).unwrap();
    drv.open().unwrap();
    drv
}

#[test]
fn every_verdict_on_the_rtl() {
    // DROP and ABORTED: recycled directly.
    for act in [XdpAction::Drop, XdpAction::Aborted] {
        let mut drv = xdp(move |_: &mut XdpBuff| act);
        send(&mut drv, &frames(40));
        settle(&mut drv);
        let s = drv.stats();
        assert_eq!(s.rx_xdp_drop + s.rx_xdp_aborted, 40, "{act:?}");
        assert_eq!(
            drv.pool_stats().unwrap().recycle_stats.cached,
            40,
            "{act:?}"
        );
        assert_eq!(drv.rx_queued(), 0);
        assert_conservation(&mut drv, 40, 0);
        close_clean(&mut drv);
    }
    // PASS / DROP mixed by content: the stack gets exactly the passed ones.
    let mut drv = xdp(|x: &mut XdpBuff| {
        if x.data()[14] & 1 == 0 {
            XdpAction::Pass
        } else {
            XdpAction::Drop
        }
    });
    let fs = frames(50);
    send(&mut drv, &fs);
    run_until_rx(&mut drv, 25, 3_000_000);
    let want: Vec<Vec<u8>> = fs.iter().filter(|f| f[14] & 1 == 0).cloned().collect();
    assert_eq!(bytes(&drv.drain_rx()), want);
    settle(&mut drv);
    assert_eq!(drv.stats().rx_xdp_drop, 25);
    assert_conservation(&mut drv, 50, 0);
    close_clean(&mut drv);
    // TX: reflected out of the same port, same page, MACs swapped.
    let mut drv = xdp(|x: &mut XdpBuff| {
        let d = x.data_mut();
        for i in 0..6 {
            d.swap(i, i + 6);
        }
        XdpAction::Tx
    });
    let fs = frames(60);
    send(&mut drv, &fs);
    settle(&mut drv);
    let want: Vec<Vec<u8>> = fs
        .iter()
        .map(|f| {
            let mut v = f.clone();
            for i in 0..6 {
                v.swap(i, i + 6);
            }
            v
        })
        .collect();
    assert_eq!(wire_out(&mut drv), want);
    let s = drv.stats();
    assert_eq!((s.rx_xdp_tx, s.tx_packets, s.tx_xmit), (60, 60, 0));
    assert_eq!(
        drv.pool_stats().unwrap().recycle_stats.cached,
        60,
        "put_page_bulk from the queue's own NAPI (page_pool_napi_local): the alloc cache"
    );
    assert_conservation(&mut drv, 60, 0);
    close_clean(&mut drv);
    // REDIRECT to our own ifindex.
    let mut drv = xdp(|_: &mut XdpBuff| XdpAction::Redirect(RedirectTarget::Ifindex(IfIndex(2))));
    let fs = frames(30);
    send(&mut drv, &fs);
    settle(&mut drv);
    assert_eq!(wire_out(&mut drv), fs);
    assert_eq!(drv.stats().rx_xdp_redirect, 30);
    assert_conservation(&mut drv, 30, 0);
    close_clean(&mut drv);
}

#[test]
fn redirect_to_another_driver_instance() {
    redirect_between_instances(Coherence::Coherent, false, false);
}

/// The same through non-coherent memory and a stressed bus, with the XDP
/// program rewriting each frame in A's page: B's mapping writes the dirty
/// lines back, so B's wire carries the rewritten bytes.
#[test]
fn redirect_to_another_driver_instance_non_coherent_stressed_rewritten() {
    redirect_between_instances(Coherence::NonCoherent, true, true);
}

/// A redirects every frame to B (ifindex 3), zero copy: B maps A's pool
/// pages on its own device and A's pool gets them back at B's TX completion.
fn redirect_between_instances(coherence: Coherence, stress: bool, rewrite: bool) {
    let mem = memory(coherence);
    let mut a = driver_on(&mem, "nicA", 3, stress, small());
    let mut b = driver_on(
        &mem,
        "nicB",
        4,
        stress,
        DriverConfig {
            ifindex: IfIndex(3),
            napi_id: NapiId(2),
            ..small()
        },
    );
    a.set_xdp_prog(Some(Box::new(move |x: &mut XdpBuff| {
        if rewrite {
            x.data_mut()[0] ^= 0xff;
        }
        XdpAction::Redirect(RedirectTarget::Ifindex(IfIndex(3)))
    })))
    .unwrap();
    a.open().unwrap();
    b.open().unwrap();
    let fs = frames(40);
    send(&mut a, &fs);
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for _ in 0..2000 {
        a.run_for(200, 32).unwrap();
        pending.extend(a.take_redirects());
        if !pending.is_empty() {
            pending = b.xdp_xmit(std::mem::take(&mut pending)).unwrap();
        }
        b.run_for(200, 32).unwrap();
        out.extend(wire_out(&mut b));
        if out.len() == fs.len() {
            break;
        }
    }
    let want: Vec<Vec<u8>> = fs
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if rewrite {
                f[0] ^= 0xff;
            }
            f
        })
        .collect();
    assert_eq!(out, want, "A's frames left through B's TX ring");
    settle(&mut a);
    settle(&mut b);
    assert_conservation(&mut a, 40, 0);
    // Zero copy: B's NIC read A's pages through B's own mappings
    // (dma_map_page in ndo_xdp_xmit, DMA_TO_DEVICE), unmapped at TX
    // completion; B's TX pool never allocated; every page came back to A's
    // pool through its ring (xdp_return_frame).
    let a_pool = a.rx_pool().unwrap().id();
    let to_dev: Vec<_> = b
        .dma_dev()
        .ledger()
        .into_iter()
        .filter(|e| e.dir == DmaDirection::ToDevice)
        .collect();
    let maps: Vec<_> = to_dev.iter().filter(|e| e.op == LedgerOp::Map).collect();
    let unmaps = to_dev.iter().filter(|e| e.op == LedgerOp::Unmap).count();
    assert_eq!((maps.len(), unmaps), (40, 40), "{to_dev:#?}");
    assert!(maps
        .iter()
        .all(|m| mem.page_pool_of(m.page) == Some(a_pool)));
    let b_tx = b.tx_pool().unwrap().get_stats().alloc_stats;
    assert_eq!(b_tx.fast + b_tx.slow, 0, "nothing copied: {b_tx:?}");
    let rs = a.pool_stats().unwrap().recycle_stats;
    assert_eq!(rs.ring, 40, "{rs:?}");
    assert_eq!(rs.released_refcnt, 0, "{rs:?}");
    assert_eq!(b.stats().tx_packets, 40);
    assert!(a.dev().storage().faults().is_empty(), "A's NIC DMA faults");
    close_clean(&mut b);
    close_clean(&mut a);
}

#[test]
fn xmit_with_ring_full_backoff_and_nothing_lost() {
    let cfg = DriverConfig {
        tx_ring_size: 4,
        ..small()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    let fs = frames(30);
    let mut i = 0;
    let deadline = drv.dev().cycle() + 3_000_000;
    while i < fs.len() {
        assert_before(&drv, deadline, "30 frames onto a ring of 4");
        match drv.xmit(&fs[i]) {
            Ok(()) => i += 1,
            Err(hostdriver::TxError::Busy { .. }) => drv.run_for(100, 16).unwrap(),
            Err(e) => panic!("{e}"),
        }
    }
    settle(&mut drv);
    assert_eq!(wire_out(&mut drv), fs);
    let s = drv.stats();
    assert!(s.tx_busy > 0);
    assert_eq!(s.tx_packets, 30);
    assert_eq!(drv.hw_stats().unwrap().hw_tx_frames, 30);
    close_clean(&mut drv);
}

#[test]
fn loopback_with_xdp_tx_reflection() {
    // Each frame goes out, loops back, and XDP_TX reflects it twice more
    // (a hop counter in byte 18); on the fourth arrival it is passed up.
    let cfg = DriverConfig {
        loopback: true,
        ..small()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.set_xdp_prog(Some(Box::new(|x: &mut XdpBuff| {
        if x.data()[18] < 3 {
            x.data_mut()[18] += 1;
            XdpAction::Tx
        } else {
            XdpAction::Pass
        }
    })))
    .unwrap();
    drv.open().unwrap();
    let fs: Vec<Vec<u8>> = (0..20)
        .map(|i| {
            let mut f = frame(i, len_for(i).max(64));
            f[18] = 0;
            f
        })
        .collect();
    for f in &fs {
        xmit_retrying(&mut drv, f, 16);
    }
    run_until_rx(&mut drv, 20, 3_000_000);
    let got = bytes(&drv.drain_rx());
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want: Vec<Vec<u8>> = fs
        .iter()
        .map(|f| {
            let mut v = f.clone();
            v[18] = 3;
            v
        })
        .collect();
    want.sort();
    assert_eq!(got_sorted, want);
    settle(&mut drv);
    let s = drv.stats();
    assert_eq!(s.rx_xdp_tx, 60, "three reflections per frame");
    assert_eq!(s.tx_packets, 80, "20 sent + 60 reflected");
    assert!(
        wire_out(&mut drv).is_empty(),
        "loopback keeps everything inside"
    );
    assert_conservation(&mut drv, 0, 80);
    close_clean(&mut drv);
}

#[test]
fn burst_over_budget_takes_several_polls_and_unmasks_after_complete() {
    let cfg = DriverConfig {
        rx_ring_size: 256,
        ..DriverConfig::default()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    drv.take_events();
    send(
        &mut drv,
        &(0..150).map(|i| frame(i, 64)).collect::<Vec<_>>(),
    );
    // Let the NIC write all of them before the CPU takes the interrupt.
    let mut waited = 0;
    while drv.dev_mut().mmio_read(regs::RX_CQ_PROD).unwrap() != 150 {
        drv.dev_mut().advance(500).unwrap();
        waited += 500;
        assert!(waited < 2_000_000, "NIC did not write 150 frames");
    }
    assert!(drv.dev().irq_asserted());
    let polls = drv.service().unwrap();
    assert_eq!(polls, 3, "64 + 64 + 22");
    let s = drv.stats();
    assert_eq!(
        (s.irqs, s.napi_budget_exhausted, s.napi_complete),
        (1, 2, 1)
    );
    assert_irq_discipline(drv.events());
    assert_eq!(drv.dev_mut().mmio_read(regs::IRQ_MASK).unwrap(), 0);
    assert_eq!(drv.drain_rx().len(), 150);
    settle(&mut drv);
    assert_irq_discipline(drv.events());
    assert_conservation(&mut drv, 150, 0);
    close_clean(&mut drv);
}

#[test]
fn coalescing_registers_change_the_interrupt_count() {
    let mut counts = Vec::new();
    for (frames_thr, cycles) in [(1, 0), (8, 4000)] {
        let cfg = DriverConfig {
            coal_frames: frames_thr,
            coal_cycles: cycles,
            ..small()
        };
        let mut drv = driver(cfg, Coherence::Coherent);
        drv.open().unwrap();
        let mut got = Vec::new();
        for i in 0..48 {
            drv.dev_mut().send_frame(frame(i, 128)).unwrap();
            drv.run_for(300, 16).unwrap();
            got.extend(drv.drain_rx());
        }
        settle(&mut drv);
        got.extend(drv.drain_rx());
        assert_eq!(got.len(), 48);
        assert_irq_discipline(drv.events());
        counts.push((drv.stats().irqs, drv.dev().irq().rises()));
        drop(got);
        assert_conservation(&mut drv, 48, 0);
        close_clean(&mut drv);
    }
    let (plain, coal) = (counts[0], counts[1]);
    assert!(plain.0 >= 40, "one interrupt per frame: {plain:?}");
    assert!(coal.0 <= 8, "one per 8 frames: {coal:?}");
    assert!(coal.1 * 4 < plain.1, "irq line edges {coal:?} vs {plain:?}");
}

#[test]
fn non_coherent_memory_is_correct() {
    for (mode, sync_dev) in [(RxMode::Page, true), (RxMode::Frag, false)] {
        let cfg = DriverConfig {
            rx_mode: mode,
            pool_sync_dev: sync_dev,
            headroom: 128,
            ..small()
        };
        let mut drv = driver(cfg, Coherence::NonCoherent);
        drv.open().unwrap();
        for round in 0..3u32 {
            let fs: Vec<Vec<u8>> = (0..40)
                .map(|i| frame(round * 100 + i, len_for(i + round)))
                .collect();
            send(&mut drv, &fs);
            run_until_rx(&mut drv, 40, 3_000_000);
            assert_eq!(bytes(&drv.drain_rx()), fs, "{mode:?} round {round}");
        }
        let out: Vec<Vec<u8>> = (0..8).map(|i| frame(900 + i, 700)).collect();
        for f in &out {
            xmit_retrying(&mut drv, f, 16);
        }
        settle(&mut drv);
        assert_eq!(
            wire_out(&mut drv),
            out,
            "{mode:?}: the device read what the CPU wrote"
        );
        assert_conservation(&mut drv, 120, 0);
        close_clean(&mut drv);
    }
    // XDP_TX rewriting the frame.
    let mem = memory(Coherence::NonCoherent);
    let mut drv = driver_on(&mem, "nc", 5, false, small());
    drv.set_xdp_prog(Some(Box::new(|x: &mut XdpBuff| {
        x.data_mut()[20] ^= 0x5a;
        XdpAction::Tx
    })))
    .unwrap();
    drv.open().unwrap();
    let fs = frames(40);
    send(&mut drv, &fs);
    settle(&mut drv);
    let want: Vec<Vec<u8>> = fs
        .iter()
        .map(|f| {
            let mut v = f.clone();
            v[20] ^= 0x5a;
            v
        })
        .collect();
    assert_eq!(wire_out(&mut drv), want);
    assert_conservation(&mut drv, 40, 0);
    close_clean(&mut drv);
}

#[test]
fn broken_syncs_are_caught() {
    // No sync for the CPU: stale reads in non-coherent memory.
    let mut cfg = small();
    cfg.test.skip_rx_sync_for_cpu = true;
    let mut drv = driver(cfg, Coherence::NonCoherent);
    drv.open().unwrap();
    let fs: Vec<Vec<u8>> = (0..10).map(|i| frame(i, 300)).collect();
    send(&mut drv, &fs);
    run_until_rx(&mut drv, 10, 1_000_000);
    let got = bytes(&drv.drain_rx());
    assert!(
        got.iter().zip(&fs).all(|(g, f)| g != f),
        "every frame stale"
    );

    // No sync for the device on refill: the NIC's write into CPU-owned
    // lines is refused by the IOMMU domain, answered SLVERR, and the NIC
    // stops RX and reports it.
    let mut cfg = small();
    cfg.pool_sync_dev = false;
    cfg.test.skip_refill_sync_for_device = true;
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.set_rx_handler(Some(Box::new(|skb: SkBuff, napi: &mut NapiCtx<'_>| {
        skb.free_in_napi(napi);
        None
    })));
    drv.open().unwrap();
    send(
        &mut drv,
        &(0..60).map(|i| frame(i, 100)).collect::<Vec<_>>(),
    );
    settle(&mut drv);
    assert!(
        drv.dma_dev()
            .violations()
            .iter()
            .any(|v| matches!(v, DmaViolation::Fault(_))),
        "the DMA layer recorded the refused write"
    );
    assert!(!drv.dev().storage().faults().is_empty());
    let err = drv.dma_error().expect("DMA_ERR interrupt handled");
    assert_eq!(err.source, regs::DMA_ERR_SRC_RX_DATA as u32);
    assert_ne!(err.status & regs::status::RX_STOPPED, 0);
    let hw = drv.hw_stats().unwrap();
    assert!(hw.hw_dma_errors >= 1);
    assert_eq!(hw.rx_frames_in(), 60, "every frame accounted for");
}

#[test]
fn refill_failure_nic_drops_and_recovers() {
    let cfg = DriverConfig {
        rx_ring_size: 16,
        ..small()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    drv.inject_rx_alloc_failures(FailureInjection::NextN(u64::MAX))
        .unwrap();
    send(
        &mut drv,
        &(0..30).map(|i| frame(i, 100)).collect::<Vec<_>>(),
    );
    settle(&mut drv);
    assert_eq!(drv.drain_rx().len(), 16);
    assert_eq!(drv.rx_posted(), 0);
    let hw = drv.hw_stats().unwrap();
    assert_eq!(hw.hw_rx_drop_no_desc, 14);
    assert!(drv.stats().rx_refill_failures >= 1);
    drv.inject_rx_alloc_failures(FailureInjection::Off).unwrap();
    let more: Vec<Vec<u8>> = (100..130).map(|i| frame(i, 100)).collect();
    for f in &more {
        drv.dev_mut().send_frame(f.clone()).unwrap();
        drv.run_for(400, 16).unwrap();
    }
    settle(&mut drv);
    let got = bytes(&drv.drain_rx());
    let lost = (drv.hw_stats().unwrap().hw_rx_drop_no_desc - 14) as usize;
    assert!(lost <= 1, "at most the frame whose drop woke the poll");
    assert_eq!(got[..], more[lost..]);
    assert_eq!(drv.rx_posted(), 16);
    assert_conservation(&mut drv, 60, 0);
    close_clean(&mut drv);
}
