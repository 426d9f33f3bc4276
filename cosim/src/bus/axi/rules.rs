//! The AXI rules the slave checks on what the master drives (the ones the
//! NIC promises, docs/ARCHITECTURE.md): INCR only, full-width beats, at most
//! `max_burst_beats` beats, no 4 KiB crossing, strobes only inside the
//! transfer, `wlast` exactly on the last beat, valid held and payload
//! stable until the handshake.

use ::axi::{Burst, Dir};

use super::config::AxiMemConfig;
use super::error::AxiError;
use super::signals::{AddrBeat, AxiMasterSignals, Channel, WBeat};

/// The burst the address beat `a` (of `dir`, accepted at `cycle`)
/// requests, if its shape follows the rules; `size_code` is the full bus
/// width's AxSIZE.
pub(super) fn check_request(
    a: &AddrBeat,
    dir: Dir,
    cycle: u64,
    cfg: &AxiMemConfig,
    size_code: u8,
) -> Result<Burst, AxiError> {
    let txn = Burst::requested(dir, a.id, a.addr, a.len, a.size, a.burst, cycle);
    if a.burst != 1 {
        return Err(AxiError::BurstType { cycle, txn });
    }
    if a.size != size_code {
        return Err(AxiError::Size {
            cycle,
            txn,
            expected: size_code,
        });
    }
    if txn.beats > cfg.max_burst_beats {
        return Err(AxiError::TooLong {
            cycle,
            txn,
            max: cfg.max_burst_beats,
        });
    }
    let bw = cfg.data_bytes as u64;
    let bytes = u64::from(txn.beats) * bw - (a.addr % bw);
    if (a.addr & 0xfff) + bytes > 0x1000 {
        return Err(AxiError::Crosses4k { cycle, txn, bytes });
    }
    Ok(txn)
}

/// Checks W beat number `beat` of `txn` on a bus of `bw` bytes: its strobes
/// inside the transfer (the first beat starts at the address' lane), WLAST
/// exactly on the last beat. Returns whether it is the last beat.
#[inline]
pub(super) fn check_w_beat(
    cycle: u64,
    txn: &Burst,
    beat: u16,
    w: &WBeat,
    bw: usize,
) -> Result<bool, AxiError> {
    let lane_mask: u16 = if bw == 16 { u16::MAX } else { (1u16 << bw) - 1 };
    let mut allowed = lane_mask;
    if beat == 0 {
        let off = (txn.addr % bw as u64) as u16;
        allowed &= lane_mask << off;
    }
    if w.strb & !allowed != 0 {
        return Err(AxiError::StrobeOutside {
            cycle,
            txn: *txn,
            beat,
            strb: w.strb,
            allowed,
        });
    }
    let is_last = beat + 1 == txn.beats;
    if w.last && !is_last {
        return Err(AxiError::EarlyWlast {
            cycle,
            txn: *txn,
            beat: beat + 1,
            beats: txn.beats,
        });
    }
    if !w.last && is_last {
        return Err(AxiError::MissingWlast {
            cycle,
            txn: *txn,
            beats: txn.beats,
        });
    }
    Ok(is_last)
}

/// The master's channels this cycle (`m`) against last cycle's samples
/// (`prev`) and the slave's readies then (`r`: AW, W, AR): a valid not
/// taken must still be offered, unchanged.
pub(super) fn check_stable(
    cycle: u64,
    prev: &AxiMasterSignals,
    r: (bool, bool, bool),
    m: &AxiMasterSignals,
) -> Result<(), AxiError> {
    held(
        cycle,
        Channel::Aw,
        !r.0,
        (prev.aw.valid, &prev.aw),
        (m.aw.valid, &m.aw),
    )?;
    held(
        cycle,
        Channel::W,
        !r.1,
        (prev.w.valid, &prev.w),
        (m.w.valid, &m.w),
    )?;
    held(
        cycle,
        Channel::Ar,
        !r.2,
        (prev.ar.valid, &prev.ar),
        (m.ar.valid, &m.ar),
    )
}

/// AXI's rule for a master's channel: a valid that was not taken (`!taken`
/// last cycle) must still be offered this cycle, with the same payload.
fn held<T: PartialEq + std::fmt::Debug>(
    cycle: u64,
    channel: Channel,
    not_taken: bool,
    (was_valid, was): (bool, &T),
    (now_valid, now): (bool, &T),
) -> Result<(), AxiError> {
    if !was_valid || !not_taken {
        return Ok(());
    }
    if !now_valid {
        return Err(AxiError::ValidDropped {
            cycle,
            channel,
            was: format!("{was:?}"),
        });
    }
    if now != was {
        return Err(AxiError::PayloadChanged {
            cycle,
            channel,
            was: format!("{was:?}"),
            now: format!("{now:?}"),
        });
    }
    Ok(())
}
