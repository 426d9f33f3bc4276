//! The RX queue's contract: descriptor fetches, payload writes only inside
//! `addr + RX_HEADROOM .. + len` of a fetched descriptor and within the
//! frame's length, completions only after every payload B of their frame,
//! and the scoreboard's frame-by-frame comparison.

use nic_hw::regs::CPL_STATUS_OK;

use super::bursts::{BySeq, WriteData};
use super::cpl::{self, CplImage};
use super::frames::{HeadDesc, RxFrames};
use super::mismatch::ScoreboardMismatch;
use super::regs::RegView;
use super::ring::{RingWindow, Slot};
use super::violation::{CplField, Ring, RtlViolation};

/// One RX descriptor's payload as written.
#[derive(Debug, Clone, Default)]
pub struct RxPayload {
    /// The buffer from `addr + RX_HEADROOM`, as written (up to the highest
    /// byte written).
    image: Vec<u8>,
    /// Payload bytes written.
    written: u64,
    /// One past the highest buffer offset written.
    end: u64,
    /// Payload bursts without their B.
    outstanding: u32,
    /// Cycle of the last payload B.
    last_b: Option<u64>,
    /// RX_HEADROOM when the first byte landed.
    headroom: u64,
}

/// The RX side of the monitor.
#[derive(Debug)]
pub struct RxSide {
    pub ring: RingWindow<RxPayload>,
    /// Payload write bursts awaiting their B: seq -> descriptor index.
    payload_b: BySeq<u16>,
    /// The descriptor receiving payload.
    writing: Option<u16>,
    /// A frame was dropped for the DMA error: descriptors were consumed.
    pub errored: bool,
}

fn buffer(s: &Slot<RxPayload>, headroom: u64) -> Option<(u64, u64)> {
    let d = s.desc?;
    let start = d.addr() + headroom;
    Some((start, start + u64::from(d.len())))
}

impl RxSide {
    pub fn new() -> Self {
        Self {
            ring: RingWindow::new(Ring::Rx),
            payload_b: BySeq::default(),
            writing: None,
            errored: false,
        }
    }

    /// Ring size written or reset.
    pub fn restart(&mut self) {
        self.ring.restart();
        self.writing = None;
        self.errored = false;
    }

    /// A payload burst's data: every strobed run must lie in the buffer of
    /// the descriptor receiving payload or of a later fetched one.
    pub fn payload(
        &mut self,
        w: &WriteData,
        bus_bytes: usize,
        regs: &RegView,
        out: &mut Vec<RtlViolation>,
    ) {
        let headroom = u64::from(regs.rx_headroom);
        let mut owner = None;
        for (addr, bytes) in w.runs(bus_bytes) {
            let end = addr + bytes.len() as u64;
            let from = self.writing.unwrap_or(self.ring.base());
            let found = self
                .ring
                .open_mut()
                .filter(|s| s.idx.wrapping_sub(from) < 0x8000)
                .find(|s| buffer(s, headroom).is_some_and(|(a, b)| addr >= a && end <= b));
            let Some(s) = found else {
                let cur = self.writing.and_then(|i| self.ring.slot(i));
                out.push(RtlViolation::RxPayloadOutsideBuffer {
                    idx: cur.map(|s| s.idx),
                    addr,
                    len: bytes.len() as u64,
                    buffer: cur.and_then(|s| buffer(s, headroom)),
                    cycle: w.cycle,
                });
                continue;
            };
            let (start, _) = buffer(s, headroom).expect("found by its buffer");
            let p = &mut s.state;
            if p.written == 0 {
                p.headroom = headroom;
            }
            let off = (addr - start) as usize;
            if p.image.len() < off + bytes.len() {
                p.image.resize(off + bytes.len(), 0);
            }
            p.image[off..off + bytes.len()].copy_from_slice(bytes);
            p.written += bytes.len() as u64;
            p.end = p.end.max(off as u64 + bytes.len() as u64);
            owner = Some(s.idx);
        }
        if let Some(idx) = owner {
            self.writing = Some(idx);
            if let Some(s) = self.ring.slot_mut(idx) {
                s.state.outstanding += 1;
            }
            self.payload_b.insert(w.addr.seq, idx);
        }
    }

    /// A write response: a payload burst's B (true if it was one).
    pub fn payload_resp(&mut self, seq: u64, cycle: u64) -> bool {
        let Some(idx) = self.payload_b.remove(seq) else {
            return false;
        };
        if let Some(s) = self.ring.slot_mut(idx) {
            s.state.outstanding = s.state.outstanding.saturating_sub(1);
            s.state.last_b = Some(cycle);
        }
        true
    }

    /// An RX completion write: slot, index and field checks, ordering
    /// after the payload, payload within the frame, and the scoreboard.
    pub fn completion(
        &mut self,
        c: &CplImage,
        regs: &RegView,
        frames: &mut RxFrames,
        rtl: &mut Vec<RtlViolation>,
        sb: &mut Vec<ScoreboardMismatch>,
    ) {
        let Some(desc) = cpl::check(Ring::Rx, c, &self.ring, regs, rtl) else {
            return;
        };
        let idx = c.desc_idx;
        let base = self.ring.base();
        if idx != base && !self.errored {
            sb.push(ScoreboardMismatch::RxDescriptorSkipped {
                expected: base,
                seen: idx,
                cycle: c.cycle,
            });
        }
        while self.ring.base() != idx {
            let b = self.ring.base();
            self.ring.complete(b);
        }
        let s = self.ring.slot(idx).expect("checked: fetched and open");
        let p = &s.state;
        let mismatch =
            |field, expected, seen| c.field_mismatch(Ring::Rx, idx, field, expected, seen);
        if u64::from(c.status) != CPL_STATUS_OK {
            rtl.push(mismatch(
                CplField::Status,
                CPL_STATUS_OK,
                u64::from(c.status),
            ));
        }
        if c.len > desc.len() {
            rtl.push(mismatch(
                CplField::Len,
                u64::from(desc.len()),
                u64::from(c.len),
            ));
        }
        if p.outstanding > 0 || p.last_b.is_some_and(|b| b >= c.issued) {
            rtl.push(RtlViolation::CplBeforePayload {
                ring: Ring::Rx,
                idx,
                addr: c.addr,
                payload_done: if p.outstanding > 0 { None } else { p.last_b },
                cycle: c.issued,
            });
        }
        if p.end > u64::from(c.len) {
            let start = desc.addr() + p.headroom;
            rtl.push(RtlViolation::RxPayloadBeyondFrame {
                idx,
                addr: start + u64::from(c.len),
                frame_end: start + u64::from(c.len),
                cycle: c.cycle,
            });
        }
        let n = (c.len as usize).min(p.image.len());
        let image: &[u8] = if p.written == u64::from(c.len) {
            &p.image[..n]
        } else {
            &[]
        };
        let head = HeadDesc {
            desc: Some(desc),
            doorbelled: s.doorbelled,
        };
        frames.completed_with(idx, head, c.len, image, c.cycle, sb);
        self.ring.complete(idx);
        if self.writing == Some(idx) {
            self.writing = None;
        }
    }

    /// The head descriptor for frames still waiting at the end.
    pub fn head(&self) -> Option<HeadDesc> {
        self.ring.slot(self.ring.base()).map(|s| HeadDesc {
            desc: s.desc,
            doorbelled: s.doorbelled,
        })
    }
}
