//! Unit tests of the AXI4 memory slave, without Verilator: a test master
//! drives it cycle by cycle over a `SparseMem`.

use super::*;
use crate::bus::{Dir, ErrorInjection, ErrorMatch, Resp, SparseMem};
use crate::rng::{Chance, SplitMix64};

const BW: usize = 8;

fn mem_with(cfg: AxiMemConfig) -> AxiMem<SparseMem> {
    AxiMem::new(cfg, SparseMem::new()).unwrap()
}

fn aw(id: u8, addr: u64, beats: u16) -> AddrBeat {
    AddrBeat {
        valid: true,
        id,
        addr,
        len: (beats - 1) as u8,
        size: 3,
        burst: 1,
    }
}

/// A well-behaved test master: one write burst, returns the B response.
fn write_burst(
    mem: &mut AxiMem<SparseMem>,
    cycle: &mut u64,
    a: AddrBeat,
    beats: &[(u128, u16)],
) -> Result<Resp, AxiError> {
    let mut aw_pending = true;
    let mut idx = 0;
    for _ in 0..10_000 {
        let o = mem.drive(*cycle);
        let mut m = AxiMasterSignals {
            bready: true,
            ..Default::default()
        };
        if aw_pending {
            m.aw = a;
        }
        if idx < beats.len() {
            m.w = WBeat {
                valid: true,
                data: beats[idx].0,
                strb: beats[idx].1,
                last: idx + 1 == beats.len(),
            };
        }
        mem.update(&m)?;
        *cycle += 1;
        aw_pending &= !o.awready;
        if o.wready && idx < beats.len() {
            idx += 1;
        }
        if o.b.valid {
            assert_eq!(o.b.id, a.id);
            return Ok(o.b.resp);
        }
    }
    panic!("no B response");
}

/// One read burst: returns the beats' (data, resp, last).
fn read_burst(
    mem: &mut AxiMem<SparseMem>,
    cycle: &mut u64,
    a: AddrBeat,
    rready_stall: Chance,
    rng: &mut SplitMix64,
) -> Result<Vec<(u128, Resp, bool)>, AxiError> {
    let mut ar_pending = true;
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let o = mem.drive(*cycle);
        let rready = !rng.hit(rready_stall);
        let mut m = AxiMasterSignals {
            rready,
            bready: true,
            ..Default::default()
        };
        if ar_pending {
            m.ar = a;
        }
        mem.update(&m)?;
        *cycle += 1;
        ar_pending &= !o.arready;
        if o.r.valid && rready {
            assert_eq!(o.r.id, a.id);
            out.push((o.r.data, o.r.resp, o.r.last));
            if o.r.last {
                return Ok(out);
            }
        }
    }
    panic!("no R data");
}

fn beats_of(bytes: &[u8], addr: u64) -> Vec<(u128, u16)> {
    // Lane-aligned beats carrying `bytes` starting at `addr`.
    let off = (addr % BW as u64) as usize;
    let total = (off + bytes.len()).div_ceil(BW);
    let mut v = vec![(0u128, 0u16); total];
    for (i, b) in bytes.iter().enumerate() {
        let lane = off + i;
        v[lane / BW].0 |= u128::from(*b) << (8 * (lane % BW));
        v[lane / BW].1 |= 1 << (lane % BW);
    }
    v
}

#[test]
fn write_then_read_roundtrip_under_backpressure() {
    for seed in [1u64, 2, 3, 99] {
        eprintln!("seed {seed}");
        let mut mem = mem_with(AxiMemConfig {
            read_latency: 7,
            write_latency: 3,
            backpressure: Backpressure::uniform(40),
            seed,
            ..Default::default()
        });
        mem.storage_mut().poke(0x2000, &[0xEE; 64]);
        let mut c = 0;
        let payload: Vec<u8> = (0..37).map(|i| i as u8 ^ 0x5a).collect();
        let addr = 0x2000 + 3; // unaligned start, odd length
        let beats = beats_of(&payload, addr);
        let resp =
            write_burst(&mut mem, &mut c, aw(0, 0x2000, beats.len() as u16), &beats).unwrap();
        assert_eq!(resp, Resp::Okay);
        // Exactly the strobed bytes changed; guards untouched.
        let got = mem.storage().peek_vec(0x2000, 64);
        assert_eq!(&got[..3], &[0xEE; 3]);
        assert_eq!(&got[3..40], &payload[..]);
        assert!(got[40..].iter().all(|b| *b == 0xEE));
        // Read it back from the unaligned address.
        let mut rng = SplitMix64::new(seed);
        let a = AddrBeat {
            valid: true,
            id: 2,
            addr,
            len: 4,
            size: 3,
            burst: 1,
        };
        let r = read_burst(&mut mem, &mut c, a, Chance::percent(30), &mut rng).unwrap();
        assert_eq!(r.len(), 5);
        assert!(r.iter().all(|(_, resp, _)| *resp == Resp::Okay));
        let mut bytes = Vec::new();
        for (d, _, _) in &r {
            bytes.extend_from_slice(&d.to_le_bytes()[..BW]);
        }
        assert_eq!(&bytes[3..40], &payload[..]);
        let log = mem.log();
        assert_eq!(log.len(), 2);
        assert_eq!(
            (log[0].dir, log[0].bytes, log[0].beats, log[0].id),
            (Dir::Write, 37, 5, 0)
        );
        assert_eq!(
            (log[1].dir, log[1].bytes, log[1].beats, log[1].id),
            (Dir::Read, 37, 5, 2)
        );
        let done = log[1].cycle_done.unwrap();
        assert!(
            done >= log[1].cycle_addr + 7 + 4,
            "read latency respected: {log:?}"
        );
        assert!(log[0].cycle_done.unwrap() >= log[0].cycle_addr + 3);
    }
}

#[test]
fn crossing_4k_is_rejected_with_cycle_and_txn() {
    let mut mem = mem_with(AxiMemConfig::default());
    let mut c = 0;
    let a = aw(1, 0x1ff8, 2);
    let e = write_burst(&mut mem, &mut c, a, &[(0, 0xff), (0, 0xff)]).unwrap_err();
    match e {
        AxiError::Crosses4k { cycle, txn, bytes } => {
            assert_eq!(cycle, 0);
            assert_eq!(
                (txn.dir, txn.id, txn.addr, txn.beats),
                (Dir::Write, 1, 0x1ff8, 2)
            );
            assert_eq!(bytes, 16);
        }
        other => panic!("{other}"),
    }
    let mut mem = mem_with(AxiMemConfig::default());
    let mut rng = SplitMix64::new(1);
    let a = AddrBeat {
        valid: true,
        id: 0,
        addr: 0xf00,
        len: 255,
        size: 3,
        burst: 1,
    };
    let e = read_burst(&mut mem, &mut 5, a, Chance::NEVER, &mut rng).unwrap_err();
    assert!(
        matches!(e, AxiError::Crosses4k { cycle: 5, txn, .. } if txn.dir == Dir::Read),
        "{e}"
    );
    assert!(e.to_string().contains("cycle 5"), "{e}");
}

#[test]
fn wrong_beat_count_is_rejected() {
    // WLAST early: 3-beat burst with WLAST on beat 2.
    let mut mem = mem_with(AxiMemConfig::default());
    let mut c = 0;
    let mut aw_done = false;
    let mut sent = 0;
    let err = loop {
        let o = mem.drive(c);
        let m = AxiMasterSignals {
            aw: if aw_done {
                AddrBeat::default()
            } else {
                aw(0, 0x100, 3)
            },
            w: WBeat {
                valid: true,
                data: 0,
                strb: 0xff,
                last: sent == 1,
            },
            bready: true,
            ..Default::default()
        };
        if let Err(e) = mem.update(&m) {
            break e;
        }
        aw_done |= o.awready;
        sent += usize::from(o.wready);
        c += 1;
        assert!(c < 100);
    };
    assert!(
        matches!(
            err,
            AxiError::EarlyWlast {
                beat: 2,
                beats: 3,
                ..
            }
        ),
        "{err}"
    );

    // WLAST missing on the last beat.
    let mut mem = mem_with(AxiMemConfig::default());
    let beats = [(0u128, 0xffu16), (0, 0xff)];
    let mut c = 0;
    let o = mem.drive(c);
    assert!(o.awready && o.wready);
    let m = AxiMasterSignals {
        aw: aw(3, 0x100, 2),
        w: WBeat {
            valid: true,
            data: beats[0].0,
            strb: beats[0].1,
            last: false,
        },
        ..Default::default()
    };
    mem.update(&m).unwrap();
    c += 1;
    mem.drive(c);
    let m = AxiMasterSignals {
        w: WBeat {
            valid: true,
            data: 0,
            strb: 0xff,
            last: false,
        },
        ..Default::default()
    };
    let e = mem.update(&m).unwrap_err();
    assert!(
        matches!(e, AxiError::MissingWlast { cycle: 1, beats: 2, txn } if txn.id == 3),
        "{e}"
    );
}

#[test]
fn strobe_outside_the_transfer_is_rejected() {
    let mut mem = mem_with(AxiMemConfig::default());
    let mut c = 0;
    // Address 0x104: lanes 0..4 of the first beat are outside the transfer.
    let e = write_burst(&mut mem, &mut c, aw(0, 0x104, 1), &[(0, 0xff)]).unwrap_err();
    assert!(
        matches!(
            e,
            AxiError::StrobeOutside {
                beat: 0,
                strb: 0xff,
                allowed: 0xf0,
                ..
            }
        ),
        "{e}"
    );
    // Sparse strobes inside the transfer are fine.
    let mut mem = mem_with(AxiMemConfig::default());
    let r = write_burst(
        &mut mem,
        &mut c,
        aw(0, 0x104, 2),
        &[(u128::MAX, 0x50), (u128::MAX, 0x81)],
    )
    .unwrap();
    assert_eq!(r, Resp::Okay);
    let got = mem.storage().peek_vec(0x100, 16);
    assert_eq!(
        got,
        [0, 0, 0, 0, 0xff, 0, 0xff, 0, 0xff, 0, 0, 0, 0, 0, 0, 0xff]
    );
    assert_eq!(mem.log()[0].bytes, 4);
}

#[test]
fn burst_type_size_and_length_are_checked() {
    let mut mem = mem_with(AxiMemConfig::default());
    let mut a = aw(0, 0x100, 1);
    a.burst = 0;
    let e = write_burst(&mut mem, &mut 0, a, &[(0, 0xff)]).unwrap_err();
    assert!(matches!(e, AxiError::BurstType { .. }), "{e}");
    let mut mem = mem_with(AxiMemConfig::default());
    let mut a = aw(0, 0x100, 1);
    a.size = 2;
    let e = write_burst(&mut mem, &mut 0, a, &[(0, 0xf)]).unwrap_err();
    assert!(matches!(e, AxiError::Size { expected: 3, .. }), "{e}");
    let mut mem = mem_with(AxiMemConfig {
        max_burst_beats: 16,
        ..Default::default()
    });
    let e = write_burst(&mut mem, &mut 0, aw(0, 0x0, 17), &[(0, 0xff); 17]).unwrap_err();
    assert!(matches!(e, AxiError::TooLong { max: 16, .. }), "{e}");
    assert!(AxiMem::new(
        AxiMemConfig {
            data_bytes: 3,
            ..Default::default()
        },
        SparseMem::new()
    )
    .is_err());
}

#[test]
fn master_dropping_valid_or_changing_payload_is_caught() {
    let mut mem = mem_with(AxiMemConfig {
        backpressure: Backpressure {
            ar_stall: Chance::percent(100),
            ..Backpressure::NONE
        },
        ..Default::default()
    });
    let a = AddrBeat {
        valid: true,
        id: 0,
        addr: 0x100,
        len: 0,
        size: 3,
        burst: 1,
    };
    mem.drive(0);
    mem.update(&AxiMasterSignals {
        ar: a,
        ..Default::default()
    })
    .unwrap();
    mem.drive(1);
    let e = mem.update(&AxiMasterSignals::default()).unwrap_err();
    assert!(
        matches!(
            e,
            AxiError::ValidDropped {
                cycle: 1,
                channel: Channel::Ar,
                ..
            }
        ),
        "{e}"
    );

    let mut mem = mem_with(AxiMemConfig {
        backpressure: Backpressure {
            ar_stall: Chance::percent(100),
            ..Backpressure::NONE
        },
        ..Default::default()
    });
    mem.drive(0);
    mem.update(&AxiMasterSignals {
        ar: a,
        ..Default::default()
    })
    .unwrap();
    mem.drive(1);
    let b = AddrBeat { addr: 0x200, ..a };
    let e = mem
        .update(&AxiMasterSignals {
            ar: b,
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(
            e,
            AxiError::PayloadChanged {
                channel: Channel::Ar,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn injected_errors_and_storage_faults_answer_the_burst() {
    let mut mem = mem_with(AxiMemConfig {
        errors: vec![
            ErrorInjection {
                when: ErrorMatch::AddrRange {
                    dir: Some(Dir::Write),
                    range: 0x3000..0x3100,
                },
                resp: Resp::SlvErr,
            },
            ErrorInjection {
                when: ErrorMatch::Nth {
                    dir: Dir::Read,
                    n: 1,
                },
                resp: Resp::DecErr,
            },
        ],
        ..Default::default()
    });
    mem.faults_mut().deny(0x5000..0x5008, Resp::SlvErr);
    mem.storage_mut().poke(0x3000, &[7; 16]);
    let mut c = 0;
    // Injected write error: nothing written.
    let r = write_burst(&mut mem, &mut c, aw(0, 0x3000, 2), &[(0, 0xff), (0, 0xff)]).unwrap();
    assert_eq!(r, Resp::SlvErr);
    assert_eq!(mem.storage().peek_vec(0x3000, 16), vec![7; 16]);
    // Storage fault on write.
    let r = write_burst(&mut mem, &mut c, aw(1, 0x5000, 1), &[(0, 0xff)]).unwrap();
    assert_eq!(r, Resp::SlvErr);
    // Reads: the 0th fine, the 1st DECERR on every beat.
    let mut rng = SplitMix64::new(0);
    let a = AddrBeat {
        valid: true,
        id: 0,
        addr: 0x3000,
        len: 1,
        size: 3,
        burst: 1,
    };
    let ok = read_burst(&mut mem, &mut c, a, Chance::NEVER, &mut rng).unwrap();
    assert!(ok
        .iter()
        .all(|b| b.1 == Resp::Okay && b.0 == 0x0707_0707_0707_0707));
    let bad = read_burst(&mut mem, &mut c, a, Chance::NEVER, &mut rng).unwrap();
    assert_eq!(bad.len(), 2);
    assert!(bad.iter().all(|b| b.1 == Resp::DecErr && b.0 == 0));
    let log = mem.log();
    assert_eq!(
        log.iter().map(|r| r.resp).collect::<Vec<_>>(),
        [Resp::SlvErr, Resp::SlvErr, Resp::Okay, Resp::DecErr]
    );
    assert!(log[0].fault.as_deref().unwrap().contains("injected"));
    assert!(log[1].fault.as_deref().unwrap().contains("denied range"));
    assert!(log[2].fault.is_none());
}

#[test]
fn several_outstanding_reads_in_order_per_id_reordered_across_ids() {
    let mut any_reorder = false;
    for seed in 0..20u64 {
        let mut mem = mem_with(AxiMemConfig {
            read_latency: 3,
            reorder_ids: true,
            backpressure: Backpressure::uniform(20),
            seed,
            ..Default::default()
        });
        for i in 0..8u64 {
            mem.storage_mut().poke(0x1000 * (i + 1), &i.to_le_bytes());
        }
        // Eight single-beat reads, IDs alternating 0,1,2, back to back.
        let mut next = 0u64;
        let mut got: Vec<(u8, u64)> = Vec::new();
        let mut c = 0;
        let mut max_in_flight = 0;
        while got.len() < 8 {
            let o = mem.drive(c);
            let mut m = AxiMasterSignals {
                rready: true,
                bready: true,
                ..Default::default()
            };
            if next < 8 {
                m.ar = AddrBeat {
                    valid: true,
                    id: (next % 3) as u8,
                    addr: 0x1000 * (next + 1),
                    len: 0,
                    size: 3,
                    burst: 1,
                };
            }
            mem.update(&m).unwrap();
            if o.arready && next < 8 {
                next += 1;
            }
            if o.r.valid {
                got.push((o.r.id, o.r.data as u64));
            }
            max_in_flight = max_in_flight.max(mem.outstanding().0);
            c += 1;
            assert!(c < 1000);
        }
        assert!(max_in_flight >= 3, "several reads outstanding");
        for id in 0..3u8 {
            let seq: Vec<u64> = got.iter().filter(|g| g.0 == id).map(|g| g.1).collect();
            let mut sorted = seq.clone();
            sorted.sort_unstable();
            assert_eq!(seq, sorted, "seed {seed}: id {id} in order");
            assert!(seq.iter().all(|v| v % 3 == u64::from(id)));
        }
        let order: Vec<u64> = got.iter().map(|g| g.1).collect();
        any_reorder |= order.windows(2).any(|w| w[0] > w[1]);
    }
    assert!(any_reorder, "reorder_ids never reordered across IDs");
}

#[test]
fn misbehaving_slave_drops_rvalid_early() {
    let mut mem = mem_with(AxiMemConfig {
        read_latency: 0,
        misbehave: Some(Misbehave::DropRValidEarly),
        ..Default::default()
    });
    let a = AddrBeat {
        valid: true,
        id: 0,
        addr: 0x100,
        len: 0,
        size: 3,
        burst: 1,
    };
    let mut seen = Vec::new();
    for c in 0..6 {
        let o = mem.drive(c);
        seen.push(o.r.valid);
        let m = AxiMasterSignals {
            ar: if c == 0 { a } else { AddrBeat::default() },
            rready: false,
            ..Default::default()
        };
        mem.update(&m).unwrap();
    }
    // Offered at cycle 1, dropped at 2 without a handshake.
    assert_eq!(&seen[..3], &[false, true, false]);
}
