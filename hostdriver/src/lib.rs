#![deny(unsafe_code)]
//! # hostdriver: a NAPI driver for the NIC over a small device trait
//!
//! The driver an engineer could port to the kernel: it reaches the hardware
//! only through [`NicDevice`] (32-bit MMIO, the interrupt line, the DMA
//! device and host memory, and a way to let simulated time pass; it reports
//! its NAPI steps to the device too). `cosim` implements the trait over the
//! Verilated NIC; [`model::ModelNic`] is a plain Rust reference model of
//! `docs/ARCHITECTURE.md` for unit tests; `checkers::Monitored` wraps either
//! with the contract monitors.
//!
//! MMIO writes are relaxed (`writel_relaxed`): the driver calls `wmb()`
//! before every doorbell, and reads a completion's phase bit alone, then
//! `dma_rmb()`, then its other fields (the barriers of `pool::HostMemory`).
//!
//! * [`Driver`]: probe (ID/version check, soft reset), open (one
//!   [`pool::PagePool`] per RX queue with `DMA_MAP` and optionally
//!   `DMA_SYNC_DEV`, `offset` = headroom, `max_len` = buffer length after
//!   headroom, `napi` = the queue's poll context; coherent rings; RX buffers
//!   posted; registers programmed; interrupts enabled), the NAPI poll
//!   ([`Driver::handle_irq`], [`Driver::napi_poll`], [`Driver::service`]),
//!   transmit ([`Driver::xmit`], [`Driver::xdp_xmit`]) and close
//!   ([`Driver::close`], returning a [`CloseReport`]).
//! * [`XdpProg`] / [`XdpAction`]: the verdict hook (PASS, DROP, TX,
//!   REDIRECT, ABORTED).
//! * [`SkBuff`]: the skb-like buffer of the PASS path, with the page pool's
//!   recycle mark (`pp_recycle`); clones share the data (`dataref`), and
//!   the last free returns every pool page of head and frags
//!   (`skb_release_data`, 6.12).
//! * [`XdpRxqInfo`] / [`XdpMemInfo`] / [`XdpFrameBulk`]: the XDP memory
//!   model of each RX queue and the return of XDP frames through it
//!   (net/core/xdp.c, 6.12).
//! * [`DriverStats`] / [`Driver::ethtool_stats`]: `ethtool -S`-like counters
//!   plus the pool's `rx_pp_*` stats with the kernel's names.
//!
//! * `test_utils` (feature `test-utils`): helpers for driver tests, on the
//!   model and on any other [`NicDevice`].
//!
//! Register offsets come from [`nic_hw::regs`], descriptors and completions
//! from [`nic_hw::wire`]; nothing here hard-codes the hardware contract.
//! Logs go through `tracing`, every event stamped with the device cycle.

pub mod config;
pub mod conservation;
pub mod driver;
pub mod error;
pub mod model;
pub mod skb;
pub mod stats;
#[cfg(feature = "test-utils")]
pub mod test_utils;
pub mod xdp;
pub mod xdp_mem;

pub use config::{DriverConfig, RxMode, TestSwitches, MAX_RX_PAGE_ORDER};
pub use driver::{CloseReport, Driver, NapiEvent, PollOutcome};
pub use error::{DevError, DriverError, MmioOp, TxError};
pub use skb::{
    CoalesceError, CoalescePolicy, SkBuff, SkbViolation, SkbViolationKind, SkbViolations,
};
pub use stats::{DriverStats, HwStats, PP_ETHTOOL_NAMES};
pub use xdp::{
    xdp_return_frame_bulk, RedirectTarget, RxHandler, XdpAction, XdpBuff, XdpFrame, XdpProg,
};
pub use xdp_mem::{
    RxqRegState, XdpFrameBulk, XdpMemError, XdpMemInfo, XdpMemLog, XdpMemType, XdpMemViolation,
    XdpReturnStats, XdpRxqInfo,
};

use pool::{DmaDev, HostMemory};

/// What the driver needs from the hardware, and nothing more.
///
/// Implementations: `cosim::Sim` (the Verilated NIC, in `cosim/src/device.rs`)
/// and [`model::ModelNic`] (a plain Rust model of the same contract).
pub trait NicDevice {
    /// 32-bit read of the register at byte offset `reg` (an
    /// [`nic_hw::regs`] constant). Simulated time passes while the bus
    /// transaction runs.
    fn mmio_read(&mut self, reg: u32) -> Result<u32, DevError>;
    /// 32-bit write of `value` to the register at byte offset `reg`, with
    /// `writel_relaxed` semantics: it is not ordered after the CPU's
    /// earlier writes to DMA-visible memory. A driver publishing
    /// descriptors or buffers with a doorbell (`RX_PROD`, `TX_PROD`) calls
    /// [`HostMemory::wmb`] first.
    fn mmio_write(&mut self, reg: u32, value: u32) -> Result<(), DevError>;
    /// Level of the interrupt line (`irq_o`).
    fn irq_asserted(&self) -> bool;
    /// Lets `cycles` clock cycles pass: the device runs.
    fn advance(&mut self, cycles: u64) -> Result<(), DevError>;
    /// The device clock's current cycle.
    fn cycle(&self) -> u64;
    /// A step of the interrupt/NAPI protocol, reported by the driver as it
    /// takes it (the same [`NapiEvent`] it records). A device ignores it;
    /// a monitoring layer (`checkers::Monitored`) checks the NAPI contract
    /// from it. It must not touch the device: no MMIO, no time.
    fn napi_event(&mut self, _ev: &NapiEvent) {}
    /// The DMA device (IOMMU domain) the NIC masters memory through.
    fn dma_dev(&self) -> &DmaDev;
    /// Host memory the driver's buffers and rings live in.
    fn host_mem(&self) -> &HostMemory;
}
