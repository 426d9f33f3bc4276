//! The slave's read side: accepted AR bursts, their data read from storage
//! at the handshake, and the R beats presented after the read latency.

use ::axi::{Burst, Resp};

use super::config::{AxiMemConfig, Misbehave};
use super::log::DmaRecord;
use super::order::{hold_offered, pick_head};
use super::signals::RBeat;
use crate::bus::storage::DmaStorage;
use crate::rng::SplitMix64;

#[derive(Debug)]
struct ReadBurst {
    id: u8,
    beats: u16,
    next_beat: u16,
    /// Lane-aligned data, `beats * data_bytes` bytes.
    data: Vec<u8>,
    resp: Resp,
    ready_at: u64,
    log: usize,
    /// The storage accepted it at its address handshake (its end is due).
    began: bool,
}

/// Read bursts in flight and the R channel's presentation state.
#[derive(Debug, Default)]
pub(super) struct ReadPath {
    bursts: Vec<ReadBurst>,
    /// The R beat as last presented (`valid`: offered and not yet taken).
    beat: RBeat,
    /// The burst whose beats are being presented.
    cur: Option<usize>,
    /// Misbehave::DropRValidEarly: the offered beat was withdrawn.
    dropped: bool,
    /// Misbehave::ExtraRBeat: one beat nobody asked for is due.
    extra: bool,
}

impl ReadPath {
    /// Bursts accepted and not fully answered.
    pub(super) fn in_flight(&self) -> usize {
        self.bursts.len()
    }

    /// The R beat for `cycle`.
    #[inline]
    pub(super) fn drive(&mut self, cfg: &AxiMemConfig, cycle: u64, rng: &mut SplitMix64) -> RBeat {
        if !self.bursts.is_empty() || self.beat.valid || self.extra {
            self.present(cfg, cycle, rng);
        }
        self.beat
    }

    fn present(&mut self, cfg: &AxiMemConfig, cycle: u64, rng: &mut SplitMix64) {
        if self.extra {
            // Misbehave::ExtraRBeat: one beat nobody asked for.
            self.extra = false;
            self.beat = RBeat {
                valid: true,
                id: self.beat.id,
                data: 0,
                resp: Resp::Okay,
                last: true,
            };
            return;
        }
        // Offered last cycle, not taken: hold (AXI), unless misbehaving.
        let drop_early = cfg.misbehave == Some(Misbehave::DropRValidEarly);
        if hold_offered(&mut self.beat.valid, &mut self.dropped, drop_early) {
            return;
        }
        let cur = match self.cur {
            Some(i) => Some(i),
            None => pick_head(
                self.bursts.iter().map(|r| (r.id, r.ready_at)),
                cfg.reorder_ids,
                cycle,
                rng,
            ),
        };
        let Some(i) = cur else { return };
        if self.bursts[i].ready_at > cycle || rng.hit(cfg.backpressure.r_idle) {
            return;
        }
        self.cur = Some(i);
        let rb = &self.bursts[i];
        let bw = cfg.data_bytes;
        let off = rb.next_beat as usize * bw;
        let mut data = 0u128;
        for (k, b) in rb.data[off..off + bw].iter().enumerate() {
            data |= u128::from(*b) << (8 * k);
        }
        self.beat = RBeat {
            valid: true,
            id: rb.id,
            data,
            resp: rb.resp,
            last: rb.next_beat + 1 == rb.beats,
        };
    }

    /// Accepts the checked request `txn`: reads its bytes (unless the
    /// storage refuses the burst), logs it and queues its beats.
    pub(super) fn accept<S: DmaStorage>(
        &mut self,
        txn: Burst,
        cfg: &AxiMemConfig,
        storage: &mut S,
        log: &mut Vec<DmaRecord>,
    ) {
        let bw = cfg.data_bytes;
        let off = (txn.addr % bw as u64) as usize;
        let total = usize::from(txn.beats) * bw;
        let mut data = vec![0u8; total];
        let began = storage.begin_burst(&txn);
        let (resp, fault) = match began.clone() {
            Err(f) => (f.resp, Some(f.detail)),
            Ok(()) => match storage.read(txn.addr, &mut data[off..]) {
                Ok(()) => (Resp::Okay, None),
                Err(f) => {
                    data.fill(0);
                    (f.resp, Some(f.to_string()))
                }
            },
        };
        if let Some(f) = &fault {
            tracing::debug!(cycle = txn.cycle_addr, %txn, "read answered {resp:?}: {f}");
        }
        log.push(DmaRecord {
            record: Burst {
                bytes: (total - off) as u64,
                resp,
                ..txn
            },
            fault,
        });
        self.bursts.push(ReadBurst {
            id: txn.id,
            beats: txn.beats,
            next_beat: 0,
            data,
            resp,
            ready_at: txn.cycle_addr + u64::from(cfg.read_latency),
            log: log.len() - 1,
            began: began.is_ok(),
        });
    }

    /// The master took the presented beat at `cycle`; after a burst's last
    /// beat the storage hears that the burst ended.
    pub(super) fn beat_taken<S: DmaStorage>(
        &mut self,
        cycle: u64,
        misbehave: Option<Misbehave>,
        storage: &mut S,
        log: &mut [DmaRecord],
    ) {
        self.beat.valid = false;
        let Some(i) = self.cur else {
            // The extra beat of Misbehave::ExtraRBeat.
            return;
        };
        let rb = &mut self.bursts[i];
        rb.next_beat += 1;
        if rb.next_beat == rb.beats {
            let rb = self.bursts.remove(i);
            log[rb.log].record.cycle_done = Some(cycle);
            if rb.began {
                storage.end_burst(&log[rb.log].record);
            }
            self.cur = None;
            if misbehave == Some(Misbehave::ExtraRBeat) {
                self.extra = true;
            }
        }
    }
}
