#![deny(unsafe_code)]
//! # checkers: contract monitors any NIC driver runs over
//!
//! [`Monitored`] wraps any [`hostdriver::NicDevice`] (the Verilated NIC,
//! the reference model) and forwards every call unchanged, while monitors
//! independent of the driver watch the hardware/software contract of
//! `docs/ARCHITECTURE.md`: the register writes, the steps of the NAPI
//! protocol the driver reports ([`hostdriver::NapiEvent`]) and the rings in
//! host memory. They use only the device trait, the register map and wire
//! layouts (`nic_hw`) and host memory (`pool`), never the driver's own
//! state, so a user's own driver is checked the same way.
//!
//! * [`ring_audit`] (`ring/...`): descriptors written, doorbells and
//!   completions agree.
//! * [`napi`] (`napi/...`): budget, complete, unmask and acknowledge
//!   order.
//! * [`barrier`] (`barrier/...`): doorbells ordered after the writes they
//!   publish (`wmb()`), completion fields read after the phase bit
//!   (`dma_rmb()`); host memory's CPU observer.
//! * [`watchdog`] (`watchdog/...`): a cycle bound and a no-progress
//!   detector; its finding is the [`hostdriver::DevError::Watchdog`] the
//!   driver returns, with every ring and pool in it.
//!
//! Every finding is a [`Violation`] with a stable `class()` (prefixed by
//! its monitor), the `cycle()` and a one-line message; [`MonitorConfig`]
//! switches each monitor (all on by default).

pub mod barrier;
pub mod config;
pub mod finding;
pub mod monitored;
pub mod napi;
pub mod ring_audit;
pub mod view;
pub mod watchdog;

pub use barrier::{BarrierAuditor, BarrierRule, BarrierViolation};
pub use config::{MonitorConfig, Switch};
pub use finding::{Checker, Violation};
pub use monitored::Monitored;
pub use napi::{NapiRule, NapiViolation};
pub use ring_audit::{DescImage, RingRule, RingViolation};
pub use view::{Queue, QueueView, RingView};
pub use watchdog::{WatchdogConfig, WatchdogRule, WatchdogViolation};
