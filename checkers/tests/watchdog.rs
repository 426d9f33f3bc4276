//! The watchdog turns a stalled driver into a failure with the dump of
//! every ring and pool, and a run past its cycle bound into a failure,
//! never a hang.

mod common;

use checkers::{Checker, MonitorConfig, WatchdogConfig};
use common::*;
use hostdriver::test_utils::frame;
use hostdriver::{DevError, DriverConfig, DriverError, NicDevice};
use nic_hw::regs;
use pool::Coherence;

fn with_watchdog(cfg: WatchdogConfig) -> Checked {
    let mon = MonitorConfig {
        watchdog: cfg,
        ..MonitorConfig::default()
    };
    let mut d = checked(DriverConfig::default(), Coherence::NonCoherent, mon);
    d.open().expect("open");
    d
}

fn watchdog_message(e: DriverError) -> String {
    match e {
        DriverError::Dev(DevError::Watchdog(w)) => w.to_string(),
        other => panic!("not the watchdog: {other}"),
    }
}

#[test]
fn a_driver_that_stops_servicing_its_completions_is_stopped_with_the_dump() {
    let mut d = with_watchdog(WatchdogConfig {
        stall_cycles: 100_000,
        ..WatchdogConfig::default()
    });
    // The interrupt is lost: masked, never serviced again.
    d.dev_mut().mmio_write(regs::IRQ_MASK, 0xf).expect("mask");
    for i in 0..8 {
        d.dev_mut().inner_mut().send_frame(frame(i, 64));
    }
    // A loop with no bound of its own.
    let err = d
        .run_until(u64::MAX, 1_000, |_| false)
        .expect_err("the watchdog ends it");
    let msg = watchdog_message(err);
    assert!(
        msg.starts_with("watchdog/no-progress: device at cycle"),
        "{msg}"
    );
    assert!(msg.contains("within 100000 cycles"), "{msg}");
    assert!(
        msg.contains("RX ring: size 256, prod 256, completed 8, consumed 0"),
        "{msg}"
    );
    assert!(msg.contains("index 8 slot 8: {addr"), "{msg}");
    assert!(msg.contains("TX ring: size"), "{msg}");
    assert!(msg.contains("page-pool id"), "{msg}");
    assert!(msg.contains("inflight 256"), "{msg}");
    let found = d.dev().findings_of(Checker::Watchdog);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].class(), "watchdog/no-progress");
}

#[test]
fn an_idle_interface_is_not_a_stall() {
    let mut d = with_watchdog(WatchdogConfig {
        stall_cycles: 10_000,
        ..WatchdogConfig::default()
    });
    d.run_for(200_000, 1_000).expect("idle is fine");
    for i in 0..8 {
        d.dev_mut().inner_mut().send_frame(frame(i, 64));
    }
    d.run_for(200_000, 1_000)
        .expect("serviced traffic is progress");
    assert_quiet(&d);
}

#[test]
fn no_advance_passes_the_cycle_bound() {
    let mut d = with_watchdog(WatchdogConfig {
        cycle_limit: 500_000,
        ..WatchdogConfig::default()
    });
    let err = d.run_for(1_000_000, 1_000).expect_err("bounded");
    let msg = watchdog_message(err);
    assert!(msg.starts_with("watchdog/cycle-bound"), "{msg}");
    assert!(msg.contains("cycle bound 500000"), "{msg}");
    assert!(d.dev().cycle() <= 500_000);
}

#[test]
fn switched_off_it_lets_the_run_go_on() {
    let mut d = with_watchdog(WatchdogConfig {
        enabled: false,
        cycle_limit: 1_000,
        stall_cycles: 1_000,
    });
    d.run_for(100_000, 1_000).expect("no watchdog");
    assert_quiet(&d);
}
