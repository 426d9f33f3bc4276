//! The TX queue's contract: descriptor fetches, payload reads only inside
//! a fetched descriptor's `addr .. + len` (widened to the bus width),
//! completions only after the payload's last R, the BAD_LEN rule, and the
//! scoreboard's frame-by-frame comparison of the wire with the bytes read.

use std::collections::VecDeque;

use ::axi::Resp;
use nic_hw::regs::CPL_STATUS_BAD_LEN;

use super::bursts::{BurstAddr, BySeq, ReadData};
use super::cpl::{self, CplImage};
use super::mismatch::ScoreboardMismatch;
use super::regs::RegView;
use super::ring::{RingWindow, Slot};
use super::violation::{CplField, Ring, RtlViolation};

/// One TX descriptor's payload as read.
#[derive(Debug, Clone, Default)]
pub struct TxPayload {
    image: Vec<u8>,
    read: u64,
    outstanding: u32,
    last_r: Option<u64>,
    error: bool,
    /// Its frame is queued for the wire (or the loopback).
    queued: bool,
}

/// A frame the NIC read in full and must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxExpected {
    pub idx: u16,
    pub data: Vec<u8>,
    pub cycle: u64,
}

/// The TX side of the monitor.
#[derive(Debug)]
pub struct TxSide {
    pub ring: RingWindow<TxPayload>,
    /// Payload read bursts in flight: seq -> descriptor index.
    reads: BySeq<u16>,
    reading: Option<u16>,
    /// Frames read in full, not yet seen on the wire, oldest first.
    pub wire: VecDeque<TxExpected>,
}

fn span(s: &Slot<TxPayload>, bus_bytes: u64) -> Option<(u64, u64)> {
    let d = s.desc?;
    let start = d.addr() - d.addr() % bus_bytes;
    let end = (d.addr() + u64::from(d.len())).div_ceil(bus_bytes) * bus_bytes;
    Some((start, end))
}

impl TxSide {
    pub fn new() -> Self {
        Self {
            ring: RingWindow::new(Ring::Tx),
            reads: BySeq::default(),
            reading: None,
            wire: VecDeque::new(),
        }
    }

    pub fn restart(&mut self) {
        self.ring.restart();
        self.reading = None;
    }

    /// A payload read was issued: it must lie inside the descriptor being
    /// read or a later fetched one.
    pub fn read_issued(&mut self, a: &BurstAddr, bus_bytes: usize, out: &mut Vec<RtlViolation>) {
        let bw = bus_bytes as u64;
        let start = a.addr;
        let end = a.addr - a.addr % bw + u64::from(a.beats) * bw;
        let from = self.reading.unwrap_or(self.ring.base());
        let found = self
            .ring
            .open_mut()
            .filter(|s| s.idx.wrapping_sub(from) < 0x8000)
            .find(|s| span(s, bw).is_some_and(|(lo, hi)| start >= lo && end <= hi && hi > lo));
        let Some(s) = found else {
            let cur = self.ring.slot(from);
            out.push(RtlViolation::TxReadOutsideBuffer {
                idx: cur.filter(|s| s.desc.is_some()).map(|s| s.idx),
                addr: start,
                len: end - start,
                buffer: cur.and_then(|s| span(s, bw)),
                cycle: a.issued,
            });
            return;
        };
        s.state.outstanding += 1;
        let idx = s.idx;
        self.reading = Some(idx);
        self.reads.insert(a.seq, idx);
    }

    /// A payload read's data: into the descriptor's image; once every byte
    /// is in, the frame is expected out (`Some`).
    pub fn read_done(&mut self, r: &ReadData, bus_bytes: usize) -> Option<TxExpected> {
        let idx = self.reads.remove(r.addr.seq)?;
        let s = self.ring.slot_mut(idx)?;
        let d = s.desc?;
        let p = &mut s.state;
        p.outstanding = p.outstanding.saturating_sub(1);
        p.last_r = Some(r.cycle);
        if r.resp != Resp::Okay {
            p.error = true;
            return None;
        }
        let len = d.len() as usize;
        if p.image.len() != len {
            p.image = vec![0; len];
        }
        let base = r.addr.addr - r.addr.addr % bus_bytes as u64;
        let lo = d.addr().max(base);
        let hi = (d.addr() + len as u64).min(base + r.data.len() as u64);
        if hi > lo {
            let (from, to) = ((lo - base) as usize, (lo - d.addr()) as usize);
            let n = (hi - lo) as usize;
            p.image[to..to + n].copy_from_slice(&r.data[from..from + n]);
            p.read += n as u64;
        }
        if p.read >= len as u64 && p.outstanding == 0 && !p.queued && len > 0 {
            p.queued = true;
            return Some(TxExpected {
                idx,
                data: p.image.clone(),
                cycle: r.cycle,
            });
        }
        None
    }

    /// A TX completion write.
    pub fn completion(
        &mut self,
        c: &CplImage,
        regs: &RegView,
        rtl: &mut Vec<RtlViolation>,
        sb: &mut Vec<ScoreboardMismatch>,
    ) {
        let Some(desc) = cpl::check(Ring::Tx, c, &self.ring, regs, rtl) else {
            return;
        };
        let idx = c.desc_idx;
        let s = self.ring.slot(idx).expect("checked: fetched and open");
        let p = &s.state;
        let bad = desc.is_empty() || desc.len() > regs.max_frame_len;
        let bad_seen = u64::from(c.status) == CPL_STATUS_BAD_LEN;
        if bad != bad_seen {
            sb.push(ScoreboardMismatch::TxStatus {
                idx,
                desc_len: desc.len(),
                max_frame_len: regs.max_frame_len,
                bad_len_seen: bad_seen,
                cycle: c.cycle,
            });
        }
        let want_len = if bad_seen { 0 } else { desc.len() };
        if c.len != want_len {
            rtl.push(c.field_mismatch(
                Ring::Tx,
                idx,
                CplField::Len,
                u64::from(want_len),
                u64::from(c.len),
            ));
        }
        let unread = !bad_seen && p.read < u64::from(desc.len());
        if p.outstanding > 0 || unread || p.last_r.is_some_and(|r| r >= c.issued) {
            rtl.push(RtlViolation::CplBeforePayload {
                ring: Ring::Tx,
                idx,
                addr: c.addr,
                payload_done: if p.outstanding > 0 || unread {
                    None
                } else {
                    p.last_r
                },
                cycle: c.issued,
            });
        }
        self.ring.complete(idx);
        if self.reading == Some(idx) {
            self.reading = None;
        }
    }

    /// A frame left on the wire: it must be the next one read.
    pub fn frame_out(&mut self, data: &[u8], cycle: u64, sb: &mut Vec<ScoreboardMismatch>) {
        let Some(want) = self.wire.pop_front() else {
            sb.push(ScoreboardMismatch::TxFrameUnexpected {
                len: data.len(),
                cycle,
            });
            return;
        };
        if want.data != data {
            sb.push(ScoreboardMismatch::TxFrameMismatch {
                idx: want.idx,
                expected_len: want.data.len(),
                seen_len: data.len(),
                first_diff: want.data.iter().zip(data).position(|(a, b)| a != b),
                cycle,
            });
        }
    }
}
