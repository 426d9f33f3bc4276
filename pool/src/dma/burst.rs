//! A device burst in flight ([`Burst`]) and the list of them a device
//! keeps (`InFlight`); `inflight` reports and checks them.

use std::fmt;

use serde::Serialize;

use super::direction::Access;
use super::mapping::Mapping;
use crate::addr::DmaAddr;

/// One device burst in flight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Burst {
    /// First byte.
    pub addr: DmaAddr,
    /// Bytes.
    pub len: usize,
    /// Read (AR) or write (AW).
    pub access: Access,
    /// Cycle the memory accepted it.
    pub begun_at: u64,
}

impl Burst {
    /// Whether the burst touches any byte of `[start, end)` (DMA addresses).
    #[inline]
    pub(super) fn overlaps(&self, start: u64, end: u64) -> bool {
        let a = self.addr.raw_value();
        a < end && start < a + self.len as u64
    }
}

impl fmt::Display for Burst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.access {
            Access::Read => "read",
            Access::Write => "write",
        };
        write!(
            f,
            "{what} burst of {} bytes at {} (accepted at cycle {})",
            self.len, self.addr, self.begun_at
        )
    }
}

/// The bursts in flight of one device, oldest first.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    pub(super) bursts: Vec<Burst>,
}

impl InFlight {
    /// The first burst in flight touching any byte of `m`.
    #[inline]
    pub(super) fn touching(&self, m: &Mapping) -> Option<&Burst> {
        if self.bursts.is_empty() {
            return None;
        }
        self.bursts.iter().find(|b| b.overlaps(m.start, m.end()))
    }
}
