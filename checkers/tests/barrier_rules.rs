//! The barrier auditor names a doorbell not ordered after the writes it
//! publishes and a completion read before its phase bit was ordered, and
//! stays quiet when the barriers are there.

mod common;

use checkers::{Checker, Queue, Violation};
use common::*;
use hostdriver::test_utils::{frame, settle_until};
use hostdriver::{DriverConfig, NicDevice};
use nic_hw::regs::{self, cpl_layout};
use nic_hw::wire::{Completion, Descriptor};
use pool::{Coherence, HostAddr};

fn barrier_findings(d: &Checked) -> Vec<Violation> {
    d.dev().findings_of(Checker::Barrier)
}

fn at(base: Option<HostAddr>, off: usize) -> HostAddr {
    HostAddr::new(base.expect("ring resolved").raw_value() + off as u64)
}

/// A TX descriptor for a frame in a TX pool page the test maps itself.
fn post_tx_descriptor(d: &mut Checked) -> HostAddr {
    let slot0 = at(d.dev().rings().tx.desc_host, 0);
    let desc = Descriptor::new(0x1000, 64, 0);
    d.host_mem()
        .cpu_write(slot0, &desc.to_bytes())
        .expect("write descriptor");
    slot0
}

#[test]
fn a_doorbell_without_wmb_names_the_register_and_the_first_unordered_write() {
    for mode in [Coherence::Coherent, Coherence::NonCoherent] {
        let mut d = open(DriverConfig::default(), mode);
        assert!(barrier_findings(&d).is_empty(), "open is ordered");
        let slot0 = post_tx_descriptor(&mut d);
        let _ = d.dev_mut().mmio_write(regs::TX_PROD, 1);
        let v = barrier_findings(&d);
        assert_eq!(v.len(), 1, "{v:#?}");
        assert_eq!(v[0].class(), "barrier/doorbell-without-wmb");
        let msg = v[0].to_string();
        assert!(msg.contains("TX doorbell TX_PROD"), "{msg}");
        assert!(msg.contains(&format!("the first at {slot0}")), "{msg}");
    }
}

#[test]
fn a_doorbell_after_wmb_is_ordered() {
    let mut d = open(DriverConfig::default(), Coherence::Coherent);
    post_tx_descriptor(&mut d);
    d.host_mem().dma_wmb();
    let _ = d.dev_mut().mmio_write(regs::TX_PROD, 1);
    assert_eq!(barrier_findings(&d).len(), 1, "dma_wmb does not order MMIO");
    post_tx_descriptor(&mut d);
    d.host_mem().wmb();
    let _ = d.dev_mut().mmio_write(regs::TX_PROD, 1);
    assert_eq!(barrier_findings(&d).len(), 1, "wmb does");
}

/// Lets one RX completion land in slot 0 of the completion ring.
fn one_completion(d: &mut Checked) -> Option<HostAddr> {
    d.dev_mut().mmio_write(regs::IRQ_MASK, 0xf).expect("mask");
    d.dev_mut().inner_mut().send_frame(frame(0, 64));
    d.dev_mut().advance(20_000).expect("advance");
    assert_eq!(d.dev().rings().queue(Queue::Rx).completed, 1);
    d.dev().rings().rx.cq_host
}

#[test]
fn reading_a_completion_whole_reads_its_fields_before_its_phase_is_ordered() {
    let mut d = open(DriverConfig::default(), Coherence::Coherent);
    let cq = one_completion(&mut d);
    let mut raw = [0u8; Completion::SIZE];
    d.host_mem().cpu_read(at(cq, 0), &mut raw).expect("read");
    let v = barrier_findings(&d);
    assert_eq!(v.len(), 1, "{v:#?}");
    assert_eq!(v[0].class(), "barrier/completion-read-before-phase");
    let msg = v[0].to_string();
    assert!(msg.contains("RX completion slot 0"), "{msg}");
    assert!(msg.contains("15 bytes of fields"), "{msg}");
}

#[test]
fn phase_then_dma_rmb_then_fields_is_ordered_and_without_the_barrier_is_not() {
    let mut d = open(DriverConfig::default(), Coherence::NonCoherent);
    let cq = one_completion(&mut d);
    let mem = d.host_mem().clone();
    let mut flags = [0u8; 1];
    let mut len = [0u8; 4];
    mem.cpu_read(at(cq, cpl_layout::FLAGS), &mut flags)
        .expect("flags");
    mem.cpu_read(at(cq, cpl_layout::LEN), &mut len)
        .expect("len");
    assert_eq!(barrier_findings(&d).len(), 1, "no dma_rmb: unordered");
    mem.cpu_read(at(cq, cpl_layout::FLAGS), &mut flags)
        .expect("flags");
    mem.dma_rmb();
    mem.cpu_read(at(cq, cpl_layout::LEN), &mut len)
        .expect("len");
    assert_eq!(
        barrier_findings(&d).len(),
        1,
        "phase, dma_rmb, fields: ordered"
    );
}

#[test]
fn the_correct_driver_is_ordered_in_a_run() {
    let mut d = open(DriverConfig::default(), Coherence::NonCoherent);
    for i in 0..50 {
        d.dev_mut().inner_mut().send_frame(frame(i, 128));
        d.xmit(&frame(i, 100)).expect("xmit");
    }
    settle_until(&mut d, 20_000, |m| m.inner().wire_backlog() == 0);
    d.close().expect("close");
    assert!(
        barrier_findings(&d).is_empty(),
        "{:#?}",
        barrier_findings(&d)
    );
}
