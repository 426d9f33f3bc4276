//! The ring auditor fires on each rule it exists for: scripted register
//! writes and ring memory over an interface the correct driver opened.

mod common;

use checkers::{Checker, Queue, Violation};
use common::*;
use hostdriver::test_utils::{frame, settle_until};
use hostdriver::{DriverConfig, NicDevice};
use nic_hw::regs;
use nic_hw::wire::{Completion, CplStatus, Descriptor};
use pool::{Coherence, FailureInjection, HostAddr};

fn settle(d: &mut Checked) {
    settle_until(d, 20_000, |m| m.inner().wire_backlog() == 0);
}

/// Host address of slot `slot` of a ring at `base`.
fn entry(base: Option<HostAddr>, slot: usize) -> HostAddr {
    HostAddr::new(base.expect("ring resolved").raw_value() + (slot * Descriptor::SIZE) as u64)
}

fn write_desc(d: &Checked, q: Queue, slot: usize, desc: Descriptor) {
    let base = d.dev().rings().queue(q).desc_host;
    d.host_mem()
        .cpu_write(entry(base, slot), &desc.to_bytes())
        .expect("write descriptor");
}

fn only_ring(d: &Checked) -> Vec<Violation> {
    d.dev().findings_of(Checker::Ring)
}

#[test]
fn a_doorbell_over_an_unwritten_slot_is_named() {
    let mut d = open(DriverConfig::default(), Coherence::Coherent);
    d.dev_mut().mmio_write(regs::TX_PROD, 1).expect("doorbell");
    let v = expect_class(&d, "ring/doorbell-unwritten-slot");
    let msg = v.to_string();
    assert!(msg.contains("TX ring index 0 (slot 0)"), "{msg}");
    assert!(msg.contains("cycle"), "{msg}");
}

#[test]
fn a_doorbell_moving_backwards_is_named() {
    let mut d = open(DriverConfig::default(), Coherence::Coherent);
    let prod = d.dev().rings().rx.prod as u32;
    d.dev_mut()
        .mmio_write(regs::RX_PROD, prod - 1)
        .expect("doorbell");
    let v = expect_class(&d, "ring/doorbell-backwards");
    assert!(
        v.to_string().contains(&format!("at or after {prod}")),
        "{v}"
    );
}

#[test]
fn a_doorbell_past_a_full_ring_is_named() {
    let mut d = open(DriverConfig::default(), Coherence::Coherent);
    let prod = d.dev().rings().rx.prod as u32;
    assert_eq!(
        prod,
        u32::from(d.config().rx_ring_size),
        "open fills the ring"
    );
    // The NIC refuses it too (SLVERR); the auditor names it first.
    let _ = d.dev_mut().mmio_write(regs::RX_PROD, prod + 1);
    let v = expect_class(&d, "ring/doorbell-overrun");
    assert!(v.to_string().contains("in flight"), "{v}");
}

#[test]
fn a_descriptor_written_and_never_doorbelled_is_named_at_close() {
    let mut d = open(DriverConfig::default(), Coherence::NonCoherent);
    write_desc(&d, Queue::Tx, 0, Descriptor::new(0x1000, 64, 0));
    assert!(only_ring(&d).is_empty());
    let _ = d.close();
    let v = expect_class(&d, "ring/written-not-doorbelled");
    assert!(v.to_string().contains("TX ring index 0 (slot 0)"), "{v}");
}

#[test]
fn a_posted_slot_rewritten_before_its_completion_is_named_at_the_poll_end() {
    let mut d = open(DriverConfig::default(), Coherence::Coherent);
    write_desc(&d, Queue::Rx, 9, Descriptor::new(0xdead_0000, 2048, 9));
    d.dev_mut().inner_mut().send_frame(frame(0, 64));
    settle(&mut d);
    let v = expect_class(&d, "ring/slot-rewritten-while-owned");
    let msg = v.to_string();
    assert!(msg.contains("RX ring index 9 (slot 9)"), "{msg}");
    assert!(msg.contains("0xdead0000"), "{msg}");
}

#[test]
fn a_completion_for_an_index_never_doorbelled_is_named() {
    let mut d = open(DriverConfig::default(), Coherence::Coherent);
    let cq = d.dev().rings().tx.cq_host;
    let c = Completion::new(64, 0, 0, CplStatus::Ok, true, 0);
    d.host_mem()
        .cpu_write(entry(cq, 0), &c.to_bytes())
        .expect("write completion");
    d.dev_mut().advance(8).expect("advance");
    let v = expect_class(&d, "ring/completion-not-posted");
    assert!(v.to_string().contains("TX ring index 0"), "{v}");
}

#[test]
fn an_rx_descriptor_of_length_zero_is_named() {
    let mut d = open(DriverConfig::default(), Coherence::Coherent);
    d.inject_rx_alloc_failures(FailureInjection::NextN(1))
        .expect("inject");
    d.dev_mut().inner_mut().send_frame(frame(0, 64));
    settle(&mut d);
    let rx = d.dev().rings().rx.clone();
    assert_eq!(rx.completed, 1);
    assert_eq!(
        rx.prod,
        u64::from(rx.size),
        "the refill failed: one slot free"
    );
    write_desc(&d, Queue::Rx, 0, Descriptor::new(0x4000, 0, rx.prod as u32));
    d.dev_mut()
        .mmio_write(regs::RX_PROD, rx.prod as u32 + 1)
        .expect("doorbell");
    let v = expect_class(&d, "ring/rx-desc-zero-len");
    assert!(
        v.to_string()
            .contains(&format!("RX ring index {}", rx.prod)),
        "{v}"
    );
    assert_eq!(only_ring(&d).len(), 1, "{:#?}", only_ring(&d));
}

#[test]
fn a_doorbell_on_a_ring_never_programmed_is_named() {
    let mut d = checked(
        DriverConfig::default(),
        Coherence::Coherent,
        checkers::MonitorConfig::default(),
    );
    let _ = d.dev_mut().mmio_write(regs::TX_PROD, 1);
    expect_class(&d, "ring/base-unmapped");
}

#[test]
fn switched_off_the_auditor_finds_nothing() {
    let mut mon = checkers::MonitorConfig::default();
    mon.ring.enabled = false;
    let mut d = checked(DriverConfig::default(), Coherence::Coherent, mon);
    d.open().expect("open");
    d.dev_mut().mmio_write(regs::TX_PROD, 1).expect("doorbell");
    assert!(only_ring(&d).is_empty());
}

#[test]
fn without_the_cpu_observer_an_unwritten_slot_is_told_by_its_bytes() {
    let mut mon = checkers::MonitorConfig::default();
    mon.barrier.enabled = false;
    let mut d = checked(DriverConfig::default(), Coherence::Coherent, mon);
    d.open().expect("open");
    d.dev_mut().mmio_write(regs::TX_PROD, 1).expect("doorbell");
    let v = expect_class(&d, "ring/doorbell-unwritten-slot");
    assert!(v.to_string().contains("the slot unchanged"), "{v}");
}

#[test]
fn with_the_cpu_observer_rewriting_the_same_bytes_counts_as_written() {
    // A driver with a constant tag re-posting the same buffer in a slot.
    let cfg = DriverConfig {
        tx_ring_size: 2,
        ..DriverConfig::default()
    };
    let mut d = open(cfg, Coherence::Coherent);
    // A frame the NIC may read: the completion ring's own coherent bytes.
    let desc = Descriptor::new(d.dev().rings().tx.cq_base, 16, 0);
    for prod in 1..=3u32 {
        write_desc(&d, Queue::Tx, (prod as usize - 1) % 2, desc);
        d.host_mem().wmb();
        d.dev_mut()
            .mmio_write(regs::TX_PROD, prod)
            .expect("doorbell");
        // Let the NIC complete it.
        d.dev_mut().advance(20_000).expect("advance");
    }
    assert_eq!(d.dev().rings().tx.completed, 3);
    let unwritten: Vec<_> = only_ring(&d)
        .into_iter()
        .filter(|v| v.class() == "ring/doorbell-unwritten-slot")
        .collect();
    assert!(unwritten.is_empty(), "{unwritten:#?}");
}
