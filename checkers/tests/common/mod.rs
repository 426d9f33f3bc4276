//! A driver on the reference model under the monitors, and what the
//! tests ask of it.

#![allow(dead_code)]

pub mod mutant;

use checkers::{MonitorConfig, Monitored, Violation};
use hostdriver::model::{ModelNic, ModelNicConfig};
use hostdriver::test_utils::memory;
use hostdriver::{Driver, DriverConfig};
use mutant::{Mutant, Rewrite};
use pool::Coherence;

/// The driver over the model under the monitors.
pub type Checked = Driver<Monitored<ModelNic>>;

/// A driver probed on a monitored model in memory of its own.
pub fn checked(cfg: DriverConfig, coherence: Coherence, mon: MonitorConfig) -> Checked {
    let mem = memory(coherence);
    let nic = ModelNic::new(&mem, "nic0", ModelNicConfig::default());
    Driver::probe(Monitored::new(nic, mon), cfg).expect("probe")
}

/// An open driver with every monitor on.
pub fn open(cfg: DriverConfig, coherence: Coherence) -> Checked {
    let mut d = checked(cfg, coherence, MonitorConfig::default());
    d.open().expect("open");
    d
}

/// Every finding.
pub fn findings(d: &Checked) -> Vec<Violation> {
    d.dev().findings()
}

/// The classes found, in order.
pub fn classes(d: &Checked) -> Vec<&'static str> {
    findings(d).iter().map(Violation::class).collect()
}

/// Fails unless a finding of `class` is there; returns it.
pub fn expect_class(d: &Checked, class: &str) -> Violation {
    let all = findings(d);
    all.iter()
        .find(|v| v.class() == class)
        .cloned()
        .unwrap_or_else(|| panic!("no {class} finding; found: {all:#?}"))
}

/// Fails if anything was found.
pub fn assert_quiet(d: &Checked) {
    let all = findings(d);
    assert!(
        all.is_empty(),
        "monitors found:\n{}",
        all.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The driver over a misbehaving layer over the monitored model.
pub type Mutated = Driver<Mutant<Monitored<ModelNic>>>;

fn monitored_model(coherence: Coherence) -> Monitored<ModelNic> {
    let mem = memory(coherence);
    let nic = ModelNic::new(&mem, "nic0", ModelNicConfig::default());
    Monitored::new(nic, MonitorConfig::default())
}

/// An open driver whose reported steps go through `rewrite`.
pub fn rewriting(cfg: DriverConfig, rewrite: Rewrite) -> Mutated {
    let dev = Mutant::rewriting(monitored_model(Coherence::Coherent), rewrite);
    let mut d = Driver::probe(dev, cfg).expect("probe");
    d.open().expect("open");
    d
}

/// An open driver that acknowledges IRQ_STATUS after the unmask.
pub fn acking_late(cfg: DriverConfig) -> Mutated {
    let dev = Mutant::acking_late(monitored_model(Coherence::Coherent));
    let mut d = Driver::probe(dev, cfg).expect("probe");
    d.open().expect("open");
    d
}

/// The classes the monitors below a mutant found.
pub fn mutant_classes(d: &Mutated) -> Vec<&'static str> {
    d.dev()
        .inner
        .findings()
        .iter()
        .map(Violation::class)
        .collect()
}
