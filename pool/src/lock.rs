//! The one way this crate takes its mutexes.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning.
#[inline]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of our locks leaves plain data that is still
    // consistent enough for diagnostics; do not cascade the panic.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
