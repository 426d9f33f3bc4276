//! The SystemVerilog package `nic_regs_pkg` (`rtl/hdl/nic_regs_pkg.sv`).

use crate::model::{Layout, RegMap};
use std::fmt::Write as _;

impl RegMap {
    /// The SystemVerilog package `nic_regs_pkg`.
    pub fn to_sv(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "// GENERATED from rtl/regmap.toml by `cargo run -p regmap --bin regmap-gen`. Do not edit."
        );
        let _ = writeln!(s, "`default_nettype none\n");
        let _ = writeln!(s, "package nic_regs_pkg;\n");
        self.sv_registers(&mut s);
        self.sv_layouts(&mut s);
        let _ = writeln!(
            s,
            "\n  // Packing functions: a layout's fields into its bytes (little-endian)"
        );
        for l in &self.layouts {
            sv_pack_function(&mut s, l);
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

    /// Device id/version, register offsets, reset values and field positions.
    fn sv_registers(&self, s: &mut String) {
        let aw = self.device.addr_width;
        let dw = self.device.data_width;
        let _ = writeln!(s, "  localparam int unsigned REG_ADDR_W = {aw};");
        let _ = writeln!(s, "  localparam int unsigned REG_DATA_W = {dw};");
        let _ = writeln!(
            s,
            "  localparam logic [REG_DATA_W-1:0] DEVICE_ID = {dw}'h{:08X};",
            self.device.id
        );
        let _ = writeln!(
            s,
            "  localparam logic [REG_DATA_W-1:0] DEVICE_VERSION = {dw}'h{:08X};\n",
            self.device.version
        );
        let _ = writeln!(s, "  // Register offsets and reset values");
        for r in &self.regs {
            let _ = writeln!(
                s,
                "  localparam logic [REG_ADDR_W-1:0] REG_{} = {aw}'h{:03X};  // {}",
                r.name,
                r.offset,
                r.access.as_str()
            );
            let _ = writeln!(
                s,
                "  localparam logic [REG_DATA_W-1:0] RST_{} = {dw}'h{:08X};",
                r.name, r.reset
            );
            for f in &r.fields {
                let (reg, field) = (&r.name, &f.name);
                let _ = writeln!(
                    s,
                    "  localparam int unsigned {reg}_{field}_LSB = {};",
                    f.lsb()
                );
                let _ = writeln!(
                    s,
                    "  localparam int unsigned {reg}_{field}_W = {};",
                    f.width()
                );
            }
        }
    }

    /// Byte offsets and widths of the in-memory layouts.
    fn sv_layouts(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "\n  // In-memory layouts (byte offsets, widths in bytes and in bits)"
        );
        for l in &self.layouts {
            let _ = writeln!(s, "  localparam int unsigned {}_SIZE = {};", l.name, l.size);
            for f in &l.fields {
                let name = format!("{}_{}", l.name, f.name);
                let _ = writeln!(s, "  localparam int unsigned {name}_OFF = {};", f.offset);
                let _ = writeln!(s, "  localparam int unsigned {name}_BYTES = {};", f.width);
                let _ = writeln!(s, "  localparam int unsigned {name}_W = {};", f.width * 8);
            }
        }
    }
}

/// `<layout>_pack(...)`: the layout's fields into its bytes.
fn sv_pack_function(s: &mut String, l: &Layout) {
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
            "    input logic [{}_{}_W-1:0] {}{}",
            l.name,
            f.name,
            f.name.to_lowercase(),
            if i + 1 == l.fields.len() { "" } else { "," }
        );
    }
    let _ = writeln!(s, "  );");
    let _ = writeln!(s, "    {fname} = '0;");
    for f in &l.fields {
        let _ = writeln!(
            s,
            "    {fname}[{}_{}_OFF*8 +: {}_{}_W] = {};",
            l.name,
            f.name,
            l.name,
            f.name,
            f.name.to_lowercase()
        );
    }
    let _ = writeln!(s, "  endfunction");
}
