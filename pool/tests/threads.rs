//! Puts from other threads into the ring while the NAPI context allocates:
//! nothing lost, nothing duplicated.

mod common;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use common::*;
use pool::*;

#[test]
fn remote_puts_race_with_napi_allocation() {
    const PRODUCERS: usize = 3;
    const ROUNDS: u64 = 30_000;
    let mem = mem_with(1, 8192, Coherence::Coherent);
    let dev = DmaDev::new(&mem, "nic");
    dev.set_ledger_enabled(false);
    let mut pool = mapped_pool(&mem, &dev, |p| p.pool_size = 256);
    let total_frames = mem.config().pages_per_node;
    // one "handed out" flag per page frame: set by the allocator, cleared by
    // the thread that puts the page back
    let out: Arc<Vec<AtomicBool>> =
        Arc::new((0..total_frames).map(|_| AtomicBool::new(false)).collect());
    let puts = Arc::new(AtomicU64::new(0));
    let mut senders = Vec::new();
    let mut workers = Vec::new();
    for _ in 0..PRODUCERS {
        let (tx, rx) = mpsc::sync_channel::<PpPage>(64);
        senders.push(tx);
        let stack = pool.handle();
        let out = out.clone();
        let puts = puts.clone();
        workers.push(std::thread::spawn(move || {
            for page in rx {
                assert!(
                    out[page.pfn() as usize].swap(false, Ordering::AcqRel),
                    "put of a page not out"
                );
                stack.put_full_page(page, false);
                puts.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut allocs = 0u64;
    {
        let mut napi = pool.napi_ctx(NAPI);
        for i in 0..ROUNDS {
            let page = napi.dev_alloc_pages().expect("memory is large enough");
            allocs += 1;
            assert!(
                !out[page.pfn() as usize].swap(true, Ordering::AcqRel),
                "page handed out twice"
            );
            if i % 5 == 0 {
                // XDP_DROP in the poll itself
                out[page.pfn() as usize].store(false, Ordering::Release);
                napi.recycle_direct(page);
            } else {
                senders[(i as usize) % PRODUCERS].send(page).unwrap();
            }
        }
    }
    drop(senders);
    for w in workers {
        w.join().unwrap();
    }
    let direct = allocs.div_ceil(5);
    assert_eq!(
        puts.load(Ordering::Relaxed) + direct,
        allocs,
        "nothing lost"
    );
    let s = pool.get_stats();
    let a = s.alloc_stats;
    let r = s.recycle_stats;
    assert_eq!(a.fast + a.slow + a.refill + a.slow_high_order, allocs);
    assert_eq!(r.ring + r.ring_full, allocs - direct);
    assert_eq!(r.cached + r.cache_full, direct);
    assert!(a.refill > 0, "the ring fed the cache");
    assert!(out.iter().all(|f| !f.load(Ordering::Acquire)));
    assert_eq!(
        i64::from(pool.inflight()),
        (pool.cached_pages() + pool.ring_pages()) as i64
    );
    assert!(pool.violations().is_empty());
    assert_eq!(pool.destroy(), DestroyOutcome::Freed);
    assert_eq!(mem.allocated_pages(0).unwrap(), 0);
    dev.check_teardown().unwrap();
}
