//! Error injection as a storage layer: [`FaultInjector`] wraps any
//! [`DmaStorage`] and fails bursts or accesses the test asked for, so
//! neither the storage nor the AXI protocol model knows about injected
//! errors.
//!
//! Two kinds, as a DMA test needs them:
//! * [`ErrorInjection`]: whole bursts, chosen at their address handshake
//!   (by address range or by their number), refused before any byte moves;
//!   the AXI model answers them with the injection's response.
//! * [`FaultInjector::deny`]: storage accesses touching a range fail, as a
//!   storage fault would (a write burst may be partly applied first).

use std::ops::Range;

use ::axi::{Burst, Dir, Resp};

use super::storage::{DmaStorage, StorageFault};

/// Which transactions an [`ErrorInjection`] hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorMatch {
    /// Any burst of `dir` that touches `range`.
    AddrRange { dir: Option<Dir>, range: Range<u64> },
    /// The `n`-th (0-based) burst of `dir` the model accepts.
    Nth { dir: Dir, n: u64 },
}

/// Answer matching bursts with `resp` without touching storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInjection {
    pub when: ErrorMatch,
    pub resp: Resp,
}

impl ErrorInjection {
    /// Whether the burst, the `n`-th of its direction, is hit.
    fn hits(&self, b: &Burst, n: u64) -> bool {
        match &self.when {
            ErrorMatch::AddrRange { dir, range } => {
                dir.is_none_or(|d| d == b.dir) && b.overlaps(range.start, range.end)
            }
            ErrorMatch::Nth { dir, n: k } => *dir == b.dir && *k == n,
        }
    }
}

/// A [`DmaStorage`] layer that refuses the bursts its [`ErrorInjection`]s
/// match and the accesses to its denied ranges, and passes everything else
/// to the storage it wraps.
#[derive(Debug, Clone)]
pub struct FaultInjector<S> {
    inner: S,
    injections: Vec<ErrorInjection>,
    denied: Vec<(Range<u64>, Resp)>,
    /// Bursts seen so far per direction (read, write), for [`ErrorMatch::Nth`].
    seen: [u64; 2],
}

impl<S> FaultInjector<S> {
    /// `inner` with the injections `injections` and no denied range.
    pub fn new(inner: S, injections: Vec<ErrorInjection>) -> Self {
        FaultInjector {
            inner,
            injections,
            denied: Vec::new(),
            seen: [0; 2],
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Adds an injection (it applies to the bursts accepted from now on).
    pub fn inject(&mut self, e: ErrorInjection) {
        self.injections.push(e);
    }
    /// The injections in force.
    pub fn injections(&self) -> &[ErrorInjection] {
        &self.injections
    }
    pub fn clear_injections(&mut self) {
        self.injections.clear();
    }

    /// Makes every device access touching `range` fail with `resp`.
    pub fn deny(&mut self, range: Range<u64>, resp: Resp) {
        self.denied.push((range, resp));
    }

    fn check_denied(&self, addr: u64, len: usize) -> Result<(), StorageFault> {
        // An access that wraps is the inner storage's to refuse.
        let Some(end) = addr.checked_add(len as u64) else {
            return Ok(());
        };
        match self
            .denied
            .iter()
            .find(|(r, _)| addr < r.end && r.start < end)
        {
            None => Ok(()),
            Some((r, resp)) => Err(StorageFault {
                resp: *resp,
                detail: format!(
                    "access {addr:#x}..{end:#x} touches denied range {:#x}..{:#x}",
                    r.start, r.end
                ),
            }),
        }
    }
}

impl<S: DmaStorage> DmaStorage for FaultInjector<S> {
    fn begin_burst(&mut self, burst: &Burst) -> Result<(), StorageFault> {
        let k = usize::from(burst.dir == Dir::Write);
        let n = self.seen[k];
        self.seen[k] += 1;
        if let Some(e) = self.injections.iter().find(|e| e.hits(burst, n)) {
            return Err(StorageFault {
                resp: e.resp,
                detail: format!("injected {:?}: {:?}", e.resp, e.when),
            });
        }
        self.inner.begin_burst(burst)
    }

    fn end_burst(&mut self, burst: &Burst) {
        self.inner.end_burst(burst);
    }

    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), StorageFault> {
        if !self.denied.is_empty() {
            self.check_denied(addr, buf.len())?;
        }
        self.inner.read(addr, buf)
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), StorageFault> {
        if !self.denied.is_empty() {
            self.check_denied(addr, data.len())?;
        }
        self.inner.write(addr, data)
    }

    #[inline]
    fn on_cycle(&mut self, cycle: u64) {
        self.inner.on_cycle(cycle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::SparseMem;

    fn burst(dir: Dir, addr: u64, len: u8) -> Burst {
        Burst::requested(dir, 0, addr, len, 3, 1, 0)
    }

    #[test]
    fn injections_refuse_bursts_by_range_and_number() {
        let mut f = FaultInjector::new(
            SparseMem::new(),
            vec![
                ErrorInjection {
                    when: ErrorMatch::AddrRange {
                        dir: None,
                        range: 0x100..0x108,
                    },
                    resp: Resp::SlvErr,
                },
                ErrorInjection {
                    when: ErrorMatch::Nth {
                        dir: Dir::Write,
                        n: 1,
                    },
                    resp: Resp::DecErr,
                },
            ],
        );
        // A read ending at 0x100 misses the range; one covering it hits.
        assert!(f.begin_burst(&burst(Dir::Read, 0xf8, 0)).is_ok());
        let e = f.begin_burst(&burst(Dir::Read, 0xf8, 1)).unwrap_err();
        assert_eq!(e.resp, Resp::SlvErr);
        assert!(e.detail.starts_with("injected SlvErr: AddrRange"));
        // Writes are counted apart from reads.
        assert!(f.begin_burst(&burst(Dir::Write, 0, 0)).is_ok());
        assert_eq!(
            f.begin_burst(&burst(Dir::Write, 0, 0)).unwrap_err().resp,
            Resp::DecErr
        );
        assert!(f.begin_burst(&burst(Dir::Write, 0, 0)).is_ok());
        f.clear_injections();
        assert!(f.begin_burst(&burst(Dir::Read, 0x100, 0)).is_ok());
    }

    #[test]
    fn denied_ranges_fail_the_accesses_that_touch_them() {
        let mut f = FaultInjector::new(SparseMem::new(), Vec::new());
        f.deny(0x10_000..0x10_100, Resp::SlvErr);
        let e = f.write(0x10_0f0, &[0; 32]).unwrap_err();
        assert_eq!(e.resp, Resp::SlvErr);
        assert!(e.detail.contains("denied range 0x10000..0x10100"));
        assert!(f.read(0x10_100, &mut [0; 8]).is_ok());
        f.write(0x20, &[5; 4]).unwrap();
        assert_eq!(f.inner().peek_vec(0x20, 4), vec![5; 4]);
        // A wrapping access is still the storage's DECERR.
        assert_eq!(
            f.read(u64::MAX - 1, &mut [0; 4]).unwrap_err().resp,
            Resp::DecErr
        );
    }
}
