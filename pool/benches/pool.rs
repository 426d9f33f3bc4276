//! Page pool benchmarks: alloc+recycle pairs through the fast path, the ring
//! path and the slow path, a fresh-page baseline (allocate + map + unmap +
//! free every time), and our recycle ring against crossbeam's ArrayQueue.
//!
//! cargo bench -p pool --bench pool -- --warm-up-time 1 --measurement-time 2

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use crossbeam_queue::ArrayQueue;
use pool::*;

const NAPI: NapiId = NapiId(1);

fn setup(pool_size: usize) -> (HostMemory, DmaDev, PagePool) {
    let mem = HostMemory::new(MemConfig {
        nodes: 1,
        pages_per_node: 16384,
        ..MemConfig::default()
    });
    let dev = DmaDev::new(&mem, "bench");
    dev.set_ledger_enabled(false);
    let pool = PagePool::create(PagePoolParams {
        flags: PP_FLAG_DMA_MAP,
        dev: Some(dev.clone()),
        napi: Some(NAPI),
        nid: Some(0),
        pool_size,
        ..PagePoolParams::new(&mem)
    })
    .expect("valid params");
    (mem, dev, pool)
}

fn pool_paths(c: &mut Criterion) {
    let mut g = c.benchmark_group("page_pool");

    let (_mem, _dev, mut pool) = setup(1024);
    g.bench_function("fast_path_alloc_recycle_direct", |b| {
        let mut napi = pool.napi_ctx(NAPI);
        b.iter(|| {
            let p = napi.dev_alloc_pages().expect("page");
            napi.recycle_direct(black_box(p));
        })
    });
    drop(pool);

    let (_mem, _dev, mut pool) = setup(1024);
    let stack = pool.handle();
    g.bench_function("ring_path_alloc_put_to_ring", |b| {
        b.iter(|| {
            let p = pool.dev_alloc_pages().expect("page");
            stack.put_full_page(black_box(p), false);
        })
    });
    drop(pool);

    // no recycling: a second page reference is held at put time, so the
    // pool releases every page (unmap, release_cnt, free to the page
    // allocator) and every allocation comes from slow-path bulks of 64
    // (allocate + map each)
    let (_mem, _dev, mut pool) = setup(1024);
    let stack = pool.handle();
    g.bench_function("slow_path_alloc_release", |b| {
        b.iter(|| {
            let p = pool.dev_alloc_pages().expect("page");
            let other_holder = pool.get_page(&p);
            stack.put_full_page(black_box(p), false);
            drop(other_holder);
        })
    });
    let s = pool.get_stats();
    assert_eq!(s.recycle_stats.ring, 0, "slow-path bench must not recycle");
    assert_eq!(s.alloc_stats.refill, 0);
    drop(pool);

    let (mem, dev, pool) = setup(1024);
    drop(pool);
    g.bench_function("baseline_fresh_page_alloc_map_unmap_free", |b| {
        b.iter(|| {
            let page = mem.alloc_pages(0, 0).expect("page");
            let dma = dev
                .map_page_attrs(
                    &page,
                    0,
                    PAGE_SIZE,
                    DmaDirection::FromDevice,
                    DmaAttrs {
                        skip_cpu_sync: true,
                    },
                )
                .expect("map");
            dev.unmap_page_attrs(
                black_box(dma),
                PAGE_SIZE,
                DmaDirection::FromDevice,
                DmaAttrs {
                    skip_cpu_sync: true,
                },
            )
            .expect("unmap");
            mem.free_pages(page).expect("free");
        })
    });
    g.finish();
}

fn rings(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring_1024");
    let (p, mut cons) = ring::ring(1024);
    for i in 0..512 {
        p.push(i).expect("room");
    }
    g.bench_function("ours_push_pop", |b| {
        b.iter(|| {
            p.push(black_box(7)).expect("room");
            black_box(cons.pop())
        })
    });
    let q = ArrayQueue::new(1024);
    for i in 0..512u64 {
        q.push(i).expect("room");
    }
    g.bench_function("crossbeam_array_queue_push_pop", |b| {
        b.iter(|| {
            q.push(black_box(7u64)).expect("room");
            black_box(q.pop())
        })
    });
    g.finish();
}

criterion_group!(benches, pool_paths, rings);
criterion_main!(benches);
