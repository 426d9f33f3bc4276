//! The NAPI contract fires on each rule it exists for: the correct driver
//! made to misreport its steps or acknowledge late, and scripted steps.

mod common;

use common::*;
use hostdriver::test_utils::frame;
use hostdriver::{DriverConfig, NapiEvent, NicDevice};
use nic_hw::regs;
use pool::Coherence;

/// Offers `n` frames and lets the model write them all before the
/// interrupt is serviced; then services it.
fn burst<D: NicDevice>(d: &mut hostdriver::Driver<D>, n: u32, send: impl Fn(&mut D, Vec<u8>)) {
    for i in 0..n {
        send(d.dev_mut(), frame(i, 64));
    }
    d.dev_mut().advance(100_000).expect("advance");
    d.service().expect("service");
}

fn send_mutated(
    m: &mut common::mutant::Mutant<checkers::Monitored<hostdriver::model::ModelNic>>,
    f: Vec<u8>,
) {
    m.inner.inner_mut().send_frame(f);
}

#[test]
fn a_poll_while_napi_is_not_scheduled_is_named() {
    let mut d = open(DriverConfig::default(), Coherence::Coherent);
    d.napi_poll().expect("poll");
    let v = expect_class(&d, "napi/poll-not-scheduled");
    assert!(v.to_string().contains("poll at cycle"), "{v}");
}

#[test]
fn consuming_more_than_the_budget_is_counted_from_the_ring_not_the_report() {
    // The driver works with budget 64 but reports 32 and at most 32 done:
    // only the ring shows it consumed 64.
    let cfg = DriverConfig::default();
    let mut d = rewriting(
        cfg,
        Box::new(|e| {
            Some(match *e {
                NapiEvent::PollStart { cycle, .. } => NapiEvent::PollStart { cycle, budget: 32 },
                NapiEvent::Poll { cycle, done, .. } => NapiEvent::Poll {
                    cycle,
                    done: done.min(31),
                    budget: 32,
                },
                other => other,
            })
        }),
    );
    burst(&mut d, 100, send_mutated);
    let found = mutant_classes(&d);
    assert!(found.contains(&"napi/over-budget-consumed"), "{found:?}");
    assert!(!found.contains(&"napi/over-budget-reported"), "{found:?}");
    let v = d.dev().inner.findings();
    let first = v
        .iter()
        .find(|v| v.class() == "napi/over-budget-consumed")
        .expect("found");
    assert!(first.to_string().contains("64 consumed"), "{first}");
}

#[test]
fn reporting_more_than_the_budget_is_named() {
    let mut d = rewriting(
        DriverConfig::default(),
        Box::new(|e| {
            Some(match *e {
                NapiEvent::Poll {
                    cycle,
                    done,
                    budget,
                } => NapiEvent::Poll {
                    cycle,
                    done: done + budget,
                    budget,
                },
                other => other,
            })
        }),
    );
    burst(&mut d, 10, send_mutated);
    assert!(mutant_classes(&d).contains(&"napi/over-budget-reported"));
}

#[test]
fn completing_at_the_full_budget_is_named() {
    // 40 frames, a budget of 64 reported as 40: the poll used all of it
    // and still completed.
    let mut d = rewriting(
        DriverConfig::default(),
        Box::new(|e| {
            Some(match *e {
                NapiEvent::PollStart { cycle, .. } => NapiEvent::PollStart { cycle, budget: 40 },
                NapiEvent::Poll { cycle, done, .. } => NapiEvent::Poll {
                    cycle,
                    done,
                    budget: 40,
                },
                other => other,
            })
        }),
    );
    burst(&mut d, 40, send_mutated);
    assert!(
        mutant_classes(&d).contains(&"napi/complete-at-full-budget"),
        "{:?}",
        mutant_classes(&d)
    );
}

#[test]
fn unmasking_while_napi_is_scheduled_is_named() {
    // The driver's napi_complete_done never reaches the monitors.
    let mut d = rewriting(
        DriverConfig::default(),
        Box::new(|e: &NapiEvent| (!matches!(e, NapiEvent::Complete { .. })).then_some(*e)),
    );
    burst(&mut d, 5, send_mutated);
    let found = mutant_classes(&d);
    assert!(found.contains(&"napi/unmask-while-scheduled"), "{found:?}");
}

#[test]
fn acknowledging_after_the_unmask_is_named() {
    let mut d = acking_late(DriverConfig::default());
    burst(&mut d, 5, send_mutated);
    let found = mutant_classes(&d);
    assert!(found.contains(&"napi/ack-after-unmask"), "{found:?}");
}

#[test]
fn unmasking_with_an_acknowledged_completion_pending_is_a_lost_interrupt() {
    // A driver without the final re-check: it acknowledges, then unmasks
    // while completions it never consumed wait.
    let mut d = open(DriverConfig::default(), Coherence::Coherent);
    let dev = d.dev_mut();
    dev.mmio_write(regs::IRQ_MASK, 0xf).expect("mask");
    dev.napi_event(&NapiEvent::Irq {
        cycle: dev.cycle(),
        status: 0,
    });
    for i in 0..5 {
        dev.inner_mut().send_frame(frame(i, 64));
    }
    dev.advance(50_000).expect("advance");
    assert_eq!(dev.rings().rx.completed, 5);
    let c = dev.cycle();
    dev.napi_event(&NapiEvent::PollStart {
        cycle: c,
        budget: 64,
    });
    dev.napi_event(&NapiEvent::Poll {
        cycle: c,
        done: 0,
        budget: 64,
    });
    dev.napi_event(&NapiEvent::Complete { cycle: c });
    dev.mmio_write(regs::IRQ_STATUS, 0xf).expect("ack");
    dev.mmio_write(regs::IRQ_MASK, 0).expect("unmask");
    assert_eq!(classes(&d), ["napi/unmask-with-acked-pending"]);
    let v = expect_class(&d, "napi/unmask-with-acked-pending");
    assert!(v.to_string().contains("5 pending from index 0"), "{v}");
}
