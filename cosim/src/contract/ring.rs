//! One descriptor ring as the monitor sees it: the indices the driver
//! doorbelled (with the cycle), the descriptors the NIC fetched (from the
//! read data of its fetch bursts), which are completed. Per-slot payload
//! state `T` belongs to the RX or TX side.

use std::collections::VecDeque;

use nic_hw::wire::Descriptor;

use super::bursts::BurstAddr;
use super::regs::RegView;
use super::violation::{Ring, RtlViolation};

/// One doorbelled descriptor index.
#[derive(Debug, Clone)]
pub struct Slot<T> {
    pub idx: u16,
    /// Cycle the doorbell that posted it was taken by the NIC.
    pub doorbelled: u64,
    /// The descriptor as the NIC read it.
    pub desc: Option<Descriptor>,
    pub completed: bool,
    pub state: T,
}

/// A descriptor fetch burst in flight.
#[derive(Debug)]
struct Fetch {
    seq: u64,
    first: u16,
    count: u16,
    /// Offset of the first descriptor in the lane-aligned data.
    offset: usize,
    data: Vec<u8>,
    error: bool,
}

/// The window of a ring from the oldest index not completed to the
/// driver's doorbell.
#[derive(Debug)]
pub struct RingWindow<T> {
    ring: Ring,
    /// Index of `slots[0]`.
    base: u16,
    slots: VecDeque<Slot<T>>,
    /// Next index the NIC is to fetch.
    next_fetch: u16,
    /// Fetch bursts in flight, oldest first.
    fetching: Vec<Fetch>,
}

impl<T: Default> RingWindow<T> {
    pub fn new(ring: Ring) -> Self {
        Self {
            ring,
            base: 0,
            slots: VecDeque::new(),
            next_fetch: 0,
            fetching: Vec::new(),
        }
    }

    /// Forgets everything (ring size written, reset): indices restart at 0.
    pub fn restart(&mut self) {
        *self = Self::new(self.ring);
    }

    /// The driver's doorbell (free-running index one past the newest slot).
    pub fn doorbell(&self) -> u16 {
        self.base.wrapping_add(self.slots.len() as u16)
    }

    /// The next index to complete.
    pub fn base(&self) -> u16 {
        self.base
    }

    /// The driver wrote `prod` to the doorbell (taken at `cycle`). The NIC
    /// refuses one more than a ring ahead of its fetch index (then the
    /// write's error response takes it back, [`RingWindow::unpost`]); one
    /// behind the doorbell, or with no ring configured, posts nothing.
    pub fn post(&mut self, prod: u16, size: u16, cycle: u64) {
        let ahead = prod.wrapping_sub(self.base);
        let limit = self.next_fetch.wrapping_sub(self.base).saturating_add(size);
        if size == 0 || ahead > limit || ahead < self.slots.len() as u16 {
            return;
        }
        while (self.slots.len() as u16) < ahead {
            self.slots.push_back(Slot {
                idx: self.doorbell(),
                doorbelled: cycle,
                desc: None,
                completed: false,
                state: T::default(),
            });
        }
    }

    /// Takes back the slots after `prod` that are not fetched (a doorbell
    /// write the NIC refused).
    pub fn unpost(&mut self, prod: u16) {
        while self.doorbell() != prod {
            match self.slots.back() {
                Some(s) if !self.fetch_issued_for(s.idx) => {
                    self.slots.pop_back();
                }
                _ => return,
            }
        }
    }

    /// Has a fetch burst for `idx` been issued?
    fn fetch_issued_for(&self, idx: u16) -> bool {
        idx.wrapping_sub(self.base) < self.next_fetch.wrapping_sub(self.base)
    }

    pub fn slot(&self, idx: u16) -> Option<&Slot<T>> {
        self.slots.get(usize::from(idx.wrapping_sub(self.base)))
    }
    pub fn slot_mut(&mut self, idx: u16) -> Option<&mut Slot<T>> {
        self.slots.get_mut(usize::from(idx.wrapping_sub(self.base)))
    }

    /// Fetched slots not completed, oldest first.
    pub fn open_mut(&mut self) -> impl Iterator<Item = &mut Slot<T>> {
        self.slots
            .iter_mut()
            .filter(|s| s.desc.is_some() && !s.completed)
    }

    /// Was `idx` completed already (behind the window, or marked)?
    pub fn is_completed(&self, idx: u16) -> bool {
        let back = self.base.wrapping_sub(idx);
        (1..=0x8000).contains(&back) || self.slot(idx).is_some_and(|s| s.completed)
    }

    /// Marks `idx` completed and drops the completed slots at the front.
    pub fn complete(&mut self, idx: u16) {
        if let Some(s) = self.slot_mut(idx) {
            s.completed = true;
        }
        while self.slots.front().is_some_and(|s| s.completed) {
            self.slots.pop_front();
            self.base = self.base.wrapping_add(1);
        }
    }

    /// A fetch burst was issued: it must read the slots of the next
    /// indices, all doorbelled.
    pub fn fetch_issued(
        &mut self,
        a: &BurstAddr,
        bus_bytes: usize,
        regs: &RegView,
        out: &mut Vec<RtlViolation>,
    ) {
        let size = regs.ring_size(self.ring);
        let n = (usize::from(a.beats) * bus_bytes / Descriptor::SIZE).max(1) as u16;
        let base = regs.ring_base(self.ring);
        let expected = base + Descriptor::SIZE as u64 * u64::from(self.next_fetch % size.max(1));
        let first = self.next_fetch;
        let doorbell = self.doorbell();
        let beyond = (0..n)
            .map(|k| first.wrapping_add(k))
            .find(|&i| i.wrapping_sub(self.base) >= doorbell.wrapping_sub(self.base));
        if let Some(idx) = beyond {
            out.push(RtlViolation::FetchNotDoorbelled {
                ring: self.ring,
                idx,
                doorbell,
                addr: a.addr,
                cycle: a.issued,
            });
        }
        if a.addr != expected {
            out.push(RtlViolation::FetchWrongAddress {
                ring: self.ring,
                idx: first,
                expected,
                addr: a.addr,
                cycle: a.accepted,
            });
        }
        self.fetching.push(Fetch {
            seq: a.seq,
            first,
            count: n,
            offset: (a.addr % bus_bytes as u64) as usize,
            data: Vec::with_capacity(usize::from(a.beats) * bus_bytes),
            error: false,
        });
        self.next_fetch = first.wrapping_add(n);
    }

    /// One R beat of a fetch burst: every descriptor it completes is known
    /// from now on (the NIC may use it before the burst's last beat).
    pub fn fetch_beat(&mut self, seq: u64, data: u128, resp: ::axi::Resp, bus_bytes: usize) {
        let Some(k) = self.fetching.iter().position(|f| f.seq == seq) else {
            return;
        };
        let f = &mut self.fetching[k];
        let had = f.data.len();
        f.data.extend_from_slice(&data.to_le_bytes()[..bus_bytes]);
        f.error |= resp != ::axi::Resp::Okay;
        if f.error {
            return;
        }
        let size = Descriptor::SIZE;
        let done_before = had.saturating_sub(f.offset) / size;
        let done_now = (f.data.len().saturating_sub(f.offset) / size).min(usize::from(f.count));
        let parsed: Vec<(u16, Descriptor)> = (done_before..done_now)
            .map(|j| {
                let at = f.offset + j * size;
                let d = Descriptor::parse(&f.data[at..at + size]).expect("16 bytes");
                (f.first.wrapping_add(j as u16), d)
            })
            .collect();
        for (idx, d) in parsed {
            if let Some(s) = self.slot_mut(idx) {
                s.desc = Some(d);
            }
        }
    }

    /// A fetch burst's last beat arrived.
    pub fn fetch_done(&mut self, seq: u64) {
        self.fetching.retain(|f| f.seq != seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doorbells_open_slots_and_completion_closes_them_in_order() {
        let mut w: RingWindow<()> = RingWindow::new(Ring::Rx);
        w.post(3, 4, 10);
        assert_eq!(w.doorbell(), 3);
        w.post(9, 4, 11);
        assert_eq!(w.doorbell(), 3, "more than the ring size ahead: refused");
        w.unpost(2);
        assert_eq!(w.doorbell(), 2);
        w.post(4, 4, 12);
        assert_eq!(w.slot(3).unwrap().doorbelled, 12);
        w.complete(1);
        assert_eq!(w.base(), 0);
        w.complete(0);
        assert_eq!(w.base(), 2);
        assert!(w.is_completed(0) && w.is_completed(1) && !w.is_completed(2));
    }
}
