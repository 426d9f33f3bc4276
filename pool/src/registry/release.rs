//! What the deferred release of detached pools reports
//! ([`PoolRegistry::service`](crate::PoolRegistry::service)).

use std::fmt;

use serde::Serialize;

/// Something [`PoolRegistry::service`](crate::PoolRegistry::service) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ServiceEvent {
    /// A detached pool's last page came back; its memory is freed.
    Freed {
        /// Pool id.
        id: u32,
    },
    /// `page_pool_release_retry`'s periodic warning for a pool the user
    /// cannot see (also logged via `tracing::warn!`).
    Stalled {
        /// Pool id.
        id: u32,
        /// Pages in flight.
        inflight: u32,
        /// Seconds since detach.
        secs: u64,
    },
}

impl fmt::Display for ServiceEvent {
    /// The kernel's log lines. `Stalled` is 6.12's
    /// `page_pool_release_retry()` line, from its format string
    /// `"%s() stalled pool shutdown: id %u, %d inflight %d sec\n"` with
    /// `__func__`: a comma after the id, none after "inflight".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceEvent::Freed { id } => write!(f, "page pool {id} released after detach"),
            ServiceEvent::Stalled { id, inflight, secs } => write!(
                f,
                "page_pool_release_retry() stalled pool shutdown: id {id}, {inflight} inflight {secs} sec"
            ),
        }
    }
}
