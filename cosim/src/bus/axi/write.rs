//! The slave's write side: accepted AW bursts collecting their W beats (also
//! beats that came before their address), applied to storage per strobe run
//! when complete, and the B responses presented after the write latency.

use std::collections::VecDeque;

use ::axi::{Burst, Resp};

use super::config::{AxiMemConfig, Misbehave};
use super::error::AxiError;
use super::log::DmaRecord;
use super::order::{hold_offered, pick_head};
use super::rules::check_w_beat;
use super::signals::{BBeat, WBeat};
use crate::bus::storage::{DmaStorage, StorageFault};
use crate::rng::SplitMix64;

/// W beats held before any write address arrives, at most.
const MAX_EARLY_W: usize = 1024;

#[derive(Debug)]
struct WriteBurst {
    txn: Burst,
    received: u16,
    data: Vec<u8>,
    strb: Vec<u16>,
    /// The storage refused the burst at its address handshake.
    refused: Option<StorageFault>,
    log: usize,
}

#[derive(Debug)]
struct BPending {
    id: u8,
    resp: Resp,
    ready_at: u64,
    log: usize,
    /// The storage accepted it at its address handshake (its end is due).
    began: bool,
}

/// Write bursts in flight (collecting data, or awaiting their B) and the B
/// channel's presentation state.
#[derive(Debug, Default)]
pub(super) struct WritePath {
    bursts: VecDeque<WriteBurst>,
    early_w: VecDeque<WBeat>,
    bs: Vec<BPending>,
    /// The B beat as last presented (`valid`: offered and not yet taken).
    beat: BBeat,
    /// The response being presented.
    cur: Option<usize>,
    /// Misbehave::DropBValidEarly: the offered response was withdrawn.
    dropped: bool,
    /// Data and strobe buffers of completed write bursts, for reuse.
    spare: Vec<(Vec<u8>, Vec<u16>)>,
}

impl WritePath {
    /// Bursts accepted and not yet answered (awaiting data or their B).
    pub(super) fn in_flight(&self) -> usize {
        self.bursts.len() + self.bs.len()
    }

    /// The B beat for `cycle`.
    #[inline]
    pub(super) fn drive(&mut self, cfg: &AxiMemConfig, cycle: u64, rng: &mut SplitMix64) -> BBeat {
        if !self.bs.is_empty() || self.beat.valid {
            self.present(cfg, cycle, rng);
        }
        self.beat
    }

    fn present(&mut self, cfg: &AxiMemConfig, cycle: u64, rng: &mut SplitMix64) {
        let drop_early = cfg.misbehave == Some(Misbehave::DropBValidEarly);
        if hold_offered(&mut self.beat.valid, &mut self.dropped, drop_early) {
            return;
        }
        let Some(i) = pick_head(
            self.bs.iter().map(|b| (b.id, b.ready_at)),
            cfg.reorder_ids,
            cycle,
            rng,
        ) else {
            return;
        };
        if self.bs[i].ready_at > cycle || rng.hit(cfg.backpressure.b_idle) {
            return;
        }
        self.cur = Some(i);
        self.beat = BBeat {
            valid: true,
            id: self.bs[i].id,
            resp: self.bs[i].resp,
        };
    }

    /// The master took the presented response at `cycle`: the storage
    /// hears that the burst ended.
    pub(super) fn b_taken<S: DmaStorage>(
        &mut self,
        cycle: u64,
        storage: &mut S,
        log: &mut [DmaRecord],
    ) {
        let i = self
            .cur
            .take()
            .expect("B offered without a pending response");
        let b = self.bs.remove(i);
        log[b.log].record.cycle_done = Some(cycle);
        if b.began {
            storage.end_burst(&log[b.log].record);
        }
        self.beat.valid = false;
    }

    /// Accepts the checked request `txn` (asking the storage whether it
    /// refuses it), logs it, and takes the W beats that came before it.
    pub(super) fn accept_aw<S: DmaStorage>(
        &mut self,
        txn: Burst,
        cfg: &AxiMemConfig,
        storage: &mut S,
        log: &mut Vec<DmaRecord>,
    ) -> Result<(), AxiError> {
        let refused = storage.begin_burst(&txn).err();
        log.push(DmaRecord {
            record: txn,
            fault: None,
        });
        let beats = usize::from(txn.beats);
        let (mut data, mut strb) = self.spare.pop().unwrap_or_default();
        data.clear();
        data.resize(beats * cfg.data_bytes, 0);
        strb.clear();
        strb.resize(beats, 0);
        self.bursts.push_back(WriteBurst {
            txn,
            received: 0,
            data,
            strb,
            refused,
            log: log.len() - 1,
        });
        // W beats that came before their address.
        for w in std::mem::take(&mut self.early_w) {
            self.accept_w(w, txn.cycle_addr, cfg, storage, log)?;
        }
        Ok(())
    }

    /// Takes a W beat at `cycle`: into the oldest burst still collecting
    /// data, or held until an address arrives.
    pub(super) fn accept_w<S: DmaStorage>(
        &mut self,
        w: WBeat,
        cycle: u64,
        cfg: &AxiMemConfig,
        storage: &mut S,
        log: &mut [DmaRecord],
    ) -> Result<(), AxiError> {
        let bw = cfg.data_bytes;
        let Some(wb) = self.bursts.iter_mut().find(|b| b.received < b.txn.beats) else {
            self.early_w.push_back(w);
            if self.early_w.len() > MAX_EARLY_W {
                return Err(AxiError::WithoutAddress {
                    cycle,
                    beats: self.early_w.len(),
                });
            }
            return Ok(());
        };
        let beat = wb.received;
        let is_last = check_w_beat(cycle, &wb.txn, beat, &w, bw)?;
        let off = usize::from(beat) * bw;
        wb.data[off..off + bw].copy_from_slice(&w.data.to_le_bytes()[..bw]);
        wb.strb[usize::from(beat)] = w.strb;
        wb.received += 1;
        if is_last {
            self.complete(cycle, cfg, storage, log);
        }
        Ok(())
    }

    /// The first write burst with all its beats: apply it (per strobe run)
    /// and queue its response.
    fn complete<S: DmaStorage>(
        &mut self,
        cycle: u64,
        cfg: &AxiMemConfig,
        storage: &mut S,
        log: &mut [DmaRecord],
    ) {
        let i = self
            .bursts
            .iter()
            .position(|b| b.received == b.txn.beats)
            .expect("a complete write burst");
        let wb = self.bursts.remove(i).expect("index from position");
        let bw = cfg.data_bytes;
        let base = wb.txn.addr - wb.txn.addr % bw as u64;
        let strobed: u64 = wb.strb.iter().map(|s| u64::from(s.count_ones())).sum();
        let began = wb.refused.is_none();
        let (resp, fault) = match wb.refused {
            Some(f) => (f.resp, Some(f.detail)),
            None => match apply_strobed(storage, base, &wb.data, &wb.strb, bw, strobed) {
                Ok(()) => (Resp::Okay, None),
                Err(f) => (f.resp, Some(f.to_string())),
            },
        };
        if let Some(f) = &fault {
            tracing::debug!(cycle, txn = %wb.txn, "write answered {resp:?}: {f}");
        }
        let rec = &mut log[wb.log];
        rec.record.bytes = strobed;
        rec.record.resp = resp;
        rec.fault = fault;
        self.bs.push(BPending {
            id: wb.txn.id,
            resp,
            ready_at: cycle + u64::from(cfg.write_latency),
            log: wb.log,
            began,
        });
        if self.spare.len() < 16 {
            self.spare.push((wb.data, wb.strb));
        }
    }

    /// No burst accepted and not yet answered.
    pub(super) fn is_idle(&self) -> bool {
        self.bursts.is_empty() && self.bs.is_empty()
    }
}

/// Writes the strobed bytes of a burst's lane-aligned `data` (from `base`)
/// to storage: the usual burst, one run of strobed bytes (a partial first
/// and last beat, full beats between), as one storage write; otherwise one
/// write per run, stopping at the first fault. `strobed` counts the strobes.
fn apply_strobed<S: DmaStorage>(
    storage: &mut S,
    base: u64,
    data: &[u8],
    strb: &[u16],
    bw: usize,
    strobed: u64,
) -> Result<(), StorageFault> {
    let lanes = strb.len() * bw;
    let first = strb.iter().position(|&s| s != 0);
    let last = strb.iter().rposition(|&s| s != 0);
    let (Some(fb), Some(lb)) = (first, last) else {
        return Ok(());
    };
    let start = fb * bw + strb[fb].trailing_zeros() as usize;
    let end = lb * bw + 16 - strb[lb].leading_zeros() as usize;
    if strobed == (end - start) as u64 {
        return storage.write(base + start as u64, &data[start..end]);
    }
    let on = |k: usize| strb[k / bw] & (1 << (k % bw)) != 0;
    let mut k = 0;
    while k < lanes {
        if !on(k) {
            k += 1;
            continue;
        }
        let start = k;
        while k < lanes && on(k) {
            k += 1;
        }
        storage.write(base + start as u64, &data[start..k])?;
    }
    Ok(())
}
