//! Insta snapshots of every built-in scenario (cosim/scenarios/*.toml)
//! run through the Verilated NIC and the NAPI driver: the DMA sync ledger
//! summarised as ranges (direction, offset within the page, length, count)
//! for sync_for_device and sync_for_cpu, the page pools' stats and dump with
//! the netdev netlink attribute names, the driver's ethtool-style stats, the
//! NIC's counters and the conservation checks. Plus determinism (hashes of
//! the complete ledger and DMA transaction log) and tests showing that the
//! snapshots change where they should when headroom, max_len or the sync
//! length change.
//!
//! Review changes with `cargo insta review` (see docs/SCENARIOS.md). CI runs
//! with `CI=true` / `INSTA_UPDATE=no`, so a mismatch fails.

use cosim::scenario::{run, Report, RunOptions, Scenario, SyncRange, BUILTIN};

fn go(sc: &Scenario) -> Report {
    let r = run(sc, RunOptions::default()).expect("scenario starts");
    assert!(
        r.passed(),
        "scenario {} failed its checks:\n{}",
        sc.name,
        r.render_human()
    );
    r
}

/// Runs a built-in scenario, snapshots its summary, returns the report.
fn snap(name: &str) -> Report {
    let sc = Scenario::load(name).expect("built-in scenario");
    let r = go(&sc);
    insta::assert_snapshot!(name, r.render_snapshot());
    r
}

fn ranges(r: &Report, op: &str) -> Vec<(String, u64, u64, u64)> {
    r.sync_ranges(op)
        .into_iter()
        .map(|s: &SyncRange| (s.dir.clone(), s.offset, s.len, s.count))
        .collect()
}

fn ranges_no_count(r: &Report, op: &str) -> Vec<(u64, u64)> {
    r.sync_ranges(op)
        .into_iter()
        .map(|s| (s.offset, s.len))
        .collect()
}

fn eth(r: &Report, k: &str) -> u64 {
    r.ethtool.get(k)
}

/// Every built-in scenario has a snapshot test below.
const TESTED: &[&str] = &[
    "rx_small",
    "rx_imix",
    "tx_only",
    "loopback",
    "xdp_drop_flood",
    "xdp_tx_reflect",
    "xdp_redirect",
    "pass_hold",
    "pass_napi_batch",
    "frag_small",
    "starvation",
    "numa_waive",
    "high_order",
    "burst_over_budget",
    "slow_memory",
    "non_coherent",
    "echo",
    "wide_datapath",
    "jumbo",
    "coal_timer",
    "full_buffer",
    "full_buffer_driver_sync",
    "pool_ring_full",
    "short_buffer",
    "pass_other_napi",
    "updown",
];

#[test]
fn every_builtin_scenario_has_a_snapshot_test() {
    let builtin: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    assert_eq!(builtin, TESTED);
    for sc in Scenario::builtins().expect("all built-ins parse") {
        assert!(TESTED.contains(&sc.name.as_str()), "{}", sc.name);
    }
}

#[test]
fn rx_small() {
    let r = snap("rx_small");
    // Exactly headroom + length for the CPU, max_len after headroom for
    // the device.
    assert_eq!(
        ranges(&r, "sync_for_cpu"),
        [("DMA_FROM_DEVICE".to_string(), 0, 256 + 64, 128)]
    );
    assert_eq!(ranges_no_count(&r, "sync_for_device"), [(256, 3520)]);
    assert_eq!(r.wire.stack_frames, 128);
}

#[test]
fn rx_imix() {
    let r = snap("rx_imix");
    let lens: Vec<u64> = r
        .sync_ranges("sync_for_cpu")
        .iter()
        .map(|s| s.len)
        .collect();
    assert_eq!(lens, [256 + 64, 256 + 594, 256 + 1518]);
    assert_eq!(r.wire.stack_frames, 128);
}

#[test]
fn tx_only() {
    let r = snap("tx_only");
    assert_eq!(r.wire.tx_frames, 96);
    assert_eq!(r.wire.tx_bytes, r.wire.xmit_bytes);
    // TX pages synced for the device over exactly the frame, from offset 0.
    let tx: Vec<(u64, u64)> = r
        .sync_ranges("sync_for_device")
        .iter()
        .filter(|s| s.dir == "DMA_BIDIRECTIONAL")
        .map(|s| (s.offset, s.len))
        .collect();
    assert_eq!(tx, [(0, 64), (0, 594), (0, 1518)]);
    assert!(r.sync_ranges("sync_for_cpu").is_empty());
}

#[test]
fn loopback() {
    let r = snap("loopback");
    assert_eq!(r.wire.tx_frames, 0, "nothing on the external wire");
    assert_eq!(r.wire.stack_frames, 96);
    assert_eq!(r.nic.get("hw_tx_frames"), 96);
}

#[test]
fn xdp_drop_flood() {
    let r = snap("xdp_drop_flood");
    let pp = r.pool("rx").expect("rx pool").stats;
    assert_eq!(pp.recycle_cached, 1024, "every page recycled directly");
    assert_eq!(pp.recycle_ring, 256, "only the posted buffers at close");
    let slow_pages = pp.alloc_slow * 64;
    assert!(
        pp.alloc_fast > 4 * slow_pages,
        "fast path dominates: fast {} vs {} slow-path pages",
        pp.alloc_fast,
        slow_pages
    );
}

#[test]
fn xdp_tx_reflect() {
    let r = snap("xdp_tx_reflect");
    assert_eq!(r.wire.tx_frames, 128);
    assert_eq!(r.wire.tx_bytes, r.wire.rx_bytes);
    // XDP_TX syncs the frame for the device where it lies, after headroom.
    let tx: Vec<(u64, u64)> = r
        .sync_ranges("sync_for_device")
        .iter()
        .filter(|s| s.offset == 256 && s.len != 3520)
        .map(|s| (s.offset, s.len))
        .collect();
    assert_eq!(tx, [(256, 64), (256, 594), (256, 1518)]);
}

#[test]
fn xdp_redirect() {
    let r = snap("xdp_redirect");
    assert_eq!(eth(&r, "rx_xdp_redirect"), 64);
    assert_eq!(r.wire.tx_frames, 64);
}

#[test]
fn pass_hold() {
    let r = snap("pass_hold");
    let pp = r.pool("rx").expect("rx pool").stats;
    assert_eq!(pp.recycle_cached, 0, "process context: never direct");
    assert!(pp.recycle_ring >= 384);
    assert!(pp.alloc_slow >= 3, "held pages force extra slow-path bulks");
}

#[test]
fn pass_napi_batch() {
    let r = snap("pass_napi_batch");
    let pp = r.pool("rx").expect("rx pool").stats;
    assert!(pp.recycle_cached > 0, "{pp:?}");
    assert!(
        pp.recycle_cache_full > 0,
        "batches overflow the cache: {pp:?}"
    );
    assert!(pp.recycle_ring > 0, "{pp:?}");
}

#[test]
fn pass_other_napi() {
    let r = snap("pass_other_napi");
    // napi_pp_put_page() from a NAPI that is not the pool's: never the
    // alloc cache, every page through the ring (128 frames, then the 64
    // posted buffers at close).
    let pp = r.pool("rx").expect("rx pool").stats;
    assert_eq!(pp.recycle_cached, 0, "{pp:?}");
    assert_eq!(pp.recycle_cache_full, 0, "{pp:?}");
    assert_eq!(pp.recycle_ring, 128 + 64, "{pp:?}");
    assert!(pp.alloc_refill > 0, "refills come from the ring: {pp:?}");
    assert_eq!(r.wire.stack_frames, 128);
}

#[test]
fn frag_small() {
    let r = snap("frag_small");
    // 640-byte fragments: the CPU syncs headroom + frame at each offset.
    let cpu = ranges_no_count(&r, "sync_for_cpu");
    assert_eq!(
        cpu,
        [
            (0, 128),
            (640, 128),
            (1280, 128),
            (1920, 128),
            (2560, 128),
            (3200, 128)
        ]
    );
    // Only the last fragment's put syncs the page for the device, over
    // max_len = PAGE_SIZE - headroom from the headroom on.
    assert_eq!(ranges_no_count(&r, "sync_for_device"), [(64, 4032)]);
}

#[test]
fn starvation() {
    let r = snap("starvation");
    assert!(r.drops.get("nic_rx_no_desc") > 0);
    assert!(eth(&r, "rx_refill_failures") > 0);
    assert_eq!(r.wire.stack_frames + r.drops.get("nic_rx_no_desc"), 128);
    assert!(
        r.wire.stack_frames > 72 - 24,
        "recovered: frames after the starvation window were received"
    );
}

#[test]
fn numa_waive() {
    let r = snap("numa_waive");
    let pp = r.pool("rx").expect("rx pool").stats;
    assert!(pp.alloc_waive > 0, "{pp:?}");
}

#[test]
fn high_order() {
    let r = snap("high_order");
    // Both pools hand out order-2 (16 KiB) pages.
    for pool in ["rx", "stack-copy"] {
        let st = r.pool(pool).expect(pool).stats;
        assert!(st.alloc_slow_high_order > 0, "{pool}: {st:?}");
        assert_eq!(st.alloc_slow, 0, "{pool}: no order-0 allocation");
    }
    // Fragments of 2094 bytes are carved out of 16 KiB pages: the pool
    // syncs from the offset to the end of the page for the device.
    assert_eq!(ranges_no_count(&r, "sync_for_device"), [(256, 16384 - 256)]);
}

#[test]
fn jumbo() {
    let r = snap("jumbo");
    assert_eq!(r.wire.stack_frames, 96);
    // One frame per 16 KiB page: the whole buffer synced for the device, up
    // to headroom + 9216 bytes for the CPU.
    assert_eq!(
        ranges_no_count(&r, "sync_for_device"),
        [(256, 16384 - 256 - 320)]
    );
    let cpu = ranges_no_count(&r, "sync_for_cpu");
    assert!(cpu
        .iter()
        .all(|&(off, len)| off == 0 && (256 + 4000..=256 + 9216).contains(&len)));
    assert!(
        cpu.iter().any(|&(_, len)| len > 4096),
        "syncs beyond one 4 KiB page"
    );
    // The NIC never lets a burst cross 4 KiB: a frame of 4000..=9216 bytes
    // takes two to four payload bursts.
    let bursts = r.dma.write_bursts.get("rx_data");
    assert!(
        (2 * 96..=4 * 96).contains(&bursts),
        "{bursts} payload bursts"
    );
    let pp = r.pool("rx").expect("rx pool").stats;
    assert!(pp.alloc_slow_high_order > 0 && pp.alloc_slow == 0, "{pp:?}");
}

#[test]
fn burst_over_budget() {
    let r = snap("burst_over_budget");
    assert!(eth(&r, "napi_budget_exhausted") > 0);
    assert!(
        eth(&r, "irqs") < 480 / 8,
        "coalescing: {} interrupts for 480 frames",
        eth(&r, "irqs")
    );
}

#[test]
fn coal_timer() {
    let r = snap("coal_timer");
    // The frame count (64) is never reached: the timer raises every
    // interrupt, a few frames each.
    let irqs = eth(&r, "irqs");
    assert!(
        (192 / 8..192 / 2).contains(&irqs),
        "timer coalescing: {irqs} interrupts for 192 frames"
    );
    assert_eq!(r.wire.stack_frames, 192);
}

/// The frames of the full-buffer scenarios reach into the last
/// RX_HEADROOM bytes of their 3520-byte buffer (some into its last cache
/// line), and the device gets the whole buffer after the headroom back
/// each time.
fn assert_full_buffers(r: &Report) {
    assert_eq!(r.wire.stack_frames, 48);
    assert_eq!(ranges_no_count(r, "sync_for_device"), [(256, 3520)]);
    let cpu = ranges_no_count(r, "sync_for_cpu");
    assert!(
        cpu.iter()
            .all(|&(off, len)| off == 0 && (256 + 3520 - 256 + 1..=256 + 3520).contains(&len)),
        "{cpu:?}"
    );
    assert!(
        cpu.iter().any(|&(_, len)| len > 256 + 3520 - 64),
        "a frame into the buffer's last cache line: {cpu:?}"
    );
}

#[test]
fn full_buffer() {
    let r = snap("full_buffer");
    assert!(r.config.driver.pool_sync_dev);
    assert_full_buffers(&r);
    let pp = r.pool("rx").expect("rx pool").stats;
    assert!(
        pp.recycle_ring >= 48,
        "pages come back and are reused: {pp:?}"
    );
}

#[test]
fn full_buffer_driver_sync() {
    let r = snap("full_buffer_driver_sync");
    assert!(!r.config.driver.pool_sync_dev);
    assert_full_buffers(&r);
}

#[test]
fn pool_ring_full() {
    let r = snap("pool_ring_full");
    assert_eq!(r.wire.stack_frames, 96);
    let pp = r.pool("rx").expect("rx pool").stats;
    assert!(
        pp.recycle_ring_full > 0,
        "the 16-entry ring overflows: {pp:?}"
    );
    assert_eq!(pp.recycle_cached, 0, "process context: never direct");
}

#[test]
fn short_buffer() {
    let r = snap("short_buffer");
    let too_long = r.drops.get("nic_rx_too_long");
    assert!(
        too_long > 0 && r.wire.stack_frames > 0,
        "both sides of 1024 bytes"
    );
    assert_eq!(r.wire.stack_frames + too_long, 64);
    assert_eq!(
        r.drops.get("nic_rx_no_desc"),
        0,
        "a drop keeps its descriptor"
    );
    // The driver posts and the pool syncs 1024 bytes per descriptor.
    assert_eq!(ranges_no_count(&r, "sync_for_device"), [(256, 1024)]);
    assert!(ranges_no_count(&r, "sync_for_cpu")
        .iter()
        .all(|&(_, len)| len <= 256 + 1024));
}

#[test]
fn updown() {
    let r = snap("updown");
    let closes = &r.accounts.traffic_closes;
    assert_eq!(closes.len(), 2);
    assert!(
        closes.iter().all(|c| c.nic_busy),
        "every close with the NIC busy"
    );
    // Frames arrived while the interface was down, dropped by the NIC as
    // off; the counters summed across the soft reset of each reopen.
    assert!(r.nic.get("hw_rx_drop_off") > 0);
    assert_eq!(
        r.nic.get("hw_rx_frames") + r.nic.get("hw_rx_drop_off"),
        160,
        "{}",
        r.render_human()
    );
    // Two closed pool generations and the last one.
    for role in ["rx#1", "tx#1", "rx#2", "tx#2", "rx", "tx"] {
        assert_eq!(r.pool(role).map(|p| p.info.inflight), Some(0), "{role}");
    }
}

#[test]
fn slow_memory() {
    let r = snap("slow_memory");
    assert_eq!(r.wire.tx_frames, 96);
}

#[test]
fn non_coherent() {
    let r = snap("non_coherent");
    assert_eq!(r.config.memory.platform(), pool::Platform::Arm64Line64);
    assert_eq!(r.wire.stack_frames, 128);
    // Without DMA_SYNC_DEV the driver syncs each buffer at refill.
    assert_eq!(ranges_no_count(&r, "sync_for_device"), [(256, 3520)]);
}

#[test]
fn echo() {
    let r = snap("echo");
    assert_eq!(r.wire.tx_frames, 96);
    assert_eq!(r.wire.tx_bytes, r.wire.rx_bytes);
    // RX pages: headroom + frame for the CPU; TX pages: the frame for the
    // device, from offset 0.
    let lens = |op, dir: &str| -> Vec<(u64, u64)> {
        r.sync_ranges(op)
            .iter()
            .filter(|s| s.dir == dir)
            .map(|s| (s.offset, s.len))
            .collect()
    };
    assert_eq!(
        lens("sync_for_cpu", "DMA_FROM_DEVICE"),
        [(0, 256 + 64), (0, 256 + 594), (0, 256 + 1518)]
    );
    assert_eq!(
        lens("sync_for_device", "DMA_BIDIRECTIONAL"),
        [(0, 64), (0, 594), (0, 1518)]
    );
}

#[test]
fn wide_datapath() {
    let r = snap("wide_datapath");
    assert_eq!(r.config.model_config().data_width, 128);
    // The same frames, pages and syncs as the 64-bit loopback scenario it
    // copies; only the timing may differ.
    let mut sc = Scenario::load("loopback").unwrap();
    sc.nic = r.config.nic;
    sc.nic.data_width = 64;
    let narrow = go(&sc);
    assert_eq!(r.wire.stack_frames, 96);
    assert_eq!(r.wire.stack_bytes, narrow.wire.stack_bytes);
    assert_eq!(r.nic.get("hw_tx_frames"), 96);
    for op in ["sync_for_device", "sync_for_cpu"] {
        assert_eq!(
            ranges_no_count(&r, op),
            ranges_no_count(&narrow, op),
            "{op}"
        );
    }
    assert!(
        r.cycles < narrow.cycles,
        "128 bits per beat takes fewer cycles: {} vs {}",
        r.cycles,
        narrow.cycles
    );
}

// ---- one eval per cycle on the build without assertions: same results ----------

/// The builds with assertions take two evals per cycle and check every cycle
/// that the NIC's outputs are registered; the builds without them clock a
/// cycle with one eval, sampling the outputs of the previous edge (or two
/// with `two_evals`). Same RTL, so every cycle, every DMA transaction and
/// every ledger entry must be the same in all three.
#[test]
fn one_eval_per_cycle_runs_cycle_for_cycle_like_two_evals() {
    for (name, width) in [
        ("rx_imix", 64),
        ("slow_memory", 64),
        ("wide_datapath", 128),
        ("xdp_tx_reflect", 128),
        ("starvation", 128),
    ] {
        let mut sc = Scenario::load(name).unwrap();
        sc.nic.data_width = width;
        sc.nic.assertions = true;
        let checked = go(&sc);
        sc.nic.assertions = false;
        let one = go(&sc);
        let two = run(
            &sc,
            RunOptions {
                two_evals: true,
                ..RunOptions::default()
            },
        )
        .expect("scenario starts");
        assert!(two.passed(), "{}", two.render_human());
        let strip = |r: &Report| {
            r.render_snapshot()
                .lines()
                .filter(|l| !l.starts_with("nic       "))
                .collect::<Vec<_>>()
                .join("\n")
        };
        for (what, r) in [("one eval", &one), ("two evals", &two)] {
            let at = format!("{name} at {width} bits, no assertions, {what} vs with assertions");
            assert_eq!(r.cycles, checked.cycles, "{at}: cycles");
            assert_eq!(r.ledger_hash, checked.ledger_hash, "{at}: ledger");
            assert_eq!(r.dma_log_hash, checked.dma_log_hash, "{at}: DMA log");
            assert_eq!(strip(r), strip(&checked), "{at}: summary");
        }
    }
}

// ---- determinism ---------------------------------------------------------------

#[test]
fn same_seed_same_ledger_and_dma_log_other_seed_differs() {
    let mut sc = Scenario::load("slow_memory").unwrap();
    let a = go(&sc);
    let b = go(&sc);
    assert!(a.ledger_entries > 0 && a.dma_log_entries > 0);
    assert_eq!(a.ledger_hash, b.ledger_hash, "ledger differs between runs");
    assert_eq!(
        a.dma_log_hash, b.dma_log_hash,
        "DMA log differs between runs"
    );
    assert_eq!(a.render_snapshot(), b.render_snapshot());
    sc.traffic.seed += 1;
    let c = go(&sc);
    assert_ne!(a.ledger_hash, c.ledger_hash, "another seed, same ledger");
    assert_ne!(a.dma_log_hash, c.dma_log_hash, "another seed, same DMA log");
}

// ---- the snapshots have teeth ----------------------------------------------------

#[test]
fn headroom_change_moves_the_sync_ranges() {
    let base_sc = Scenario::load("rx_small").unwrap();
    let base = go(&base_sc);
    let mut sc = base_sc.clone();
    sc.driver.headroom = 192;
    let r = go(&sc);
    assert_ne!(base.render_snapshot(), r.render_snapshot());
    assert_eq!(ranges_no_count(&base, "sync_for_cpu"), [(0, 256 + 64)]);
    assert_eq!(ranges_no_count(&r, "sync_for_cpu"), [(0, 192 + 64)]);
    assert_eq!(ranges_no_count(&base, "sync_for_device"), [(256, 3520)]);
    assert_eq!(
        ranges_no_count(&r, "sync_for_device"),
        [(192, 4096 - 192 - 320)]
    );
}

#[test]
fn max_len_change_changes_the_device_sync_length() {
    // Page mode: the pool's max_len is the page after headroom and tailroom.
    let base_sc = Scenario::load("rx_small").unwrap();
    let base = go(&base_sc);
    let mut sc = base_sc.clone();
    sc.driver.tailroom = 512;
    let r = go(&sc);
    assert_ne!(base.render_snapshot(), r.render_snapshot());
    assert_eq!(
        ranges_no_count(&r, "sync_for_device"),
        [(256, 4096 - 256 - 512)]
    );
    assert_eq!(
        ranges_no_count(&r, "sync_for_cpu"),
        ranges_no_count(&base, "sync_for_cpu")
    );
    // Frag mode: MAX_FRAME_LEN sizes the fragments, so the offsets move.
    let base_sc = Scenario::load("frag_small").unwrap();
    let base = go(&base_sc);
    let mut sc = base_sc.clone();
    sc.driver.max_frame_len = 512;
    let r = go(&sc);
    assert_ne!(base.render_snapshot(), r.render_snapshot());
    // 64 + 512 + 320 = 896-byte fragments: 4 per page.
    assert_eq!(
        ranges_no_count(&r, "sync_for_cpu"),
        [(0, 128), (896, 128), (1792, 128), (2688, 128)]
    );
}

#[test]
fn sync_length_follows_the_frame_length() {
    let base_sc = Scenario::load("rx_small").unwrap();
    let base = go(&base_sc);
    let mut sc = base_sc.clone();
    sc.traffic.size = cosim::scenario::FrameSize::Fixed(200);
    let r = go(&sc);
    assert_ne!(base.render_snapshot(), r.render_snapshot());
    assert_eq!(ranges(&base, "sync_for_cpu")[0].2, 256 + 64);
    assert_eq!(
        ranges(&r, "sync_for_cpu"),
        [("DMA_FROM_DEVICE".to_string(), 0, 256 + 200, 128)]
    );
    // Syncing for the device in the driver instead of the pool: the same
    // ranges, now done at every refill (counted per posted buffer).
    let mut sc = base_sc.clone();
    sc.driver.pool_sync_dev = false;
    let r = go(&sc);
    assert_eq!(ranges_no_count(&r, "sync_for_device"), [(256, 3520)]);
    assert_eq!(
        r.sync_ranges("sync_for_device")[0].count,
        eth(&r, "rx_buffers_posted")
    );
}
