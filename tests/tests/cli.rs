//! The `cosim` command's subcommands (`list`, `run`, `matrix`),
//! called in process through the same functions the binary calls, with
//! their output captured: summaries, JSON, pcap and waveform files, JUnit
//! XML, and bad input (exit code 2, a message naming what and where, no
//! output file left behind).

use std::path::{Path, PathBuf};

use clap::Parser;
use cosim::scenario::{WireDir, WireFrame};
use cosim_cli::list::{self, ListArgs};
use cosim_cli::matrix::{self, MatrixArgs};
use cosim_cli::pcap;
use cosim_cli::run::{self, RunArgs};
use cosim_cli::CliError;

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cosim-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn files_in(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[derive(Parser)]
struct RunCli {
    #[command(flatten)]
    args: RunArgs,
}

fn parse_run(argv: &[&str]) -> Result<RunArgs, clap::Error> {
    let mut v = vec!["run"];
    v.extend_from_slice(argv);
    RunCli::try_parse_from(v).map(|c| c.args)
}

fn run_ok(argv: &[&str]) -> String {
    let args = parse_run(argv).expect("arguments parse");
    let mut out = Vec::new();
    let r = run::execute(&args, &mut out);
    let text = String::from_utf8(out).expect("utf-8");
    if let Err(e) = r {
        panic!("cosim run {argv:?} failed: {e}\n{text}");
    }
    text
}

fn run_err(argv: &[&str]) -> (CliError, String) {
    let args = parse_run(argv).expect("arguments parse");
    let mut out = Vec::new();
    let e = run::execute(&args, &mut out).expect_err("run should fail");
    (e, String::from_utf8(out).expect("utf-8"))
}

#[test]
fn list_shows_every_builtin_scenario_one_line_each() {
    let mut out = Vec::new();
    list::execute(&ListArgs::default(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    for (name, _) in cosim::scenario::BUILTIN {
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(name))
            .collect();
        assert_eq!(lines.len(), 1, "{name}: {text}");
    }
    // One column each: every description starts at the same place.
    let starts: std::collections::BTreeSet<usize> = cosim::scenario::Scenario::builtins()
        .unwrap()
        .iter()
        .map(|sc| {
            let l = text.lines().find(|l| l.starts_with(&sc.name)).unwrap();
            l.find(&sc.description).unwrap()
        })
        .collect();
    assert_eq!(starts.len(), 1, "{text}");
    let mut out = Vec::new();
    list::execute(&ListArgs { json: true }, &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), cosim::scenario::BUILTIN.len());
}

#[test]
fn run_prints_a_summary_with_every_part() {
    let text = run_ok(&["rx_small", "--frames", "24", "--seed", "3"]);
    for want in [
        "scenario rx_small (seed 3)",
        "wire      in 24 frames / 1536 bytes",
        "config    Rx 24 frames, size 64, mode Page",
        "cycles simulated in",
        "cycles/s",
        "drops     none",
        "alloc-fast",
        "recycle-ring",
        "sync_for_device DMA_FROM_DEVICE   off  256 len 3520",
        "sync_for_cpu    DMA_FROM_DEVICE   off    0 len  320: 24",
        "hw_rx_frames 24",
        "ok   no page in flight after close",
        "ok   NIC in = written + dropped by reason",
        "result    PASS",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn run_options_override_the_scenario() {
    let text = run_ok(&[
        "rx_small",
        "--frames",
        "20",
        "--size",
        "100..=120",
        "--mode",
        "page",
        "--verdict",
        "drop",
        "--read-latency",
        "9",
        "--write-latency",
        "7",
        "--backpressure",
        "20",
        "--non-coherent",
        "--budget",
        "4",
        "--coal-frames",
        "4",
        "--coal-cycles",
        "500",
    ]);
    assert!(text.contains("verdict Drop"), "{text}");
    assert!(
        text.contains(
            "budget 4, coalesce 4/500, platform arm64-64 (non-coherent DMA, 64-byte lines, \
             fragment alignment 128), latency r9/w7, backpressure 20%"
        ),
        "{text}"
    );
    assert!(text.contains("drops     xdp_drop 20"), "{text}");
    assert!(
        text.contains("DMA_BIDIRECTIONAL"),
        "an XDP program maps BIDIRECTIONAL: {text}"
    );
    // --platform replaces the scenario's platform; arm64-128 rounds
    // fragments and syncs to 128-byte lines.
    let text = run_ok(&["non_coherent", "--frames", "8", "--platform", "arm64-128"]);
    assert!(
        text.contains(
            "platform arm64-128 (non-coherent DMA, 128-byte lines, fragment alignment 128)"
        ),
        "{text}"
    );
    let text = run_ok(&["non_coherent", "--frames", "8", "--platform", "x86-64"]);
    assert!(text.contains("platform x86-64 (coherent DMA"), "{text}");
    let text = run_ok(&["frag_small", "--frames", "12", "--mode", "frag"]);
    assert!(text.contains("mode Frag"), "{text}");
    let text = run_ok(&[
        "rx_small",
        "--frames",
        "12",
        "--data-width",
        "128",
        "--no-assertions",
    ]);
    assert!(
        text.contains("nic       128-bit data, assertions off"),
        "{text}"
    );
    assert!(text.contains("to the stack 12 frames"), "{text}");
}

#[test]
fn json_output_has_kernel_names_and_checks() {
    let args = parse_run(&["xdp_tx_reflect", "--frames", "16", "--json"]).unwrap();
    let mut out = Vec::new();
    run::execute(&args, &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(v["scenario"], "xdp_tx_reflect");
    assert_eq!(v["wire"]["rx_frames"], 16);
    assert_eq!(v["wire"]["tx_frames"], 16);
    let rx_pool = v["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "rx")
        .unwrap();
    assert!(rx_pool["stats"]["alloc-fast"].is_u64());
    // XDP_TX completions come back in the queue's own NAPI poll
    // (page_pool_napi_local): into the alloc cache.
    assert!(rx_pool["stats"]["recycle-cached"].as_u64().unwrap() >= 16);
    assert_eq!(v["ethtool"]["rx_xdp_tx"], 16);
    assert!(v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["ok"] == true));
    assert!(v["cycles_per_sec"].as_f64().unwrap() > 0.0);
}

#[test]
fn unknown_scenario_is_bad_input() {
    let (e, out) = run_err(&["no_such_scenario"]);
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string()
            .contains("unknown scenario `no_such_scenario`"),
        "{e}"
    );
    assert!(out.is_empty());
    let (e, _) = run_err(&["/nonexistent/dir/s.toml"]);
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string()
            .contains("/nonexistent/dir/s.toml: cannot read"),
        "{e}"
    );
}

#[test]
fn bad_option_values_are_bad_input() {
    // Values the parser refuses (clap exits 2 for these).
    for argv in [
        &["rx_small", "--size", "huge"][..],
        &["rx_small", "--size", "60..1518"],
        &["rx_small", "--verdict", "maybe"],
        &["rx_small", "--mode", "pages"],
        &["rx_small", "--frames", "-3"],
        &["rx_small", "--waves-window", "10..20"],
        &["rx_small", "--coherent", "--non-coherent"],
        &["rx_small", "--platform", "arm64"],
        &["rx_small", "--platform", "x86-64", "--non-coherent"],
        &["rx_small", "--platform", "arm64-128", "--coherent"],
    ] {
        let e = parse_run(argv)
            .err()
            .unwrap_or_else(|| panic!("{argv:?} parsed"));
        assert!(e.use_stderr(), "{argv:?}");
        assert_eq!(e.exit_code(), 2, "{argv:?}");
    }
    let e = parse_run(&["rx_small", "--platform", "sparc"])
        .err()
        .unwrap();
    let msg = e.to_string();
    assert!(
        msg.contains("sparc") && msg.contains("x86-64, arm64-64 or arm64-128"),
        "a bad platform lists the choices: {msg}"
    );
    let e = parse_run(&["rx_small", "--waves", "w.fst", "--waves-window", "20..10"])
        .err()
        .unwrap();
    assert!(e.to_string().contains("empty window"), "{e}");
    // Values checked against the scenario's rules: named by field.
    for (argv, field) in [
        (
            &["rx_small", "--budget", "0"][..],
            "driver.budget` = 0: expected 1..=4096 (set by --budget)",
        ),
        (&["rx_small", "--frames", "0"], "traffic.frames"),
        (&["rx_small", "--size", "2000"], "traffic.size"),
        (
            &["rx_small", "--backpressure", "100"],
            "memory.backpressure",
        ),
        (&["rx_small", "--coal-frames", "8"], "driver.coal_cycles"),
        (&["rx_small", "--size", "8"], "traffic.size"),
        (&["xdp_drop_flood", "--mode", "frag"], "driver.verdict"),
        (
            &["rx_small", "--data-width", "96"],
            "nic.data_width` = 96: no NIC model with 96-bit data, assertions on is built into cosim (built: 64-bit data, assertions on;",
        ),
        (&["rx_small", "--data-width", "256"], "(set by --data-width)"),
    ] {
        let (e, out) = run_err(argv);
        assert_eq!(e.exit_code(), 2, "{argv:?}: {e}");
        assert!(e.to_string().contains(field), "{argv:?}: {e}");
        assert!(out.is_empty());
    }
}

#[test]
fn scenario_files_are_validated_with_file_and_field() {
    let d = scratch("toml");
    let builtin = cosim::scenario::BUILTIN
        .iter()
        .find(|(n, _)| *n == "rx_small")
        .unwrap()
        .1;
    // A copy runs as is.
    let ok = d.join("mine.toml");
    std::fs::write(&ok, builtin.replace("frames = 128", "frames = 10")).unwrap();
    let text = run_ok(&[ok.to_str().unwrap()]);
    assert!(text.contains("wire      in 10 frames"), "{text}");
    // Unknown field.
    let f = d.join("typo.toml");
    std::fs::write(&f, builtin.replace("rx_ring = 64", "rx_rings = 64")).unwrap();
    let (e, _) = run_err(&[f.to_str().unwrap()]);
    assert_eq!(e.exit_code(), 2);
    let m = e.to_string();
    assert!(m.contains("typo.toml") && m.contains("rx_rings"), "{m}");
    // Out of range.
    let f = d.join("range.toml");
    std::fs::write(&f, builtin.replace("rx_ring = 64", "rx_ring = 48")).unwrap();
    let (e, _) = run_err(&[f.to_str().unwrap()]);
    let m = e.to_string();
    assert!(
        m.contains("range.toml") && m.contains("driver.rx_ring") && m.contains("48"),
        "{m}"
    );
    // A descriptor longer than the buffer.
    let f = d.join("bufl.toml");
    std::fs::write(
        &f,
        builtin.replace("rx_ring = 64", "rx_ring = 64\nrx_buf_len = 4000"),
    )
    .unwrap();
    let (e, _) = run_err(&[f.to_str().unwrap()]);
    assert_eq!(e.exit_code(), 2);
    let m = e.to_string();
    assert!(
        m.contains("bufl.toml") && m.contains("driver.rx_buf_len") && m.contains("4000"),
        "{m}"
    );
    // Wrong type.
    let f = d.join("type.toml");
    std::fs::write(&f, builtin.replace("frames = 128", "frames = \"many\"")).unwrap();
    let (e, _) = run_err(&[f.to_str().unwrap()]);
    let m = e.to_string();
    assert!(m.contains("type.toml") && m.contains("frames"), "{m}");
    // Interface down/up points out of order.
    let f = d.join("updown.toml");
    std::fs::write(
        &f,
        format!("{builtin}\n[faults]\ndown_at_frames = [90, 40]\ndown_cycles = 100\n"),
    )
    .unwrap();
    let (e, _) = run_err(&[f.to_str().unwrap()]);
    assert_eq!(e.exit_code(), 2);
    let m = e.to_string();
    assert!(
        m.contains("updown.toml") && m.contains("faults.down_at_frames") && m.contains("[90, 40]"),
        "{m}"
    );
    // Not TOML.
    let f = d.join("junk.toml");
    std::fs::write(&f, "name = [[[").unwrap();
    let (e, _) = run_err(&[f.to_str().unwrap()]);
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("junk.toml"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn pcap_out_has_both_directions_and_feeds_pcap_in() {
    let d = scratch("pcap");
    let out = d.join("wire.pcap");
    let text = run_ok(&[
        "xdp_tx_reflect",
        "--frames",
        "12",
        "--pcap-out",
        out.to_str().unwrap(),
    ]);
    assert!(text.contains("pcap      "), "{text}");
    assert_eq!(files_in(&d), ["wire.pcap"], "no temporary file left");
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(
        &bytes[0..4],
        &0xa1b2_3c4du32.to_le_bytes(),
        "nanosecond pcap"
    );
    assert_eq!(
        u32::from_le_bytes(bytes[20..24].try_into().unwrap()),
        pcap::LINKTYPE_LINUX_SLL
    );
    // 12 in (packet type 0), 12 out (packet type 4), timestamps ascending.
    let mut off = 24;
    let (mut ins, mut outs, mut last_ts) = (0, 0, 0u64);
    while off < bytes.len() {
        let sec = u32::from_le_bytes(bytes[off..off + 4].try_into().unwrap()) as u64;
        let ns = u32::from_le_bytes(bytes[off + 4..off + 8].try_into().unwrap()) as u64;
        let cap = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        let ts = sec * 1_000_000_000 + ns;
        assert!(ts >= last_ts);
        last_ts = ts;
        match u16::from_be_bytes([bytes[off + 16], bytes[off + 17]]) {
            0 => ins += 1,
            4 => outs += 1,
            t => panic!("packet type {t}"),
        }
        off += 16 + cap;
    }
    assert_eq!((ins, outs), (12, 12));
    // Incoming frames come back out of the file exactly.
    let frames = pcap::read(&out, 1518).unwrap();
    assert_eq!(frames.len(), 12);
    let want = cosim::scenario::generate_frames(12, cosim::scenario::FrameSize::Imix, 6);
    assert_eq!(frames, want);
    // And run again from it.
    let text = run_ok(&["rx_small", "--pcap-in", out.to_str().unwrap()]);
    assert!(text.contains("to the stack 12 frames"), "{text}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn pcap_encode_decode_round_trip_ethernet_and_cooked() {
    let frames: Vec<WireFrame> = (0..5u8)
        .map(|i| WireFrame {
            cycle: u64::from(i) * 1000,
            dir: if i % 2 == 0 {
                WireDir::In
            } else {
                WireDir::Out
            },
            data: vec![i; 60 + usize::from(i)],
        })
        .collect();
    let bytes = pcap::encode(&frames, 250_000_000);
    let got = pcap::decode("mem.pcap", &bytes, 1518).unwrap();
    assert_eq!(got, [vec![0u8; 60], vec![2u8; 62], vec![4u8; 64]]);
    // A plain Ethernet capture, big-endian, microseconds.
    let mut be = Vec::new();
    be.extend_from_slice(&0xa1b2_c3d4u32.to_be_bytes());
    be.extend_from_slice(&2u16.to_be_bytes());
    be.extend_from_slice(&4u16.to_be_bytes());
    be.extend_from_slice(&[0; 8]);
    be.extend_from_slice(&65535u32.to_be_bytes());
    be.extend_from_slice(&1u32.to_be_bytes());
    for len in [64u32, 100] {
        be.extend_from_slice(&[0; 8]);
        be.extend_from_slice(&len.to_be_bytes());
        be.extend_from_slice(&len.to_be_bytes());
        be.extend(vec![0xab; len as usize]);
    }
    let got = pcap::decode("be.pcap", &be, 1518).unwrap();
    assert_eq!(got.iter().map(Vec::len).collect::<Vec<_>>(), [64, 100]);
}

#[test]
fn bad_pcap_input_is_bad_input_and_leaves_no_output() {
    let d = scratch("badpcap");
    let good = d.join("good.pcap");
    run_ok(&[
        "rx_small",
        "--frames",
        "4",
        "--pcap-out",
        good.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&good).unwrap();
    let out = d.join("out.pcap");
    let waves = d.join("out.fst");
    let check = |name: &str, data: &[u8], want: &[&str]| {
        let p = d.join(name);
        std::fs::write(&p, data).unwrap();
        let (e, text) = run_err(&[
            "rx_small",
            "--pcap-in",
            p.to_str().unwrap(),
            "--pcap-out",
            out.to_str().unwrap(),
            "--waves",
            waves.to_str().unwrap(),
        ]);
        assert_eq!(e.exit_code(), 2, "{name}: {e}");
        let m = e.to_string();
        assert!(m.contains(name), "{m}");
        for w in want {
            assert!(m.contains(w), "{name}: want {w:?} in {m}");
        }
        assert!(text.is_empty());
        assert!(
            !out.exists() && !waves.exists(),
            "{name}: output left behind"
        );
    };
    check(
        "short.pcap",
        &bytes[..10],
        &["byte offset 0", "not a pcap file"],
    );
    let mut trunc = bytes.clone();
    trunc.truncate(bytes.len() - 7);
    check("trunc.pcap", &trunc, &["packet 4", "truncated"]);
    let mut magic = bytes.clone();
    magic[0] = 0x0a;
    check("magic.pcap", &magic, &["magic"]);
    // A frame longer than the NIC's maximum.
    let long = pcap::encode(
        &[
            WireFrame {
                cycle: 0,
                dir: WireDir::In,
                data: vec![1; 64],
            },
            WireFrame {
                cycle: 1,
                dir: WireDir::In,
                data: vec![2; 1600],
            },
        ],
        250_000_000,
    );
    check(
        "long.pcap",
        &long,
        &["packet 2", "1600 bytes", "maximum frame length 1518"],
    );
    let (e, _) = run_err(&[
        "rx_small",
        "--pcap-in",
        d.join("missing.pcap").to_str().unwrap(),
    ]);
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("missing.pcap: cannot read"), "{e}");
    // Output into a directory that does not exist: refused before running.
    let (e, _) = run_err(&["rx_small", "--pcap-out", "/nonexistent-dir/x.pcap"]);
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("--pcap-out"), "{e}");
    let names = files_in(&d);
    assert!(
        names.iter().all(|n| !n.contains("partial")),
        "partial files: {names:?}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn waves_with_a_window_write_an_fst_file() {
    let d = scratch("waves");
    let w = d.join("run.fst");
    run_ok(&[
        "rx_small",
        "--frames",
        "8",
        "--waves",
        w.to_str().unwrap(),
        "--waves-window",
        "100..600",
    ]);
    let meta = std::fs::metadata(&w).expect("waveform written");
    assert!(meta.len() > 100);
    // The waveform under its final name, its GTKWave save file, nothing
    // partial.
    assert_eq!(files_in(&d), ["run.fst", "run.gtkw"]);
    let gtkw = std::fs::read_to_string(d.join("run.gtkw")).unwrap();
    assert!(gtkw.contains("run.fst"), "{gtkw}");
    assert!(!gtkw.contains("partial"), "{gtkw}");
    // A window after the end of the run: said so, no file.
    let w2 = d.join("late.fst");
    let text = run_ok(&[
        "rx_small",
        "--frames",
        "4",
        "--waves",
        w2.to_str().unwrap(),
        "--waves-window",
        "900000000..900000010",
    ]);
    assert!(text.contains("no waveform written"), "{text}");
    assert!(!w2.exists());
    assert_eq!(files_in(&d), ["run.fst", "run.gtkw"]);
    let _ = std::fs::remove_dir_all(&d);
}

/// `dir/buggy.toml`: the built-in `non_coherent` scenario with a driver that
/// skips sync_for_cpu, so the stack reads stale bytes.
fn buggy_non_coherent(dir: &std::path::Path) -> std::path::PathBuf {
    let builtin = cosim::scenario::BUILTIN
        .iter()
        .find(|(n, _)| *n == "non_coherent")
        .unwrap()
        .1;
    let f = dir.join("buggy.toml");
    std::fs::write(
        &f,
        builtin.replace(
            "pool_sync_dev = false",
            "pool_sync_dev = false\nbug = \"skip_rx_sync_for_cpu\"",
        ),
    )
    .unwrap();
    f
}

#[test]
fn a_failed_check_exits_1_and_says_which() {
    // Non-coherent memory and a driver that skips sync_for_cpu: the stack
    // reads stale bytes.
    let d = scratch("bug");
    let f = buggy_non_coherent(&d);
    let (e, text) = run_err(&[f.to_str().unwrap(), "--frames", "16"]);
    assert_eq!(e.exit_code(), 1, "{e}");
    assert!(
        e.to_string().contains("stack frames intact and in order"),
        "{e}"
    );
    assert!(
        text.contains("FAIL stack frames intact and in order"),
        "{text}"
    );
    assert!(text.contains("result    FAIL"), "{text}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn matrix_runs_scenarios_by_seeds_and_writes_junit() {
    let d = scratch("matrix");
    let j = d.join("report.xml");
    let args = MatrixArgs {
        scenarios: vec!["rx_small".into(), "tx_only".into()],
        seeds: Some(matrix::parse_seeds("1..=3").unwrap()),
        frames: Some(16),
        jobs: Some(2),
        junit: Some(j.clone()),
        ..MatrixArgs::default()
    };
    let mut out = Vec::new();
    let results = matrix::execute(&args, &mut out).unwrap();
    assert_eq!(results.len(), 6);
    assert!(results.iter().all(|r| r.passed()));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("6 runs on 2 threads"), "{text}");
    assert_eq!(text.matches("PASS  ").count(), 6, "{text}");
    let xml = std::fs::read_to_string(&j).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains("tests=\"6\" failures=\"0\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 6);
    assert!(xml.contains("classname=\"cosim.tx_only\" name=\"seed 3\""));
    assert_eq!(files_in(&d), ["report.xml"]);
    // Bad input: nothing runs, no report.
    let j2 = d.join("bad.xml");
    let args = MatrixArgs {
        scenarios: vec!["rx_small".into(), "bogus".into()],
        junit: Some(j2.clone()),
        ..MatrixArgs::default()
    };
    let e = matrix::execute(&args, &mut Vec::new()).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("bogus"));
    assert!(!j2.exists());
    assert!(matrix::parse_seeds("5..=2").is_err());
    assert!(matrix::parse_seeds("1,x").is_err());
    // Every scenario on the fast 128-bit build.
    let args = MatrixArgs {
        scenarios: vec!["rx_imix".into(), "loopback".into()],
        frames: Some(24),
        data_width: Some(128),
        no_assertions: true,
        ..MatrixArgs::default()
    };
    let results = matrix::execute(&args, &mut Vec::new()).unwrap();
    assert_eq!(results.len(), 2);
    for r in &results {
        let rep = r.outcome.as_ref().unwrap();
        assert!(r.passed(), "{}", rep.render_human());
        assert_eq!(
            rep.config.model_config(),
            cosim::ModelConfig::FAST,
            "{}",
            r.scenario
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn junit_marks_failures() {
    let d = scratch("junitfail");
    let f = buggy_non_coherent(&d);
    let j = d.join("r.xml");
    let args = MatrixArgs {
        scenarios: vec![f.to_str().unwrap().into(), "rx_small".into()],
        frames: Some(8),
        junit: Some(j.clone()),
        ..MatrixArgs::default()
    };
    let results = matrix::execute(&args, &mut Vec::new()).unwrap();
    assert_eq!(results.iter().filter(|r| !r.passed()).count(), 1);
    let xml = std::fs::read_to_string(&j).unwrap();
    assert!(xml.contains("failures=\"1\""), "{xml}");
    assert!(
        xml.contains("<failure type=\"check\" message=\"stack frames intact and in order"),
        "{xml}"
    );
    let e = matrix::run(&args).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn rtl_assertion_and_dma_api_violation_fail_the_run() {
    let d = scratch("broken");
    let rx_small = cosim::scenario::BUILTIN
        .iter()
        .find(|(n, _)| *n == "rx_small")
        .unwrap()
        .1;
    // The memory sends one R beat too many: the NIC's AXI assertions fire.
    let f = d.join("rbeat.toml");
    std::fs::write(
        &f,
        format!("{rx_small}\n[memory]\nmisbehave = \"extra_rbeat\"\n"),
    )
    .unwrap();
    let (e, text) = run_err(&[f.to_str().unwrap(), "--frames", "8"]);
    assert_eq!(e.exit_code(), 1, "{e}");
    assert!(e.to_string().contains("no RTL assertion"), "{e}");
    assert!(text.contains("FAIL no RTL assertion"), "{text}");
    // The driver forgets to sync a posted buffer for the device: once
    // recycled pages (synced for the CPU when received) are posted again,
    // the NIC's write into CPU-owned lines is a DMA fault and a DMA-API
    // violation.
    let f = d.join("nosync.toml");
    std::fs::write(
        &f,
        rx_small.replace(
            "rx_ring = 64",
            "rx_ring = 64\npool_sync_dev = false\nbug = \"skip_refill_sync_for_device\"",
        ),
    )
    .unwrap();
    let (e, text) = run_err(&[f.to_str().unwrap(), "--frames", "200"]);
    assert_eq!(e.exit_code(), 1, "{e}");
    for want in [
        "FAIL no DMA-API violation",
        "FAIL no NIC DMA fault",
        "FAIL no DMA error",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// `--no-check` switches the named checkers off (their checks say so) and
/// leaves the others on; an unknown name is bad input listing the names.
#[test]
fn no_check_switches_checkers_off_by_name() {
    let text = run_ok(&[
        "rx_small",
        "--frames",
        "40",
        "--json",
        "--no-check",
        "napi,contract",
    ]);
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let monitors = json["monitors"].as_array().expect("monitors listed");
    let detail = |prefix: &str| -> String {
        monitors
            .iter()
            .find(|c| c["name"].as_str().unwrap_or("").starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} check in {monitors:?}"))["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(detail("NAPI contract"), "switched off");
    assert_eq!(detail("RTL contract"), "switched off");
    assert_eq!(detail("scoreboard"), "switched off");
    assert_eq!(detail("ring auditor"), "none");
    let args = parse_run(&["rx_small", "--no-check", "ring", "--no-check", "watchdog"]).unwrap();
    assert_eq!(args.checks.off.len(), 2);
    let e = parse_run(&["rx_small", "--no-check", "dma"]).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string().contains(
            "expected one of ownership, pool-invariants, contract, ring, napi, barrier, watchdog"
        ),
        "{e}"
    );
}
