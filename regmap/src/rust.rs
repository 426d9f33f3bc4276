//! The Rust constants of `nic_hw::regs`, written by `nic-hw`'s build script
//! into its OUT_DIR. They name `crate::RegInfo` and `crate::RegAccess`, which
//! `nic-hw` defines.

use crate::model::{Access, RegMap};
use std::fmt::Write as _;

impl RegMap {
    /// Rust constants, included by `nic_hw::regs`.
    pub fn to_rust(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "// GENERATED at build time from rtl/regmap.toml by rtl/build.rs (crate regmap). Do not edit.\n"
        );
        let _ = writeln!(
            s,
            "/// Value of the ID register.\npub const DEVICE_ID: u32 = {:#010x};",
            self.device.id
        );
        let _ = writeln!(
            s,
            "/// Value of the VERSION register.\npub const DEVICE_VERSION: u32 = {:#010x};",
            self.device.version
        );
        let _ = writeln!(
            s,
            "/// Width of the register window's address.\npub const REG_ADDR_W: u32 = {};",
            self.device.addr_width
        );
        let _ = writeln!(
            s,
            "/// Width of a register in bits.\npub const REG_DATA_W: u32 = {};\n",
            self.device.data_width
        );
        for r in &self.regs {
            let _ = writeln!(
                s,
                "/// {} ({}). {}\npub const {}: u32 = {:#05x};",
                r.name,
                r.access.as_str(),
                r.desc.replace('\n', " "),
                r.name,
                r.offset
            );
        }
        let _ = writeln!(s);
        for r in &self
            .regs
            .iter()
            .filter(|r| !r.fields.is_empty())
            .collect::<Vec<_>>()
        {
            let _ = writeln!(
                s,
                "/// Fields of {}.\npub mod {} {{",
                r.name,
                r.name.to_lowercase()
            );
            for f in &r.fields {
                let _ = writeln!(
                    s,
                    "    /// {}\n    pub const {}: u32 = {:#010x};\n    /// Bit position of {}.\n    pub const {}_SHIFT: u32 = {};",
                    f.desc.replace('\n', " "),
                    f.name,
                    f.mask(),
                    f.name,
                    f.name,
                    f.lsb()
                );
            }
            let _ = writeln!(s, "}}\n");
        }
        self.rust_register_table(&mut s);
        for l in &self.layouts {
            let _ = writeln!(
                s,
                "/// Byte layout of {}: {}\npub mod {}_layout {{\n    /// Size in bytes.\n    pub const SIZE: usize = {};",
                l.name,
                l.desc,
                l.name.to_lowercase(),
                l.size
            );
            for f in &l.fields {
                let _ = writeln!(
                    s,
                    "    /// {} (offset).\n    pub const {}: usize = {};\n    /// {} (width in bytes).\n    pub const {}_BYTES: usize = {};",
                    f.desc, f.name, f.offset, f.name, f.name, f.width
                );
            }
            let _ = writeln!(s, "}}\n");
        }
        for c in &self.constants {
            let _ = writeln!(
                s,
                "/// {}\npub const {}: u64 = {};",
                c.desc, c.name, c.value
            );
        }
        s
    }

    /// `REGISTERS`: every register's name, offset, access, reset and text.
    fn rust_register_table(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "/// Every register: name, offset, access, reset value, description."
        );
        let _ = writeln!(s, "pub static REGISTERS: &[crate::RegInfo] = &[");
        for r in &self.regs {
            let _ = writeln!(
                s,
                "    crate::RegInfo {{ name: {:?}, offset: {:#05x}, access: crate::RegAccess::{}, reset: {:#010x}, desc: {:?} }},",
                r.name,
                r.offset,
                match r.access {
                    Access::Ro => "ReadOnly",
                    Access::Rw => "ReadWrite",
                    Access::W1c => "WriteOneToClear",
                    Access::Wo => "WriteOnly",
                },
                r.reset,
                r.desc
            );
        }
        let _ = writeln!(s, "];\n");
    }
}
