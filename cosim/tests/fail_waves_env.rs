//! `COSIM_FAIL_WAVES_DIR` names where failure waveforms go (CI keeps that
//! directory as an artifact). The only test of its binary: it sets the
//! variable, so no other test thread reads the environment meanwhile.

use std::path::Path;

use cosim::bus::{Misbehave, SparseMem};
use cosim::replay::{with_failure_waves, FAIL_WAVES_DIR_ENV};
use cosim::{Sim, SimConfig, SimError};
use nic_hw::regs;

#[test]
fn failure_waveforms_go_to_the_directory_the_environment_names() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fail-waves-env");
    let _ = std::fs::remove_dir_all(&dir);
    std::env::set_var(FAIL_WAVES_DIR_ENV, &dir);
    let err = with_failure_waves("env_dir", None, 200, |waves| {
        let mut sim = Sim::new(SimConfig::default(), SparseMem::new())?;
        if let Some(spec) = waves {
            sim.waves_spec(spec)?;
        }
        sim.storage_mut().poke(0x1_0000, &[0; 64]);
        sim.write_reg(regs::RX_RING_BASE_LO, 0x1_0000)?;
        sim.write_reg(regs::RX_RING_SIZE, 4)?;
        sim.write_reg(regs::CTRL, regs::ctrl::ENABLE)?;
        sim.mem_mut().set_misbehave(Some(Misbehave::ExtraRBeat));
        sim.write_reg(regs::RX_PROD, 2)?;
        sim.run_until("an assertion", 5_000, |_| false)?;
        Ok::<_, SimError>(())
    })
    .expect_err("the extra R beat fails an RTL assertion");
    let path = dir.join("env_dir.fst");
    assert_eq!(err.waves.as_deref(), Some(path.as_path()), "{err}");
    assert!(path.exists() && dir.join("env_dir.gtkw").exists());
    let win = err.window.clone().expect("window");
    let fail = err.cycle.expect("failure cycle");
    assert_eq!(
        win,
        fail.saturating_sub(200)..fail + cosim::replay::CYCLES_AFTER + 1
    );
}
