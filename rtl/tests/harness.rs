//! The pure C++ Verilator harness (`rtl/harness`) in the configurations the
//! co-simulation does not build: it is the only place `RX_OVERLAP = 0` (the
//! strict DMA-error contract) runs, and it checks the RTL with its own bus
//! models, independently of the Rust ones. Each test verilates and compiles
//! one harness (about 20 s) into Cargo's scratch directory and runs its
//! smoke tests; a failed check makes the harness exit non-zero and prints
//! `FAIL file:line: condition: message`.

use std::path::PathBuf;
use std::process::Command;

fn harness(w: u32, overlap: u32, seed: u64) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let obj = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("rtl-harness-w{w}-overlap{overlap}"));
    let out = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(root.join("harness"))
        .arg(format!("W={w}"))
        .arg(format!("OVERLAP={overlap}"))
        .arg(format!("SEED={seed}"))
        .arg(format!("OBJ={}", obj.display()))
        .arg("run")
        .output()
        .expect("run make (the harness needs make, verilator and a C++ compiler)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("PASS: all checks"),
        "harness W={w} OVERLAP={overlap} SEED={seed} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(!stdout.contains("FAIL"), "{stdout}");
}

#[test]
fn harness_64_bit_pipelined() {
    harness(64, 1, 1);
}

#[test]
fn harness_64_bit_without_rx_overlap() {
    harness(64, 0, 2);
}

#[test]
fn harness_128_bit_pipelined() {
    harness(128, 1, 3);
}
