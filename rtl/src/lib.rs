#![deny(unsafe_code)]
//! The NIC's hardware contract, shared by the RTL, the simulator and the
//! driver:
//!
//! * [`regs`]: register offsets, fields and reset values, generated at build
//!   time from `rtl/regmap.toml` by the build-time crate `regmap` (which
//!   also generates the RTL's `nic_regs_pkg.sv`, the C++ harness's
//!   `nic_regs.h` and `docs/REGISTERS.md`);
//! * [`wire`]: descriptor and completion formats, `#[repr(C)]` with explicit
//!   little-endian fields, parsed and emitted through checked constructors;
//! * [`hdl_dir`] / [`REGS_PKG_SV`]: where the SystemVerilog sources live.

pub mod wire;

/// Register constants generated from `rtl/regmap.toml`.
#[allow(clippy::unreadable_literal)]
pub mod regs {
    include!(concat!(env!("OUT_DIR"), "/regs.rs"));

    /// Name of the register at `offset`, for logs and error messages.
    pub fn name_of(offset: u32) -> Option<&'static str> {
        REGISTERS
            .iter()
            .find(|r| r.offset == offset)
            .map(|r| r.name)
    }
}

/// How software may access a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegAccess {
    ReadOnly,
    ReadWrite,
    WriteOneToClear,
    WriteOnly,
}

/// One register of the map.
#[derive(Debug, Clone, Copy)]
pub struct RegInfo {
    pub name: &'static str,
    pub offset: u32,
    pub access: RegAccess,
    pub reset: u32,
    pub desc: &'static str,
}

/// Directory of the SystemVerilog sources (`rtl/hdl`).
pub fn hdl_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("hdl")
}

/// Path of the generated SystemVerilog package, relative to [`hdl_dir`].
pub const REGS_PKG_SV: &str = "nic_regs_pkg.sv";
