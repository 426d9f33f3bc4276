//! [`HostMemory`]: the frames of every node, the simulated clock, the
//! current CPU's node, page-allocator failure injection, and the state that
//! layers above keep per memory.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::barrier::CpuObserver;
use super::config::MemConfig;
use super::error::MemError;
use super::frames::{Frame, FrameMeta, HOST_BASE};
use super::node::NodeAlloc;
use super::ownership::OwnershipViolation;
use super::weak::WeakState;
use crate::addr::HostAddr;
use crate::inject::{FailureInjection, Injector};
use crate::layout::PAGE_SHIFT;
use crate::lock::lock;
use crate::platform::{CacheLine, Platform};

/// The shared state behind a [`HostMemory`] handle.
pub(crate) struct MemInner {
    pub(crate) cfg: MemConfig,
    pub(crate) cycle: AtomicU64,
    local_node: AtomicU32,
    pub(crate) frames: Box<[Mutex<Frame>]>,
    pub(crate) meta: Box<[FrameMeta]>,
    pub(super) nodes: Box<[Mutex<NodeAlloc>]>,
    inject: Mutex<Injector>,
    inject_armed: AtomicBool,
    /// Devices made on this memory so far; each gets its own DMA window.
    pub(crate) next_dev: AtomicU32,
    /// One value per type for the layers above (the page pools' registry),
    /// held without naming their types; see [`HostMemory::layer_state`].
    layers: Mutex<Vec<Box<dyn Any + Send + Sync>>>,
    /// Whether `observer` holds one (checked first, lock-free).
    pub(super) observed: AtomicBool,
    pub(super) observer: RwLock<Option<Arc<dyn CpuObserver>>>,
    /// Whether the ownership checks run.
    pub(super) ownership_on: AtomicBool,
    /// Every ownership violation, oldest first.
    pub(super) ownership: Mutex<Vec<OwnershipViolation>>,
    /// The weak-ordering model's state, in that mode only.
    pub(crate) weak: Option<Mutex<WeakState>>,
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
            .map(|_| Mutex::new(NodeAlloc::new(cfg.pages_per_node)))
            .collect();
        Ok(Self {
            inner: Arc::new(MemInner {
                cfg: cfg.clone(),
                cycle: AtomicU64::new(0),
                local_node: AtomicU32::new(0),
                frames,
                meta,
                nodes,
                inject: Mutex::new(Injector::default()),
                inject_armed: AtomicBool::new(false),
                next_dev: AtomicU32::new(0),
                layers: Mutex::new(Vec::new()),
                observed: AtomicBool::new(false),
                observer: RwLock::new(None),
                ownership_on: AtomicBool::new(true),
                ownership: Mutex::new(Vec::new()),
                weak: cfg.weak_order.map(|w| Mutex::new(WeakState::new(w))),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &MemConfig {
        &self.inner.cfg
    }

    /// The platform this memory simulates (cache line, fragment alignment,
    /// coherence).
    pub fn platform(&self) -> Platform {
        self.inner.cfg.platform
    }

    /// Sets the current simulated cycle (the simulator advances it).
    #[inline]
    pub fn set_cycle(&self, cycle: u64) {
        self.inner.cycle.store(cycle, Ordering::Relaxed);
        if self.inner.weak.is_some() {
            self.inner.weak_drain(cycle, false);
        }
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

    /// Simulated seconds at `cycle`.
    pub fn cycles_to_secs(&self, cycle: u64) -> u64 {
        cycle / self.inner.cfg.clock_hz
    }

    /// The value of type `T` this memory keeps for a layer above it, made
    /// with `T::default()` on first use. `T` is a cheap handle (`Arc`
    /// inside), so every caller shares the same state.
    pub(crate) fn layer_state<T: Any + Clone + Default + Send + Sync>(&self) -> T {
        let mut layers = lock(&self.inner.layers);
        if let Some(state) = layers.iter().find_map(|l| l.downcast_ref::<T>()) {
            return state.clone();
        }
        let state = T::default();
        layers.push(Box::new(state.clone()));
        state
    }
}

impl MemInner {
    /// The platform's cache line: the unit of the dirty and device-owned
    /// state and of the cache maintenance of a DMA sync.
    #[inline]
    pub(crate) fn cache_line(&self) -> CacheLine {
        self.cfg.platform.cache_line()
    }

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

    /// Whether the next page allocation is to fail on purpose.
    pub(super) fn take_injected(&self) -> bool {
        self.inject_armed.load(Ordering::Relaxed) && {
            let mut inj = lock(&self.inject);
            let fail = inj.should_fail();
            self.inject_armed.store(inj.armed(), Ordering::Relaxed);
            fail
        }
    }
}
