//! Simulated host memory: page frames on NUMA nodes, a CPU view and a RAM
//! view per cache line, and the `struct page` fields the page pool uses.
//!
//! Frames are 4 KiB ([`PAGE_SIZE`]); an order-`n` allocation is a compound
//! page of `2^n` naturally aligned frames on one node. Host addresses are
//! `HOST_BASE + pfn * PAGE_SIZE`, with `pfn = nid * pages_per_node + i`.
//!
//! In [`Coherence::NonCoherent`] mode every frame has two copies: `ram` (what
//! a device reads and writes) and `cpu` (the CPU's cached copy, with a dirty
//! bit per 64-byte line). Only DMA syncs move data between them, exactly
//! like the write-back caches of a non-coherent SoC (e.g. the Armada 3720).
//! In [`Coherence::Coherent`] mode there is a single copy.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bitvec::prelude::*;
use serde::Serialize;
use thiserror::Error;

use crate::addr::HostAddr;
use crate::dma::DmaDev;
use crate::inject::{FailureInjection, Injector};
use crate::registry::PoolRegistry;
use crate::{DMA_CACHE_ALIGN, PAGE_SHIFT, PAGE_SIZE};

/// Highest page order the allocator hands out (the kernel's `MAX_PAGE_ORDER`).
pub const MAX_PAGE_ORDER: u32 = 10;
/// Host address of page frame 0 (the x86-64 direct map base, for familiar
/// looking addresses).
pub const HOST_BASE: u64 = 0xffff_8880_0000_0000;
/// Cache lines per page frame.
pub const LINES_PER_PAGE: usize = PAGE_SIZE / DMA_CACHE_ALIGN;

/// One bit per cache line of a frame.
pub(crate) type LineBits = BitArr!(for LINES_PER_PAGE, in u64, Lsb0);

/// Whether CPU and devices share one copy of memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub enum Coherence {
    /// Devices snoop the CPU caches: one copy; syncs are still recorded,
    /// checked, and move line ownership.
    #[default]
    Coherent,
    /// CPU and device each see their own copy per cache line until a DMA sync
    /// moves it (write-back on sync_for_device, invalidate on sync_for_cpu).
    NonCoherent,
}

/// Shape of the simulated machine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemConfig {
    /// NUMA nodes.
    pub nodes: u32,
    /// Page frames per node; allocation fails beyond it.
    pub pages_per_node: usize,
    /// Coherence model.
    pub coherence: Coherence,
    /// Simulated clock, to turn cycles into seconds of simulated time.
    pub clock_hz: u64,
}

impl Default for MemConfig {
    fn default() -> Self {
        Self {
            nodes: 1,
            pages_per_node: 65536,
            coherence: Coherence::Coherent,
            clock_hz: 250_000_000,
        }
    }
}

/// Errors of the host memory model.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MemError {
    /// The configuration cannot describe a machine.
    #[error("invalid memory configuration: {0}")]
    BadConfig(String),
    /// No node with that id.
    #[error("NUMA node {nid} does not exist (machine has {nodes} nodes)")]
    InvalidNode {
        /// Requested node.
        nid: u32,
        /// Nodes configured.
        nodes: u32,
    },
    /// Order above [`MAX_PAGE_ORDER`].
    #[error("page order {order} above MAX_PAGE_ORDER {max}")]
    OrderTooHigh {
        /// Requested order.
        order: u32,
        /// The maximum.
        max: u32,
    },
    /// The node has no free naturally aligned block of that order.
    #[error("out of memory: no free order-{order} block on node {nid}")]
    OutOfMemory {
        /// Requested order.
        order: u32,
        /// Node.
        nid: u32,
    },
    /// Failure injection refused the allocation.
    #[error("injected allocation failure (order {order}, node {nid})")]
    Injected {
        /// Requested order.
        order: u32,
        /// Node.
        nid: u32,
    },
    /// The address is outside simulated memory.
    #[error("host address {addr} (+{len} bytes) is outside simulated memory")]
    OutOfRange {
        /// First byte.
        addr: HostAddr,
        /// Access length.
        len: usize,
    },
    /// The access touches a frame that is not allocated (use after free).
    #[error("access to free page frame at {addr} (use after free?) at cycle {cycle}")]
    NotAllocated {
        /// Frame address.
        addr: HostAddr,
        /// Cycle.
        cycle: u64,
    },
    /// Freeing something that is not the head of an allocation of that order.
    #[error("free_pages({addr}, order {order}): not an allocated order-{order} head page")]
    BadFree {
        /// Page address.
        addr: HostAddr,
        /// Order given.
        order: u32,
    },
    /// Freeing a page that still has live DMA mappings.
    #[error("free_pages({addr}): page still has {mappings} live DMA mapping(s)")]
    FreeMapped {
        /// Page address.
        addr: HostAddr,
        /// Live mappings.
        mappings: u32,
    },
}

/// A (compound) page frame handed out by [`HostMemory::alloc_pages`]. It is
/// an owning handle: give it back with [`HostMemory::free_pages`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a Page leaks unless freed with HostMemory::free_pages"]
pub struct Page {
    pfn: u64,
    order: u32,
    nid: u32,
}

impl Page {
    pub(crate) fn from_raw(pfn: u64, order: u32, nid: u32) -> Self {
        Self { pfn, order, nid }
    }
    /// Host address of the first byte.
    #[inline]
    pub fn host_addr(&self) -> HostAddr {
        pfn_to_host(self.pfn)
    }
    /// Allocation order.
    #[inline]
    pub fn order(&self) -> u32 {
        self.order
    }
    /// NUMA node.
    #[inline]
    pub fn nid(&self) -> u32 {
        self.nid
    }
    /// Page frame number of the head frame.
    #[inline]
    pub fn pfn(&self) -> u64 {
        self.pfn
    }
    /// Size in bytes (`PAGE_SIZE << order`).
    #[inline]
    pub fn len(&self) -> usize {
        PAGE_SIZE << self.order
    }
    /// Never true; present for clippy's `len_without_is_empty`.
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// An extra reference on a page (the kernel's `get_page()`), as held by
/// something outside the page pool, e.g. an skb that took the page as a
/// plain fragment. While it lives, a page pool cannot recycle the page and
/// releases it instead (`recycle-released-refcnt`). Dropping it puts the
/// reference; the last reference frees the page.
#[derive(Debug)]
pub struct PageRef {
    mem: HostMemory,
    pfn: u64,
    order: u32,
}

impl PageRef {
    /// Takes over a page reference someone already holds (e.g. the one a
    /// page pool held, at `page_pool_release_page`).
    pub(crate) fn adopt(mem: &HostMemory, pfn: u64, order: u32) -> Self {
        Self {
            mem: mem.clone(),
            pfn,
            order,
        }
    }
    /// Host address of the page.
    pub fn host_addr(&self) -> HostAddr {
        pfn_to_host(self.pfn)
    }
    /// Page frame number of the head frame.
    pub fn pfn(&self) -> u64 {
        self.pfn
    }
    /// Page order.
    pub fn order(&self) -> u32 {
        self.order
    }
    /// Bytes in the page (`PAGE_SIZE << order`).
    pub fn len(&self) -> usize {
        PAGE_SIZE << self.order
    }
    /// Never true; present for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl Drop for PageRef {
    fn drop(&mut self) {
        self.mem.inner.put_page_ref(self.pfn, self.order);
    }
}

#[inline]
pub(crate) fn pfn_to_host(pfn: u64) -> HostAddr {
    HostAddr::new(HOST_BASE + (pfn << PAGE_SHIFT))
}

/// Allocation state of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameState {
    Free,
    Allocated { head: u64, order: u32 },
}

/// The data and ownership state of one page frame.
#[derive(Debug)]
pub(crate) struct Frame {
    /// What devices see (and, in coherent mode, the CPU too).
    pub(crate) ram: Vec<u8>,
    /// The CPU's cached copy (non-coherent mode only; empty otherwise).
    pub(crate) cpu: Vec<u8>,
    /// CPU lines written since the last write-back (non-coherent mode).
    pub(crate) dirty: LineBits,
    /// Lines currently owned by the device (a streaming mapping was created
    /// or synced for the device and not yet synced back for the CPU).
    pub(crate) dev_owned: LineBits,
    pub(crate) state: FrameState,
    /// Part of a `dma_alloc_coherent` buffer: always coherent, never owned.
    pub(crate) coherent: bool,
    /// Live streaming mappings covering this frame, over all devices.
    pub(crate) map_count: u32,
}

impl Frame {
    fn new() -> Self {
        Self {
            ram: Vec::new(),
            cpu: Vec::new(),
            dirty: LineBits::ZERO,
            dev_owned: LineBits::ZERO,
            state: FrameState::Free,
            coherent: false,
            map_count: 0,
        }
    }

    /// The copy the CPU reads and writes.
    #[inline]
    pub(crate) fn cpu_view(&mut self) -> &mut [u8] {
        if self.cpu.is_empty() || self.coherent {
            &mut self.ram
        } else {
            &mut self.cpu
        }
    }
}

/// The `struct page` fields of a frame that the page pool uses, lock-free.
#[derive(Debug, Default)]
pub(crate) struct FrameMeta {
    /// `page->_refcount` (head frame only).
    pub(crate) page_ref: AtomicU32,
    /// `page->pp_ref_count`.
    pub(crate) pp_ref: AtomicI64,
    /// Id of the owning page pool (`page->pp`), 0 = none.
    pub(crate) pp_id: AtomicU32,
    /// `page->dma_addr` as stored by the pool.
    pub(crate) dma: AtomicU64,
}

#[derive(Debug)]
struct NodeAlloc {
    /// One bit per frame of the node, set = allocated.
    used: BitVec<u64, Lsb0>,
    /// Next-fit cursor for order-0 allocations.
    cursor: usize,
    allocated: usize,
}

/// The shared state behind a [`HostMemory`] handle.
pub(crate) struct MemInner {
    pub(crate) cfg: MemConfig,
    pub(crate) cycle: AtomicU64,
    local_node: AtomicU32,
    pub(crate) frames: Box<[Mutex<Frame>]>,
    pub(crate) meta: Box<[FrameMeta]>,
    nodes: Box<[Mutex<NodeAlloc>]>,
    inject: Mutex<Injector>,
    inject_armed: std::sync::atomic::AtomicBool,
    pub(crate) next_dev: AtomicU32,
    pub(crate) registry: PoolRegistry,
}

impl std::fmt::Debug for MemInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostMemory")
            .field("cfg", &self.cfg)
            .field("cycle", &self.cycle.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Simulated host memory. A cheap handle (`Arc` inside), `Send + Sync`.
#[derive(Clone, Debug)]
pub struct HostMemory {
    pub(crate) inner: Arc<MemInner>,
}

#[inline]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of our locks leaves plain data that is still
    // consistent enough for diagnostics; do not cascade the panic.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HostMemory {
    /// Builds a machine. Panics on a configuration with no memory (zero
    /// nodes, zero pages per node or a zero clock); see [`Self::try_new`].
    pub fn new(cfg: MemConfig) -> Self {
        match Self::try_new(cfg) {
            Ok(m) => m,
            Err(e) => panic!("HostMemory::new: {e}"),
        }
    }

    /// Builds a machine, rejecting configurations with no memory.
    pub fn try_new(cfg: MemConfig) -> Result<Self, MemError> {
        if cfg.nodes == 0 || cfg.pages_per_node == 0 {
            return Err(MemError::BadConfig(format!(
                "{} nodes x {} pages: no memory",
                cfg.nodes, cfg.pages_per_node
            )));
        }
        if cfg.clock_hz == 0 {
            return Err(MemError::BadConfig("clock_hz is 0".into()));
        }
        let total = cfg.nodes as usize * cfg.pages_per_node;
        let frames = (0..total).map(|_| Mutex::new(Frame::new())).collect();
        let meta = (0..total).map(|_| FrameMeta::default()).collect();
        let nodes = (0..cfg.nodes)
            .map(|_| {
                Mutex::new(NodeAlloc {
                    used: bitvec![u64, Lsb0; 0; cfg.pages_per_node],
                    cursor: 0,
                    allocated: 0,
                })
            })
            .collect();
        Ok(Self {
            inner: Arc::new(MemInner {
                cfg,
                cycle: AtomicU64::new(0),
                local_node: AtomicU32::new(0),
                frames,
                meta,
                nodes,
                inject: Mutex::new(Injector::default()),
                inject_armed: std::sync::atomic::AtomicBool::new(false),
                next_dev: AtomicU32::new(0),
                registry: PoolRegistry::new(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &MemConfig {
        &self.inner.cfg
    }

    /// Sets the current simulated cycle (the simulator advances it).
    #[inline]
    pub fn set_cycle(&self, cycle: u64) {
        self.inner.cycle.store(cycle, Ordering::Relaxed);
    }

    /// The current simulated cycle.
    #[inline]
    pub fn cycle(&self) -> u64 {
        self.inner.cycle.load(Ordering::Relaxed)
    }

    /// Sets the node of the "current CPU" (`numa_mem_id()`), used by pools
    /// created with `nid: None` (NUMA_NO_NODE).
    pub fn set_local_node(&self, nid: u32) -> Result<(), MemError> {
        self.inner.check_node(nid)?;
        self.inner.local_node.store(nid, Ordering::Relaxed);
        Ok(())
    }

    /// The node of the "current CPU".
    pub fn local_node(&self) -> u32 {
        self.inner.local_node.load(Ordering::Relaxed)
    }

    /// Arms page-allocator failure injection (each page of a bulk allocation
    /// counts as one attempt).
    pub fn inject_alloc_failures(&self, mode: FailureInjection) {
        let mut inj = lock(&self.inner.inject);
        *inj = Injector::new(mode);
        self.inner
            .inject_armed
            .store(inj.armed(), Ordering::Relaxed);
    }

    /// How many page allocations were failed on purpose so far.
    pub fn injected_alloc_failures(&self) -> u64 {
        lock(&self.inner.inject).injected
    }

    /// Allocates a (compound) page of `2^order` frames on node `nid`.
    pub fn alloc_pages(&self, order: u32, nid: u32) -> Result<Page, MemError> {
        let pfn = self.inner.alloc_block(order, nid)?;
        Ok(Page::from_raw(pfn, order, nid))
    }

    /// Frees a page from [`Self::alloc_pages`] (drops its reference; the
    /// frames return to the node when no [`PageRef`] remains).
    pub fn free_pages(&self, page: Page) -> Result<(), MemError> {
        self.inner.check_free(page.pfn, page.order)?;
        self.inner.put_page_ref(page.pfn, page.order);
        Ok(())
    }

    /// Takes an extra reference on a page (`get_page()`).
    pub fn get_page(&self, page: &Page) -> PageRef {
        self.inner.get_page_ref(self, page.pfn, page.order)
    }

    /// Current `_refcount` of the page at `addr` (0 if free).
    pub fn page_ref_count(&self, addr: HostAddr) -> Result<u32, MemError> {
        let pfn = self.inner.host_to_pfn(addr, 1)?;
        let head = match lock(&self.inner.frames[pfn as usize]).state {
            FrameState::Free => return Ok(0),
            FrameState::Allocated { head, .. } => head,
        };
        Ok(self.inner.meta[head as usize]
            .page_ref
            .load(Ordering::Acquire))
    }

    /// The id of the page pool the page holding `addr` belongs to (any
    /// address inside a compound page counts for its head page), or `None`
    /// for a free page, an address outside memory, or a page that is not a
    /// page pool page (never was, or was released from its pool). The
    /// kernel's `page_pool_page_is_pp()` (the `pp_magic` signature check)
    /// followed by `page->pp->user.id`. A page in a pool's cache or ring
    /// still belongs to it.
    pub fn page_pool_of(&self, addr: HostAddr) -> Option<u32> {
        let pfn = self.inner.host_to_pfn(addr, 1).ok()?;
        let head = match lock(&self.inner.frames[pfn as usize]).state {
            FrameState::Free => return None,
            FrameState::Allocated { head, .. } => head,
        };
        let id = self.inner.meta[head as usize].pp_id.load(Ordering::Acquire);
        (id != 0).then_some(id)
    }

    /// Whether the page holding `addr` is a page pool page
    /// (`page_pool_page_is_pp()`); see [`Self::page_pool_of`].
    pub fn page_is_pp(&self, addr: HostAddr) -> bool {
        self.page_pool_of(addr).is_some()
    }

    /// Frames currently allocated on node `nid`.
    pub fn allocated_pages(&self, nid: u32) -> Result<usize, MemError> {
        self.inner.check_node(nid)?;
        Ok(lock(&self.inner.nodes[nid as usize]).allocated)
    }

    /// Reads through the CPU's view: in non-coherent mode, the CPU's cached
    /// copy, which is stale if the driver did not sync for the CPU.
    pub fn cpu_read(&self, addr: HostAddr, buf: &mut [u8]) -> Result<(), MemError> {
        let cycle = self.cycle();
        self.inner
            .for_each_chunk(addr, buf.len(), |frame, pfn, off, range| {
                if frame.state == FrameState::Free {
                    return Err(MemError::NotAllocated {
                        addr: pfn_to_host(pfn),
                        cycle,
                    });
                }
                buf[range.clone()].copy_from_slice(&frame.cpu_view()[off..off + range.len()]);
                Ok(())
            })
    }

    /// Writes through the CPU's view (non-coherent mode: into the CPU's
    /// cache, marking the lines dirty until a sync for the device).
    pub fn cpu_write(&self, addr: HostAddr, data: &[u8]) -> Result<(), MemError> {
        let cycle = self.cycle();
        self.inner
            .for_each_chunk(addr, data.len(), |frame, pfn, off, range| {
                if frame.state == FrameState::Free {
                    return Err(MemError::NotAllocated {
                        addr: pfn_to_host(pfn),
                        cycle,
                    });
                }
                let n = range.len();
                frame.cpu_view()[off..off + n].copy_from_slice(&data[range]);
                if !frame.cpu.is_empty() && !frame.coherent && n > 0 {
                    let first = off / DMA_CACHE_ALIGN;
                    let last = (off + n - 1) / DMA_CACHE_ALIGN;
                    frame.dirty[first..=last].fill(true);
                }
                Ok(())
            })
    }

    /// A device ("struct device") with its own IOMMU-like domain, ledger and
    /// DMA-API-debug checks.
    pub fn dma_device(&self, name: &str) -> DmaDev {
        DmaDev::new(self.clone(), name)
    }

    /// The registry of every page pool created on this memory.
    pub fn pool_registry(&self) -> PoolRegistry {
        self.inner.registry.clone()
    }

    /// Simulated seconds at `cycle`.
    pub fn cycles_to_secs(&self, cycle: u64) -> u64 {
        cycle / self.inner.cfg.clock_hz
    }
}

impl MemInner {
    #[inline]
    pub(crate) fn total_frames(&self) -> u64 {
        self.frames.len() as u64
    }

    pub(crate) fn check_node(&self, nid: u32) -> Result<(), MemError> {
        if nid >= self.cfg.nodes {
            return Err(MemError::InvalidNode {
                nid,
                nodes: self.cfg.nodes,
            });
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn nid_of(&self, pfn: u64) -> u32 {
        (pfn / self.cfg.pages_per_node as u64) as u32
    }

    /// The frame number holding `addr`, checking `[addr, addr+len)` is inside memory.
    pub(crate) fn host_to_pfn(&self, addr: HostAddr, len: usize) -> Result<u64, MemError> {
        let end_ok = addr
            .offset_from(HostAddr::new(HOST_BASE))
            .and_then(|o| o.checked_add(len as u64).map(|e| (o, e)))
            .filter(|&(_, e)| e <= self.total_frames() << PAGE_SHIFT);
        match end_ok {
            Some((o, _)) => Ok(o >> PAGE_SHIFT),
            None => Err(MemError::OutOfRange { addr, len }),
        }
    }

    /// Calls `f(frame, pfn, offset_in_frame, range_in_buffer)` for every
    /// frame touched by `[addr, addr+len)`.
    fn for_each_chunk(
        &self,
        addr: HostAddr,
        len: usize,
        mut f: impl FnMut(&mut Frame, u64, usize, std::ops::Range<usize>) -> Result<(), MemError>,
    ) -> Result<(), MemError> {
        let mut pfn = self.host_to_pfn(addr, len)?;
        let mut off = (addr.raw_value() & (PAGE_SIZE as u64 - 1)) as usize;
        let mut done = 0;
        while done < len {
            let n = (PAGE_SIZE - off).min(len - done);
            let mut frame = lock(&self.frames[pfn as usize]);
            f(&mut frame, pfn, off, done..done + n)?;
            done += n;
            off = 0;
            pfn += 1;
        }
        Ok(())
    }

    fn take_injected(&self) -> bool {
        self.inject_armed.load(Ordering::Relaxed) && {
            let mut inj = lock(&self.inject);
            let fail = inj.should_fail();
            self.inject_armed.store(inj.armed(), Ordering::Relaxed);
            fail
        }
    }

    /// Allocates one naturally aligned block; returns the head pfn.
    pub(crate) fn alloc_block(&self, order: u32, nid: u32) -> Result<u64, MemError> {
        self.check_node(nid)?;
        if order > MAX_PAGE_ORDER {
            return Err(MemError::OrderTooHigh {
                order,
                max: MAX_PAGE_ORDER,
            });
        }
        if self.take_injected() {
            return Err(MemError::Injected { order, nid });
        }
        let idx = {
            let mut node = lock(&self.nodes[nid as usize]);
            node.find_block(order)
                .ok_or(MemError::OutOfMemory { order, nid })?
        };
        let head = nid as u64 * self.cfg.pages_per_node as u64 + idx as u64;
        self.init_block(head, order);
        Ok(head)
    }

    /// Allocates up to `n` order-0 pages on `nid` (`alloc_pages_bulk_node`);
    /// may return fewer, or none.
    pub(crate) fn alloc_bulk(&self, nid: u32, n: usize, out: &mut Vec<u64>) -> usize {
        if self.check_node(nid).is_err() {
            return 0;
        }
        let base = nid as u64 * self.cfg.pages_per_node as u64;
        let start = out.len();
        {
            let mut node = lock(&self.nodes[nid as usize]);
            for _ in 0..n {
                if self.take_injected() {
                    break;
                }
                match node.find_block(0) {
                    Some(idx) => out.push(base + idx as u64),
                    None => break,
                }
            }
        }
        for &pfn in &out[start..] {
            self.init_block(pfn, 0);
        }
        out.len() - start
    }

    fn init_block(&self, head: u64, order: u32) {
        let coherent_cpu = self.cfg.coherence == Coherence::Coherent;
        for pfn in head..head + (1u64 << order) {
            let mut f = lock(&self.frames[pfn as usize]);
            if f.ram.is_empty() {
                f.ram = vec![0; PAGE_SIZE];
                if !coherent_cpu {
                    f.cpu = vec![0; PAGE_SIZE];
                }
            }
            f.state = FrameState::Allocated { head, order };
            f.dirty = LineBits::ZERO;
            f.dev_owned = LineBits::ZERO;
            f.coherent = false;
            f.map_count = 0;
        }
        let m = &self.meta[head as usize];
        m.pp_ref.store(0, Ordering::Relaxed);
        m.pp_id.store(0, Ordering::Relaxed);
        m.dma.store(0, Ordering::Relaxed);
        m.page_ref.store(1, Ordering::Release);
    }

    fn check_free(&self, head: u64, order: u32) -> Result<(), MemError> {
        let f = lock(&self.frames[head as usize]);
        if f.state != (FrameState::Allocated { head, order }) {
            return Err(MemError::BadFree {
                addr: pfn_to_host(head),
                order,
            });
        }
        drop(f);
        let mapped: u32 = (head..head + (1u64 << order))
            .map(|p| lock(&self.frames[p as usize]).map_count)
            .sum();
        if mapped > 0 {
            return Err(MemError::FreeMapped {
                addr: pfn_to_host(head),
                mappings: mapped,
            });
        }
        Ok(())
    }

    pub(crate) fn get_page_ref(&self, mem: &HostMemory, head: u64, order: u32) -> PageRef {
        self.meta[head as usize]
            .page_ref
            .fetch_add(1, Ordering::AcqRel);
        PageRef {
            mem: mem.clone(),
            pfn: head,
            order,
        }
    }

    /// Drops one `_refcount`; frees the block when it was the last.
    pub(crate) fn put_page_ref(&self, head: u64, order: u32) {
        let prev = self.meta[head as usize]
            .page_ref
            .fetch_sub(1, Ordering::AcqRel);
        if prev == 1 {
            self.release_block(head, order);
        } else if prev == 0 {
            tracing::error!(page = %pfn_to_host(head), "put_page on a page with refcount 0");
            self.meta[head as usize]
                .page_ref
                .store(0, Ordering::Release);
        }
    }

    fn release_block(&self, head: u64, order: u32) {
        for pfn in head..head + (1u64 << order) {
            let mut f = lock(&self.frames[pfn as usize]);
            f.state = FrameState::Free;
            f.coherent = false;
        }
        let nid = self.nid_of(head);
        let idx = (head - nid as u64 * self.cfg.pages_per_node as u64) as usize;
        let mut node = lock(&self.nodes[nid as usize]);
        node.used[idx..idx + (1usize << order)].fill(false);
        node.allocated -= 1usize << order;
    }
}

impl NodeAlloc {
    /// Finds and marks a free naturally aligned block of `2^order` frames.
    fn find_block(&mut self, order: u32) -> Option<usize> {
        let n = 1usize << order;
        let len = self.used.len();
        if order == 0 {
            let idx = self.used[self.cursor..]
                .first_zero()
                .map(|i| i + self.cursor)
                .or_else(|| self.used[..self.cursor].first_zero())?;
            self.used.set(idx, true);
            self.cursor = (idx + 1) % len;
            self.allocated += 1;
            return Some(idx);
        }
        let mut idx = 0;
        while idx + n <= len {
            if self.used[idx..idx + n].not_any() {
                self.used[idx..idx + n].fill(true);
                self.allocated += n;
                return Some(idx);
            }
            idx += n;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(coherence: Coherence) -> HostMemory {
        HostMemory::new(MemConfig {
            nodes: 2,
            pages_per_node: 64,
            coherence,
            clock_hz: 1000,
        })
    }

    #[test]
    fn alloc_free_and_capacity() {
        let mem = small(Coherence::Coherent);
        let pages: Vec<Page> = (0..64).map(|_| mem.alloc_pages(0, 1).unwrap()).collect();
        assert!(pages.iter().all(|p| p.nid() == 1));
        assert_eq!(
            mem.alloc_pages(0, 1),
            Err(MemError::OutOfMemory { order: 0, nid: 1 })
        );
        assert_eq!(mem.allocated_pages(1).unwrap(), 64);
        for p in pages {
            mem.free_pages(p).unwrap();
        }
        assert_eq!(mem.allocated_pages(1).unwrap(), 0);
        assert!(matches!(
            mem.alloc_pages(0, 2),
            Err(MemError::InvalidNode { nid: 2, nodes: 2 })
        ));
    }

    #[test]
    fn compound_pages_are_aligned() {
        let mem = small(Coherence::Coherent);
        let a = mem.alloc_pages(0, 0).unwrap();
        let b = mem.alloc_pages(3, 0).unwrap();
        assert_eq!(b.pfn() % 8, 0);
        assert_ne!(b.pfn(), a.pfn());
        assert_eq!(b.len(), 8 * PAGE_SIZE);
        // a write across all 8 frames reads back
        let data: Vec<u8> = (0..b.len()).map(|i| i as u8).collect();
        mem.cpu_write(b.host_addr(), &data).unwrap();
        let mut back = vec![0; b.len()];
        mem.cpu_read(b.host_addr(), &mut back).unwrap();
        assert_eq!(back, data);
        assert!(matches!(
            mem.alloc_pages(MAX_PAGE_ORDER + 1, 0),
            Err(MemError::OrderTooHigh { .. })
        ));
    }

    #[test]
    fn use_after_free_is_reported() {
        let mem = small(Coherence::NonCoherent);
        let p = mem.alloc_pages(0, 0).unwrap();
        let addr = p.host_addr();
        mem.set_cycle(42);
        mem.free_pages(p).unwrap();
        let mut b = [0u8; 4];
        let err = mem.cpu_read(addr, &mut b).unwrap_err();
        assert_eq!(err, MemError::NotAllocated { addr, cycle: 42 });
        assert!(err.to_string().contains("use after free"));
    }

    #[test]
    fn page_refs_keep_pages_alive() {
        let mem = small(Coherence::Coherent);
        let p = mem.alloc_pages(0, 0).unwrap();
        let addr = p.host_addr();
        let r = mem.get_page(&p);
        assert_eq!(mem.page_ref_count(addr).unwrap(), 2);
        mem.free_pages(p).unwrap();
        assert_eq!(mem.page_ref_count(addr).unwrap(), 1);
        mem.cpu_write(addr, &[1, 2, 3]).unwrap();
        drop(r);
        assert_eq!(mem.page_ref_count(addr).unwrap(), 0);
        assert_eq!(mem.allocated_pages(0).unwrap(), 0);
    }

    #[test]
    fn injected_failures() {
        let mem = small(Coherence::Coherent);
        mem.inject_alloc_failures(FailureInjection::NextN(2));
        assert!(matches!(
            mem.alloc_pages(0, 0),
            Err(MemError::Injected { .. })
        ));
        let mut v = Vec::new();
        assert_eq!(mem.inner.alloc_bulk(0, 4, &mut v), 0);
        assert_eq!(mem.inner.alloc_bulk(0, 4, &mut v), 4);
        assert_eq!(mem.injected_alloc_failures(), 2);
    }

    #[test]
    fn out_of_range_addresses() {
        let mem = small(Coherence::Coherent);
        let mut b = [0u8; 1];
        assert!(matches!(
            mem.cpu_read(HostAddr::new(0x1000), &mut b),
            Err(MemError::OutOfRange { .. })
        ));
        let end = HostAddr::new(HOST_BASE + 128 * PAGE_SIZE as u64);
        assert!(matches!(
            mem.cpu_read(end, &mut b),
            Err(MemError::OutOfRange { .. })
        ));
    }
}
