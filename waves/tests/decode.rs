//! The decoder on hand-written VCD files (no simulator): AXI4 matching
//! rules, orphans of a window, statistics, and bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use waves::dma::{DecodeOptions, Filter};
use waves::{Dir, Resp, WaveError};

/// Signals of the DMA interface with their widths (a 64-bit bus).
const SIGS: &[(&str, u32)] = &[
    ("clk_i", 1),
    ("m_axi_awid_o", 4),
    ("m_axi_awaddr_o", 64),
    ("m_axi_awlen_o", 8),
    ("m_axi_awsize_o", 3),
    ("m_axi_awburst_o", 2),
    ("m_axi_awvalid_o", 1),
    ("m_axi_awready_i", 1),
    ("m_axi_wdata_o", 64),
    ("m_axi_wstrb_o", 8),
    ("m_axi_wlast_o", 1),
    ("m_axi_wvalid_o", 1),
    ("m_axi_wready_i", 1),
    ("m_axi_bid_i", 4),
    ("m_axi_bresp_i", 2),
    ("m_axi_bvalid_i", 1),
    ("m_axi_bready_o", 1),
    ("m_axi_arid_o", 4),
    ("m_axi_araddr_o", 64),
    ("m_axi_arlen_o", 8),
    ("m_axi_arsize_o", 3),
    ("m_axi_arburst_o", 2),
    ("m_axi_arvalid_o", 1),
    ("m_axi_arready_i", 1),
    ("m_axi_rid_i", 4),
    ("m_axi_rdata_i", 64),
    ("m_axi_rresp_i", 2),
    ("m_axi_rlast_i", 1),
    ("m_axi_rvalid_i", 1),
    ("m_axi_rready_o", 1),
];

/// Per-cycle values; everything not set is 0, except the readies (1).
#[derive(Default)]
struct Trace {
    cycles: BTreeMap<u64, BTreeMap<&'static str, u64>>,
    n: u64,
}

impl Trace {
    fn set(&mut self, cycle: u64, vals: &[(&'static str, u64)]) -> &mut Self {
        let c = self.cycles.entry(cycle).or_default();
        for (k, v) in vals {
            c.insert(k, *v);
        }
        self.n = self.n.max(cycle + 2);
        self
    }
    fn aw(&mut self, cycle: u64, id: u64, addr: u64, len: u64) -> &mut Self {
        self.set(
            cycle,
            &[
                ("m_axi_awvalid_o", 1),
                ("m_axi_awid_o", id),
                ("m_axi_awaddr_o", addr),
                ("m_axi_awlen_o", len),
                ("m_axi_awsize_o", 3),
                ("m_axi_awburst_o", 1),
            ],
        )
    }
    fn w(&mut self, cycle: u64, strb: u64, last: bool) -> &mut Self {
        self.set(
            cycle,
            &[
                ("m_axi_wvalid_o", 1),
                ("m_axi_wstrb_o", strb),
                ("m_axi_wlast_o", u64::from(last)),
            ],
        )
    }
    fn b(&mut self, cycle: u64, id: u64, resp: u64) -> &mut Self {
        self.set(
            cycle,
            &[
                ("m_axi_bvalid_i", 1),
                ("m_axi_bid_i", id),
                ("m_axi_bresp_i", resp),
            ],
        )
    }
    fn ar(&mut self, cycle: u64, id: u64, addr: u64, len: u64) -> &mut Self {
        self.set(
            cycle,
            &[
                ("m_axi_arvalid_o", 1),
                ("m_axi_arid_o", id),
                ("m_axi_araddr_o", addr),
                ("m_axi_arlen_o", len),
                ("m_axi_arsize_o", 3),
                ("m_axi_arburst_o", 1),
            ],
        )
    }
    fn r(&mut self, cycle: u64, id: u64, last: bool, resp: u64) -> &mut Self {
        self.set(
            cycle,
            &[
                ("m_axi_rvalid_i", 1),
                ("m_axi_rid_i", id),
                ("m_axi_rlast_i", u64::from(last)),
                ("m_axi_rresp_i", resp),
            ],
        )
    }

    /// The VCD: clock low at 2c (values of cycle c), high at 2c + 1, as the
    /// co-simulation dumps them; cycles start at `first`.
    fn vcd(&self, first: u64) -> String {
        let mut s = String::from("$timescale 1ps $end\n$scope module TOP $end\n");
        for (i, (name, w)) in SIGS.iter().enumerate() {
            let id = format!("s{i}");
            if *w == 1 {
                s.push_str(&format!("$var wire 1 {id} {name} $end\n"));
            } else {
                s.push_str(&format!("$var wire {w} {id} {name} [{}:0] $end\n", w - 1));
            }
        }
        s.push_str("$upscope $end\n$enddefinitions $end\n");
        for c in first..first + self.n {
            s.push_str(&format!("#{}\n", 2 * c));
            let vals = self.cycles.get(&(c - first));
            for (i, (name, w)) in SIGS.iter().enumerate() {
                let dflt = u64::from(name.ends_with("ready_i") || name.ends_with("ready_o"));
                let v = if *name == "clk_i" {
                    0
                } else {
                    vals.and_then(|m| m.get(name)).copied().unwrap_or(dflt)
                };
                if *w == 1 {
                    s.push_str(&format!("{v}s{i}\n"));
                } else {
                    s.push_str(&format!("b{v:b} s{i}\n"));
                }
            }
            s.push_str(&format!("#{}\n1s0\n", 2 * c + 1));
        }
        s
    }
}

fn dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("waves-decode");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(name: &str, text: &[u8]) -> PathBuf {
    let p = dir().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn decode(path: &Path) -> Result<waves::Decoded, WaveError> {
    let mut w = waves::open(path)?;
    waves::decode(&mut w, &DecodeOptions::default())
}

#[test]
fn bursts_beats_strobes_and_responses_are_matched_by_id_and_order() {
    let mut t = Trace::default();
    // Write id 0: 3 beats at an unaligned address, partial first/last strobes.
    t.aw(1, 0, 0x1003, 2);
    t.w(1, 0xf8, false).w(2, 0xff, false).w(3, 0x0f, true);
    // Write id 1 whose W beats come before its AW (AXI allows it).
    t.w(5, 0xff, false).w(6, 0xff, true);
    t.aw(7, 1, 0x2000, 1);
    // B of id 1 first, then of id 0 (different IDs: any order), id 0 SLVERR.
    t.b(9, 1, 0).b(10, 0, 2);
    // Two reads of id 2 and one of id 3; id 3 answered first, then id 2 in order.
    t.ar(11, 2, 0x3000, 1)
        .ar(12, 3, 0x4000, 0)
        .ar(13, 2, 0x5000, 0);
    t.r(15, 3, true, 0);
    t.r(16, 2, false, 0).r(17, 2, true, 0);
    t.r(18, 2, true, 3);
    // Backpressure on AW for one cycle: valid with ready low.
    t.aw(20, 4, 0x6000, 0).set(20, &[("m_axi_awready_i", 0)]);
    t.aw(21, 4, 0x6000, 0);
    t.w(21, 0x01, true);
    let p = write("matched.vcd", t.vcd(100).as_bytes());
    let d = decode(&p).unwrap();
    assert_eq!(d.bus_bytes, 8);
    assert_eq!(
        d.first_cycle, 100,
        "cycle numbers from the times (t = 2c + 1)"
    );
    let x = &d.transactions;
    assert_eq!(x.len(), 6, "{x:#?}");
    // In address-handshake order.
    let addrs: Vec<u64> = x.iter().map(|t| t.addr).collect();
    assert_eq!(addrs, [0x1003, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000]);
    let w0 = &x[0];
    assert_eq!(
        (w0.dir, w0.id, w0.beats, w0.bytes),
        (Dir::Write, 0, 3, 5 + 8 + 4)
    );
    assert_eq!((w0.first_strb, w0.last_strb), (Some(0xf8), Some(0x0f)));
    assert_eq!(
        (w0.cycle_addr, w0.cycle_done, w0.resp),
        (101, Some(110), Resp::SlvErr)
    );
    let w1 = &x[1];
    assert_eq!(
        (w1.bytes, w1.cycle_first_data, w1.cycle_done),
        (16, Some(105), Some(109))
    );
    assert_eq!(w1.resp, Resp::Okay);
    let (r0, r1, r2) = (&x[2], &x[3], &x[4]);
    assert_eq!(
        (r0.id, r0.beats, r0.bytes, r0.cycle_done),
        (2, 2, 16, Some(117))
    );
    assert_eq!((r1.id, r1.cycle_done), (3, Some(115)));
    assert_eq!(
        (r2.id, r2.cycle_done, r2.resp),
        (2, Some(118), Resp::DecErr)
    );
    let w4 = &x[5];
    assert_eq!(
        (w4.cycle_addr, w4.cycle_done),
        (121, None),
        "open at the end"
    );
    assert_eq!(d.channels.aw.stall_cycles, 1);
    assert_eq!(d.channels.aw.beats, 3);
    assert_eq!(d.channels.w.beats, 6);
    assert_eq!(d.channels.r.beats, 4);
    assert_eq!(d.orphans, Default::default());
    // Filters.
    let f = Filter {
        addr: Some((0x2000, 0x4001)),
        ..Filter::default()
    };
    let kept: Vec<u64> = x.iter().filter(|t| f.keep(t)).map(|t| t.addr).collect();
    assert_eq!(kept, [0x2000, 0x3000, 0x4000]);
    let f = Filter {
        cycles: Some((111, 113)),
        ..Filter::default()
    };
    assert_eq!(x.iter().filter(|t| f.keep(t)).count(), 2);
    // The table names every column and row.
    let table = waves::dma::table(&d, &x.iter().collect::<Vec<_>>());
    assert!(table.lines().next().unwrap().contains("address"));
    assert!(table.contains("0x1003") && table.contains("SLVERR") && table.contains("(open)"));
}

#[test]
fn beats_of_bursts_begun_before_the_file_are_orphans() {
    let mut t = Trace::default();
    // The file opens mid-write (W beats, no AW) and mid-read (R, rlast at
    // the wrong count for the read of the same ID issued in the file), and
    // with a B whose write is still receiving data.
    t.w(0, 0xff, false).w(1, 0xff, true);
    t.ar(2, 5, 0x100, 1);
    t.r(3, 5, true, 0); // the end of an earlier 1+-beat read of ID 5
    t.aw(4, 6, 0x200, 1).w(4, 0xff, false);
    t.b(5, 6, 0); // for an earlier write of ID 6
    t.w(6, 0xff, true);
    t.r(7, 5, false, 0).r(8, 5, true, 0);
    t.b(9, 6, 0);
    let p = write("orphans.vcd", t.vcd(0).as_bytes());
    let d = decode(&p).unwrap();
    assert_eq!(
        (d.orphans.w_beats, d.orphans.r_beats, d.orphans.b_resps),
        (2, 1, 1)
    );
    let x = &d.transactions;
    assert_eq!(x.len(), 2);
    assert_eq!(
        (x[0].dir, x[0].cycle_first_data, x[0].cycle_done),
        (Dir::Read, Some(7), Some(8))
    );
    assert_eq!(
        (x[1].dir, x[1].bytes, x[1].cycle_done),
        (Dir::Write, 16, Some(9))
    );
}

#[test]
fn summary_counts_bytes_backpressure_and_latency_percentiles() {
    let mut t = Trace::default();
    for k in 0..10u64 {
        let c = 10 * k;
        t.ar(c, 0, 0x1000 * k, 1);
        // Latency k + 2 to the last beat.
        t.r(c + k + 1, 0, false, 0).r(c + k + 2, 0, true, 0);
    }
    // R offered but not taken for 4 cycles.
    for c in [95, 96, 97, 98] {
        t.set(
            c,
            &[
                ("m_axi_rvalid_i", 1),
                ("m_axi_rready_o", 0),
                ("m_axi_rid_i", 9),
            ],
        );
    }
    let p = write("summary.vcd", t.vcd(0).as_bytes());
    let d = decode(&p).unwrap();
    let sel: Vec<_> = d.transactions.iter().collect();
    let s = waves::summarize(&d, &sel, None, 100e6);
    let r = s.channels.iter().find(|c| c.channel == "R").unwrap();
    assert_eq!(r.handshakes, 20);
    assert_eq!(r.bytes, Some(160));
    assert_eq!(r.stall_cycles, 4);
    assert!((r.backpressure - 4.0 / 24.0).abs() < 1e-9);
    let cycles = s.cycles as f64;
    assert!((r.bytes_per_cycle.unwrap() - 160.0 / cycles).abs() < 1e-9);
    assert!((r.bytes_per_second.unwrap() - 160.0 / cycles * 100e6).abs() < 1e-3);
    let all = s
        .latency
        .iter()
        .find(|l| l.dir == Dir::Read && l.id.is_none())
        .unwrap();
    let p = all.addr_to_response.unwrap();
    // Latencies 2..=11: nearest-rank p50 = 6, p90 = 10, p99 = max = 11.
    assert_eq!((p.min, p.p50, p.p90, p.p99, p.max), (2, 6, 10, 11, 11));
    assert!(s.to_text().contains("backpressure"));
    // A window restricts the channel statistics.
    let s2 = waves::summarize(&d, &sel, Some((0, 50)), 100e6);
    let r2 = s2.channels.iter().find(|c| c.channel == "R").unwrap();
    assert_eq!((s2.cycles, r2.handshakes, r2.stall_cycles), (50, 10, 0));
}

#[test]
fn the_vcd_writer_round_trips() {
    let mut t = Trace::default();
    t.aw(1, 2, 0xabc0, 0).w(1, 0x3c, true).b(3, 2, 0);
    let p = write("round.vcd", t.vcd(7).as_bytes());
    let mut w = waves::open(&p).unwrap();
    let q = dir().join("round-copy.vcd");
    waves::vcd::write_vcd(&mut w, &q).unwrap();
    let a = decode(&p).unwrap();
    let b = decode(&q).unwrap();
    assert_eq!(a.transactions, b.transactions);
    assert_eq!(a.transactions.len(), 1);
    assert_eq!(a.transactions[0].bytes, 4);
}

#[test]
fn bad_input_gives_errors_that_name_the_file_and_the_problem() {
    let missing = dir().join("does-not-exist.fst");
    let e = decode(&missing).unwrap_err();
    assert!(matches!(e, WaveError::Io { .. }), "{e}");
    assert!(e.to_string().contains("does-not-exist.fst"));

    let empty = write("empty.fst", b"");
    let e = decode(&empty).unwrap_err();
    assert!(matches!(e, WaveError::Empty { .. }), "{e}");
    assert!(e.to_string().contains("empty.fst") && e.to_string().contains("empty"));

    let text = write("notes.txt", b"this is not a waveform\n");
    let e = decode(&text).unwrap_err();
    assert!(matches!(e, WaveError::NotAWaveform { .. }), "{e}");
    assert!(e.to_string().contains("notes.txt"));

    // A VCD cut inside its header.
    let mut t = Trace::default();
    t.aw(1, 0, 0x40, 0);
    let full = t.vcd(0);
    let cut = write("cut.vcd", &full.as_bytes()[..full.len() / 20]);
    let e = decode(&cut).unwrap_err();
    assert!(
        matches!(
            e,
            WaveError::Corrupt { .. } | WaveError::MissingSignals { .. }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("cut.vcd"), "{e}");

    // A waveform without the DMA interface.
    let other = write(
        "other.vcd",
        b"$timescale 1ps $end\n$scope module TOP $end\n$var wire 1 ! clk_i $end\n\
          $var wire 1 \" m_axi_awvalid_o $end\n$upscope $end\n$enddefinitions $end\n\
          #0\n0!\n0\"\n#1\n1!\n",
    );
    let e = decode(&other).unwrap_err();
    let WaveError::MissingSignals { missing, .. } = &e else {
        panic!("{e}");
    };
    assert!(
        missing.contains(&"m_axi_awready_i".to_string()),
        "{missing:?}"
    );
    assert!(!missing.contains(&"m_axi_awvalid_o".to_string()));
    assert!(e.to_string().contains("other.vcd") && e.to_string().contains("m_axi_arvalid_o"));
    assert!(e.is_bad_input());
}
