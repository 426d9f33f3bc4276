//! RX path against the model NIC: every verdict, page and frag mode,
//! exact sync ranges, conservation.

use hostdriver::config::XDP_PACKET_HEADROOM;
use hostdriver::test_utils::*;
use hostdriver::{DriverConfig, NicDevice, RedirectTarget, RxMode, XdpAction, XdpBuff};
use nic_hw::regs;
use pool::{
    Coherence, DmaDirection, FailureInjection, HostMemory, IfIndex, LedgerOp, NapiId, PAGE_SIZE,
};

fn send_all(drv: &mut hostdriver::Driver<hostdriver::model::ModelNic>, n: u32) -> Vec<Vec<u8>> {
    let fs = frames(n);
    for f in &fs {
        drv.dev_mut().send_frame(f.clone());
    }
    fs
}

#[test]
fn open_programs_the_nic_and_posts_every_rx_buffer() {
    let cfg = DriverConfig {
        rx_ring_size: 64,
        tx_ring_size: 32,
        coal_frames: 4,
        coal_cycles: 1000,
        ..DriverConfig::default()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    let nic = drv.dev();
    assert_eq!(nic.peek(regs::CTRL), regs::ctrl::ENABLE);
    assert_eq!(nic.peek(regs::RX_RING_SIZE), 64);
    assert_eq!(nic.peek(regs::TX_RING_SIZE), 32);
    assert_eq!(
        nic.peek(regs::RX_PROD),
        64,
        "every RX slot posted, one doorbell"
    );
    assert_eq!(nic.peek(regs::RX_HEADROOM), XDP_PACKET_HEADROOM);
    assert_eq!(nic.peek(regs::MAX_FRAME_LEN), 1518);
    assert_eq!(nic.peek(regs::IRQ_COAL_FRAMES), 4);
    assert_eq!(nic.peek(regs::IRQ_COAL_CYCLES), 1000);
    assert_eq!(nic.peek(regs::IRQ_MASK), 0, "every cause unmasked");
    let rx_doorbells = nic
        .mmio_log()
        .iter()
        .filter(|m| m.op == hostdriver::MmioOp::Write && m.reg == regs::RX_PROD)
        .count();
    assert_eq!(rx_doorbells, 1);
    assert_eq!(drv.rx_posted(), 64);
    let info = drv.rx_pool().unwrap().info();
    assert_eq!(info.napi_id, Some(pool::MIN_NAPI_ID));
    assert_eq!(info.ifindex, Some(2));
    assert_eq!(info.inflight, 64);
    // Rings are coherent allocations: 4 of them.
    let coherent = drv
        .dma_dev()
        .live_mappings()
        .iter()
        .filter(|m| m.coherent)
        .count();
    assert_eq!(coherent, 4);
    close_clean(&mut drv);
}

#[test]
fn probe_rejects_a_wrong_id_and_version() {
    struct Liar(hostdriver::model::ModelNic, u32, u32);
    impl hostdriver::NicDevice for Liar {
        fn mmio_read(&mut self, reg: u32) -> Result<u32, hostdriver::DevError> {
            match reg {
                regs::ID => Ok(self.1),
                regs::VERSION => Ok(self.2),
                _ => self.0.mmio_read(reg),
            }
        }
        fn mmio_write(&mut self, reg: u32, v: u32) -> Result<(), hostdriver::DevError> {
            self.0.mmio_write(reg, v)
        }
        fn irq_asserted(&self) -> bool {
            self.0.irq_asserted()
        }
        fn advance(&mut self, c: u64) -> Result<(), hostdriver::DevError> {
            self.0.advance(c)
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
    let mem = memory(Coherence::Coherent);
    let mk = || hostdriver::model::ModelNic::new(&mem, "liar", Default::default());
    let e = hostdriver::Driver::probe(
        Liar(mk(), 0x1234_5678, regs::DEVICE_VERSION),
        DriverConfig::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            hostdriver::DriverError::BadId {
                got: 0x1234_5678,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("register ID"), "{e}");
    let e = hostdriver::Driver::probe(
        Liar(mk(), regs::DEVICE_ID, 0x0002_0000),
        DriverConfig::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            hostdriver::DriverError::BadVersion {
                got: 0x0002_0000,
                expected_major: 1
            }
        ),
        "{e}"
    );
    // A minor bump is fine.
    hostdriver::Driver::probe(
        Liar(mk(), regs::DEVICE_ID, 0x0001_0007),
        DriverConfig::default(),
    )
    .unwrap();
}

/// A stack that frees PASS skbs in another NAPI instance's poll (another
/// CPU's backlog, a forwarding target's TX completion) through
/// `rx_pool_in_other_napi`: the pages go back through the ring (the
/// kernel's `napi_pp_put_page` is not napi-local there), none into the
/// alloc cache. The driver's own NAPI id, and a closed driver, get none.
#[test]
fn pass_skbs_freed_in_another_napi_go_back_through_the_ring() {
    let cfg = DriverConfig {
        rx_ring_size: 16,
        ..DriverConfig::default()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    let own = drv.config().napi_id;
    let other = NapiId(own.0 + 1);
    assert!(
        drv.rx_pool_in_other_napi(own).is_none(),
        "its poll is the driver's"
    );
    send_all(&mut drv, 8);
    run_until_rx(&mut drv, 8, 1_000_000);
    let skbs = drv.drain_rx();
    let before = drv.pool_stats().unwrap().recycle_stats;
    let mut napi = drv.rx_pool_in_other_napi(other).expect("open");
    assert_eq!(napi.napi_id(), other);
    for s in skbs {
        s.free_in_napi(&mut napi);
    }
    let after = drv.pool_stats().unwrap().recycle_stats;
    assert_eq!(
        (after.cached - before.cached, after.ring - before.ring),
        (0, 8)
    );
    assert!(drv.rx_pool().unwrap().violations().is_empty());
    settle(&mut drv);
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
    assert!(drv.rx_pool_in_other_napi(other).is_none(), "closed");
}

#[test]
fn page_mode_pass_delivers_exact_bytes_in_order_with_small_ring_wraps() {
    let cfg = DriverConfig {
        rx_ring_size: 16,
        ..DriverConfig::default()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    let frames = send_all(&mut drv, 300);
    run_until_rx(&mut drv, 300, 5_000_000);
    let skbs = drv.drain_rx();
    assert_eq!(bytes(&skbs), frames);
    for s in &skbs {
        assert!(s.pp_recycle(), "PASS skbs are marked for recycle");
        assert_eq!(s.truesize(), PAGE_SIZE as u32);
        assert_eq!(s.head_pool(), Some(drv.rx_pool().unwrap().id()));
    }
    let st = drv.stats();
    assert_eq!(st.rx_pass, 300);
    assert_eq!(
        st.rx_bytes,
        frames.iter().map(|f| f.len() as u64).sum::<u64>()
    );
    drop(skbs); // freed by the stack outside NAPI: pages go to the ring
    settle(&mut drv);
    assert_rx_conservation(&mut drv, 0);
    assert_eq!(
        drv.hw_stats().unwrap().hw_rx_drop_no_desc,
        0,
        "the driver kept up"
    );
    let pp = drv.pool_stats().unwrap();
    assert_eq!(
        pp.recycle_stats.ring, 300,
        "skbs freed outside NAPI recycle through the ring"
    );
    // More traffic: refills now draw those pages back from the ring.
    let more: Vec<Vec<u8>> = (300..340).map(|i| frame(i, len_for(i))).collect();
    for f in &more {
        drv.dev_mut().send_frame(f.clone());
    }
    run_until_rx(&mut drv, 40, 1_000_000);
    assert_eq!(bytes(&drv.drain_rx()), more);
    let pp2 = drv.pool_stats().unwrap();
    assert!(
        pp2.alloc_stats.refill > 0,
        "refill drew the ring back into the cache: {pp2:?}"
    );
    assert_eq!(
        pp2.alloc_stats.slow, pp.alloc_stats.slow,
        "no new pages from the page allocator"
    );
    settle(&mut drv);
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

#[test]
fn frag_mode_splits_pages_and_puts_with_minus_one() {
    let cfg = DriverConfig {
        rx_mode: RxMode::Frag,
        headroom: 64,
        rx_ring_size: 32,
        ..DriverConfig::default()
    };
    let mut drv = driver(cfg.clone(), Coherence::Coherent);
    drv.open().unwrap();
    // 64 + 1518 + 320 = 1902 -> 1920 bytes: two fragments per page.
    assert!(cfg.frag_request() * 2 <= PAGE_SIZE as u32);
    let frames = send_all(&mut drv, 200);
    run_until_rx(&mut drv, 200, 5_000_000);
    let skbs = drv.drain_rx();
    assert_eq!(bytes(&skbs), frames);
    let mut pages = std::collections::HashMap::new();
    for s in &skbs {
        assert!(s.truesize() < PAGE_SIZE as u32, "a fragment, not a page");
        let page = s.data_addr().unwrap().raw_value() & !(PAGE_SIZE as u64 - 1);
        *pages.entry(page).or_insert(0) += 1;
    }
    assert!(pages.values().any(|&n| n >= 2), "fragments share pages");
    // The fragments of a page are synced for the CPU at their own offsets
    // (not rounded on x86-64: `dma_get_cache_alignment()` is 1 there).
    let ledger = drv.dma_dev().ledger();
    let offsets: std::collections::BTreeSet<u64> = ledger
        .iter()
        .filter(|e| e.op == LedgerOp::SyncForCpu)
        .map(|e| e.offset)
        .collect();
    assert!(
        offsets.contains(&0) && offsets.contains(&1902),
        "sync offsets {offsets:?}"
    );
    drop(skbs);
    settle(&mut drv);
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

#[test]
fn rx_sync_for_cpu_covers_exactly_headroom_plus_length() {
    for mode in [RxMode::Page, RxMode::Frag] {
        let cfg = DriverConfig {
            rx_mode: mode,
            headroom: if mode == RxMode::Page { 256 } else { 64 },
            rx_ring_size: 16,
            ..DriverConfig::default()
        };
        let headroom = cfg.headroom;
        let mut drv = driver(cfg, Coherence::Coherent);
        drv.open().unwrap();
        drv.dma_dev().take_ledger();
        let frames = send_all(&mut drv, 24);
        run_until_rx(&mut drv, 24, 2_000_000);
        let skbs = drv.drain_rx();
        let syncs: Vec<_> = drv
            .dma_dev()
            .ledger()
            .into_iter()
            .filter(|e| e.op == LedgerOp::SyncForCpu)
            .collect();
        assert_eq!(syncs.len(), 24, "{mode:?}: one sync for the CPU per frame");
        for ((s, f), skb) in syncs.iter().zip(&frames).zip(&skbs) {
            assert_eq!(
                s.len,
                u64::from(headroom) + f.len() as u64,
                "{mode:?}: sync length = headroom + frame"
            );
            // The synced range starts at the buffer (its headroom).
            let buf_off =
                (skb.data_addr().unwrap().raw_value() % PAGE_SIZE as u64) - u64::from(headroom);
            assert_eq!(
                s.offset, buf_off,
                "{mode:?}: sync offset = buffer start in the page"
            );
            assert_eq!(s.dir, pool::DmaDirection::FromDevice);
        }
        drop(skbs);
        settle(&mut drv);
        close_clean(&mut drv);
    }
}

fn xdp_driver(
    verdict: impl FnMut(&mut XdpBuff) -> XdpAction + 'static,
) -> hostdriver::Driver<hostdriver::model::ModelNic> {
    let cfg = DriverConfig {
        rx_ring_size: 32,
        ..DriverConfig::default()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.set_xdp_prog(Some(Box::new(verdict))).unwrap();
    drv.open().unwrap();
    drv
}

/// The program sees the device cycle its frame is processed at: after the
/// frame was offered and its completion written, by the time the poll that
/// ran it returned, and later for a later frame.
#[test]
fn xdp_buff_carries_the_cycle_its_frame_is_processed_at() {
    let stamps = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = stamps.clone();
    let mut drv = xdp_driver(move |x: &mut XdpBuff| {
        seen.borrow_mut().push(x.cycle());
        XdpAction::Pass
    });
    let mut prev = 0;
    for i in 0..4u32 {
        let offered = drv.dev().cycle();
        let f = frame(i, len_for(i));
        drv.dev_mut().send_frame(f.clone());
        run_until_rx(&mut drv, 1, 100_000);
        let stamp = *stamps.borrow().last().expect("the program ran");
        assert_eq!(stamps.borrow().len(), i as usize + 1);
        let earliest = offered + hostdriver::model::ModelNicConfig::default().frame_overhead;
        assert!(
            stamp > earliest && stamp <= drv.dev().cycle() && stamp > prev,
            "frame {i} offered at {offered}, program ran at {stamp}, now {}",
            drv.dev().cycle()
        );
        prev = stamp;
        assert_eq!(bytes(&drv.drain_rx()), vec![f]);
    }
    settle(&mut drv);
    close_clean(&mut drv);
}

#[test]
fn xdp_drop_and_aborted_recycle_directly_into_the_cache() {
    for (act, name) in [(XdpAction::Drop, "drop"), (XdpAction::Aborted, "aborted")] {
        let mut drv = xdp_driver(move |_: &mut XdpBuff| act);
        send_all(&mut drv, 100);
        settle(&mut drv);
        let st = drv.stats();
        let n = if act == XdpAction::Drop {
            st.rx_xdp_drop
        } else {
            st.rx_xdp_aborted
        };
        assert_eq!(n, 100, "{name}");
        assert_eq!(drv.rx_queued(), 0);
        let pp = drv.pool_stats().unwrap();
        assert_eq!(
            pp.recycle_stats.cached, 100,
            "{name}: recycle_direct into the alloc cache"
        );
        assert_eq!(pp.recycle_stats.ring, 0, "{name}: nothing through the ring");
        assert!(
            pp.alloc_stats.fast >= 100 - 32,
            "{name}: refill served from the cache"
        );
        assert_rx_conservation(&mut drv, 0);
        close_clean(&mut drv);
    }
}

#[test]
fn xdp_pass_uses_a_bidirectional_pool_and_delivers() {
    let mut drv = xdp_driver(|x: &mut XdpBuff| {
        assert!(x.len() >= 60);
        XdpAction::Pass
    });
    let frames = send_all(&mut drv, 50);
    run_until_rx(&mut drv, 50, 2_000_000);
    assert_eq!(bytes(&drv.drain_rx()), frames);
    assert!(drv
        .dma_dev()
        .ledger()
        .iter()
        .filter(|e| e.op == LedgerOp::SyncForCpu)
        .all(|e| e.dir == pool::DmaDirection::Bidirectional));
    settle(&mut drv);
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

fn swap_macs(x: &mut XdpBuff) {
    let d = x.data_mut();
    for i in 0..6 {
        d.swap(i, i + 6);
    }
}

fn swapped(f: &[u8]) -> Vec<u8> {
    let mut v = f.to_vec();
    for i in 0..6 {
        v.swap(i, i + 6);
    }
    v
}

#[test]
fn xdp_tx_reflects_the_same_page_and_bulk_returns_it() {
    let mut drv = xdp_driver(|x: &mut XdpBuff| {
        swap_macs(x);
        XdpAction::Tx
    });
    let frames = send_all(&mut drv, 120);
    settle(&mut drv);
    let out = drv.dev_mut().take_tx_frames();
    assert_eq!(out, frames.iter().map(|f| swapped(f)).collect::<Vec<_>>());
    let st = drv.stats();
    assert_eq!(st.rx_xdp_tx, 120);
    assert_eq!(st.tx_packets, 120);
    assert_eq!(st.tx_xmit, 0, "no copy: XDP_TX pages go out as they are");
    let pp = drv.pool_stats().unwrap();
    assert_eq!(
        (pp.recycle_stats.cached, pp.recycle_stats.ring),
        (120, 0),
        "TX completions return RX pages with put_page_bulk from the queue's own \
         NAPI (page_pool_napi_local): into the alloc cache"
    );
    assert_eq!(
        drv.tx_pool().unwrap().get_stats().alloc_stats.slow,
        0,
        "the TX pool was never used"
    );
    // The device read what the CPU wrote: every TX read was synced for it.
    let syncs_dev = drv
        .dma_dev()
        .ledger()
        .iter()
        .filter(|e| e.op == LedgerOp::SyncForDevice && e.dir == pool::DmaDirection::Bidirectional)
        .count();
    assert!(syncs_dev >= 120);
    assert_rx_conservation(&mut drv, 0);
    let hw = drv.hw_stats().unwrap();
    assert_eq!(hw.hw_tx_frames, 120);
    close_clean(&mut drv);
}

/// XDP_TX onto a full TX ring parks frames in the backlog, up to
/// `tx_backlog` and no more: the rest are dropped and counted (their pages
/// recycled), the parked ones go out in order once the ring drains, and
/// the queue is woken exactly as often as it was stopped.
#[test]
fn xdp_tx_backlog_holds_at_most_tx_backlog_frames() {
    let cfg = DriverConfig {
        rx_ring_size: 32,
        tx_ring_size: 4,
        tx_backlog: 4,
        ..DriverConfig::default()
    };
    let (ring, backlog) = (cfg.tx_ring_size as usize, cfg.tx_backlog);
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.set_xdp_prog(Some(Box::new(|_: &mut XdpBuff| XdpAction::Tx)))
        .unwrap();
    drv.open().unwrap();
    let n = 20;
    let frames = send_all(&mut drv, n);
    // Every frame written before the driver looks: one poll sees them all.
    let deadline = drv.dev().cycle() + 1_000_000;
    while drv.dev().peek(regs::RX_CQ_PROD) != n {
        assert_before(&drv, deadline, "20 RX completions");
        drv.dev_mut().advance(64).unwrap();
    }
    assert!(drv.handle_irq().unwrap());
    assert_eq!(drv.napi_poll().unwrap().done, n as usize);
    assert_eq!(drv.tx_backlog_len(), backlog, "the backlog is full");
    let st = drv.stats();
    assert_eq!(st.tx_backlogged, backlog as u64);
    assert_eq!(st.rx_xdp_tx_errors, u64::from(n) - (ring + backlog) as u64);
    settle(&mut drv);
    assert_eq!(
        drv.dev_mut().take_tx_frames(),
        frames[..ring + backlog].to_vec()
    );
    let st = drv.stats();
    assert_eq!(st.tx_queue_stopped, 1);
    assert_eq!(st.tx_queue_woken, st.tx_queue_stopped);
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

#[test]
fn xdp_redirect_to_own_ifindex_goes_out_of_own_tx_ring() {
    let mut drv =
        xdp_driver(|_: &mut XdpBuff| XdpAction::Redirect(RedirectTarget::Ifindex(IfIndex(2))));
    let frames = send_all(&mut drv, 40);
    settle(&mut drv);
    assert_eq!(drv.dev_mut().take_tx_frames(), frames);
    assert_eq!(drv.stats().rx_xdp_redirect, 40);
    assert!(drv.take_redirects().is_empty());
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

#[test]
fn xdp_redirect_to_another_instance_and_refusal_is_never_silent() {
    let mem = memory(Coherence::Coherent);
    let mut a = driver_on(
        &mem,
        "nicA",
        DriverConfig {
            name: "a".into(),
            rx_ring_size: 64,
            ..DriverConfig::default()
        },
    );
    let mut b = driver_on(
        &mem,
        "nicB",
        DriverConfig {
            name: "b".into(),
            ifindex: IfIndex(3),
            napi_id: NapiId(2),
            tx_ring_size: 4,
            tx_backlog: 4,
            ..DriverConfig::default()
        },
    );
    a.set_xdp_prog(Some(Box::new(|_: &mut XdpBuff| {
        XdpAction::Redirect(RedirectTarget::Ifindex(IfIndex(3)))
    })))
    .unwrap();
    a.open().unwrap();
    b.open().unwrap();
    let frames = send_all(&mut a, 20);
    // Let A receive everything before B transmits anything.
    a.run_until(1_000_000, 64, |d| d.stats().rx_packets == 20)
        .unwrap();
    let redirected = a.take_redirects();
    assert_eq!(redirected.len(), 20);
    assert!(redirected
        .iter()
        .all(|f| f.target() == RedirectTarget::Ifindex(IfIndex(3))));
    let refused = b.xdp_xmit(redirected).unwrap();
    // 4 on the ring, 4 in the backlog: 12 handed back, counted.
    assert_eq!(refused.len(), 12);
    assert_eq!(b.stats().tx_xdp_xmit, 8);
    assert_eq!(b.stats().tx_xdp_xmit_errors, 12);
    // Keep them and retry as B drains: nothing is lost.
    let mut pending = refused;
    let mut out = Vec::new();
    for _ in 0..200 {
        b.run_for(500, 64).unwrap();
        a.run_for(500, 64).unwrap();
        out.extend(b.dev_mut().take_tx_frames());
        if !pending.is_empty() {
            pending = b.xdp_xmit(pending).unwrap();
        }
        if out.len() == 20 {
            break;
        }
    }
    assert_eq!(out, frames, "every redirected frame left B in order");
    settle(&mut a);
    settle(&mut b);
    assert_eq!(a.stats().rx_xdp_redirect, 20);
    assert_zero_copy_redirects(&mem, &a, &b, 20);
    assert_rx_conservation(&mut a, 0);
    close_clean(&mut b);
    close_clean(&mut a);
}

type ModelDriver = hostdriver::Driver<hostdriver::model::ModelNic>;

/// Zero-copy XDP_REDIRECT from A to B, `n` frames: B mapped each of A's
/// pages on its own device (`dma_map_page`, DMA_TO_DEVICE, over the frame)
/// and unmapped it at TX completion; B's TX pool was never used; every page
/// came back to A's pool through its ring (`xdp_return_frame`, not A's
/// NAPI); no mapping of a redirected frame is left on B.
fn assert_zero_copy_redirects(mem: &HostMemory, a: &ModelDriver, b: &ModelDriver, n: usize) {
    let a_pool = a.rx_pool().unwrap().id();
    let ledger = b.dma_dev().ledger();
    let to_dev: Vec<_> = ledger
        .iter()
        .filter(|e| e.dir == DmaDirection::ToDevice)
        .collect();
    let maps: Vec<_> = to_dev.iter().filter(|e| e.op == LedgerOp::Map).collect();
    let unmaps = to_dev.iter().filter(|e| e.op == LedgerOp::Unmap).count();
    assert_eq!((maps.len(), unmaps), (n, n), "B's ledger: {to_dev:#?}");
    for m in &maps {
        assert_eq!(
            mem.page_pool_of(m.page),
            Some(a_pool),
            "B mapped a page of A's pool: {m}"
        );
    }
    assert!(
        !b.dma_dev()
            .live_mappings()
            .iter()
            .any(|m| m.dir == DmaDirection::ToDevice),
        "B left a redirected frame mapped: {:?}",
        b.dma_dev().live_mappings()
    );
    let b_tx = b.tx_pool().unwrap().get_stats().alloc_stats;
    assert_eq!(
        b_tx.fast + b_tx.slow,
        0,
        "no copy into B's TX pool: {b_tx:?}"
    );
    let rs = a.pool_stats().unwrap().recycle_stats;
    assert_eq!(rs.ring, n as u64, "A's pages back through its ring: {rs:?}");
    assert_eq!((rs.ring_full, rs.released_refcnt), (0, 0), "{rs:?}");
    assert!(a.dma_dev().violations().is_empty());
    assert!(b.dma_dev().violations().is_empty());
}

/// A (redirecting everything to ifindex 3 through `prog`) and B, open.
fn redirect_pair(
    mem: &HostMemory,
    prog: impl FnMut(&mut XdpBuff) -> XdpAction + 'static,
    b_cfg: DriverConfig,
) -> (ModelDriver, ModelDriver) {
    let mut a = driver_on(
        mem,
        "nicA",
        DriverConfig {
            name: "a".into(),
            rx_ring_size: 64,
            ..DriverConfig::default()
        },
    );
    let mut b = driver_on(
        mem,
        "nicB",
        DriverConfig {
            name: "b".into(),
            ifindex: IfIndex(3),
            napi_id: NapiId(2),
            ..b_cfg
        },
    );
    a.set_xdp_prog(Some(Box::new(prog))).unwrap();
    a.open().unwrap();
    b.open().unwrap();
    (a, b)
}

/// Runs A and B, moving A's redirects to B (retrying refused ones) until B
/// sent `n` frames; returns them.
fn pump_redirects(a: &mut ModelDriver, b: &mut ModelDriver, n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut pending = Vec::new();
    for _ in 0..400 {
        a.run_for(500, 64).unwrap();
        pending.extend(a.take_redirects());
        if !pending.is_empty() {
            pending = b.xdp_xmit(std::mem::take(&mut pending)).unwrap();
        }
        b.run_for(500, 64).unwrap();
        out.extend(b.dev_mut().take_tx_frames());
        if out.len() >= n {
            break;
        }
    }
    assert!(
        pending.is_empty(),
        "{} frames never accepted",
        pending.len()
    );
    out
}

#[test]
fn redirect_mapping_failure_hands_the_frame_back_counted_and_a_retry_succeeds() {
    let mem = memory(Coherence::Coherent);
    let (mut a, mut b) = redirect_pair(
        &mem,
        |_: &mut XdpBuff| XdpAction::Redirect(RedirectTarget::Ifindex(IfIndex(3))),
        DriverConfig::default(),
    );
    let frames = send_all(&mut a, 10);
    a.run_until(1_000_000, 64, |d| d.stats().rx_packets == 10)
        .unwrap();
    let redirected = a.take_redirects();
    // dma_mapping_error() on B for the first three frames.
    b.dma_dev().inject_map_failures(FailureInjection::NextN(3));
    let refused = b.xdp_xmit(redirected).unwrap();
    assert_eq!(refused.len(), 3, "handed back, never lost");
    assert_eq!(b.stats().tx_xdp_xmit, 7);
    assert_eq!(b.stats().tx_xdp_xmit_errors, 3);
    assert!(refused.iter().all(|f| f.dma_dev().same_device(a.dma_dev())));
    // Retried (injection exhausted): they go out after the others, and
    // nothing was copied.
    assert!(b.xdp_xmit(refused).unwrap().is_empty());
    settle(&mut b);
    let out = b.dev_mut().take_tx_frames();
    let mut want = frames[3..].to_vec();
    want.extend_from_slice(&frames[..3]);
    assert_eq!(out, want);
    settle(&mut a);
    assert_zero_copy_redirects(&mem, &a, &b, 10);
    assert_rx_conservation(&mut a, 0);
    close_clean(&mut b);
    close_clean(&mut a);
}

/// Non-coherent memory: the XDP program rewrites the frame in A's page
/// (dirty CPU cache lines); B's `dma_map_page` writes them back, so B's
/// wire carries the rewritten bytes. B's broken-TX-sync switch also skips
/// that write-back (DMA_ATTR_SKIP_CPU_SYNC): the wire then carries the
/// stale bytes the NIC wrote, which the test catches.
#[test]
fn redirected_frames_are_written_back_by_the_target_mapping_in_non_coherent_memory() {
    for broken in [false, true] {
        let mem = memory(Coherence::NonCoherent);
        let mut b_cfg = DriverConfig::default();
        b_cfg.test.skip_tx_sync_for_device = broken;
        let (mut a, mut b) = redirect_pair(
            &mem,
            |x: &mut XdpBuff| {
                x.data_mut()[0] ^= 0xff;
                XdpAction::Redirect(RedirectTarget::Ifindex(IfIndex(3)))
            },
            b_cfg,
        );
        let frames = send_all(&mut a, 16);
        let out = pump_redirects(&mut a, &mut b, 16);
        let rewritten: Vec<Vec<u8>> = frames
            .iter()
            .map(|f| {
                let mut f = f.clone();
                f[0] ^= 0xff;
                f
            })
            .collect();
        if broken {
            assert_eq!(out, frames, "stale RAM: the rewrite never reached B");
        } else {
            assert_eq!(out, rewritten, "B's wire carries the rewritten frames");
        }
        settle(&mut a);
        settle(&mut b);
        assert_zero_copy_redirects(&mem, &a, &b, 16);
        assert_rx_conservation(&mut a, 0);
        close_clean(&mut b);
        close_clean(&mut a);
    }
}

#[test]
fn too_long_frames_are_dropped_by_the_nic_and_counted() {
    let cfg = DriverConfig {
        max_frame_len: 1000,
        rx_ring_size: 16,
        ..DriverConfig::default()
    };
    let mut drv = driver(cfg, Coherence::Coherent);
    drv.open().unwrap();
    for i in 0..10u32 {
        drv.dev_mut()
            .send_frame(frame(i, if i % 2 == 0 { 1001 } else { 999 }));
    }
    settle(&mut drv);
    let hw = drv.hw_stats().unwrap();
    assert_eq!(hw.hw_rx_drop_too_long, 5);
    assert_eq!(drv.drain_rx().len(), 5);
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

#[test]
fn ethtool_stats_carry_the_pool_stats_with_kernel_names() {
    let mut drv = xdp_driver(|_: &mut XdpBuff| XdpAction::Drop);
    send_all(&mut drv, 10);
    settle(&mut drv);
    let s = drv.ethtool_stats().unwrap();
    let get = |k: &str| s.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
    let pp = drv.pool_stats().unwrap();
    assert_eq!(get("rx_pp_alloc_slow"), Some(pp.alloc_stats.slow));
    assert_eq!(get("rx_pp_alloc_fast"), Some(pp.alloc_stats.fast));
    assert_eq!(get("rx_pp_recycle_cached"), Some(10));
    assert_eq!(get("rx_pp_recycle_released_ref"), Some(0));
    assert_eq!(get("rx_xdp_drop"), Some(10));
    assert_eq!(get("hw_rx_frames"), Some(10));
    assert!(get("napi_polls").unwrap() >= 1);
    for n in hostdriver::PP_ETHTOOL_NAMES {
        assert!(get(n).is_some(), "{n} missing");
    }
    close_clean(&mut drv);
}

#[test]
fn jumbo_frames_land_in_order_2_pages() {
    let cfg = DriverConfig {
        rx_page_order: 2,
        max_frame_len: 9216,
        rx_ring_size: 16,
        ..DriverConfig::default()
    };
    assert_eq!(cfg.page_buf_len(), 16384 - 256 - 320);
    let mut drv = driver(cfg, Coherence::NonCoherent);
    drv.open().unwrap();
    let sent: Vec<Vec<u8>> = (0..24u32)
        .map(|i| frame(i, 4000 + 217 * i as usize))
        .collect();
    for f in &sent {
        drv.dev_mut().send_frame(f.clone());
    }
    settle(&mut drv);
    assert_eq!(
        bytes(&drv.drain_rx()),
        sent,
        "every jumbo frame, byte-exact"
    );
    let pp = drv.pool_stats().unwrap();
    assert!(pp.alloc_stats.slow_high_order > 0, "{pp:?}");
    assert_eq!(pp.alloc_stats.slow, 0, "no order-0 allocation: {pp:?}");
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}

#[test]
fn frag_mode_splits_order_2_pages_into_more_fragments() {
    let frags_per_page = |order: u32| {
        let cfg = DriverConfig {
            rx_mode: RxMode::Frag,
            rx_page_order: order,
            rx_ring_size: 64,
            ..DriverConfig::default()
        };
        let mut drv = driver(cfg, Coherence::NonCoherent);
        drv.open().unwrap();
        // Pages behind the 64 posted buffers.
        let pages = drv.rx_pool().unwrap().inflight();
        let sent: Vec<Vec<u8>> = (0..40u32).map(|i| frame(i, len_for(i))).collect();
        for f in &sent {
            drv.dev_mut().send_frame(f.clone());
        }
        settle(&mut drv);
        assert_eq!(bytes(&drv.drain_rx()), sent, "order {order}");
        assert_rx_conservation(&mut drv, 0);
        close_clean(&mut drv);
        pages
    };
    // 64 posted buffers of 2094 bytes: one per 4 KiB page (more than half a
    // page: the whole page), seven per 16 KiB page.
    let (small, big) = (frags_per_page(0), frags_per_page(2));
    assert_eq!(small, 64);
    assert_eq!(big, (64 + 6) / 7, "order 2: {big} pages");
}

#[test]
fn page_order_limits_are_checked() {
    let e = DriverConfig {
        max_frame_len: 9216,
        ..DriverConfig::default()
    }
    .validate()
    .unwrap_err();
    assert!(e.to_string().contains("rx_page_order makes room"), "{e}");
    let e = DriverConfig {
        rx_page_order: 4,
        ..DriverConfig::default()
    }
    .validate()
    .unwrap_err();
    assert!(e.to_string().contains("rx_page_order"), "{e}");
    assert!(DriverConfig {
        rx_page_order: hostdriver::MAX_RX_PAGE_ORDER,
        max_frame_len: 9216,
        ..DriverConfig::default()
    }
    .validate()
    .is_ok());
}

#[test]
fn rx_buf_len_limits_are_checked() {
    for (mode, bad) in [
        (RxMode::Page, 13),
        (RxMode::Page, 3521),
        (RxMode::Frag, 1519),
    ] {
        let e = DriverConfig {
            rx_mode: mode,
            rx_buf_len: bad,
            ..DriverConfig::default()
        }
        .validate()
        .unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("rx_buf_len") && m.contains(&bad.to_string()),
            "{mode:?} {bad}: {m}"
        );
    }
    for (mode, good) in [
        (RxMode::Page, 0),
        (RxMode::Page, 3520),
        (RxMode::Frag, 1518),
    ] {
        let cfg = DriverConfig {
            rx_mode: mode,
            rx_buf_len: good,
            ..DriverConfig::default()
        };
        assert!(cfg.validate().is_ok(), "{mode:?} {good}");
    }
}

#[test]
fn rx_buf_len_posts_short_descriptors_and_a_longer_frame_keeps_the_descriptor() {
    let cfg = DriverConfig {
        rx_buf_len: 1024,
        rx_ring_size: 4,
        pool_sync_dev: false,
        ..DriverConfig::default()
    };
    let mut drv = driver(cfg, Coherence::NonCoherent);
    drv.open().unwrap();
    // The refill synced each posted buffer for the device over the
    // descriptor's 1024 bytes after the headroom, in ring order.
    let posted: Vec<_> = drv
        .dma_dev()
        .take_ledger()
        .into_iter()
        .filter(|e| e.op == LedgerOp::SyncForDevice)
        .collect();
    assert_eq!(posted.len(), 4);
    assert!(
        posted.iter().all(|e| (e.offset, e.len) == (256, 1024)),
        "{posted:?}"
    );
    let lens = [600, 1200, 700, 1300, 800];
    let sent: Vec<Vec<u8>> = (0..5u32).map(|i| frame(i, lens[i as usize])).collect();
    for f in &sent {
        drv.dev_mut().send_frame(f.clone());
    }
    settle(&mut drv);
    let skbs = drv.drain_rx();
    let fits: Vec<Vec<u8>> = sent.iter().filter(|f| f.len() <= 1024).cloned().collect();
    assert_eq!(bytes(&skbs), fits, "only the frames that fit, in order");
    let nic = drv.dev();
    assert_eq!(nic.peek(regs::STAT_RX_DROP_TOO_LONG), 2);
    assert_eq!(nic.peek(regs::STAT_RX_DROP_NO_DESC), 0);
    // A dropped frame did not use up a descriptor: the three frames that
    // fit are in the first three buffers posted.
    let pages: Vec<u64> = skbs
        .iter()
        .map(|s| s.data_addr().unwrap().raw_value() & !(PAGE_SIZE as u64 - 1))
        .collect();
    let first: Vec<u64> = posted[..3].iter().map(|e| e.page.raw_value()).collect();
    assert_eq!(pages, first);
    drop(skbs);
    settle(&mut drv);
    assert_rx_conservation(&mut drv, 0);
    close_clean(&mut drv);
}
