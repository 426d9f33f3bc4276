//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use pool::*;

pub const NAPI: NapiId = NapiId(7);

/// Ticks per second of [`mem`]'s clock.
pub const HZ: u64 = 1_000_000;

/// Runs `f` with the WARN-level tracing output captured as text.
pub fn capture_warnings<R>(f: impl FnOnce() -> R) -> (R, String) {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let sub = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let r = tracing::subscriber::with_default(sub, f);
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (r, text)
}

pub fn mem_with(nodes: u32, pages_per_node: usize, coherence: Coherence) -> HostMemory {
    HostMemory::new(MemConfig {
        nodes,
        pages_per_node,
        platform: coherence.into(),
        clock_hz: HZ,
        ..MemConfig::default()
    })
}

pub fn mem() -> HostMemory {
    mem_with(2, 4096, Coherence::Coherent)
}

/// A DMA-mapping pool bound to NAPI 7 on node 0.
pub fn mapped_pool(
    mem: &HostMemory,
    dev: &DmaDev,
    f: impl FnOnce(&mut PagePoolParams),
) -> PagePool {
    let mut p = PagePoolParams {
        flags: PP_FLAG_DMA_MAP,
        dev: Some(dev.clone()),
        napi: Some(NAPI),
        nid: Some(0),
        ..PagePoolParams::new(mem)
    };
    f(&mut p);
    PagePool::create(p).expect("valid pool params")
}

/// A [`mapped_pool`] with `PP_FLAG_DMA_SYNC_DEV`, `offset` and `max_len`.
pub fn sync_dev_pool(mem: &HostMemory, dev: &DmaDev, offset: u32, max_len: u32) -> PagePool {
    mapped_pool(mem, dev, |p| {
        p.flags |= PP_FLAG_DMA_SYNC_DEV;
        p.offset = offset;
        p.max_len = max_len;
    })
}

pub fn stats(pool: &PagePool) -> (PagePoolAllocStats, PagePoolRecycleStats) {
    let s = pool.get_stats();
    (s.alloc_stats, s.recycle_stats)
}

/// A 64-page-per-node memory on `platform` (the kernel_parity platform tests).
pub fn mem_on(platform: Platform) -> HostMemory {
    HostMemory::new(MemConfig {
        pages_per_node: 64,
        platform,
        ..MemConfig::default()
    })
}
