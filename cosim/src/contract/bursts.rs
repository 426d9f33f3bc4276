//! AXI4 transactions reassembled from the handshakes the memory slave's
//! channels made, independently of the slave's own bookkeeping: address
//! handshakes open a burst (with the cycle its VALID first rose), W beats
//! fill the oldest write burst still short of data (AXI4 has no WID), B
//! and R beats close the oldest burst of their ID.

use std::collections::VecDeque;

use ::axi::Resp;

use crate::bus::{AxiMasterSignals, AxiSlaveSignals};

/// A burst's address beat, as accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstAddr {
    /// Unique number of the burst (address-handshake order, both ways).
    pub seq: u64,
    pub id: u8,
    /// Start address as issued.
    pub addr: u64,
    pub beats: u16,
    /// The cycle its VALID was first seen (when the master issued it).
    pub issued: u64,
    /// The cycle of its address handshake.
    pub accepted: u64,
}

/// A write burst with all its beats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteData {
    pub addr: BurstAddr,
    /// Lane-aligned data from `addr.addr` rounded down to the bus width.
    pub data: Vec<u8>,
    /// One strobe mask per beat.
    pub strb: Vec<u16>,
    /// The cycle of its last W beat.
    pub cycle: u64,
}

impl WriteData {
    /// Bus address of `data[0]`.
    pub fn base(&self, bus_bytes: usize) -> u64 {
        self.addr.addr - self.addr.addr % bus_bytes as u64
    }

    /// The runs of strobed bytes: (bus address, bytes), in address order.
    pub fn runs(&self, bus_bytes: usize) -> Vec<(u64, &[u8])> {
        let on = |k: usize| self.strb[k / bus_bytes] & (1 << (k % bus_bytes)) != 0;
        let base = self.base(bus_bytes);
        let mut out = Vec::new();
        let mut k = 0;
        while k < self.data.len() {
            if !on(k) {
                k += 1;
                continue;
            }
            let start = k;
            while k < self.data.len() && on(k) {
                k += 1;
            }
            out.push((base + start as u64, &self.data[start..k]));
        }
        out
    }
}

/// A read burst with all its beats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadData {
    pub addr: BurstAddr,
    /// Lane-aligned data from `addr.addr` rounded down to the bus width.
    pub data: Vec<u8>,
    /// The worst response of its beats.
    pub resp: Resp,
    /// The cycle of its last R beat.
    pub cycle: u64,
}

/// Something per burst in flight, by the burst's `seq`: a few entries
/// (the bursts the slave holds), so a linear search beats hashing.
#[derive(Debug, Clone)]
pub struct BySeq<V>(Vec<(u64, V)>);

impl<V> Default for BySeq<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> BySeq<V> {
    pub fn insert(&mut self, seq: u64, v: V) {
        self.0.push((seq, v));
    }
    pub fn get(&self, seq: u64) -> Option<&V> {
        self.0.iter().find(|e| e.0 == seq).map(|e| &e.1)
    }
    pub fn remove(&mut self, seq: u64) -> Option<V> {
        let i = self.0.iter().position(|e| e.0 == seq)?;
        Some(self.0.swap_remove(i).1)
    }
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// What the channels did in one cycle, in the order it is to be handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusEvent {
    WriteIssued(BurstAddr),
    WriteData(WriteData),
    WriteResp {
        seq: u64,
        id: u8,
        resp: Resp,
        cycle: u64,
    },
    ReadIssued(BurstAddr),
    /// One R beat (the data so far of its burst follows it in
    /// [`BusEvent::ReadDone`]); descriptors are used as they arrive.
    ReadBeat {
        seq: u64,
        id: u8,
        data: u128,
        resp: Resp,
    },
    ReadDone(ReadData),
}

#[derive(Debug)]
struct OpenWrite {
    addr: BurstAddr,
    data: Vec<u8>,
    strb: Vec<u16>,
    received: u16,
}

#[derive(Debug)]
struct OpenRead {
    addr: BurstAddr,
    data: Vec<u8>,
    resp: Resp,
}

/// The reassembly state.
#[derive(Debug)]
pub struct Bursts {
    bus_bytes: usize,
    seq: u64,
    aw_since: Option<u64>,
    ar_since: Option<u64>,
    /// Write bursts still collecting W beats, oldest first.
    writing: VecDeque<OpenWrite>,
    /// W beats that came before their address.
    early_w: VecDeque<(u128, u16, u64)>,
    /// Write bursts awaiting their B, oldest first: (seq, id).
    awaiting_b: VecDeque<(u64, u8)>,
    reading: VecDeque<OpenRead>,
}

impl Bursts {
    pub fn new(bus_bytes: usize) -> Self {
        Self {
            bus_bytes,
            seq: 0,
            aw_since: None,
            ar_since: None,
            writing: VecDeque::new(),
            early_w: VecDeque::new(),
            awaiting_b: VecDeque::new(),
            reading: VecDeque::new(),
        }
    }

    /// Bursts accepted and not yet answered (reads, writes).
    pub fn in_flight(&self) -> (usize, usize) {
        (
            self.reading.len(),
            self.writing.len() + self.awaiting_b.len(),
        )
    }

    /// Anything offered or due on a channel this cycle (the cheap test
    /// before [`Bursts::observe`]).
    #[inline(always)]
    pub fn active(m: &AxiMasterSignals, s: &AxiSlaveSignals) -> bool {
        m.aw.valid | m.w.valid | m.ar.valid | s.r.valid | s.b.valid
    }

    /// The handshakes of `cycle` (the master's and the slave's signals as
    /// sampled before its edge), appended to `out`.
    pub fn observe(
        &mut self,
        cycle: u64,
        m: &AxiMasterSignals,
        s: &AxiSlaveSignals,
        out: &mut Vec<BusEvent>,
    ) {
        if m.aw.valid {
            let issued = *self.aw_since.get_or_insert(cycle);
            if s.awready {
                self.aw_since = None;
                let a = self.addr(m.aw.id, m.aw.addr, m.aw.len, issued, cycle);
                out.push(BusEvent::WriteIssued(a));
                self.open_write(a, out);
            }
        }
        if m.w.valid && s.wready {
            self.w_beat(m.w.data, m.w.strb, cycle, out);
        }
        if m.ar.valid {
            let issued = *self.ar_since.get_or_insert(cycle);
            if s.arready {
                self.ar_since = None;
                let a = self.addr(m.ar.id, m.ar.addr, m.ar.len, issued, cycle);
                out.push(BusEvent::ReadIssued(a));
                let n = usize::from(a.beats) * self.bus_bytes;
                self.reading.push_back(OpenRead {
                    addr: a,
                    data: Vec::with_capacity(n),
                    resp: Resp::Okay,
                });
            }
        }
        if s.r.valid && m.rready {
            self.r_beat(s.r.id, s.r.data, s.r.resp, s.r.last, cycle, out);
        }
        if s.b.valid && m.bready {
            if let Some(i) = self.awaiting_b.iter().position(|&(_, id)| id == s.b.id) {
                let (seq, id) = self.awaiting_b.remove(i).expect("index from position");
                out.push(BusEvent::WriteResp {
                    seq,
                    id,
                    resp: s.b.resp,
                    cycle,
                });
            }
        }
    }

    fn addr(&mut self, id: u8, addr: u64, len: u8, issued: u64, cycle: u64) -> BurstAddr {
        self.seq += 1;
        BurstAddr {
            seq: self.seq,
            id,
            addr,
            beats: u16::from(len) + 1,
            issued,
            accepted: cycle,
        }
    }

    fn open_write(&mut self, a: BurstAddr, out: &mut Vec<BusEvent>) {
        let n = usize::from(a.beats) * self.bus_bytes;
        self.writing.push_back(OpenWrite {
            addr: a,
            data: Vec::with_capacity(n),
            strb: Vec::with_capacity(usize::from(a.beats)),
            received: 0,
        });
        for (data, strb, cycle) in std::mem::take(&mut self.early_w) {
            self.w_beat(data, strb, cycle.max(a.accepted), out);
        }
    }

    fn w_beat(&mut self, data: u128, strb: u16, cycle: u64, out: &mut Vec<BusEvent>) {
        let bw = self.bus_bytes;
        let Some(w) = self.writing.front_mut() else {
            self.early_w.push_back((data, strb, cycle));
            return;
        };
        w.data.extend_from_slice(&data.to_le_bytes()[..bw]);
        w.strb.push(strb);
        w.received += 1;
        if w.received == w.addr.beats {
            let w = self.writing.pop_front().expect("front exists");
            self.awaiting_b.push_back((w.addr.seq, w.addr.id));
            out.push(BusEvent::WriteData(WriteData {
                addr: w.addr,
                data: w.data,
                strb: w.strb,
                cycle,
            }));
        }
    }

    fn r_beat(
        &mut self,
        id: u8,
        data: u128,
        resp: Resp,
        last: bool,
        cycle: u64,
        out: &mut Vec<BusEvent>,
    ) {
        let bw = self.bus_bytes;
        let Some(i) = self.reading.iter().position(|r| r.addr.id == id) else {
            return;
        };
        let r = &mut self.reading[i];
        out.push(BusEvent::ReadBeat {
            seq: r.addr.seq,
            id,
            data,
            resp,
        });
        r.data.extend_from_slice(&data.to_le_bytes()[..bw]);
        if resp != Resp::Okay {
            r.resp = resp;
        }
        if last || r.data.len() >= usize::from(r.addr.beats) * bw {
            let r = self.reading.remove(i).expect("index from position");
            out.push(BusEvent::ReadDone(ReadData {
                addr: r.addr,
                data: r.data,
                resp: r.resp,
                cycle,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{AddrBeat, BBeat, RBeat, WBeat};

    fn aw(id: u8, addr: u64, len: u8) -> AddrBeat {
        AddrBeat {
            valid: true,
            id,
            addr,
            len,
            size: 3,
            burst: 1,
        }
    }

    #[test]
    fn writes_take_w_beats_in_address_order_and_b_by_id() {
        let mut b = Bursts::new(8);
        let mut ev = Vec::new();
        let ready = AxiSlaveSignals {
            awready: false,
            wready: true,
            arready: true,
            ..Default::default()
        };
        // AW offered at cycle 1, accepted at 2 with its first W beat.
        let mut m = AxiMasterSignals {
            aw: aw(0, 0x1004, 1),
            bready: true,
            rready: true,
            ..Default::default()
        };
        b.observe(1, &m, &ready, &mut ev);
        assert!(ev.is_empty());
        let acc = AxiSlaveSignals {
            awready: true,
            ..ready
        };
        m.w = WBeat {
            valid: true,
            data: 0x1122_3344_5566_7788,
            strb: 0xf0,
            last: false,
        };
        b.observe(2, &m, &acc, &mut ev);
        m.aw.valid = false;
        m.w = WBeat {
            valid: true,
            data: 0xaabb,
            strb: 0x03,
            last: true,
        };
        b.observe(3, &m, &acc, &mut ev);
        assert!(
            matches!(ev[0], BusEvent::WriteIssued(a) if a.issued == 1 && a.accepted == 2 && a.beats == 2)
        );
        let BusEvent::WriteData(w) = &ev[1] else {
            panic!("{ev:?}")
        };
        assert_eq!(w.cycle, 3);
        let runs = w.runs(8);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].0, 0x1004);
        assert_eq!(runs[0].1, &[0x44, 0x33, 0x22, 0x11, 0xbb, 0xaa]);
        m.w.valid = false;
        let b_resp = AxiSlaveSignals {
            b: BBeat {
                valid: true,
                id: 0,
                resp: Resp::SlvErr,
            },
            ..acc
        };
        b.observe(5, &m, &b_resp, &mut ev);
        assert!(matches!(
            ev[2],
            BusEvent::WriteResp {
                seq: 1,
                resp: Resp::SlvErr,
                cycle: 5,
                ..
            }
        ));
        assert_eq!(b.in_flight(), (0, 0));
    }

    #[test]
    fn reads_close_on_their_last_beat_per_id() {
        let mut b = Bursts::new(8);
        let mut ev = Vec::new();
        let s = AxiSlaveSignals {
            arready: true,
            ..Default::default()
        };
        let mut m = AxiMasterSignals {
            ar: aw(1, 0x2000, 1),
            rready: true,
            ..Default::default()
        };
        b.observe(0, &m, &s, &mut ev);
        m.ar = aw(2, 0x3000, 0);
        b.observe(1, &m, &s, &mut ev);
        m.ar.valid = false;
        let beat = |id, data, last| AxiSlaveSignals {
            r: RBeat {
                valid: true,
                id,
                data,
                resp: Resp::Okay,
                last,
            },
            ..s
        };
        b.observe(5, &m, &beat(1, 1, false), &mut ev);
        b.observe(6, &m, &beat(2, 7, true), &mut ev);
        b.observe(7, &m, &beat(1, 2, true), &mut ev);
        let beats = ev
            .iter()
            .filter(|e| matches!(e, BusEvent::ReadBeat { .. }))
            .count();
        assert_eq!(beats, 3);
        let done: Vec<(u64, u8)> = ev
            .iter()
            .filter_map(|e| match e {
                BusEvent::ReadDone(r) => Some((r.addr.addr, r.data[0])),
                _ => None,
            })
            .collect();
        assert_eq!(done, [(0x3000, 7), (0x2000, 1)]);
        let BusEvent::ReadDone(r) = &ev[6] else {
            panic!()
        };
        assert_eq!(r.data[8], 2);
        assert_eq!(r.cycle, 7);
    }
}
