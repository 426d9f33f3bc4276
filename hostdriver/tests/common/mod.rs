//! Shared helpers of the model tests.
#![allow(dead_code)]

use hostdriver::model::{ModelNicConfig, ModelNic};
use hostdriver::{CloseReport, Driver, DriverConfig, NicDevice, SkBuff};
use pool::{Coherence, DestroyOutcome, HostMemory, MemConfig};

pub fn memory(coherence: Coherence) -> HostMemory {
    HostMemory::new(MemConfig {
        pages_per_node: 8192,
        coherence,
        ..MemConfig::default()
    })
}

pub fn driver_on(mem: &HostMemory, name: &str, cfg: DriverConfig) -> Driver<ModelNic> {
    let nic = ModelNic::new(mem, name, ModelNicConfig::default());
    Driver::probe(nic, cfg).expect("probe")
}

pub fn driver(cfg: DriverConfig, coherence: Coherence) -> Driver<ModelNic> {
    driver_on(&memory(coherence), "nic0", cfg)
}

/// An Ethernet frame of `len` bytes whose payload encodes `seq`.
pub fn frame(seq: u32, len: usize) -> Vec<u8> {
    assert!(len >= 18);
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

/// Runs until `n` skbs wait on the socket queue; panics on timeout.
pub fn run_until_rx(drv: &mut Driver<ModelNic>, n: usize, max_cycles: u64) {
    let ok = drv
        .run_until(max_cycles, 64, |d| d.rx_queued() >= n)
        .expect("run");
    assert!(
        ok,
        "only {} of {n} frames received in {max_cycles} cycles; stats {:?}",
        drv.rx_queued(),
        drv.stats()
    );
}

/// Runs until the wire and the NIC are drained and NAPI is idle.
pub fn settle(drv: &mut Driver<ModelNic>) {
    let ok = drv
        .run_until(2_000_000, 64, |d| {
            d.dev().wire_backlog() == 0
                && !d.napi_scheduled()
                && d.tx_in_flight() == 0
                && d.tx_backlog_len() == 0
                && d.dev().peek(nic_hw::regs::STATUS) & nic_hw::regs::status::IDLE != 0
                && !d.dev().irq_asserted()
        })
        .expect("run");
    // A last quiet period: coalescing timers, completions in flight.
    drv.run_for(20_000, 64).expect("run");
    assert!(ok, "did not settle: {:?}", drv.stats());
}

pub fn bytes(skbs: &[SkBuff]) -> Vec<Vec<u8>> {
    skbs.iter().map(|s| s.to_vec().expect("read skb")).collect()
}

/// frames in = written + dropped by reason (NIC), written = completions the
/// driver processed, completions = sum of verdicts.
pub fn assert_rx_conservation(drv: &mut Driver<ModelNic>, looped: u64) {
    let hw = drv.hw_stats().expect("hw stats");
    let s = drv.stats();
    assert_eq!(drv.dev().wire_backlog(), 0, "frames still on the wire");
    assert_eq!(
        hw.rx_frames_in(),
        drv.dev().frames_offered() + looped,
        "frames in != written + dropped by reason: {hw:?}"
    );
    assert_eq!(
        s.rx_packets, hw.hw_rx_frames,
        "driver completions != NIC frames written"
    );
    assert_eq!(
        s.rx_packets,
        s.rx_pass
            + s.rx_xdp_drop
            + s.rx_xdp_aborted
            + s.rx_xdp_tx
            + s.rx_xdp_redirect
            + s.rx_len_errors,
        "verdicts do not add up: {s:?}"
    );
}

/// Closes and checks: pools freed, nothing in flight, no DMA-API or pool
/// or skb violations, no mapping left.
pub fn close_clean(drv: &mut Driver<ModelNic>) -> CloseReport {
    let rep = drv.close().expect("close");
    assert_eq!(
        rep.rx_inflight, 0,
        "RX pool pages in flight after close: {rep:?}"
    );
    assert_eq!(
        rep.tx_inflight, 0,
        "TX pool pages in flight after close: {rep:?}"
    );
    assert_eq!(rep.rx_pool, DestroyOutcome::Freed);
    assert_eq!(rep.tx_pool, DestroyOutcome::Freed);
    assert_eq!(
        rep.live_mappings,
        0,
        "mappings left: {:?}",
        drv.dma_dev().live_mappings()
    );
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
