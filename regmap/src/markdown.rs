//! The register table for driver writers (`docs/REGISTERS.md`).

use crate::model::RegMap;
use std::fmt::Write as _;

impl RegMap {
    /// The register table for driver writers (docs/REGISTERS.md).
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# NIC register map\n");
        let _ = writeln!(
            s,
            "Generated from `rtl/regmap.toml` by `cargo run -p regmap --bin regmap-gen`; do not edit.\n"
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
