//! The register map source (`rtl/regmap.toml`): parsing, validation and the
//! generators for the SystemVerilog package, the Rust constants and the
//! Markdown table.
//!
//! This file is compiled twice: as `nic_hw::regmap` and, through `#[path]`,
//! inside `build.rs`, so it depends only on `serde` and `toml`.

use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The whole register map file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegMap {
    pub device: Device,
    #[serde(rename = "reg")]
    pub regs: Vec<Reg>,
    #[serde(rename = "layout", default)]
    pub layouts: Vec<Layout>,
    #[serde(rename = "constant", default)]
    pub constants: Vec<Constant>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub id: u32,
    pub version: u32,
    pub addr_width: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Ro,
    Rw,
    W1c,
    Wo,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Ro => "ro",
            Access::Rw => "rw",
            Access::W1c => "w1c",
            Access::Wo => "wo",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reg {
    pub name: String,
    pub offset: u32,
    pub access: Access,
    pub reset: u32,
    pub desc: String,
    #[serde(default)]
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    /// `[msb, lsb]`
    pub bits: [u32; 2],
    pub desc: String,
}

impl Field {
    pub fn msb(&self) -> u32 {
        self.bits[0]
    }
    pub fn lsb(&self) -> u32 {
        self.bits[1]
    }
    pub fn width(&self) -> u32 {
        self.msb() - self.lsb() + 1
    }
    pub fn mask(&self) -> u32 {
        let ones = if self.width() == 32 {
            u32::MAX
        } else {
            (1u32 << self.width()) - 1
        };
        ones << self.lsb()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub name: String,
    pub size: u32,
    pub desc: String,
    pub fields: Vec<LayoutField>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutField {
    pub name: String,
    pub offset: u32,
    pub width: u32,
    pub desc: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constant {
    pub name: String,
    pub value: u64,
    pub desc: String,
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl RegMap {
    /// Parses and validates `text`; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<RegMap, String> {
        let map: RegMap = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        map.validate().map_err(|e| format!("{origin}: {e}"))?;
        Ok(map)
    }

    fn validate(&self) -> Result<(), String> {
        let span = 1u64 << self.device.addr_width;
        let mut names = BTreeSet::new();
        let mut offsets = BTreeSet::new();
        for r in &self.regs {
            if !is_ident(&r.name) {
                return Err(format!(
                    "register `{}`: name must be UPPER_SNAKE_CASE",
                    r.name
                ));
            }
            if !names.insert(r.name.clone()) {
                return Err(format!("register `{}` defined twice", r.name));
            }
            if r.offset % 4 != 0 || u64::from(r.offset) >= span {
                return Err(format!(
                    "register `{}`: offset {:#x} must be 4-byte aligned and below {:#x}",
                    r.name, r.offset, span
                ));
            }
            if !offsets.insert(r.offset) {
                return Err(format!(
                    "register `{}`: offset {:#x} already used",
                    r.name, r.offset
                ));
            }
            let mut used = 0u32;
            for f in &r.fields {
                if !is_ident(&f.name) {
                    return Err(format!(
                        "register `{}` field `{}`: name must be UPPER_SNAKE_CASE",
                        r.name, f.name
                    ));
                }
                if f.msb() > 31 || f.lsb() > f.msb() {
                    return Err(format!(
                        "register `{}` field `{}`: bits {:?} must be [msb, lsb] with 31 >= msb >= lsb",
                        r.name, f.name, f.bits
                    ));
                }
                if used & f.mask() != 0 {
                    return Err(format!(
                        "register `{}` field `{}` overlaps another field",
                        r.name, f.name
                    ));
                }
                used |= f.mask();
            }
        }
        for l in &self.layouts {
            let mut covered = 0u64;
            for f in &l.fields {
                if !matches!(f.width, 1 | 2 | 4 | 8) || f.offset % f.width != 0 {
                    return Err(format!(
                        "layout `{}` field `{}`: width must be 1, 2, 4 or 8 and the offset naturally aligned",
                        l.name, f.name
                    ));
                }
                if f.offset + f.width > l.size {
                    return Err(format!(
                        "layout `{}` field `{}` ends past the layout's size {}",
                        l.name, f.name, l.size
                    ));
                }
                let bits = ((1u64 << f.width) - 1) << f.offset;
                if covered & bits != 0 {
                    return Err(format!("layout `{}` field `{}` overlaps", l.name, f.name));
                }
                covered |= bits;
            }
        }
        Ok(())
    }

    pub fn reg(&self, name: &str) -> Option<&Reg> {
        self.regs.iter().find(|r| r.name == name)
    }

    /// The SystemVerilog package `nic_regs_pkg`.
    pub fn to_sv(&self) -> String {
        let aw = self.device.addr_width;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "// GENERATED from rtl/regmap.toml by `cargo run -p nic-hw --bin regmap-gen`. Do not edit."
        );
        let _ = writeln!(s, "`default_nettype none\n");
        let _ = writeln!(s, "package nic_regs_pkg;\n");
        let _ = writeln!(s, "  localparam int unsigned REG_ADDR_W = {aw};");
        let _ = writeln!(
            s,
            "  localparam logic [31:0] DEVICE_ID = 32'h{:08X};",
            self.device.id
        );
        let _ = writeln!(
            s,
            "  localparam logic [31:0] DEVICE_VERSION = 32'h{:08X};\n",
            self.device.version
        );
        let _ = writeln!(s, "  // Register offsets and reset values");
        for r in &self.regs {
            let _ = writeln!(
                s,
                "  localparam logic [{}:0] REG_{} = {}'h{:03X};  // {}",
                aw - 1,
                r.name,
                aw,
                r.offset,
                r.access.as_str()
            );
            let _ = writeln!(
                s,
                "  localparam logic [31:0] RST_{} = 32'h{:08X};",
                r.name, r.reset
            );
            for f in &r.fields {
                let _ = writeln!(
                    s,
                    "  localparam int unsigned {}_{}_LSB = {};",
                    r.name,
                    f.name,
                    f.lsb()
                );
                let _ = writeln!(
                    s,
                    "  localparam int unsigned {}_{}_W = {};",
                    r.name,
                    f.name,
                    f.width()
                );
            }
        }
        let _ = writeln!(
            s,
            "\n  // In-memory layouts (byte offsets, widths in bytes)"
        );
        for l in &self.layouts {
            let _ = writeln!(s, "  localparam int unsigned {}_SIZE = {};", l.name, l.size);
            for f in &l.fields {
                let _ = writeln!(
                    s,
                    "  localparam int unsigned {}_{}_OFF = {};",
                    l.name, f.name, f.offset
                );
                let _ = writeln!(
                    s,
                    "  localparam int unsigned {}_{}_BYTES = {};",
                    l.name, f.name, f.width
                );
            }
        }
        let _ = writeln!(
            s,
            "\n  // Packing functions: a layout's fields into its bytes (little-endian)"
        );
        for l in &self.layouts {
            let fname = format!("{}_pack", l.name.to_lowercase());
            let _ = writeln!(s, "  // {}", l.desc);
            let _ = writeln!(
                s,
                "  function automatic logic [{}_SIZE*8-1:0] {fname}(",
                l.name
            );
            for (i, f) in l.fields.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "    input logic [{}:0] {}{}",
                    f.width * 8 - 1,
                    f.name.to_lowercase(),
                    if i + 1 == l.fields.len() { "" } else { "," }
                );
            }
            let _ = writeln!(s, "  );");
            let _ = writeln!(s, "    {fname} = '0;");
            for f in &l.fields {
                let _ = writeln!(
                    s,
                    "    {fname}[{}_{}_OFF*8 +: {}] = {};",
                    l.name,
                    f.name,
                    f.width * 8,
                    f.name.to_lowercase()
                );
            }
            let _ = writeln!(s, "  endfunction");
        }
        let _ = writeln!(s, "\n  // Constants");
        for c in &self.constants {
            let _ = writeln!(
                s,
                "  localparam int unsigned {} = {};  // {}",
                c.name, c.value, c.desc
            );
        }
        let _ = writeln!(s, "\nendpackage\n\n`default_nettype wire");
        s
    }

    /// Rust constants, included by `nic_hw::regs`.
    pub fn to_rust(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "// GENERATED at build time from rtl/regmap.toml by rtl/build.rs. Do not edit.\n"
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
            "/// Width of the register window's address.\npub const REG_ADDR_W: u32 = {};\n",
            self.device.addr_width
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

    /// The register table for driver writers (docs/REGISTERS.md).
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# NIC register map\n");
        let _ = writeln!(
            s,
            "Generated from `rtl/regmap.toml` by `cargo run -p nic-hw --bin regmap-gen`; do not edit.\n"
        );
        let _ = writeln!(
            s,
            "32-bit registers on an AXI4-Lite window of {} bytes. ID = `{:#010x}`, VERSION = `{:#010x}`.",
            1u64 << self.device.addr_width,
            self.device.id,
            self.device.version
        );
        let _ = writeln!(
            s,
            "Access: `ro` read-only (a write gets SLVERR), `rw` read/write, `w1c` write 1 to clear. \
             An offset not listed reads 0 and answers DECERR.\n"
        );
        let _ = writeln!(s, "| offset | name | access | reset | description |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for r in &self.regs {
            let _ = writeln!(
                s,
                "| `{:#05x}` | `{}` | {} | `{:#x}` | {} |",
                r.offset,
                r.name,
                r.access.as_str(),
                r.reset,
                r.desc
            );
        }
        for r in self.regs.iter().filter(|r| !r.fields.is_empty()) {
            let _ = writeln!(s, "\n## {} fields\n", r.name);
            let _ = writeln!(s, "| bits | field | description |");
            let _ = writeln!(s, "|---|---|---|");
            for f in &r.fields {
                let bits = if f.width() == 1 {
                    format!("{}", f.lsb())
                } else {
                    format!("{}:{}", f.msb(), f.lsb())
                };
                let _ = writeln!(s, "| {} | `{}` | {} |", bits, f.name, f.desc);
            }
        }
        for l in &self.layouts {
            let _ = writeln!(
                s,
                "\n## Layout `{}` ({} bytes, little-endian)\n\n{}\n",
                l.name, l.size, l.desc
            );
            let _ = writeln!(s, "| bytes | field | description |");
            let _ = writeln!(s, "|---|---|---|");
            for f in &l.fields {
                let _ = writeln!(
                    s,
                    "| {}..{} | `{}` | {} |",
                    f.offset,
                    f.offset + f.width,
                    f.name,
                    f.desc
                );
            }
        }
        let _ = writeln!(
            s,
            "\n## Constants\n\n| name | value | description |\n|---|---|---|"
        );
        for c in &self.constants {
            let _ = writeln!(s, "| `{}` | {} | {} |", c.name, c.value, c.desc);
        }
        s
    }
}
