//! `page_pool_release_retry` (net/core/page_pool.c, 6.12): the periodic
//! warning about a stalled shutdown of a pool the user cannot see.

use pool::*;

use crate::common::*;

/// 6.12's `pr_warn("%s() stalled pool shutdown: id %u, %d inflight %d sec\n",
/// __func__, pool->user.id, inflight, sec)`: a comma after the id and none
/// after "inflight"; printed for a pool without a netdev once
/// `DEFER_WARN_INTERVAL` (60 s) has passed since the detach.
#[test]
fn stalled_warning_is_the_kernels_line() {
    let mem = mem();
    let dev = DmaDev::new(&mem, "nic");
    let reg = PoolRegistry::of(&mem);
    let mut pp = mapped_pool(&mem, &dev, |p| p.netdev = None);
    let id = pp.id();
    let _held: Vec<PpPage> = (0..3).map(|_| pp.dev_alloc_pages().unwrap()).collect();
    assert!(matches!(
        pp.destroy(),
        DestroyOutcome::Detached { inflight: 3 }
    ));
    let (events, logs) = capture_warnings(|| {
        (1..=60)
            .flat_map(|s| reg.service(s * HZ))
            .collect::<Vec<_>>()
    });
    let line =
        format!("page_pool_release_retry() stalled pool shutdown: id {id}, 3 inflight 60 sec");
    assert_eq!(
        events,
        [ServiceEvent::Stalled {
            id,
            inflight: 3,
            secs: 60
        }]
    );
    assert_eq!(events[0].to_string(), line);
    assert!(logs.contains(&line), "{logs}");
}
