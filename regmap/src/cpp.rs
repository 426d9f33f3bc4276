//! The C++ header of the Verilator harness (`rtl/harness/nic_regs.h`): the
//! same names and values as the SystemVerilog package's localparams, as
//! `constexpr uint64_t` in `namespace nic`.

use crate::model::RegMap;
use std::fmt::Write as _;

impl RegMap {
    /// The header `nic_regs.h`.
    pub fn to_cpp_header(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "// GENERATED from rtl/regmap.toml by `cargo run -p regmap --bin regmap-gen`. Do not edit."
        );
        let _ = writeln!(s, "#pragma once\n#include <cstdint>\nnamespace nic {{");
        let mut def = |name: &str, value: String| {
            let _ = writeln!(s, "constexpr uint64_t {name} = {value}ULL;");
        };
        def("REG_ADDR_W", self.device.addr_width.to_string());
        def("REG_DATA_W", self.device.data_width.to_string());
        def("DEVICE_ID", format!("0x{:08X}", self.device.id));
        def("DEVICE_VERSION", format!("0x{:08X}", self.device.version));
        for r in &self.regs {
            def(&format!("REG_{}", r.name), format!("0x{:03X}", r.offset));
            def(&format!("RST_{}", r.name), format!("0x{:08X}", r.reset));
            for f in &r.fields {
                def(&format!("{}_{}_LSB", r.name, f.name), f.lsb().to_string());
                def(&format!("{}_{}_W", r.name, f.name), f.width().to_string());
            }
        }
        for l in &self.layouts {
            def(&format!("{}_SIZE", l.name), l.size.to_string());
            for f in &l.fields {
                def(&format!("{}_{}_OFF", l.name, f.name), f.offset.to_string());
                def(&format!("{}_{}_BYTES", l.name, f.name), f.width.to_string());
                def(
                    &format!("{}_{}_W", l.name, f.name),
                    (f.width * 8).to_string(),
                );
            }
        }
        for c in &self.constants {
            def(&c.name, c.value.to_string());
        }
        let _ = writeln!(s, "}}  // namespace nic");
        s
    }
}
