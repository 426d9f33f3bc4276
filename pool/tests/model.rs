//! Property test: random pool operations against a simple reference model.
//! Invariants: every counter as the model predicts, no page handed out
//! twice, inflight = hold - release, every page in exactly one place.

mod common;
use std::collections::{HashMap, HashSet};

use common::*;
use pool::*;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Alloc,
    AllocMany(usize),
    PutMany(usize, bool),
    AllocFrag(u32),
    PutDirect(usize),
    PutNapi(usize),
    PutRemote(usize, bool),
    PutBulk(usize),
    PutBulkNapi(usize),
    RefPage(usize),
    GetPage(usize),
    DropRef(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::Alloc),
        1 => (1usize..=160).prop_map(Op::AllocMany),
        1 => ((1usize..=160), any::<bool>()).prop_map(|(n, d)| Op::PutMany(n, d)),
        3 => (1u32..=2100).prop_map(Op::AllocFrag),
        4 => any::<usize>().prop_map(Op::PutDirect),
        2 => any::<usize>().prop_map(Op::PutNapi),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(i, d)| Op::PutRemote(i, d)),
        1 => (1usize..20).prop_map(Op::PutBulk),
        1 => (1usize..20).prop_map(Op::PutBulkNapi),
        1 => any::<usize>().prop_map(Op::RefPage),
        1 => any::<usize>().prop_map(Op::GetPage),
        1 => any::<usize>().prop_map(Op::DropRef),
    ]
}

/// The reference model: counts only, no pfn choice.
#[derive(Default)]
struct Model {
    s: PagePoolStats,
    cache: usize,
    ring: usize,
    ring_cap: usize,
    /// The ptr_ring's consumed slots not yet zeroed (`consumer_head -
    /// consumer_tail`) and its consumer index (`consumer_head`).
    ring_pending: usize,
    ring_head: usize,
    hold: i64,
    release: i64,
    /// pp references held by handles, per page.
    refs: HashMap<u64, usize>,
    /// extra page references (`get_page`) per page.
    extra: HashMap<u64, usize>,
    /// current fragment page: (pfn, next offset).
    frag: Option<(u64, u32)>,
}

impl Model {
    /// A whole page from the pool: which counters move.
    fn alloc(&mut self) {
        if self.cache > 0 {
            self.cache -= 1;
            self.s.alloc_stats.fast += 1;
        } else if self.ring > 0 {
            let moved = self.ring.min(64);
            self.consume(moved);
            self.cache = moved - 1;
            self.s.alloc_stats.refill += 1;
        } else {
            self.s.alloc_stats.empty += 1;
            self.s.alloc_stats.slow += 1;
            self.hold += 64;
            self.cache = 63;
        }
    }

    /// `__ptr_ring_discard_one` for `n` entries: consumed slots are zeroed
    /// by batches of 16 (1 for a ring under 32 slots) and at the end of
    /// the ring.
    fn consume(&mut self, n: usize) {
        let batch = if 16 > self.ring_cap / 2 { 1 } else { 16 };
        for _ in 0..n {
            self.ring -= 1;
            self.ring_head += 1;
            self.ring_pending += 1;
            if self.ring_pending >= batch || self.ring_head >= self.ring_cap {
                self.ring_pending = 0;
            }
            if self.ring_head >= self.ring_cap {
                self.ring_head = 0;
            }
        }
    }

    /// `__ptr_ring_produce`: the producer's slot is free unless queued and
    /// consumed-not-zeroed slots fill the ring.
    fn produce(&mut self) -> bool {
        if self.ring + self.ring_pending >= self.ring_cap {
            return false;
        }
        self.ring += 1;
        self.s.recycle_stats.ring += 1;
        true
    }

    /// `page_pool_put_page_bulk` for the pages whose last reference went.
    fn bulk(&mut self, pfns: Vec<u64>, direct: bool) {
        let mut full = false;
        for pfn in pfns {
            if !self.unref(pfn) {
                continue;
            }
            if self.extra.get(&pfn).copied().unwrap_or(0) > 0 {
                self.s.recycle_stats.released_refcnt += 1;
                self.release += 1;
                continue;
            }
            if direct {
                if self.cache < 128 {
                    self.cache += 1;
                    self.s.recycle_stats.cached += 1;
                    continue;
                }
                self.s.recycle_stats.cache_full += 1;
            }
            if full || !self.produce() {
                if !full {
                    self.s.recycle_stats.ring_full += 1;
                    full = true;
                }
                self.release += 1;
            }
        }
    }

    /// The last reference is gone: recycle (direct or ring) or release.
    fn recycle(&mut self, pfn: u64, direct: bool) {
        if self.extra.get(&pfn).copied().unwrap_or(0) > 0 {
            self.s.recycle_stats.released_refcnt += 1;
            self.release += 1;
            return;
        }
        if direct {
            if self.cache < 128 {
                self.cache += 1;
                self.s.recycle_stats.cached += 1;
                return;
            }
            self.s.recycle_stats.cache_full += 1;
        }
        if !self.produce() {
            self.s.recycle_stats.ring_full += 1;
            self.release += 1;
        }
    }

    /// One handle on `pfn` is put; returns whether it was the last user.
    fn unref(&mut self, pfn: u64) -> bool {
        let r = self.refs.get_mut(&pfn).expect("model knows the page");
        *r -= 1;
        if *r > 0 {
            return false;
        }
        self.refs.remove(&pfn);
        self.frag.map(|f| f.0) != Some(pfn)
    }
}

fn check(
    pool: &PagePool,
    m: &Model,
    outstanding: &[PpPage],
    registry: &PoolRegistry,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(pool.get_stats(), m.s);
    prop_assert_eq!(pool.cached_pages(), m.cache);
    prop_assert_eq!(pool.ring_pages(), m.ring);
    prop_assert_eq!(i64::from(pool.inflight()), m.hold - m.release);
    // every page in exactly one place: cache, ring, or out (handles / frag page)
    let mut out: HashSet<u64> = outstanding.iter().map(PpPage::pfn).collect();
    if let Some((pfn, _)) = m.frag {
        out.insert(pfn);
    }
    prop_assert_eq!(
        (m.cache + m.ring + out.len()) as i64,
        m.hold - m.release,
        "cache + ring + out = inflight"
    );
    // The pool's own law checks agree: the owner's, and the registry's.
    prop_assert_eq!(pool.check_invariants(), vec![]);
    prop_assert_eq!(registry.check_invariants(), vec![]);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn pool_matches_reference_model(
        ring_cap in prop_oneof![Just(4usize), Just(16), Just(48), Just(300)],
        ops in prop::collection::vec(op(), 1..250),
    ) {
        let mem = mem_with(1, 4096, Coherence::Coherent);
        let dev = DmaDev::new(&mem, "nic");
        let mut pool = mapped_pool(&mem, &dev, |p| p.pool_size = ring_cap);
        let stack = pool.handle();
        let mut m = Model { ring_cap, ..Model::default() };
        let mut out: Vec<PpPage> = Vec::new();
        let mut page_refs: Vec<(u64, PageRef)> = Vec::new();
        let mut expanded = Vec::new();
        for op in ops {
            match op {
                Op::AllocMany(n) => expanded.extend(std::iter::repeat(Op::Alloc).take(n)),
                Op::PutMany(n, direct) => expanded.extend((0..n).map(|i| {
                    if direct { Op::PutDirect(i) } else { Op::PutRemote(i, false) }
                })),
                op => expanded.push(op),
            }
        }
        for op in expanded {
            match op {
                Op::Alloc => {
                    m.alloc();
                    let p = pool.dev_alloc_pages().unwrap();
                    prop_assert!(!m.refs.contains_key(&p.pfn()), "page handed out twice");
                    prop_assert!(m.frag.map(|f| f.0) != Some(p.pfn()));
                    m.refs.insert(p.pfn(), 1);
                    out.push(p);
                }
                Op::AllocFrag(size) => {
                    // page_pool_alloc_frag_netmem: ALIGN(size, dma_get_cache_alignment()).
                    let aligned = size.next_multiple_of(mem.platform().dma_get_cache_alignment());
                    let mut new_page = true;
                    if let Some((pfn, off)) = m.frag {
                        if off + aligned <= 4096 {
                            new_page = false;
                            m.s.alloc_stats.fast += 1; // a further fragment
                        } else if !m.refs.contains_key(&pfn) {
                            // drained with no user left
                            m.frag = None;
                            if m.extra.get(&pfn).copied().unwrap_or(0) > 0 {
                                m.release += 1;
                            } else {
                                m.s.alloc_stats.fast += 1; // reused at once
                                m.frag = Some((pfn, 0));
                                new_page = false;
                            }
                        } else {
                            m.frag = None; // its other users own it now
                        }
                    }
                    let mut offset = 0;
                    let p = pool.dev_alloc_frag(&mut offset, size).unwrap();
                    if new_page {
                        m.alloc();
                        prop_assert!(!m.refs.contains_key(&p.pfn()), "page handed out twice");
                        m.frag = Some((p.pfn(), 0));
                    }
                    let (pfn, off) = m.frag.as_mut().unwrap();
                    prop_assert_eq!(*pfn, p.pfn());
                    prop_assert_eq!(offset, *off);
                    *off += aligned;
                    *m.refs.entry(p.pfn()).or_default() += 1;
                    out.push(p);
                }
                Op::PutDirect(i) | Op::PutNapi(i) | Op::PutRemote(i, _) if !out.is_empty() => {
                    let p = out.swap_remove(i % out.len());
                    let pfn = p.pfn();
                    let direct = matches!(op, Op::PutDirect(_) | Op::PutNapi(_));
                    match op {
                        Op::PutDirect(_) => pool.napi_ctx(NAPI).recycle_direct(p),
                        Op::PutNapi(_) => pool.napi_ctx(NAPI).put_page(p, -1, false),
                        Op::PutRemote(_, claim) => stack.put_page(p, -1, claim),
                        _ => unreachable!(),
                    }
                    if m.unref(pfn) {
                        m.recycle(pfn, direct);
                    }
                }
                Op::PutBulk(n) | Op::PutBulkNapi(n) => {
                    let n = n.min(out.len());
                    let mut arr: Vec<Option<PpPage>> = out.drain(..n).map(Some).collect();
                    let pfns: Vec<u64> = arr.iter().flatten().map(PpPage::pfn).collect();
                    let napi = matches!(op, Op::PutBulkNapi(_));
                    if napi {
                        pool.napi_ctx(NAPI).put_page_bulk(&mut arr);
                    } else {
                        pool.put_page_bulk(&mut arr);
                    }
                    prop_assert!(arr.iter().all(Option::is_none));
                    m.bulk(pfns, napi);
                }
                Op::RefPage(i) if !out.is_empty() => {
                    let clone = stack.ref_page(&out[i % out.len()]);
                    *m.refs.get_mut(&clone.pfn()).unwrap() += 1;
                    out.push(clone);
                }
                Op::GetPage(i) if !out.is_empty() => {
                    let p = &out[i % out.len()];
                    page_refs.push((p.pfn(), pool.get_page(p)));
                    *m.extra.entry(p.pfn()).or_default() += 1;
                }
                Op::DropRef(i) if !page_refs.is_empty() => {
                    let (pfn, r) = page_refs.swap_remove(i % page_refs.len());
                    drop(r);
                    *m.extra.get_mut(&pfn).unwrap() -= 1;
                }
                _ => {}
            }
            check(&pool, &m, &out, &PoolRegistry::of(&mem))?;
        }
        // give everything back: nothing lost, nothing left behind
        for p in out.drain(..) {
            stack.put_full_page(p, false);
        }
        drop(page_refs);
        prop_assert_eq!(pool.destroy(), DestroyOutcome::Freed);
        prop_assert_eq!(stack.inflight(), 0);
        prop_assert_eq!(mem.allocated_pages(0).unwrap(), 0);
        prop_assert!(dev.live_mappings().is_empty());
        let only_remote_claims = stack.violations().iter().all(|v| {
            v.kind == PoolViolationKind::DirectRecycleOutsideNapi { context: PutContext::Remote }
        });
        prop_assert!(only_remote_claims);
    }
}
