//! `struct xdp_rxq_info` and its registration (net/core/xdp.c, 6.12):
//! `__xdp_rxq_info_reg`, `xdp_rxq_info_unreg`, `xdp_rxq_info_unused`,
//! `xdp_rxq_info_reg_mem_model`, `xdp_rxq_info_unreg_mem_model`.

use pool::{IfIndex, NapiId, PagePoolHandle};

use super::log::{XdpMemLog, XdpMemViolation};
use super::table;
use super::{XdpMemInfo, XdpMemType};

/// `REG_STATE_*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RxqRegState {
    /// `REG_STATE_NEW` (0).
    #[default]
    New,
    /// `REG_STATE_REGISTERED`.
    Registered,
    /// `REG_STATE_UNREGISTERED`.
    Unregistered,
    /// `REG_STATE_UNUSED`.
    Unused,
}

/// Why a registration failed (the kernel's errno in the doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XdpMemError {
    /// `-EINVAL` of `xdp_rxq_info_reg` on an unused queue.
    #[error("xdp_rxq_info_reg: the queue was marked unused (-EINVAL)")]
    Unused,
    /// `-EFAULT` of `xdp_rxq_info_reg_mem_model` on a queue not registered.
    #[error("xdp_rxq_info_reg_mem_model: the queue is not registered (-EFAULT)")]
    NotRegistered,
    /// `-EOPNOTSUPP`: `MEM_TYPE_XSK_BUFF_POOL` is not modelled.
    #[error("xdp_rxq_info_reg_mem_model: memory type {0:?} not supported (-EOPNOTSUPP)")]
    Unsupported(XdpMemType),
    /// `-EINVAL`: `MEM_TYPE_PAGE_POOL` without a pool.
    #[error("xdp_rxq_info_reg_mem_model: MEM_TYPE_PAGE_POOL needs its page pool (-EINVAL)")]
    NoAllocator,
    /// `-ENOSPC`: every mem id in use.
    #[error("xdp_rxq_info_reg_mem_model: no free mem id (-ENOSPC)")]
    NoMemId,
}

/// `struct xdp_rxq_info`: one RX queue's registration and memory model.
#[derive(Debug, Default)]
pub struct XdpRxqInfo {
    reg_state: RxqRegState,
    dev: Option<IfIndex>,
    queue_index: u32,
    napi_id: Option<NapiId>,
    mem: XdpMemInfo,
    log: XdpMemLog,
}

impl XdpRxqInfo {
    /// A zeroed `xdp_rxq_info` (`REG_STATE_NEW`) reporting into `log`.
    pub fn new(log: XdpMemLog) -> Self {
        Self {
            log,
            ..Self::default()
        }
    }

    /// `__xdp_rxq_info_reg(rxq, dev, queue_index, napi_id, 0)`: a queue
    /// marked unused refuses (WARN); a registered one is unregistered first
    /// (WARN "Missing unregister"); then the info is zeroed and registered.
    pub fn xdp_rxq_info_reg(
        &mut self,
        dev: IfIndex,
        queue_index: u32,
        napi_id: NapiId,
    ) -> Result<(), XdpMemError> {
        match self.reg_state {
            RxqRegState::Unused => {
                self.log.record(XdpMemViolation::RegisterUnused);
                return Err(XdpMemError::Unused);
            }
            RxqRegState::Registered => {
                self.log.record(XdpMemViolation::MissingUnregister);
                self.xdp_rxq_info_unreg();
            }
            RxqRegState::New | RxqRegState::Unregistered => {}
        }
        // xdp_rxq_info_init: memset 0.
        self.mem = XdpMemInfo::default();
        self.dev = Some(dev);
        self.queue_index = queue_index;
        self.napi_id = Some(napi_id);
        self.reg_state = RxqRegState::Registered;
        Ok(())
    }

    /// `xdp_rxq_info_reg_mem_model(rxq, type, allocator)`: only on a
    /// registered queue (WARN + `-EFAULT` otherwise); for
    /// `MEM_TYPE_PAGE_POOL` a new mem id is allocated and the pool entered
    /// in the id table under it (`__xdp_reg_mem_model`,
    /// `page_pool_use_xdp_mem`).
    pub fn xdp_rxq_info_reg_mem_model(
        &mut self,
        mem_type: XdpMemType,
        allocator: Option<PagePoolHandle>,
    ) -> Result<(), XdpMemError> {
        if self.reg_state != RxqRegState::Registered {
            self.log.record(XdpMemViolation::MissingRegister {
                func: "xdp_rxq_info_reg_mem_model",
            });
            return Err(XdpMemError::NotRegistered);
        }
        if mem_type == XdpMemType::XskBuffPool {
            return Err(XdpMemError::Unsupported(mem_type));
        }
        self.mem.mem_type = mem_type;
        let Some(pool) = allocator else {
            if mem_type == XdpMemType::PagePool {
                return Err(XdpMemError::NoAllocator);
            }
            return Ok(());
        };
        let mem = table::xdp_reg_mem_model(self.mem, pool).ok_or(XdpMemError::NoMemId)?;
        tracing::debug!(mem_id = mem.id, ?mem_type, "xdp_rxq_info_reg_mem_model");
        self.mem = mem;
        Ok(())
    }

    /// `xdp_rxq_info_unreg_mem_model` (`xdp_unreg_mem_model`): WARN on a
    /// queue not registered; else the queue's `mem` is reset to `{0, 0}`.
    /// The kernel also drops the reference `page_pool_use_xdp_mem` took
    /// (`page_pool_destroy(xa->page_pool)`); the pool here has no user
    /// count, so the driver's own destroy is the one destroy. The table
    /// entry stays until the pool is freed.
    pub fn xdp_rxq_info_unreg_mem_model(&mut self) {
        if self.reg_state != RxqRegState::Registered {
            self.log.record(XdpMemViolation::MissingRegister {
                func: "xdp_rxq_info_unreg_mem_model",
            });
            return;
        }
        self.mem = XdpMemInfo::default();
    }

    /// `xdp_rxq_info_unreg`: nothing for an unused queue; else the memory
    /// model goes, and the queue is `REG_STATE_UNREGISTERED`.
    pub fn xdp_rxq_info_unreg(&mut self) {
        if self.reg_state == RxqRegState::Unused {
            return;
        }
        self.xdp_rxq_info_unreg_mem_model();
        self.reg_state = RxqRegState::Unregistered;
        self.dev = None;
    }

    /// `xdp_rxq_info_unused`.
    pub fn xdp_rxq_info_unused(&mut self) {
        self.reg_state = RxqRegState::Unused;
    }

    /// `xdp_rxq_info_is_reg`.
    pub fn xdp_rxq_info_is_reg(&self) -> bool {
        self.reg_state == RxqRegState::Registered
    }

    /// The registration state.
    pub fn reg_state(&self) -> RxqRegState {
        self.reg_state
    }

    /// `rxq->mem`.
    pub fn mem(&self) -> XdpMemInfo {
        self.mem
    }

    /// `rxq->queue_index`.
    pub fn queue_index(&self) -> u32 {
        self.queue_index
    }

    /// `rxq->napi_id`.
    pub fn napi_id(&self) -> Option<NapiId> {
        self.napi_id
    }

    /// The `mem` an `xdp_frame` of a page pool page made from this queue
    /// carries (`xdp_convert_buff_to_frame`: `xdp_frame->mem = rxq->mem`);
    /// a queue without its page pool memory model is reported.
    pub fn frame_mem(&self) -> XdpMemInfo {
        if self.mem.mem_type != XdpMemType::PagePool {
            self.log.record(XdpMemViolation::FrameWithoutPoolMem {
                mem_type: self.mem.mem_type,
                id: self.mem.id,
            });
        }
        self.mem
    }

    /// The log this queue reports into.
    pub fn log(&self) -> &XdpMemLog {
        &self.log
    }
}
