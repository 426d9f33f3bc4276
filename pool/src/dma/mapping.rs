//! The live mappings of one device's domain, indexed by page frame.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::Serialize;

use super::direction::DmaDirection;
use crate::addr::{DmaAddr, HostAddr};
use crate::layout::PAGE_SHIFT;

/// A live mapping, as reported by [`crate::DmaDev::live_mappings`] and teardown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MappingInfo {
    /// DMA handle.
    pub dma: DmaAddr,
    /// Length.
    pub len: u64,
    /// Direction.
    pub dir: DmaDirection,
    /// Host address of the first byte.
    pub host: HostAddr,
    /// From `dma_alloc_coherent`.
    pub coherent: bool,
    /// Cycle of the map.
    pub mapped_at: u64,
}

impl fmt::Display for MappingInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} mapping dma {} len {:#x} {} host {} (mapped at cycle {})",
            if self.coherent {
                "coherent"
            } else {
                "streaming"
            },
            self.dma,
            self.len,
            self.dir,
            self.host,
            self.mapped_at
        )
    }
}

/// Fibonacci hashing for integer keys (page frame numbers, mapping ids).
#[derive(Default)]
pub(super) struct IntHasher(u64);

impl Hasher for IntHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub(super) type IntMap<V> = HashMap<u64, V, BuildHasherDefault<IntHasher>>;

/// One live mapping, in the device's DMA address space.
#[derive(Clone, Debug)]
pub(super) struct Mapping {
    pub(super) start: u64,
    pub(super) len: u64,
    pub(super) dir: DmaDirection,
    pub(super) coherent: bool,
    pub(super) mapped_at: u64,
}

impl Mapping {
    #[inline]
    pub(super) fn end(&self) -> u64 {
        self.start + self.len
    }
}

/// Every live mapping of a domain whose DMA window starts at `base`.
#[derive(Debug)]
pub(super) struct MappingTable {
    base: u64,
    mappings: IntMap<Mapping>,
    /// Mapping ids touching each page frame.
    by_pfn: IntMap<Vec<u64>>,
    next_id: u64,
}

impl MappingTable {
    pub(super) fn new(base: u64) -> Self {
        Self {
            base,
            mappings: IntMap::default(),
            by_pfn: IntMap::default(),
            next_id: 0,
        }
    }

    /// The mapping with id `id` (one the table handed out and still holds).
    #[inline]
    pub(super) fn get(&self, id: u64) -> &Mapping {
        &self.mappings[&id]
    }

    /// Ids of the mappings touching frame `pfn`.
    #[inline]
    pub(super) fn ids_at(&self, pfn: u64) -> Option<&[u64]> {
        self.by_pfn.get(&pfn).map(Vec::as_slice)
    }

    /// Every live mapping, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Mapping> {
        self.mappings.values()
    }

    /// The public view of `m`.
    pub(super) fn info(&self, m: &Mapping) -> MappingInfo {
        MappingInfo {
            dma: DmaAddr::new(m.start),
            len: m.len,
            dir: m.dir,
            host: HostAddr::new(crate::mem::HOST_BASE + (m.start - self.base)),
            coherent: m.coherent,
            mapped_at: m.mapped_at,
        }
    }

    pub(super) fn insert(&mut self, m: Mapping) {
        self.next_id += 1;
        let id = self.next_id;
        let first = (m.start - self.base) >> PAGE_SHIFT;
        let last = (m.end() - 1 - self.base) >> PAGE_SHIFT;
        for pfn in first..=last {
            self.by_pfn.entry(pfn).or_default().push(id);
        }
        self.mappings.insert(id, m);
    }

    pub(super) fn remove(&mut self, id: u64, m: &Mapping) {
        let first = (m.start - self.base) >> PAGE_SHIFT;
        let last = (m.end() - 1 - self.base) >> PAGE_SHIFT;
        for pfn in first..=last {
            if let Some(v) = self.by_pfn.get_mut(&pfn) {
                v.retain(|&x| x != id);
                if v.is_empty() {
                    self.by_pfn.remove(&pfn);
                }
            }
        }
        self.mappings.remove(&id);
    }

    /// The mapping starting exactly at `addr`, preferring one with matching
    /// length and direction.
    pub(super) fn find_exact(&self, addr: DmaAddr, len: u64, dir: DmaDirection) -> Option<u64> {
        let raw = addr.raw_value();
        let pfn = raw.checked_sub(self.base)? >> PAGE_SHIFT;
        let ids = self.by_pfn.get(&pfn)?;
        let starting = || {
            ids.iter()
                .copied()
                .filter(|id| self.mappings[id].start == raw)
        };
        starting()
            .find(|id| self.mappings[id].len == len && self.mappings[id].dir == dir)
            .or_else(|| starting().next())
    }

    /// The mapping containing `addr`, preferring one that starts there.
    pub(super) fn find_containing(&self, addr: DmaAddr) -> Option<u64> {
        let raw = addr.raw_value();
        let pfn = raw.checked_sub(self.base)? >> PAGE_SHIFT;
        let ids = self.by_pfn.get(&pfn)?;
        let containing = || {
            ids.iter().copied().filter(|id| {
                let m = &self.mappings[id];
                m.start <= raw && raw < m.end()
            })
        };
        containing()
            .find(|id| self.mappings[id].start == raw)
            .or_else(|| containing().next())
    }
}
