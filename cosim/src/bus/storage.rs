//! The storage half of the host memory model: where DMA bytes come from and
//! go to. The AXI protocol half (`super::axi::AxiMem`) only calls this
//! trait, so it can sit on a plain sparse map (unit tests) or on the
//! project's simulated host memory with IOMMU-like translation
//! ([`crate::pool_storage::PoolStorage`]), and layers such as
//! `super::fault::FaultInjector` can wrap either.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use ::axi::{Burst, Resp};

/// Why the storage refused a device access; the AXI model answers the whole
/// burst with `resp` and records the fault in its transaction log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail} (answered {resp:?})")]
pub struct StorageFault {
    /// SLVERR or DECERR.
    pub resp: Resp,
    pub detail: String,
}

/// Byte-addressed device-side memory.
pub trait DmaStorage {
    /// Called once per burst at its address handshake, before any of its
    /// bytes move. An error refuses the whole burst: the AXI model answers
    /// it with the fault's `resp`, touches no storage for it and logs the
    /// fault's `detail`.
    #[inline]
    fn begin_burst(&mut self, _burst: &Burst) -> Result<(), StorageFault> {
        Ok(())
    }
    /// Called once per burst whose [`DmaStorage::begin_burst`] accepted it,
    /// when its last response went out (its B, or its last R beat): the
    /// device is done with the burst's bytes.
    #[inline]
    fn end_burst(&mut self, _burst: &Burst) {}
    /// Fills `buf` from bus address `addr`.
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), StorageFault>;
    /// Writes `data` at bus address `addr`.
    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), StorageFault>;
    /// Called once per simulated clock cycle with the new cycle number.
    #[inline]
    fn on_cycle(&mut self, _cycle: u64) {}
}

const PAGE: u64 = 4096;

/// Page numbers are well spread already: one multiply is a good enough
/// hash, and much cheaper than SipHash on this hot path.
#[derive(Default, Clone, Copy)]
struct PageHasher(u64);

impl Hasher for PageHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type PageMap = HashMap<u64, Box<[u8; PAGE as usize]>, BuildHasherDefault<PageHasher>>;

/// Sparse page-granular memory: untouched bytes read as zero; an access
/// that wraps the address space faults (DECERR).
#[derive(Debug, Default, Clone)]
pub struct SparseMem {
    pages: PageMap,
}

impl SparseMem {
    pub fn new() -> Self {
        Self::default()
    }

    fn check(&self, addr: u64, len: usize) -> Result<(), StorageFault> {
        match addr.checked_add(len as u64) {
            Some(_) => Ok(()),
            None => Err(StorageFault {
                resp: Resp::DecErr,
                detail: format!("access at {addr:#x}+{len} wraps the address space"),
            }),
        }
    }

    /// Reads without any check (test inspection).
    pub fn peek(&self, addr: u64, buf: &mut [u8]) {
        let mut a = addr;
        let mut done = 0;
        while done < buf.len() {
            let off = (a % PAGE) as usize;
            let n = (PAGE as usize - off).min(buf.len() - done);
            match self.pages.get(&(a / PAGE)) {
                Some(p) => buf[done..done + n].copy_from_slice(&p[off..off + n]),
                None => buf[done..done + n].fill(0),
            }
            a += n as u64;
            done += n;
        }
    }

    /// Writes without any check (test setup).
    pub fn poke(&mut self, addr: u64, data: &[u8]) {
        let mut a = addr;
        let mut done = 0;
        while done < data.len() {
            let off = (a % PAGE) as usize;
            let n = (PAGE as usize - off).min(data.len() - done);
            let page = self
                .pages
                .entry(a / PAGE)
                .or_insert_with(|| Box::new([0u8; PAGE as usize]));
            page[off..off + n].copy_from_slice(&data[done..done + n]);
            a += n as u64;
            done += n;
        }
    }

    /// Reads `len` bytes (test inspection).
    pub fn peek_vec(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0; len];
        self.peek(addr, &mut v);
        v
    }

    /// Pages ever written, sorted (for whole-memory comparisons).
    pub fn touched_pages(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.pages.keys().map(|p| p * PAGE).collect();
        v.sort_unstable();
        v
    }
}

impl DmaStorage for SparseMem {
    fn read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), StorageFault> {
        self.check(addr, buf.len())?;
        self.peek(addr, buf);
        Ok(())
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), StorageFault> {
        self.check(addr, data.len())?;
        self.poke(addr, data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_mem_spans_pages_and_refuses_wrapping_accesses() {
        let mut m = SparseMem::new();
        let data: Vec<u8> = (0..100).collect();
        m.write(4096 - 50, &data).unwrap();
        assert_eq!(m.peek_vec(4096 - 50, 100), data);
        assert_eq!(m.peek_vec(0, 4), vec![0; 4]);
        assert_eq!(m.touched_pages(), vec![0, 4096]);
        let e = m.write(u64::MAX - 3, &[0; 8]).unwrap_err();
        assert_eq!(e.resp, Resp::DecErr);
        assert!(e.detail.contains("wraps"));
    }
}
