//! Helpers for tests of the driver, shipped behind the `test-utils` feature
//! (as `virtio-queue` ships its mock queue): host memory, a driver on the
//! reference model ([`ModelNic`]), test frames, running until frames arrive
//! or the interface is quiet, and the checks every test ends with
//! (conservation of frames, a clean close, the interrupt discipline).
//!
//! The generic helpers take a [`Driver`] over any [`NicDevice`], so the
//! end-to-end tests on the Verilated NIC use them too; what only a device
//! can tell (its wire is drained, the frames it was offered) comes from the
//! caller. Every helper that runs the device is bounded in cycles and fails
//! with a message naming what did not happen.

use pool::{Coherence, HostMemory, MemConfig};

use crate::conservation::{frame_conservation, page_conservation, Check, FrameCounts};
use crate::model::{ModelNic, ModelNicConfig};
use crate::{CloseReport, Driver, DriverConfig, NapiEvent, NicDevice, SkBuff};

/// Cycles the helpers let pass between two services of the driver.
pub const SERVICE_QUANTUM: u64 = 64;
/// Cycles [`settle_until`] waits at most for the interface to go quiet.
pub const SETTLE_MAX_CYCLES: u64 = 2_000_000;
/// The quiet period [`settle`] adds on the model (coalescing timers,
/// completions in flight).
pub const MODEL_QUIET_CYCLES: u64 = 20_000;

/// Host memory of 8192 pages per node with the given coherence.
pub fn memory(coherence: Coherence) -> HostMemory {
    HostMemory::new(MemConfig {
        pages_per_node: 8192,
        platform: coherence.into(),
        ..MemConfig::default()
    })
}

/// A driver probed on a [`ModelNic`] called `name` in `mem`.
pub fn driver_on(mem: &HostMemory, name: &str, cfg: DriverConfig) -> Driver<ModelNic> {
    let nic = ModelNic::new(mem, name, ModelNicConfig::default());
    Driver::probe(nic, cfg).expect("probe")
}

/// A driver probed on a [`ModelNic`] "nic0" in memory of its own.
pub fn driver(cfg: DriverConfig, coherence: Coherence) -> Driver<ModelNic> {
    driver_on(&memory(coherence), "nic0", cfg)
}

/// An Ethernet frame of `len` bytes whose payload encodes `seq`.
pub fn frame(seq: u32, len: usize) -> Vec<u8> {
    assert!(len >= 18, "a test frame holds at least 18 bytes, not {len}");
    let mut f = Vec::with_capacity(len);
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]); // dst
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]); // src
    f.extend_from_slice(&[0x88, 0xb5]); // local experimental ethertype
    f.extend_from_slice(&seq.to_le_bytes());
    for i in f.len()..len {
        f.push((seq as usize * 31 + i * 7) as u8);
    }
    f
}

/// Lengths that cover the minimum, unaligned tails and the maximum.
pub fn len_for(seq: u32) -> usize {
    const L: [usize; 8] = [60, 64, 65, 127, 300, 513, 1024, 1518];
    L[seq as usize % L.len()]
}

/// Frames `0..n`, each of length [`len_for`] its number.
pub fn frames(n: u32) -> Vec<Vec<u8>> {
    (0..n).map(|i| frame(i, len_for(i))).collect()
}

/// The bytes of every skb.
pub fn bytes(skbs: &[SkBuff]) -> Vec<Vec<u8>> {
    skbs.iter().map(|s| s.to_vec().expect("read skb")).collect()
}

/// Cycles [`xmit_retrying`] backs off at most before it fails.
pub const XMIT_MAX_CYCLES: u64 = 2_000_000;

/// Transmits `frame`, backing off (100 cycles in steps of `quantum`,
/// servicing the device) while it is refused (ring full, no TX page);
/// fails after [`XMIT_MAX_CYCLES`] instead of spinning for ever.
pub fn xmit_retrying<D: NicDevice>(drv: &mut Driver<D>, frame: &[u8], quantum: u64) {
    let deadline = drv.dev().cycle().saturating_add(XMIT_MAX_CYCLES);
    while let Err(e) = drv.xmit(frame) {
        assert!(
            drv.dev().cycle() < deadline,
            "xmit still refused after {XMIT_MAX_CYCLES} cycles: {e}; {} TX in flight, stats {:?}",
            drv.tx_in_flight(),
            drv.stats()
        );
        drv.run_for(100, quantum).expect("run");
    }
}

/// Fails once `drv`'s device passed `deadline`: the bound of a test loop
/// that has none of its own.
pub fn assert_before<D: NicDevice>(drv: &Driver<D>, deadline: u64, what: &str) {
    assert!(
        drv.dev().cycle() < deadline,
        "{what}: not done by cycle {deadline}; {} TX in flight, NAPI scheduled {}, stats {:?}",
        drv.tx_in_flight(),
        drv.napi_scheduled(),
        drv.stats()
    );
}

/// Runs until `n` skbs wait on the socket queue; fails after `max_cycles`.
pub fn run_until_rx<D: NicDevice>(drv: &mut Driver<D>, n: usize, max_cycles: u64) {
    let ok = drv
        .run_until(max_cycles, SERVICE_QUANTUM, |d| d.rx_queued() >= n)
        .expect("run");
    assert!(
        ok,
        "only {} of {n} frames received in {max_cycles} cycles; stats {:?}",
        drv.rx_queued(),
        drv.stats()
    );
}

/// Runs until `device_idle` holds, NAPI is idle, TX ring and backlog are
/// empty and the interrupt line is low (failing after
/// [`SETTLE_MAX_CYCLES`]), then lets `quiet_cycles` more pass.
pub fn settle_until<D: NicDevice>(
    drv: &mut Driver<D>,
    quiet_cycles: u64,
    device_idle: impl Fn(&D) -> bool,
) {
    let ok = drv
        .run_until(SETTLE_MAX_CYCLES, SERVICE_QUANTUM, |d| {
            device_idle(d.dev())
                && !d.napi_scheduled()
                && d.tx_in_flight() == 0
                && d.tx_backlog_len() == 0
                && !d.dev().irq_asserted()
        })
        .expect("run");
    assert!(
        ok,
        "did not settle in {SETTLE_MAX_CYCLES} cycles: napi scheduled {}, TX in flight {}, \
         TX backlog {}, irq {}; stats {:?}",
        drv.napi_scheduled(),
        drv.tx_in_flight(),
        drv.tx_backlog_len(),
        drv.dev().irq_asserted(),
        drv.stats()
    );
    drv.run_for(quiet_cycles, SERVICE_QUANTUM).expect("run");
}

/// [`settle_until`] on the model: its wire drained and STATUS.IDLE set.
pub fn settle(drv: &mut Driver<ModelNic>) {
    settle_until(drv, MODEL_QUIET_CYCLES, |nic| {
        nic.wire_backlog() == 0 && nic.peek(nic_hw::regs::STATUS) & nic_hw::regs::status::IDLE != 0
    });
}

/// Every check holds; otherwise a failure listing the ones that did not,
/// with their numbers.
pub fn assert_checks_hold(checks: &[Check]) {
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    assert!(failed.is_empty(), "conservation failed: {failed:#?}");
}

/// [`frame_conservation`]: the wire delivered every frame it was offered
/// (`wire_sent` of `wire_offered`); frames in (those plus `looped` back
/// from TX) = written + dropped by reason (NIC); written = completions the
/// driver processed = sum of verdicts.
pub fn assert_frame_conservation<D: NicDevice>(
    drv: &mut Driver<D>,
    wire_offered: u64,
    wire_sent: u64,
    looped: u64,
) {
    let counts = FrameCounts {
        wire_offered,
        wire_sent,
        looped,
        hw: drv.hw_stats().expect("hw stats"),
        stats: drv.stats(),
    };
    assert_checks_hold(&frame_conservation(&counts));
}

/// [`assert_frame_conservation`] on the model: its wire drained, every
/// frame it was offered (plus `looped`) accounted for.
pub fn assert_rx_conservation(drv: &mut Driver<ModelNic>, looped: u64) {
    let offered = drv.dev().frames_offered();
    let sent = offered - drv.dev().wire_backlog() as u64;
    assert_frame_conservation(drv, offered, sent, looped);
}

/// Closes and checks: [`page_conservation`] (nothing in flight, pools
/// freed, no mapping left), no DMA-API, pool or skb violations, a clean DMA
/// teardown.
pub fn close_clean<D: NicDevice>(drv: &mut Driver<D>) -> CloseReport {
    let rep = drv.close().expect("close");
    let pages = page_conservation(&rep, None);
    if pages.iter().any(|c| !c.ok) {
        let live = drv.dma_dev().live_mappings();
        panic!("after close: {pages:#?}\n{rep:?}\nlive mappings: {live:?}");
    }
    let v = drv.dma_dev().violations();
    assert!(v.is_empty(), "DMA-API violations: {v:#?}");
    drv.dma_dev().check_teardown().expect("teardown");
    let pv = drv.rx_pool().expect("rx pool").violations();
    assert!(pv.is_empty(), "pool violations: {pv:#?}");
    let tv = drv.tx_pool().expect("tx pool").violations();
    assert!(tv.is_empty(), "TX pool violations: {tv:#?}");
    assert!(
        drv.skb_violations().is_empty(),
        "skb violations: {:?}",
        drv.skb_violations()
    );
    rep
}

/// Checks the protocol: an interrupt is taken only while unmasked, polls
/// run only while masked, and every unmask comes right after a
/// napi_complete.
pub fn assert_irq_discipline(events: &[NapiEvent]) {
    let mut masked = false;
    let mut prev: Option<NapiEvent> = None;
    for e in events {
        match e {
            NapiEvent::Irq { .. } => {
                assert!(!masked, "interrupt taken while masked: {events:?}");
                masked = true;
            }
            NapiEvent::PollStart { .. }
            | NapiEvent::Poll { .. }
            | NapiEvent::Complete { .. }
            | NapiEvent::Repoll { .. } => {
                assert!(masked, "poll while the interrupt is unmasked: {e:?}");
            }
            NapiEvent::Unmask { .. } => {
                assert!(masked, "unmask while not masked: {e:?}");
                assert!(
                    matches!(prev, Some(NapiEvent::Complete { .. })),
                    "unmask not right after napi_complete: {prev:?} -> {e:?}"
                );
                masked = false;
            }
        }
        prev = Some(*e);
    }
}
