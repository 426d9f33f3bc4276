//! Checks every completion write shares (RX and TX): one aligned 16-byte
//! entry, at the slot of its `desc_idx`, for a descriptor fetched and not
//! yet completed, with the descriptor's tag and the ring pass's phase.

use nic_hw::wire::{Completion, Descriptor};

use super::bursts::WriteData;
use super::regs::RegView;
use super::ring::RingWindow;
use super::violation::{CplField, Ring, RtlViolation};

/// A completion entry as written, fields raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CplImage {
    pub addr: u64,
    pub len: u32,
    pub tag: u32,
    pub desc_idx: u16,
    pub status: u8,
    pub phase: bool,
    /// When the NIC issued the write (its AW VALID).
    pub issued: u64,
    pub cycle: u64,
}

impl CplImage {
    /// This completion (of descriptor `idx` on `ring`) carries `seen` in
    /// `field` where `expected` was due.
    pub fn field_mismatch(
        &self,
        ring: Ring,
        idx: u16,
        field: CplField,
        expected: u64,
        seen: u64,
    ) -> RtlViolation {
        RtlViolation::CplFieldMismatch {
            ring,
            idx,
            field,
            expected,
            seen,
            addr: self.addr,
            cycle: self.cycle,
        }
    }
}

/// Decodes the completion in `w`, or names why it is not one entry.
pub fn decode(ring: Ring, w: &WriteData, bus_bytes: usize) -> Result<CplImage, RtlViolation> {
    let runs = w.runs(bus_bytes);
    let bytes: u64 = runs.iter().map(|(_, b)| b.len() as u64).sum();
    let addr = runs.first().map_or(w.addr.addr, |r| r.0);
    match runs.as_slice() {
        [(a, b)] if b.len() == Completion::SIZE && a % Completion::SIZE as u64 == 0 => {
            let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
            Ok(CplImage {
                addr: *a,
                len: u32_at(0),
                tag: u32_at(4),
                desc_idx: u16::from_le_bytes([b[8], b[9]]),
                status: b[10],
                phase: b[11] & 1 != 0,
                issued: w.addr.issued,
                cycle: w.cycle,
            })
        }
        _ => Err(RtlViolation::CplMalformed {
            ring,
            addr,
            bytes,
            cycle: w.cycle,
        }),
    }
}

/// The slot, index and field checks; `Some(desc)` when the completion is
/// for a fetched, open descriptor (then the caller checks payload and
/// frame, and marks it completed).
pub fn check<T: Default>(
    ring: Ring,
    c: &CplImage,
    window: &RingWindow<T>,
    regs: &RegView,
    out: &mut Vec<RtlViolation>,
) -> Option<Descriptor> {
    let size = regs.ring_size(ring).max(1);
    let idx = c.desc_idx;
    let expected = regs.cq_base(ring) + Completion::SIZE as u64 * u64::from(idx % size);
    if c.addr != expected {
        out.push(RtlViolation::CplWrongSlot {
            ring,
            idx,
            expected,
            addr: c.addr,
            cycle: c.cycle,
        });
    }
    if window.is_completed(idx) {
        out.push(RtlViolation::CplDuplicate {
            ring,
            idx,
            addr: c.addr,
            cycle: c.cycle,
        });
        return None;
    }
    let Some(desc) = window.slot(idx).and_then(|s| s.desc) else {
        out.push(RtlViolation::CplNotFetched {
            ring,
            idx,
            addr: c.addr,
            cycle: c.cycle,
        });
        return None;
    };
    let mut field = |field, expected: u64, seen: u64| {
        if expected != seen {
            out.push(c.field_mismatch(ring, idx, field, expected, seen));
        }
    };
    field(CplField::Tag, u64::from(desc.tag()), u64::from(c.tag));
    let phase = Completion::expected_phase(idx, size);
    field(CplField::Phase, u64::from(phase), u64::from(c.phase));
    Some(desc)
}
