//! The ring auditor: after every doorbell and at the end of every poll,
//! what the driver wrote in the descriptor rings, the producer index it
//! doorbelled and the completions the NIC wrote agree.
//!
//! Every posted slot is snapshotted at its doorbell and compared at every
//! poll end until its completion (a slot rewritten while the NIC owns it);
//! every free slot is compared with what it held when it was last posted
//! (a descriptor written but never doorbelled). A doorbelled slot was not
//! written when the CPU observer (the barrier auditor) saw no write to it
//! since its previous post, or, without the observer, when its bytes are
//! those of its previous descriptor (or still all zero).

use std::fmt;

use nic_hw::regs::desc_layout;
use nic_hw::wire::Descriptor;
use pool::HostMemory;

use crate::view::{Queue, QueueView};

/// The rules of the ring contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingRule {
    /// A doorbell covers a slot not written since its previous descriptor.
    DoorbellUnwritten,
    /// A doorbell moves the producer index backwards.
    DoorbellBackwards,
    /// A doorbell puts more than a ring's worth in flight.
    DoorbellOverrun,
    /// A descriptor was written but no doorbell covered it.
    WrittenNotDoorbelled,
    /// A posted slot was rewritten while the NIC still owned it.
    RewrittenWhileOwned,
    /// A completion for an index that was never doorbelled.
    CompletionNotPosted,
    /// An RX descriptor of length 0.
    RxZeroLength,
    /// A doorbell on a ring whose base is in no live DMA mapping.
    RingUnmapped,
}

impl RingRule {
    /// The stable class name.
    pub fn class(self) -> &'static str {
        match self {
            RingRule::DoorbellUnwritten => "ring/doorbell-unwritten-slot",
            RingRule::DoorbellBackwards => "ring/doorbell-backwards",
            RingRule::DoorbellOverrun => "ring/doorbell-overrun",
            RingRule::WrittenNotDoorbelled => "ring/written-not-doorbelled",
            RingRule::RewrittenWhileOwned => "ring/slot-rewritten-while-owned",
            RingRule::CompletionNotPosted => "ring/completion-not-posted",
            RingRule::RxZeroLength => "ring/rx-desc-zero-len",
            RingRule::RingUnmapped => "ring/base-unmapped",
        }
    }
}

/// The descriptor in slot `slot` of a ring's bytes.
fn desc_at(ring: &[u8], slot: usize) -> DescImage {
    let at = slot * Descriptor::SIZE;
    let mut d = [0u8; Descriptor::SIZE];
    d.copy_from_slice(&ring[at..at + Descriptor::SIZE]);
    DescImage(d)
}

/// A descriptor as the auditor shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DescImage(pub [u8; Descriptor::SIZE]);

impl DescImage {
    fn field(&self, at: usize, n: usize) -> u64 {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&self.0[at..at + n]);
        u64::from_le_bytes(b)
    }
    /// The buffer's DMA address.
    pub fn addr(&self) -> u64 {
        self.field(desc_layout::ADDR, desc_layout::ADDR_BYTES)
    }
    /// The length field.
    pub fn buf_len(&self) -> u32 {
        self.field(desc_layout::LEN, desc_layout::LEN_BYTES) as u32
    }
    /// The tag.
    pub fn tag(&self) -> u32 {
        self.field(desc_layout::TAG, desc_layout::TAG_BYTES) as u32
    }
}

impl fmt::Display for DescImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{{addr {:#x} len {} tag {:#x}}}",
            self.addr(),
            self.buf_len(),
            self.tag()
        )
    }
}

/// One breach of the ring contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingViolation {
    /// The rule broken.
    pub rule: RingRule,
    /// The queue.
    pub queue: Queue,
    /// Free-running ring index (for a doorbell: the producer value).
    pub idx: u64,
    /// Ring slot.
    pub slot: usize,
    /// Device cycle.
    pub cycle: u64,
    /// What the contract expects.
    pub expected: String,
    /// What was seen.
    pub seen: String,
}

impl RingViolation {
    /// The stable class name.
    pub fn class(&self) -> &'static str {
        self.rule.class()
    }
    /// The device cycle it was seen at.
    pub fn cycle(&self) -> u64 {
        self.cycle
    }
}

impl fmt::Display for RingViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ring index {} (slot {}) at cycle {}: expected {}, seen {}",
            self.class(),
            self.queue,
            self.idx,
            self.slot,
            self.cycle,
            self.expected,
            self.seen
        )
    }
}

/// A descriptor the NIC owns: its index and its bytes at the doorbell.
#[derive(Clone, Copy, Debug)]
struct Posted {
    idx: u64,
    desc: DescImage,
    cycle: u64,
}

/// One ring's slots: what each free slot last held, what each posted one
/// held at its doorbell.
#[derive(Clone, Debug, Default)]
struct SlotBook {
    baseline: Vec<DescImage>,
    posted: Vec<Option<Posted>>,
}

impl SlotBook {
    fn new(v: &QueueView, mem: &HostMemory) -> Self {
        let n = usize::from(v.size);
        let mut ring = Vec::new();
        let baseline = if v.read_ring(mem, &mut ring) {
            (0..n).map(|slot| desc_at(&ring, slot)).collect()
        } else {
            vec![DescImage([0; Descriptor::SIZE]); n]
        };
        SlotBook {
            baseline,
            posted: vec![None; n],
        }
    }
}

/// The ring auditor of both queues.
#[derive(Clone, Debug, Default)]
pub struct RingAuditor {
    rx: SlotBook,
    tx: SlotBook,
    violations: Vec<RingViolation>,
    /// The ring's bytes as last read (reused between reads).
    scratch: Vec<u8>,
}

impl RingAuditor {
    fn book(&mut self, q: Queue) -> &mut SlotBook {
        match q {
            Queue::Rx => &mut self.rx,
            Queue::Tx => &mut self.tx,
        }
    }

    /// Everything found so far.
    pub fn violations(&self) -> &[RingViolation] {
        &self.violations
    }

    /// Forgets every slot (after a reset).
    pub fn reset(&mut self) {
        self.rx = SlotBook::default();
        self.tx = SlotBook::default();
    }

    /// A ring was programmed: its slots start as they are in memory.
    pub fn ring_programmed(&mut self, v: &QueueView, mem: &HostMemory) {
        *self.book(v.queue) = SlotBook::new(v, mem);
    }

    fn push(
        &mut self,
        v: &QueueView,
        rule: RingRule,
        idx: u64,
        cycle: u64,
        expected: String,
        seen: String,
    ) {
        self.violations.push(RingViolation {
            rule,
            queue: v.queue,
            idx,
            slot: v.slot(idx),
            cycle,
            expected,
            seen,
        });
    }

    /// Completions `range` arrived: each must be for a posted descriptor;
    /// its slot is free again.
    pub fn completed(&mut self, v: &QueueView, range: std::ops::Range<u64>, cycle: u64) {
        for idx in range {
            let slot = v.slot(idx);
            let posted = self
                .book(v.queue)
                .posted
                .get_mut(slot)
                .and_then(Option::take);
            match posted {
                Some(p) if p.idx == idx => self.book(v.queue).baseline[slot] = p.desc,
                other => {
                    let seen = other.map_or_else(
                        || "the slot holds no posted descriptor".to_string(),
                        |p| format!("the slot holds index {}", p.idx),
                    );
                    self.push(
                        v,
                        RingRule::CompletionNotPosted,
                        idx,
                        cycle,
                        format!(
                            "a completion only for indices below the producer {}",
                            v.prod
                        ),
                        format!("a completion with a valid phase bit; {seen}"),
                    );
                }
            }
        }
    }

    /// A doorbell of `new_prod` on `v` (before the view moves): checks the
    /// new range and snapshots it. `written`, when known, says for each
    /// index of the new range whether the CPU wrote its slot since its
    /// previous post.
    pub fn doorbell(
        &mut self,
        v: &QueueView,
        new_prod: u64,
        mem: &HostMemory,
        cycle: u64,
        written: Option<&[bool]>,
    ) {
        if !v.is_live() {
            self.push(
                v,
                RingRule::RingUnmapped,
                new_prod,
                cycle,
                "ring bases inside live DMA mappings and a ring size written".into(),
                format!(
                    "ring {:#x}, completions {:#x}, size {}",
                    v.desc_base, v.cq_base, v.size
                ),
            );
            return;
        }
        if new_prod < v.prod {
            self.push(
                v,
                RingRule::DoorbellBackwards,
                new_prod,
                cycle,
                format!("a producer index at or after {}", v.prod),
                format!("{new_prod}"),
            );
            return;
        }
        let size = u64::from(v.size);
        if new_prod - v.completed > size {
            self.push(
                v,
                RingRule::DoorbellOverrun,
                new_prod,
                cycle,
                format!("at most {size} in flight ({} completed)", v.completed),
                format!("{} in flight", new_prod - v.completed),
            );
            return;
        }
        let mut now = std::mem::take(&mut self.scratch);
        if !v.read_ring(mem, &mut now) {
            self.scratch = now;
            return;
        }
        for (i, idx) in (v.prod..new_prod).enumerate() {
            let desc = desc_at(&now, v.slot(idx));
            let unwritten = match written {
                Some(w) => !w.get(i).copied().unwrap_or(false),
                None => desc == self.book(v.queue).baseline[v.slot(idx)],
            };
            self.post(v, idx, desc, cycle, unwritten);
        }
        self.scratch = now;
    }

    fn post(&mut self, v: &QueueView, idx: u64, desc: DescImage, cycle: u64, unwritten: bool) {
        let slot = v.slot(idx);
        if unwritten {
            self.push(
                v,
                RingRule::DoorbellUnwritten,
                idx,
                cycle,
                "a descriptor written since the slot's previous one".into(),
                format!("the slot unchanged: {desc}"),
            );
        }
        if v.queue == Queue::Rx && desc.buf_len() == 0 {
            self.push(
                v,
                RingRule::RxZeroLength,
                idx,
                cycle,
                "an RX buffer length above 0".into(),
                format!("{desc}"),
            );
        }
        self.book(v.queue).posted[slot] = Some(Posted { idx, desc, cycle });
    }

    /// At the end of a poll (or at close): posted slots unchanged since
    /// their doorbell, free slots unchanged since they were last posted.
    pub fn audit_memory(&mut self, v: &QueueView, mem: &HostMemory, cycle: u64) {
        if !v.is_live() {
            return;
        }
        let mut ring = std::mem::take(&mut self.scratch);
        if v.read_ring(mem, &mut ring) {
            self.audit_slots(v, &ring, cycle);
        }
        self.scratch = ring;
    }

    /// The slots of `ring` (the bytes in memory now) against the book.
    fn audit_slots(&mut self, v: &QueueView, ring: &[u8], cycle: u64) {
        for slot in 0..usize::from(v.size) {
            let now = desc_at(ring, slot);
            let book = self.book(v.queue);
            match book.posted[slot] {
                Some(p) if p.desc != now => {
                    book.posted[slot] = Some(Posted { desc: now, ..p });
                    self.push(
                        v,
                        RingRule::RewrittenWhileOwned,
                        p.idx,
                        cycle,
                        format!("the descriptor doorbelled at cycle {}: {}", p.cycle, p.desc),
                        format!("{now}, before its completion"),
                    );
                }
                Some(_) => {}
                None if book.baseline[slot] != now => {
                    let was = std::mem::replace(&mut book.baseline[slot], now);
                    let idx = first_index_of(v, slot);
                    self.push(
                        v,
                        RingRule::WrittenNotDoorbelled,
                        idx,
                        cycle,
                        format!("a doorbell past index {idx} (producer {}) for it", v.prod),
                        format!("{now} written over {was}, no doorbell"),
                    );
                }
                None => {}
            }
        }
    }

    /// Posted descriptors of `q`, oldest first: (index, descriptor).
    pub fn posted(&self, q: Queue) -> Vec<(u64, DescImage)> {
        let book = match q {
            Queue::Rx => &self.rx,
            Queue::Tx => &self.tx,
        };
        let mut v: Vec<(u64, DescImage)> = book
            .posted
            .iter()
            .flatten()
            .map(|p| (p.idx, p.desc))
            .collect();
        v.sort_by_key(|(i, _)| *i);
        v
    }
}

/// The next free-running index at or after the producer that uses `slot`.
fn first_index_of(v: &QueueView, slot: usize) -> u64 {
    let size = u64::from(v.size);
    let base = v.prod - v.prod % size;
    let idx = base + slot as u64;
    if idx < v.prod {
        idx + size
    } else {
        idx
    }
}
