//! `cosim waves` as a user runs it: the built binary on a real waveform,
//! and on bad input (exit code 2, a message naming the file and the
//! problem).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use cosim::bus::SparseMem;
use cosim::{Sim, SimConfig};
use nic_hw::regs;
use nic_hw::wire::Descriptor;

fn dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("waves-cli");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A waveform with RX and TX DMA traffic (made once per test binary).
fn fst() -> &'static Path {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let path = dir().join("traffic.fst");
        let mut sim = Sim::new(SimConfig::default(), SparseMem::new()).unwrap();
        sim.waves(&path, None).unwrap();
        sim.storage_mut().poke(0x1_0000, &[0; 64]);
        for (reg, v) in [
            (regs::RX_RING_BASE_LO, 0x1_0000),
            (regs::RX_CQ_BASE_LO, 0x2_0000),
            (regs::TX_RING_BASE_LO, 0x3_0000),
            (regs::TX_CQ_BASE_LO, 0x4_0000),
            (regs::RX_RING_SIZE, 4),
            (regs::TX_RING_SIZE, 4),
            (regs::CTRL, regs::ctrl::ENABLE),
        ] {
            sim.write_reg(reg, v).unwrap();
        }
        for i in 0..4u64 {
            let d = Descriptor::new(0x10_0000 + i * 0x1000, 2048, i as u32);
            sim.storage_mut().poke(0x1_0000 + 16 * i, &d.to_bytes());
            sim.storage_mut()
                .poke(0x80_0000 + i * 0x1000, &[i as u8; 200]);
            let d = Descriptor::new(0x80_0000 + i * 0x1000, 200, i as u32);
            sim.storage_mut().poke(0x3_0000 + 16 * i, &d.to_bytes());
            sim.send_frame(vec![i as u8; 100 + 50 * i as usize])
                .unwrap();
        }
        sim.write_reg(regs::RX_PROD, 4).unwrap();
        sim.write_reg(regs::TX_PROD, 4).unwrap();
        sim.step_n(5_000).unwrap();
        drop(sim);
        path
    })
}

fn cosim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cosim"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run cosim")
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn dma_prints_a_table_and_json_of_the_transactions() {
    let f = fst().to_str().unwrap();
    let o = cosim(&["waves", "dma", f]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let head = out.lines().next().unwrap();
    for col in [
        "time", "cycle", "dir", "address", "bytes", "beats", "id", "resp",
    ] {
        assert!(head.contains(col), "column {col}: {head}");
    }
    assert!(out.contains(" RD ") && out.contains(" WR "), "{out}");
    let o = cosim(&["waves", "dma", f, "--json", "--dir", "write", "--id", "0"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let txns = v["transactions"].as_array().unwrap();
    assert_eq!(txns.len(), 4, "4 RX payload writes");
    assert!(txns
        .iter()
        .all(|t| t["dir"] == "write" && t["id"] == 0 && t["resp"] == "OKAY"));
    let bytes: u64 = txns.iter().map(|t| t["bytes"].as_u64().unwrap()).sum();
    assert_eq!(bytes, 100 + 150 + 200 + 250, "payload bytes = frame bytes");
    // Address filter: the TX payload reads only.
    let o = cosim(&["waves", "dma", f, "--json", "--addr", "0x800000..0x900000"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let txns = v["transactions"].as_array().unwrap();
    assert_eq!(txns.len(), 4);
    assert!(txns.iter().all(|t| t["dir"] == "read" && t["id"] == 2));
}

#[test]
fn summary_and_gtkw_work_on_a_real_waveform() {
    let f = fst().to_str().unwrap();
    let o = cosim(&["waves", "summary", f]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for w in ["AW", "W", "B", "AR", "R", "backpressure", "p50"] {
        assert!(out.contains(w), "{w}: {out}");
    }
    let o = cosim(&["waves", "summary", f, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["channels"].as_array().unwrap().len(), 5);
    let o = cosim(&["waves", "gtkw", f, "--marker-cycle", "100"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let g = std::fs::read_to_string(fst().with_extension("gtkw")).unwrap();
    let marker_line = g.lines().find(|l| l.starts_with('*')).unwrap();
    assert_eq!(
        marker_line.split(' ').nth(1),
        Some("201"),
        "marker on cycle 100"
    );
    assert!(
        text(&o.stderr).is_empty(),
        "no missing signals: {}",
        text(&o.stderr)
    );
}

fn assert_bad_input(args: &[&str], file: &str, what: &str) {
    let o = cosim(args);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(file), "{args:?}: names the file: {err}");
    assert!(err.contains(what), "{args:?}: says {what:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_exits_with_code_2_and_a_clear_message() {
    let d = dir();
    // Truncated: the first half of a real FST.
    let bytes = std::fs::read(fst()).unwrap();
    let cut = d.join("cut.fst");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert_bad_input(
        &["waves", "dma", cut.to_str().unwrap()],
        "cut.fst",
        "truncated or corrupt",
    );
    let empty = d.join("empty.fst");
    std::fs::write(&empty, b"").unwrap();
    assert_bad_input(
        &["waves", "summary", empty.to_str().unwrap()],
        "empty.fst",
        "empty",
    );
    let txt = d.join("readme.txt");
    std::fs::write(&txt, b"hello, not a waveform\n").unwrap();
    assert_bad_input(
        &["waves", "dma", txt.to_str().unwrap()],
        "readme.txt",
        "not an FST or VCD",
    );
    let none = d.join("nope.fst");
    assert_bad_input(
        &["waves", "dma", none.to_str().unwrap()],
        "nope.fst",
        "cannot read",
    );
    let other = d.join("no_dma.vcd");
    std::fs::write(
        &other,
        b"$timescale 1ps $end\n$scope module TOP $end\n$var wire 1 ! clk_i $end\n\
          $upscope $end\n$enddefinitions $end\n#0\n0!\n#1\n1!\n",
    )
    .unwrap();
    assert_bad_input(
        &["waves", "dma", other.to_str().unwrap()],
        "no_dma.vcd",
        "missing signal(s) m_axi_awid_o",
    );
    // A bad option value is bad input too.
    let o = cosim(&["waves", "dma", fst().to_str().unwrap(), "--addr", "10..5"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("empty range"));
}
