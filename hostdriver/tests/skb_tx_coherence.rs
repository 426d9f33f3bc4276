//! skb return-hook rules, the TX path, loopback, and non-coherent memory
//! with the deliberately broken syncs.

use hostdriver::model::ModelNic;
use hostdriver::test_utils::*;
use hostdriver::{
    CoalesceError, CoalescePolicy, Driver, DriverConfig, NicDevice, RxMode, SkBuff,
    SkbViolationKind, TxError, XdpAction, XdpBuff,
};
use pool::{Coherence, DmaViolation, FaultKind, IfIndex, NapiCtx, NapiId, PAGE_SIZE};

fn rx_n(drv: &mut Driver<ModelNic>, n: u32, len: usize) -> Vec<SkBuff> {
    for i in 0..n {
        drv.dev_mut().send_frame(frame(i, len));
    }
    run_until_rx(drv, n as usize, 1_000_000);
    drv.drain_rx()
}

fn small() -> DriverConfig {
    DriverConfig {
        rx_ring_size: 16,
        tx_ring_size: 16,
        ..DriverConfig::default()
    }
}

#[test]
fn pass_skbs_freed_inside_napi_recycle_directly_and_outside_through_the_ring() {
    let mut drv = driver(small(), Coherence::Coherent);
    // The stack consumes every skb inside the poll.
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let s2 = seen.clone();
    drv.set_rx_handler(Some(Box::new(
        move |skb: SkBuff, napi: &mut NapiCtx<'_>| {
            s2.borrow_mut().push(skb.to_vec().unwrap());
            skb.free_in_napi(napi);
            None
        },
    )));
    drv.open().unwrap();
    for i in 0..30 {
        drv.dev_mut().send_frame(frame(i, 200));
    }
    settle(&mut drv);
    assert_eq!(
        *seen.borrow(),
        (0..30).map(|i| frame(i, 200)).collect::<Vec<_>>()
    );
    let pp = drv.pool_stats().unwrap();
    assert_eq!(
        pp.recycle_stats.cached, 30,
        "freed inside NAPI: direct into the cache"
    );
    assert_eq!(pp.recycle_stats.ring, 0);
    // Now the stack queues them and frees later, from process context.
    drv.set_rx_handler(None);
    let skbs = rx_n(&mut drv, 10, 200);
    for s in skbs {
        s.free();
    }
    let pp2 = drv.pool_stats().unwrap();
    assert_eq!(pp2.recycle_stats.cached, 30);
    assert_eq!(
        pp2.recycle_stats.ring, 10,
        "freed outside NAPI: through the ring"
    );
    assert!(
        drv.rx_pool().unwrap().violations().is_empty(),
        "no direct recycling claimed outside NAPI"
    );
    settle(&mut drv);
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

/// An skb of interface A freed inside the NAPI poll of interface B: its
/// page goes back to A's pool, through A's ring (not B's poll: no direct
/// recycling), and B's pool is not touched.
#[test]
fn skb_freed_inside_another_pools_napi_goes_back_through_its_own_ring() {
    let mem = memory(Coherence::Coherent);
    let mut a = driver_on(
        &mem,
        "nicA",
        DriverConfig {
            name: "a".into(),
            ..small()
        },
    );
    let mut b = driver_on(
        &mem,
        "nicB",
        DriverConfig {
            name: "b".into(),
            ifindex: IfIndex(3),
            napi_id: NapiId(2),
            ..small()
        },
    );
    a.open().unwrap();
    b.open().unwrap();
    let from_a = std::rc::Rc::new(std::cell::RefCell::new(rx_n(&mut a, 3, 200)));
    assert_eq!(from_a.borrow().len(), 3);
    let (a_pool, b_pool) = (a.rx_pool().unwrap().id(), b.rx_pool().unwrap().id());
    assert_ne!(a_pool, b_pool);
    let a_before = a.pool_stats().unwrap().recycle_stats;
    let b_before = b.pool_stats().unwrap().recycle_stats;
    let held = from_a.clone();
    b.set_rx_handler(Some(Box::new(
        move |skb: SkBuff, napi: &mut NapiCtx<'_>| {
            for other in held.borrow_mut().drain(..) {
                assert_eq!(other.head_pool(), Some(a_pool));
                other.free_in_napi(napi);
            }
            skb.free_in_napi(napi);
            None
        },
    )));
    b.dev_mut().send_frame(frame(9, 200));
    settle(&mut b);
    assert!(from_a.borrow().is_empty(), "B's handler freed A's skbs");
    let a_after = a.pool_stats().unwrap().recycle_stats;
    let b_after = b.pool_stats().unwrap().recycle_stats;
    assert_eq!(
        a_after.ring - a_before.ring,
        3,
        "A's pages through A's ring"
    );
    assert_eq!(
        a_after.cached, a_before.cached,
        "not into A's cache: not A's poll"
    );
    assert_eq!(
        b_after.cached - b_before.cached,
        1,
        "only B's own skb into B's cache"
    );
    assert_eq!(b_after.ring, b_before.ring);
    for d in [&a, &b] {
        assert!(
            d.rx_pool().unwrap().violations().is_empty(),
            "{:?}",
            d.rx_pool().unwrap().violations()
        );
    }
    settle(&mut a);
    assert_rx_conservation(&mut a, 0);
    assert_rx_conservation(&mut b, 0);
    close_clean(&mut a);
    close_clean(&mut b);
}

#[test]
fn copy_does_not_inherit_the_mark_and_an_inherited_mark_is_caught() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let skb = rx_n(&mut drv, 1, 400).pop().unwrap();
    let pp0 = drv.pool_stats().unwrap();
    let mem = drv.host_mem().clone();
    let pool_id = drv.rx_pool().unwrap().id();
    // The original's head passes the pp_magic check the return hook makes.
    assert_eq!(mem.page_pool_of(skb.data_addr().unwrap()), Some(pool_id));

    let copy = skb.skb_copy().unwrap();
    assert!(!copy.pp_recycle());
    assert_eq!(copy.head_pool(), None);
    assert_eq!(copy.to_vec().unwrap(), frame(0, 400));
    drop(copy);
    assert!(drv.skb_violations().is_empty());
    assert_eq!(
        drv.pool_stats().unwrap(),
        pp0,
        "freeing a copy never touches the pool"
    );

    // The bug of the notes: the copy's header carried the mark along.
    let bad = skb.skb_copy_inheriting_mark_for_test().unwrap();
    assert!(bad.pp_recycle());
    let head = bad.data_addr().unwrap();
    // The kernel's page_pool_page_is_pp(): the copy's memory has no pp_magic.
    assert!(!mem.page_is_pp(head));
    assert_eq!(mem.page_pool_of(head), None);
    drop(bad);
    let v = drv.skb_violations();
    assert_eq!(v.len(), 1, "the return hook's pp_magic check caught it");
    assert_eq!(
        v[0].kind,
        SkbViolationKind::RecycleMarkOnForeignMemory {
            head,
            head_kind: "heap copy",
            page_pool: None,
        }
    );
    assert!(
        v[0].to_string().contains("page_pool_page_is_pp() false"),
        "{}",
        v[0]
    );
    assert_eq!(
        drv.pool_stats().unwrap(),
        pp0,
        "nothing foreign entered the pool"
    );
    assert!(drv.rx_pool().unwrap().violations().is_empty());
    assert_eq!(
        drv.host_mem().page_ref_count(head).unwrap(),
        0,
        "the copy's memory was freed normally"
    );
    skb.free();
    settle(&mut drv);
    let rep = drv.close().unwrap();
    assert_eq!(rep.rx_inflight, 0);
}

#[test]
fn coalescing_a_pool_page_releases_its_pool_state_first_or_is_refused() {
    let mut drv = driver(small(), Coherence::Coherent);
    drv.open().unwrap();
    let mem = drv.host_mem().clone();
    let mut skbs = rx_n(&mut drv, 3, 256);
    let c = skbs.pop().unwrap();
    let b = skbs.pop().unwrap();
    let mut a = skbs.pop().unwrap();

    // Refused: both untouched.
    let pp0 = drv.pool_stats().unwrap();
    let (b, err) = a.try_coalesce(b, CoalescePolicy::Refuse).unwrap_err();
    assert_eq!(
        err,
        CoalesceError::PoolPageHead {
            pool: drv.rx_pool().unwrap().id()
        }
    );
    assert_eq!(b.to_vec().unwrap(), frame(1, 256));
    assert_eq!(a.nr_frags(), 0);
    assert_eq!(drv.pool_stats().unwrap(), pp0);

    // Released (page_pool_release_page): the pool unmaps the page and lets
    // go of it before it becomes a fragment; no recycle stat moves.
    let inflight = drv.rx_pool().unwrap().inflight();
    let mappings = drv.dma_dev().live_mappings().len();
    let b_page = b.data_addr().unwrap();
    let c_page = c.data_addr().unwrap();
    let pool_id = drv.rx_pool().unwrap().id();
    assert_eq!(mem.page_pool_of(b_page), Some(pool_id));
    a.try_coalesce(b, CoalescePolicy::ReleasePoolState).unwrap();
    a.try_coalesce(c, CoalescePolicy::ReleasePoolState).unwrap();
    assert_eq!(a.nr_frags(), 2);
    assert!(a.pp_recycle(), "the head keeps its own mark");
    assert_eq!(
        drv.pool_stats().unwrap(),
        pp0,
        "release_page moves no counter (no released_refcnt)"
    );
    assert_eq!(drv.rx_pool().unwrap().inflight(), inflight - 2);
    assert_eq!(
        drv.dma_dev().live_mappings().len(),
        mappings - 2,
        "both pages unmapped"
    );
    assert!(!mem.page_is_pp(b_page), "no longer page pool pages");
    assert!(!mem.page_is_pp(c_page));
    let mut want = frame(0, 256);
    want.extend(frame(1, 256));
    want.extend(frame(2, 256));
    assert_eq!(a.to_vec().unwrap(), want);
    assert_eq!(
        mem.page_ref_count(b_page).unwrap(),
        1,
        "held by the fragment only"
    );
    a.free();
    assert_eq!(mem.page_ref_count(b_page).unwrap(), 0);
    assert_eq!(
        drv.pool_stats().unwrap().recycle_stats.ring,
        1,
        "only the head went back to the pool"
    );
    settle(&mut drv);
    close_clean(&mut drv);
}

#[test]
fn coalescing_a_fragment_page_shared_with_another_skb_is_refused() {
    let cfg = DriverConfig {
        rx_mode: RxMode::Frag,
        headroom: 64,
        ..small()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    let mem = drv.host_mem().clone();
    let mut skbs = rx_n(&mut drv, 4, 200);
    let page_of = |s: &SkBuff| s.data_addr().unwrap().raw_value() / PAGE_SIZE as u64;
    let i = (1..skbs.len())
        .find(|&i| page_of(&skbs[i]) == page_of(&skbs[i - 1]))
        .expect("two fragments of one page");
    let from = skbs.remove(i);
    let mut to = skbs.remove(i - 1);
    let pp0 = drv.pool_stats().unwrap();
    let inflight = drv.rx_pool().unwrap().inflight();
    // Other pp references on the page: page_pool_release_page refuses, and
    // so does the coalesce, handing `from` back untouched.
    let (from, err) = to
        .try_coalesce(from, CoalescePolicy::ReleasePoolState)
        .unwrap_err();
    assert_eq!(
        err,
        CoalesceError::PoolPageNotReleasable {
            pool: drv.rx_pool().unwrap().id()
        }
    );
    assert_eq!(to.nr_frags(), 0);
    assert!(from.pp_recycle());
    assert_eq!(from.head_pool(), Some(drv.rx_pool().unwrap().id()));
    assert!(mem.page_is_pp(from.data_addr().unwrap()));
    assert_eq!(drv.pool_stats().unwrap(), pp0);
    assert_eq!(drv.rx_pool().unwrap().inflight(), inflight);
    drop(from);
    drop(to);
    drop(skbs);
    settle(&mut drv);
    close_clean(&mut drv);
}

#[test]
fn xmit_copies_into_pool_pages_and_backs_off_when_the_ring_is_full() {
    let cfg = DriverConfig {
        tx_ring_size: 4,
        ..small()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    let frames: Vec<Vec<u8>> = (0..40).map(|i| frame(i, len_for(i))).collect();
    let mut next = 0;
    let mut busy = 0;
    let deadline = drv.dev().cycle() + 3_000_000;
    while next < frames.len() {
        assert_before(&drv, deadline, "40 frames onto a ring of 4");
        match drv.xmit(&frames[next]) {
            Ok(()) => next += 1,
            Err(TxError::Busy { in_flight, size }) => {
                assert_eq!((in_flight, size), (4, 4));
                assert!(drv.tx_queue_stopped());
                busy += 1;
                // Back off: let the NIC work and the poll reap completions.
                drv.run_for(200, 32).unwrap();
            }
            Err(e) => panic!("{e}"),
        }
    }
    settle(&mut drv);
    assert!(busy > 0, "the ring filled up");
    assert_eq!(
        drv.dev_mut().take_tx_frames(),
        frames,
        "nothing lost, in order"
    );
    let st = drv.stats();
    assert_eq!(st.tx_xmit, 40);
    assert_eq!(st.tx_packets, 40);
    assert_eq!(st.tx_busy, busy);
    assert!(st.tx_queue_woken >= 1);
    assert!(!drv.tx_queue_stopped());
    let tp = drv.tx_pool().unwrap().get_stats();
    assert_eq!(
        (tp.recycle_stats.cached, tp.recycle_stats.ring),
        (40, 0),
        "TX completions return pages with put_page_bulk from the own NAPI \
         (page_pool_napi_local): into the alloc cache"
    );
    assert!(matches!(
        drv.xmit(&[]),
        Err(TxError::BadLength { len: 0, .. })
    ));
    assert!(matches!(
        drv.xmit(&vec![0; 1519]),
        Err(TxError::BadLength {
            len: 1519,
            max: 1518
        })
    ));
    close_clean(&mut drv);
}

#[test]
fn loopback_brings_transmitted_frames_back_to_the_stack() {
    let cfg = DriverConfig {
        loopback: true,
        ..small()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    let frames: Vec<Vec<u8>> = (0..12).map(|i| frame(i, len_for(i))).collect();
    for f in &frames {
        drv.xmit(f).unwrap();
        drv.run_for(300, 32).unwrap();
    }
    // An external frame is dropped at the port in loopback.
    drv.dev_mut().send_frame(frame(99, 64));
    settle(&mut drv);
    assert_eq!(bytes(&drv.drain_rx()), frames);
    assert!(
        drv.dev_mut().take_tx_frames().is_empty(),
        "nothing left on the wire"
    );
    let hw = drv.hw_stats().unwrap();
    assert_eq!(hw.hw_rx_drop_off, 1);
    assert_rx_conservation(&mut drv, 12);
    close_clean(&mut drv);
}

#[test]
fn two_instances_on_a_wire_with_xdp_tx_reflection() {
    let mem = memory(Coherence::Coherent);
    let mut a = driver_on(&mem, "nicA", small());
    let mut b = driver_on(
        &mem,
        "nicB",
        DriverConfig {
            ifindex: IfIndex(3),
            napi_id: NapiId(2),
            ..small()
        },
    );
    b.set_xdp_prog(Some(Box::new(|x: &mut XdpBuff| {
        let d = x.data_mut();
        for i in 0..6 {
            d.swap(i, i + 6);
        }
        XdpAction::Tx
    })))
    .unwrap();
    a.open().unwrap();
    b.open().unwrap();
    let frames: Vec<Vec<u8>> = (0..30).map(|i| frame(i, len_for(i))).collect();
    let mut sent = 0;
    let mut back = Vec::new();
    for _ in 0..2000 {
        if sent < frames.len() && a.xmit(&frames[sent]).is_ok() {
            sent += 1;
        }
        a.run_for(100, 32).unwrap();
        b.run_for(100, 32).unwrap();
        for f in a.dev_mut().take_tx_frames() {
            b.dev_mut().send_frame(f);
        }
        for f in b.dev_mut().take_tx_frames() {
            a.dev_mut().send_frame(f);
        }
        back.extend(a.drain_rx());
        if back.len() == frames.len() {
            break;
        }
    }
    let want: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| {
            let mut v = f.clone();
            for i in 0..6 {
                v.swap(i, i + 6);
            }
            v
        })
        .collect();
    assert_eq!(bytes(&back), want, "reflected by B, received by A");
    drop(back);
    assert_eq!(b.stats().rx_xdp_tx, 30);
    settle(&mut a);
    settle(&mut b);
    assert_rx_conservation(&mut a, 0);
    assert_rx_conservation(&mut b, 0);
    close_clean(&mut a);
    close_clean(&mut b);
}

/// PASS, XDP_TX with a rewrite and xmit, all byte-exact in non-coherent
/// memory (every sync in place).
#[test]
fn non_coherent_memory_is_correct_with_every_sync_in_place() {
    for (mode, sync_dev) in [
        (RxMode::Page, true),
        (RxMode::Page, false),
        (RxMode::Frag, true),
        (RxMode::Frag, false),
    ] {
        let cfg = DriverConfig {
            rx_mode: mode,
            pool_sync_dev: sync_dev,
            headroom: if mode == RxMode::Frag { 64 } else { 256 },
            ..small()
        };
        let mut drv = driver(cfg, Coherence::NonCoherent);
        drv.open().unwrap();
        // Several rounds so recycled pages are reused: stale data would show.
        for round in 0..4u32 {
            let frames: Vec<Vec<u8>> = (0..40)
                .map(|i| frame(round * 1000 + i, len_for(i + round)))
                .collect();
            for f in &frames {
                drv.dev_mut().send_frame(f.clone());
            }
            run_until_rx(&mut drv, 40, 2_000_000);
            assert_eq!(
                bytes(&drv.drain_rx()),
                frames,
                "{mode:?} sync_dev={sync_dev} round {round}"
            );
        }
        let out: Vec<Vec<u8>> = (0..10).map(|i| frame(5000 + i, 333)).collect();
        for f in &out {
            xmit_retrying(&mut drv, f, 32);
        }
        settle(&mut drv);
        assert_eq!(
            drv.dev_mut().take_tx_frames(),
            out,
            "{mode:?}: the device read what the CPU wrote"
        );
        assert_rx_conservation(&mut drv, 0);
        close_clean(&mut drv);
    }
    // XDP_TX rewriting the frame in non-coherent memory.
    let mut drv = driver(small(), Coherence::NonCoherent);
    drv.set_xdp_prog(Some(Box::new(|x: &mut XdpBuff| {
        x.data_mut()[20] ^= 0xff;
        XdpAction::Tx
    })))
    .unwrap();
    drv.open().unwrap();
    let frames: Vec<Vec<u8>> = (0..50).map(|i| frame(i, len_for(i))).collect();
    for f in &frames {
        drv.dev_mut().send_frame(f.clone());
    }
    settle(&mut drv);
    let want: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| {
            let mut v = f.clone();
            v[20] ^= 0xff;
            v
        })
        .collect();
    assert_eq!(drv.dev_mut().take_tx_frames(), want);
    close_clean(&mut drv);
}

#[test]
fn broken_rx_sync_for_cpu_is_caught_as_stale_data_in_non_coherent_memory() {
    let mut cfg = small();
    cfg.test.skip_rx_sync_for_cpu = true;
    // Coherent memory hides the bug.
    let mut ok = driver(cfg.clone(), Coherence::Coherent);
    ok.open().unwrap();
    let frames: Vec<Vec<u8>> = (0..20).map(|i| frame(i, 200)).collect();
    for f in &frames {
        ok.dev_mut().send_frame(f.clone());
    }
    run_until_rx(&mut ok, 20, 1_000_000);
    assert_eq!(bytes(&ok.drain_rx()), frames);
    // Non-coherent memory exposes it: the CPU reads its stale cache lines.
    let mut bad = driver(cfg, Coherence::NonCoherent);
    bad.open().unwrap();
    for f in &frames {
        bad.dev_mut().send_frame(f.clone());
    }
    run_until_rx(&mut bad, 20, 1_000_000);
    let got = bytes(&bad.drain_rx());
    let stale = got.iter().zip(&frames).filter(|(g, f)| g != f).count();
    assert_eq!(stale, 20, "every frame read stale without the sync");
    assert!(
        got.iter().all(|g| g.iter().all(|&b| b == 0)),
        "the CPU saw the never-invalidated zeroed lines"
    );
}

#[test]
fn broken_refill_sync_for_device_is_caught_by_the_dma_layer() {
    let mut cfg = small();
    cfg.pool_sync_dev = false; // the driver syncs for the device itself...
    cfg.test.skip_refill_sync_for_device = true; // ...but "forgets"
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.set_rx_handler(Some(Box::new(|skb: SkBuff, napi: &mut NapiCtx<'_>| {
        skb.free_in_napi(napi);
        None
    })));
    drv.open().unwrap();
    // Fresh pages are device-owned from the map; recycled ones are not.
    for i in 0..40 {
        drv.dev_mut().send_frame(frame(i, 100));
    }
    settle(&mut drv);
    let v = drv.dma_dev().violations();
    let fault = v.iter().find_map(|x| match x {
        DmaViolation::Fault(f) => Some(f),
        _ => None,
    });
    let fault = fault.expect("the device write into CPU-owned lines was refused and recorded");
    assert!(
        matches!(fault.kind, FaultKind::CpuOwnedLines { .. }),
        "{fault}"
    );
    let err = drv.dma_error().expect("the NIC reported the DMA error");
    assert_eq!(err.source, nic_hw::regs::DMA_ERR_SRC_RX_DATA as u32);
    assert_ne!(
        err.status & nic_hw::regs::status::RX_STOPPED,
        0,
        "RX stopped, memory not corrupted"
    );
    let hw = drv.hw_stats().unwrap();
    assert_eq!(hw.hw_dma_errors, 1);
    assert_eq!(hw.hw_rx_drop_dma_err, 1);
    assert_eq!(
        hw.rx_frames_in(),
        40,
        "frames after the error counted as RX_DROP_OFF"
    );
    assert_eq!(
        drv.stats().rx_pass,
        16,
        "the first ring of fresh pages was fine"
    );
}

#[test]
fn broken_tx_sync_for_device_is_caught_as_stale_wire_data_in_non_coherent_memory() {
    let mut cfg = small();
    cfg.test.skip_tx_sync_for_device = true;
    let mut drv = driver(cfg, Coherence::NonCoherent);
    drv.open().unwrap();
    let frames: Vec<Vec<u8>> = (0..8).map(|i| frame(i, 500)).collect();
    for f in &frames {
        drv.xmit(f).unwrap();
    }
    settle(&mut drv);
    let out = drv.dev_mut().take_tx_frames();
    assert_eq!(out.len(), 8);
    assert!(
        out.iter().zip(&frames).all(|(o, f)| o != f),
        "the device read stale RAM"
    );
}
