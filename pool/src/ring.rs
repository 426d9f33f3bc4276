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

#[derive(Debug)]
struct Shared {
    /// Consumer position, published for the producers' full check.
    head: Padded<AtomicU64>,
    /// Producer position.
    tail: Padded<AtomicU64>,
    slots: Box<[Slot]>,
    cap: u64,
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
}

/// Creates a ring holding up to `cap` values (`cap >= 1`; 0 is raised to 1).
pub fn ring(cap: usize) -> (Producer, Consumer) {
    let cap = cap.max(1) as u64;
    let one_lap = (cap + 1).next_power_of_two();
    let slots = (0..cap)
        .map(|i| Slot {
            stamp: AtomicU64::new(i),
            value: AtomicU64::new(0),
        })
        .collect();
    let shared = Arc::new(Shared {
        head: Padded(AtomicU64::new(0)),
        tail: Padded(AtomicU64::new(0)),
        slots,
        cap,
        one_lap,
    });
    (
        Producer {
            shared: shared.clone(),
        },
        Consumer { shared, head: 0 },
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
            let head = self.head.0.load(Ordering::SeqCst);
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
    /// Pushes `value`; gives it back if the ring is full.
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
                // The slot still holds last lap's value: full unless the
                // consumer moved on meanwhile.
                std::sync::atomic::fence(Ordering::SeqCst);
                let head = s.head.0.load(Ordering::Relaxed);
                if head.wrapping_add(s.one_lap) == tail {
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
    /// Pops the oldest value. A push whose position was claimed but whose
    /// value is not yet stored counts as not there yet.
    #[inline]
    pub fn pop(&mut self) -> Option<u64> {
        let s = &*self.shared;
        let head = self.head;
        let slot = &s.slots[(head & (s.one_lap - 1)) as usize];
        if slot.stamp.load(Ordering::Acquire) != head + 1 {
            return None;
        }
        let value = slot.value.load(Ordering::Relaxed);
        slot.stamp
            .store(head.wrapping_add(s.one_lap), Ordering::Release);
        self.head = s.next(head);
        s.head.0.store(self.head, Ordering::Release);
        Some(value)
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
            for v in 0..(cap as u64 * 7 + 3) {
                if p.push(v).is_err() {
                    assert_eq!(p.len(), cap);
                    assert_eq!(c.pop(), Some(next_out));
                    next_out += 1;
                    p.push(v).unwrap();
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
