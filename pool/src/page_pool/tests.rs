use super::*;
use std::sync::atomic::Ordering;

use crate::dma::{DmaDev, DmaDirection};
use crate::mem::{HostMemory, MemConfig};
use crate::registry::{PoolRegistry, ServiceEvent};

/// page_pool_destroy(): `if (!page_pool_release(pool)) return;` -- a
/// negative in-flight count is reported, and the pool is detached (and
/// stays listed), never freed; page_pool_release_retry() does not
/// reschedule itself on a negative count.
#[test]
fn negative_inflight_detaches_for_good() {
    let mem = HostMemory::new(MemConfig {
        clock_hz: 1000,
        ..MemConfig::default()
    });
    let dev = DmaDev::new(&mem, "nic");
    let mut pool = PagePool::create(PagePoolParams {
        flags: PP_FLAG_DMA_MAP,
        dev: Some(dev.clone()),
        dma_dir: DmaDirection::FromDevice,
        ..PagePoolParams::new(&mem)
    })
    .unwrap();
    let page = pool.dev_alloc_pages().unwrap();
    pool.put_full_page(page, false);
    // a driver bug releasing one page too many
    pool.shared.release_cnt.fetch_add(1, Ordering::AcqRel);
    let handle = pool.handle();
    assert_eq!(pool.destroy(), DestroyOutcome::Detached { inflight: 0 });
    assert!(handle
        .violations()
        .iter()
        .any(|v| matches!(v.kind, PoolViolationKind::NegativeInflight { inflight: -1 })));
    let registry = PoolRegistry::of(&mem);
    let events: Vec<ServiceEvent> = (1..200).flat_map(|s| registry.service(s * 1000)).collect();
    assert!(events.is_empty(), "{events:?}");
    assert!(!handle.is_freed());
    assert_eq!(registry.ids(), [handle.id()]);
    let info = &registry.dump()[0];
    assert_eq!((info.inflight, info.detach_time), (0, Some(0)));
}
