#![deny(unsafe_code)]
//! The register map source (`rtl/regmap.toml`) and everything generated
//! from it. A build-time crate: `nic-hw` uses it as a build-dependency for
//! its Rust constants and carries none of it at run time.
//!
//! * [`model`]: the file's records, parsing and validation ([`RegMap`]);
//! * [`sv`], [`rust`], [`markdown`], [`cpp`]: one generator each, for the
//!   RTL's `nic_regs_pkg.sv`, `nic_hw::regs`, `docs/REGISTERS.md` and the C++
//!   harness's `nic_regs.h`;
//! * [`tree`]: which generated files live where in the repository, and
//!   whether they are current (the `regmap-gen` binary and the freshness
//!   tests use it).
//!
//! Arrows point one way: the generators and `tree` import `model`, `tree`
//! imports the generators, `model` imports neither.

pub mod cpp;
pub mod markdown;
pub mod model;
pub mod rust;
pub mod sv;
pub mod tree;

pub use model::{
    Access, Constant, Device, Field, Layout, LayoutField, Problem, Reg, RegMap, RegMapError,
};
