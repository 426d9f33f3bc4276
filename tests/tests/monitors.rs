//! The contract monitors (`checkers`) over the Verilated NIC: quiet on the
//! correct driver in every built-in scenario, in coherent and non-coherent
//! memory, and a monitor's finding fails the run with its class named.

use cosim::checkers::{Checker, MonitorConfig, WatchdogConfig};
use cosim::scenario::{run, RunOptions, Scenario};

#[test]
fn every_builtin_scenario_is_quiet_in_both_memory_modes() {
    for sc in Scenario::builtins().expect("built-ins parse") {
        for coherent in [true, false] {
            let mut sc = sc.clone();
            sc.memory.set_coherent(coherent);
            let r = run(&sc, RunOptions::default()).expect("scenario starts");
            // The driver-side monitors, the RTL contract monitor, the scoreboard,
            // the page pool invariants.
            assert_eq!(r.monitors.len(), Checker::ALL.len() + 3);
            let loud: Vec<String> = r
                .monitors
                .iter()
                .filter(|c| !c.ok)
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect();
            assert!(
                loud.is_empty(),
                "{} (coherent {coherent}): {loud:#?}",
                sc.name
            );
            assert!(r.passed(), "{}", r.render_human());
        }
    }
}

#[test]
fn a_monitor_finding_fails_the_run_and_names_its_class() {
    let sc = Scenario::load("rx_small").expect("built-in");
    let opts = RunOptions {
        monitors: MonitorConfig {
            watchdog: WatchdogConfig {
                cycle_limit: 2_000,
                ..WatchdogConfig::default()
            },
            ..MonitorConfig::default()
        },
        ..RunOptions::default()
    };
    let r = run(&sc, opts).expect("scenario starts");
    assert!(!r.passed());
    let failed: Vec<&str> = r.failures().iter().map(|c| c.name.as_str()).collect();
    assert!(failed.contains(&"run completed"), "{failed:?}");
    let wd = r
        .monitors
        .iter()
        .find(|c| c.name.starts_with("watchdog"))
        .expect("watchdog check");
    assert!(!wd.ok);
    assert!(
        wd.detail
            .starts_with("1 found; first: watchdog/cycle-bound: device at cycle"),
        "{}",
        wd.detail
    );
    let text = r.render_snapshot();
    assert!(text.contains("FAIL watchdog"), "{text}");
}

#[test]
fn a_monitor_switched_off_says_so() {
    let sc = Scenario::load("rx_small").expect("built-in");
    let mut monitors = MonitorConfig::default();
    monitors.napi.enabled = false;
    let r = run(
        &sc,
        RunOptions {
            monitors,
            ..RunOptions::default()
        },
    )
    .expect("scenario starts");
    assert!(r.passed(), "{}", r.render_human());
    let napi = r
        .monitors
        .iter()
        .find(|c| c.name.starts_with("NAPI"))
        .expect("NAPI check");
    assert_eq!(napi.detail, "switched off");
}
