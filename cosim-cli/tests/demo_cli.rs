//! `cosim demo` as a user runs it: the built binary, its summary lines and
//! exit codes.

use std::process::Command;

fn demo(args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cosim"))
        .arg("demo")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run cosim demo");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn demo_prints_both_directions_counters_and_conservation() {
    let (code, out, err) = demo(&["--frames", "24", "--seed", "3"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    for want in [
        "cosim demo: seed 3, 24 frames of 60..=1518 bytes, page mode, the stack echoes every frame",
        "  RX   wire -> NIC -> DMA -> pool pages -> NAPI -> stack: 24 frames, ",
        "  TX   stack -> TX ring -> NIC DMA -> wire:              24 frames, ",
        " simulated cycles in ",
        "  NAPI ",
        "    rx_pp_alloc_fast ",
        "  DMA  ",
        "  NIC  rx_frames 24 ",
        "    [ ok ] frames in 24 = received 24 + dropped 0, every byte equal",
        "    [ ok ] frames echoed 24 = received 24, every byte equal",
        "    [ ok ] pool pages in flight after close: RX 0 TX 0; live DMA mappings 0",
        "    [ ok ] DMA-API violations 0, skb recycle violations 0",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(out.contains(" 0 differ"), "{out}");
}

#[test]
fn demo_frames_out_of_range_is_bad_input() {
    let (code, out, err) = demo(&["--frames", "0"]);
    assert_eq!(code, Some(2), "{out}\n{err}");
    assert!(err.contains("--frames 0: expected 1..=100000"), "{err}");
}
