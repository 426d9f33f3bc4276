//! `__ptr_ring_produce` and `__ptr_ring_discard_one` (include/linux/
//! ptr_ring.h, Linux 6.12 LTS): when the page pool's recycle ring reports
//! full.
//!
//! A producer stores into `queue[producer]` only if that slot is NULL. The
//! consumer does not NULL a slot when it consumes it: `__ptr_ring_discard_one`
//! zeroes the consumed slots in batches, once
//! `consumer_head - consumer_tail >= batch` or at the end of the ring, so a
//! producer can find the ring full although fewer than `size` entries are
//! queued. `ptr_ring_init` sets
//! `batch = SMP_CACHE_BYTES * 2 / sizeof(void *)` (16 on x86-64), or 1 when
//! that is more than half the ring. The page pool consumes in
//! `page_pool_refill_alloc_cache` and produces in `page_pool_recycle_in_ring`
//! and `page_pool_put_page_bulk`; a refused page counts `ring_full` and is
//! released.

use pool::*;

use crate::common::*;

/// A pool with a ring of `pool_size` slots and `bulks` slow bulks of 64
/// pages handed out: the alloc cache is empty, so the next allocation
/// refills from the ring.
fn drained_pool(
    mem: &HostMemory,
    dev: &DmaDev,
    pool_size: usize,
    bulks: usize,
) -> (PagePool, Vec<PpPage>) {
    let mut pool = mapped_pool(mem, dev, |p| p.pool_size = pool_size);
    let pages = (0..64 * bulks)
        .map(|_| pool.dev_alloc_pages().unwrap())
        .collect();
    assert_eq!(pool.cached_pages(), 0);
    (pool, pages)
}

/// Puts `n` pages from `pages` through a handle (the ring path); returns
/// the `(ring, ring_full)` counters after.
fn put_to_ring(pool: &PagePool, pages: &mut Vec<PpPage>, n: usize) -> (u64, u64) {
    let stack = pool.handle();
    for p in pages.drain(..n) {
        stack.put_full_page(p, false);
    }
    let r = pool.get_stats().recycle_stats;
    (r.ring, r.ring_full)
}

/// 6.12 `__ptr_ring_discard_one` with `size = 64`, `batch = 16`: 20 pages
/// are produced and a refill consumes all 20. Slots 0..15 were zeroed when
/// the 16th was consumed; slots 16..19 wait for the rest of their batch.
/// The ring is empty, yet `__ptr_ring_produce` finds slot 16 non-NULL after
/// 44 + 16 = 60 more entries: the 61st put counts `ring_full` and is
/// released.
#[test]
fn consumed_slots_not_yet_zeroed_make_the_ring_full_early() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let (mut pool, mut pages) = drained_pool(&mem, &dev, 64, 2);
    assert_eq!(put_to_ring(&pool, &mut pages, 20), (20, 0));
    pages.push(pool.dev_alloc_pages().unwrap());
    assert_eq!(pool.get_stats().alloc_stats.refill, 1);
    assert_eq!((pool.ring_pages(), pool.cached_pages()), (0, 19));
    assert_eq!(put_to_ring(&pool, &mut pages, 60), (80, 0));
    let inflight = pool.inflight();
    assert_eq!(put_to_ring(&pool, &mut pages, 1), (80, 1));
    assert_eq!(
        pool.inflight(),
        inflight - 1,
        "the refused page is released"
    );
    assert_eq!(pool.ring_pages(), 60);
    assert_eq!(pool.check_invariants(), vec![]);
}

/// 6.12 `__ptr_ring_discard_one`: the batch ends at the end of the ring
/// too. `size = 40`, `batch = 16`: the batches are slots 0..15, 16..31 and
/// 32..39. 36 pages are produced and consumed (slots 0..31 zeroed, 32..35
/// waiting); after the wrap the producer can fill 0..31 (32 entries) and
/// slots 36..39, never produced into this lap, come first: 4 + 32 = 36 fit
/// and the 37th is refused.
#[test]
fn the_last_batch_of_the_ring_is_shorter() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let (mut pool, mut pages) = drained_pool(&mem, &dev, 40, 2);
    assert_eq!(put_to_ring(&pool, &mut pages, 36), (36, 0));
    pages.push(pool.dev_alloc_pages().unwrap());
    assert_eq!(pool.ring_pages(), 0);
    assert_eq!(put_to_ring(&pool, &mut pages, 36), (72, 0));
    assert_eq!(put_to_ring(&pool, &mut pages, 1), (72, 1));
}

/// 6.12 `__ptr_ring_set_size`: a batch of 16 is more than half of a ring
/// smaller than 32 slots, so `batch = 1` and every consumed slot is zeroed
/// at once: a ring of 31 takes 31 entries again right after a refill of
/// 20, a ring of 32 (`batch = 16`) only 32 - 4 = 28.
#[test]
fn rings_under_32_slots_zero_every_consumed_slot_at_once() {
    for (size, room) in [(31usize, 31u64), (32, 28)] {
        let mem = mem();
        let dev = DmaDev::new(&mem, "nic");
        let (mut pool, mut pages) = drained_pool(&mem, &dev, size, 2);
        assert_eq!(put_to_ring(&pool, &mut pages, 20), (20, 0));
        pages.push(pool.dev_alloc_pages().unwrap());
        let (ring, full) = put_to_ring(&pool, &mut pages, room as usize + 1);
        assert_eq!((ring - 20, full), (room, 1), "ring of {size}");
    }
}

/// 6.12 `page_pool_put_page_bulk` produces with `__ptr_ring_produce` too:
/// the same early full (ring of 64 after a refill of 20: 60 slots) stops
/// the bulk at its first refused entry, `ring_full` once, and the rest of
/// the bulk is released.
#[test]
fn a_bulk_put_meets_the_same_early_full() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let (mut pool, mut pages) = drained_pool(&mem, &dev, 64, 2);
    assert_eq!(put_to_ring(&pool, &mut pages, 20), (20, 0));
    pages.push(pool.dev_alloc_pages().unwrap());
    let inflight = pool.inflight();
    let mut bulk: Vec<Option<PpPage>> = pages.drain(..63).map(Some).collect();
    pool.handle().put_page_bulk(&mut bulk);
    let r = pool.get_stats().recycle_stats;
    assert_eq!((r.ring, r.ring_full), (80, 1));
    assert_eq!(pool.inflight(), inflight - 3);
}

/// 6.12 `ptr_ring_init` with the page pool's default ring (`pool_size = 0`:
/// 1024 slots, `batch = 16`): after a refill of 20, slots 16..19 are still
/// non-NULL, so 1020 entries fit, not 1024.
#[test]
fn the_default_ring_of_1024_batches_by_16() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let (mut pool, mut pages) = drained_pool(&mem, &dev, 0, 17);
    assert_eq!(put_to_ring(&pool, &mut pages, 20), (20, 0));
    pages.push(pool.dev_alloc_pages().unwrap());
    assert_eq!(put_to_ring(&pool, &mut pages, 1020), (1040, 0));
    assert_eq!(put_to_ring(&pool, &mut pages, 1), (1040, 1));
}
