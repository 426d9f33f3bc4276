//! `page_pool_release_retry` (net/core/page_pool.c, 6.12): the periodic
//! warning about a stalled shutdown of a pool the user cannot see.

use std::sync::{Arc, Mutex};

use pool::*;

use crate::common::*;

const HZ: u64 = 1_000_000; // common::mem clock

/// Runs `f` with the WARN-level tracing output captured.
fn capture_warnings<R>(f: impl FnOnce() -> R) -> (R, String) {
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
