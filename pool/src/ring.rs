//! A bounded lock-free ring with many producers and one consumer: the
//! page pool's recycle ring (the kernel's `ptr_ring`).
//!
//! The algorithm is Dmitry Vyukov's bounded queue: every slot carries a
//! stamp saying which lap it is ready for, producers claim a position with a
//! compare-and-swap on `tail`, and the single consumer needs no atomic
//! read-modify-write at all: it owns `head` (kept in the [`Consumer`]) and
//! only publishes it for the producers' "ring full" check. Values are `u64`
//! (the pool stores page frame numbers), so the ring needs no `unsafe`.
//!
//! Single consumer is enforced by the types: [`ring`] returns one
//! [`Consumer`] (not `Clone`, `pop` takes `&mut self`) and a cloneable
//! [`Producer`].
//!
//! Slot states follow the kernel's `ptr_ring` (include/linux/ptr_ring.h,
//! Linux 6.12): a slot the consumer has read is not handed back to the
//! producers at once. `__ptr_ring_discard_one` zeroes consumed slots in
//! batches of [`ptr_ring_batch`] (16 on x86-64), when the batch is
//! complete or the consumer reaches the end of the ring, and
//! `__ptr_ring_produce` refuses a slot that is still non-NULL. So a push can
//! find the ring full with fewer than `cap` values queued (up to
//! `batch - 1` consumed slots not yet zeroed), exactly when the kernel's
//! producer would. Here "zeroing" is the consumer's stamp store that
//! releases a slot for the next lap, deferred to the end of its batch; the
//! released position is published for the producers' full check.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Pads a value to its own cache line pair to avoid false sharing.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded<T>(T);

#[derive(Debug)]
struct Slot {
    stamp: AtomicU64,
    value: AtomicU64,
}

/// The consumer's two published positions, written by the consumer only.
#[derive(Debug, Default)]
struct ConsumerPos {
    /// Next position to pop (the kernel's `consumer_head`), for [`Shared::len`].
    head: AtomicU64,
    /// First position whose slot is not yet released to the producers (the
    /// kernel's `consumer_tail`: slots from here to `head` are consumed but
    /// still non-NULL), for the producers' full check.
    released: AtomicU64,
}

#[derive(Debug)]
struct Shared {
    consumer: Padded<ConsumerPos>,
    /// Producer position.
    tail: Padded<AtomicU64>,
    slots: Box<[Slot]>,
    cap: u64,
    /// Consumed slots released together ([`ptr_ring_batch`]).
    batch: u64,
    /// Smallest power of two above `cap`: positions are `lap | index`.
    one_lap: u64,
}

/// The producing side; clone it freely, push from any thread.
#[derive(Clone, Debug)]
pub struct Producer {
    shared: Arc<Shared>,
}

/// The single consuming side.
#[derive(Debug)]
pub struct Consumer {
    shared: Arc<Shared>,
    head: u64,
    /// First consumed position not yet released (`consumer_tail`).
    released: u64,
}

/// `SMP_CACHE_BYTES` of the modelled platform (x86-64: `L1_CACHE_BYTES`,
/// 64; arm64 has the same).
pub const SMP_CACHE_BYTES: usize = 64;

/// `sizeof(void *)` on the modelled 64-bit platform (a ring slot).
const SLOT_BYTES: usize = 8;

/// `__ptr_ring_set_size`'s batch for a ring of `size` slots: two cache
/// lines of slots (`SMP_CACHE_BYTES * 2 / sizeof(void *)`, 16), or 1 when
/// that is more than half the ring ("batching too much would cause a lot
/// of burstiness").
pub fn ptr_ring_batch(size: usize) -> usize {
    let batch = SMP_CACHE_BYTES * 2 / SLOT_BYTES;
    if batch > size / 2 || batch == 0 {
        1
    } else {
        batch
    }
}

/// Creates a ring of `cap` slots (`cap >= 1`; 0 is raised to 1), the
/// kernel's `ptr_ring_init`: it holds up to `cap` values, fewer while
/// consumed slots wait for their batch (see the module docs).
pub fn ring(cap: usize) -> (Producer, Consumer) {
    let cap = cap.max(1) as u64;
    let batch = ptr_ring_batch(cap as usize) as u64;
    let one_lap = (cap + 1).next_power_of_two();
    let slots = (0..cap)
        .map(|i| Slot {
            stamp: AtomicU64::new(i),
            value: AtomicU64::new(0),
        })
        .collect();
    let shared = Arc::new(Shared {
        consumer: Padded(ConsumerPos::default()),
        tail: Padded(AtomicU64::new(0)),
        slots,
        cap,
        batch,
        one_lap,
    });
    (
        Producer {
            shared: shared.clone(),
        },
        Consumer {
            shared,
            head: 0,
            released: 0,
        },
    )
}

impl Shared {
    #[inline]
    fn next(&self, pos: u64) -> u64 {
        let index = pos & (self.one_lap - 1);
        if index + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    fn len(&self) -> usize {
        loop {
            let tail = self.tail.0.load(Ordering::SeqCst);
            let head = self.consumer.0.head.load(Ordering::SeqCst);
            if self.tail.0.load(Ordering::SeqCst) == tail {
                let hix = head & (self.one_lap - 1);
                let tix = tail & (self.one_lap - 1);
                return if hix < tix {
                    (tix - hix) as usize
                } else if hix > tix {
                    (self.cap - hix + tix) as usize
                } else if tail == head {
                    0
                } else {
                    self.cap as usize
                };
            }
        }
    }
}

impl Producer {
    /// Pushes `value`; gives it back if the ring is full: the slot at the
    /// producer position still holds a value, queued or consumed and not
    /// yet released (`__ptr_ring_produce`: `r->queue[r->producer]` is not
    /// NULL).
    #[inline]
    pub fn push(&self, value: u64) -> Result<(), u64> {
        let s = &*self.shared;
        let mut tail = s.tail.0.load(Ordering::Relaxed);
        loop {
            let slot = &s.slots[(tail & (s.one_lap - 1)) as usize];
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                match s.tail.0.compare_exchange_weak(
                    tail,
                    s.next(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        slot.value.store(value, Ordering::Relaxed);
                        slot.stamp.store(tail + 1, Ordering::Release);
                        return Ok(());
                    }
                    Err(t) => tail = t,
                }
            } else if stamp.wrapping_add(s.one_lap) == tail + 1 {
                // The slot still holds last lap's value (queued, or
                // consumed and waiting for its batch): full unless the
                // consumer released it meanwhile.
                std::sync::atomic::fence(Ordering::SeqCst);
                let released = s.consumer.0.released.load(Ordering::Relaxed);
                if released.wrapping_add(s.one_lap) == tail {
                    return Err(value);
                }
                tail = s.tail.0.load(Ordering::Relaxed);
            } else {
                // Another producer claimed this position; catch up.
                std::hint::spin_loop();
                tail = s.tail.0.load(Ordering::Relaxed);
            }
        }
    }

    /// Capacity.
    pub fn capacity(&self) -> usize {
        self.shared.cap as usize
    }

    /// Consumed slots released together ([`ptr_ring_batch`]).
    pub fn batch(&self) -> usize {
        self.shared.batch as usize
    }

    /// Successful pushes since creation, read off the tail position (so
    /// counting them costs producers nothing).
    pub fn pushed(&self) -> u64 {
        let s = &*self.shared;
        let tail = s.tail.0.load(Ordering::Acquire);
        (tail / s.one_lap) * s.cap + (tail & (s.one_lap - 1))
    }

    /// Values currently queued (a snapshot).
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Whether the ring is empty (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Consumer {
    /// Pops the oldest value (`__ptr_ring_consume`). A push whose position
    /// was claimed but whose value is not yet stored counts as not there
    /// yet. The slot stays taken until its batch is released
    /// ([`Self::discard_batch`]).
    #[inline]
    pub fn pop(&mut self) -> Option<u64> {
        let s = &*self.shared;
        let head = self.head;
        let index = head & (s.one_lap - 1);
        let slot = &s.slots[index as usize];
        if slot.stamp.load(Ordering::Acquire) != head + 1 {
            return None;
        }
        let value = slot.value.load(Ordering::Relaxed);
        let next = s.next(head);
        self.head = next;
        s.consumer.0.head.store(next, Ordering::Release);
        // __ptr_ring_discard_one: a whole batch consumed, or the end of
        // the ring reached.
        let released_index = self.released & (s.one_lap - 1);
        if index + 1 - released_index >= s.batch || index + 1 >= s.cap {
            self.discard_batch(head, next);
        }
        Some(value)
    }

    /// `__ptr_ring_discard_one`'s zeroing: releases the slots of the
    /// positions from the last release up to `last` (one batch, never
    /// across the end of the ring) to the producers, in reverse order like
    /// the kernel, then publishes `next` as the released position.
    #[inline(never)]
    fn discard_batch(&mut self, last: u64, next: u64) {
        let s = &*self.shared;
        for pos in (self.released..=last).rev() {
            s.slots[(pos & (s.one_lap - 1)) as usize]
                .stamp
                .store(pos.wrapping_add(s.one_lap), Ordering::Release);
        }
        self.released = next;
        s.consumer.0.released.store(next, Ordering::Release);
    }

    /// The values ready to pop, oldest first, without popping them (a
    /// snapshot: producers may add more meanwhile).
    pub fn snapshot(&self) -> Vec<u64> {
        let s = &*self.shared;
        let mut out = Vec::new();
        let mut pos = self.head;
        while out.len() < s.cap as usize {
            let slot = &s.slots[(pos & (s.one_lap - 1)) as usize];
            if slot.stamp.load(Ordering::Acquire) != pos + 1 {
                break;
            }
            out.push(slot.value.load(Ordering::Relaxed));
            pos = s.next(pos);
        }
        out
    }

    /// Whether nothing is ready to pop (the kernel's `__ptr_ring_empty`).
    #[inline]
    pub fn is_empty(&self) -> bool {
        let s = &*self.shared;
        s.slots[(self.head & (s.one_lap - 1)) as usize]
            .stamp
            .load(Ordering::Acquire)
            != self.head + 1
    }

    /// Values currently queued (a snapshot).
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Capacity.
    pub fn capacity(&self) -> usize {
        self.shared.cap as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_and_full() {
        let (p, mut c) = ring(3);
        assert_eq!(c.pop(), None);
        assert!(c.is_empty());
        for v in 10..13 {
            p.push(v).unwrap();
        }
        assert_eq!(p.push(13), Err(13));
        assert_eq!(p.len(), 3);
        assert_eq!(p.pushed(), 3);
        assert_eq!(c.snapshot(), [10, 11, 12]);
        assert_eq!(c.pop(), Some(10));
        p.push(13).unwrap();
        assert_eq!(c.snapshot(), [11, 12, 13], "across the lap");
        assert_eq!(
            std::iter::from_fn(|| c.pop()).collect::<Vec<_>>(),
            [11, 12, 13]
        );
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn many_laps_keep_order() {
        for cap in [1, 2, 5, 8, 1024] {
            let (p, mut c) = ring(cap);
            let mut next_out = 0;
            let batch = ptr_ring_batch(cap);
            for v in 0..(cap as u64 * 7 + 3) {
                while p.push(v).is_err() {
                    // full: queued values plus consumed slots waiting for
                    // their batch fill the ring
                    assert!(p.len() > cap - batch, "cap {cap}: {}", p.len());
                    assert_eq!(c.pop(), Some(next_out));
                    next_out += 1;
                }
            }
            while let Some(v) = c.pop() {
                assert_eq!(v, next_out);
                next_out += 1;
            }
            assert_eq!(next_out, cap as u64 * 7 + 3);
            assert_eq!(p.pushed(), cap as u64 * 7 + 3);
        }
    }

    /// `__ptr_ring_set_size`: 16 slots (two 64-byte lines of pointers),
    /// or 1 when 16 is more than half the ring.
    #[test]
    fn batch_is_two_cache_lines_of_slots_or_one() {
        let batches: Vec<usize> = [1, 2, 31, 32, 33, 1024, 16384]
            .into_iter()
            .map(ptr_ring_batch)
            .collect();
        assert_eq!(batches, [1, 1, 1, 16, 16, 16, 16]);
        assert_eq!(ring(1024).0.batch(), 16);
        assert_eq!(ring(0).0.batch(), 1, "0 is raised to 1");
    }

    /// `__ptr_ring_discard_one`: consumed slots are released when their
    /// batch of 16 is complete; until then the producer finds its slot
    /// taken.
    #[test]
    fn consumed_slots_are_released_by_whole_batches() {
        let (p, mut c) = ring(32);
        for v in 0..32 {
            p.push(v).unwrap();
        }
        for v in 0..15 {
            assert_eq!(c.pop(), Some(v));
        }
        assert_eq!(p.len(), 17);
        assert_eq!(p.push(99), Err(99), "15 consumed, none released");
        assert_eq!(c.pop(), Some(15));
        for v in 32..48 {
            p.push(v).unwrap();
        }
        assert_eq!(p.push(99), Err(99));
        assert_eq!(p.pushed(), 48);
        let rest: Vec<u64> = std::iter::from_fn(|| c.pop()).collect();
        assert_eq!(rest, (16..48).collect::<Vec<_>>());
    }

    /// `__ptr_ring_discard_one`: reaching the end of the ring releases the
    /// partial batch there (size 40: batches 0..16, 16..32, 32..40).
    #[test]
    fn the_end_of_the_ring_closes_a_batch() {
        let (p, mut c) = ring(40);
        for v in 0..40 {
            p.push(v).unwrap();
        }
        for v in 0..34 {
            assert_eq!(c.pop(), Some(v));
        }
        // 0..32 released, 32 and 33 consumed but taken
        for v in 40..72 {
            p.push(v).unwrap();
        }
        assert_eq!(p.push(99), Err(99));
        for v in 34..40 {
            assert_eq!(c.pop(), Some(v));
        }
        // the end of the ring released 32..40 although only 8 were in it
        for v in 72..80 {
            p.push(v).unwrap();
        }
        assert_eq!(p.push(99), Err(99));
        assert_eq!(p.len(), 40);
    }

    #[test]
    fn producers_on_threads() {
        let (p, mut c) = ring(64);
        let threads: Vec<_> = (0..3u64)
            .map(|t| {
                let p = p.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000u64 {
                        let mut v = t << 32 | i;
                        while let Err(back) = p.push(v) {
                            v = back;
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let mut last = [None::<u64>; 3];
        let mut got = 0;
        while got < 60_000 {
            match c.pop() {
                Some(v) => {
                    let t = (v >> 32) as usize;
                    let i = v & 0xffff_ffff;
                    // per-producer FIFO order, nothing lost or duplicated
                    assert_eq!(last[t].map_or(0, |l| l + 1), i);
                    last[t] = Some(i);
                    got += 1;
                }
                None => std::thread::yield_now(),
            }
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(c.pop(), None);
    }
}
