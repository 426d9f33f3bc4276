//! The ports of a Verilated model, read from its class header: one
//! `VL_IN8(&clk_i,0,0);`, `VL_OUT64(&x,63,0);` or `VL_INW(&w,127,0,4);`
//! line per port.

use crate::error::{Error, Result};

/// Direction of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    In,
    Out,
}

/// The C++ field type Verilator stores a port in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Storage {
    /// `CData` (`VL_IN8`/`VL_OUT8`).
    U8,
    /// `SData` (`VL_IN16`).
    U16,
    /// `IData` (`VL_IN`).
    U32,
    /// `QData` (`VL_IN64`).
    U64,
    /// `VlWide<words>` of 32-bit words (`VL_INW`).
    Wide { words: u32 },
}

/// One port of a Verilated model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Port {
    pub name: String,
    pub dir: Dir,
    /// Width in bits (`msb - lsb + 1`; the lsb is always 0).
    pub width: u32,
    pub storage: Storage,
}

impl Port {
    pub fn is_input(&self) -> bool {
        self.dir == Dir::In
    }
}

/// Every port declared in a Verilated class header, in header order
/// (Verilator groups them by storage type). `file` names the header in
/// errors.
pub fn parse_ports(header: &str, file: &str) -> Result<Vec<Port>> {
    header
        .lines()
        .filter_map(|line| port_line(line.trim()))
        .map(|(dir, kind, args)| {
            parse_port(dir, kind, args).map_err(|reason| Error::Header {
                file: file.to_string(),
                reason,
            })
        })
        .collect()
}

/// `VL_IN8(&a,7,0);` -> (In, "8", "a,7,0"); `None` for any other line.
fn port_line(t: &str) -> Option<(Dir, &str, &str)> {
    let (dir, rest) = if let Some(r) = t.strip_prefix("VL_IN") {
        (Dir::In, r)
    } else {
        (Dir::Out, t.strip_prefix("VL_OUT")?)
    };
    let open = rest.find("(&")?;
    let args = rest[open + 2..].trim_end_matches(';').trim_end_matches(')');
    Some((dir, &rest[..open], args))
}

fn parse_port(dir: Dir, kind: &str, args: &str) -> Result<Port, String> {
    let args: Vec<&str> = args.split(',').map(str::trim).collect();
    let name = args[0].to_string();
    let number = |i: usize, what: &str| -> Result<u32, String> {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("port {name}: no {what} in VL_*{kind}({})", args.join(",")))
    };
    let (msb, lsb) = (number(1, "msb")?, number(2, "lsb")?);
    if lsb != 0 || msb < lsb {
        return Err(format!(
            "port {name}: bits [{msb}:{lsb}] (only [n:0] is supported)"
        ));
    }
    let storage = match kind {
        "8" => Storage::U8,
        "16" => Storage::U16,
        "" => Storage::U32,
        "64" => Storage::U64,
        "W" => Storage::Wide {
            words: number(3, "word count")?,
        },
        other => return Err(format!("unknown port macro VL_*{other} for {name}")),
    };
    Ok(Port {
        name,
        dir,
        width: msb - lsb + 1,
        storage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: &str, dir: Dir, width: u32, storage: Storage) -> Port {
        Port {
            name: name.into(),
            dir,
            width,
            storage,
        }
    }

    fn find<'a>(ports: &'a [Port], name: &str) -> &'a Port {
        ports.iter().find(|p| p.name == name).unwrap()
    }

    #[test]
    fn every_storage_kind_width_and_direction() {
        let ports = parse_ports(include_str!("../tests/data/Vnic_w64.h"), "Vnic_w64.h").unwrap();
        assert_eq!(ports.len(), 66);
        assert_eq!(ports[0], port("clk_i", Dir::In, 1, Storage::U8));
        assert_eq!(
            find(&ports, "irq_o"),
            &port("irq_o", Dir::Out, 1, Storage::U8)
        );
        assert_eq!(find(&ports, "s_axil_wstrb_i").width, 4);
        assert_eq!(
            find(&ports, "s_axil_awaddr_i"),
            &port("s_axil_awaddr_i", Dir::In, 12, Storage::U16)
        );
        assert_eq!(
            find(&ports, "s_axil_rdata_o"),
            &port("s_axil_rdata_o", Dir::Out, 32, Storage::U32)
        );
        assert_eq!(
            find(&ports, "m_axi_wdata_o"),
            &port("m_axi_wdata_o", Dir::Out, 64, Storage::U64)
        );
        assert_eq!(
            find(&ports, "m_axi_rdata_i"),
            &port("m_axi_rdata_i", Dir::In, 64, Storage::U64)
        );
    }

    #[test]
    fn wide_ports_carry_their_word_count() {
        let ports = parse_ports(include_str!("../tests/data/Vnic_w128.h"), "Vnic_w128.h").unwrap();
        assert_eq!(ports.len(), 66);
        let wide = Storage::Wide { words: 4 };
        assert_eq!(
            find(&ports, "m_axi_wdata_o"),
            &port("m_axi_wdata_o", Dir::Out, 128, wide)
        );
        assert_eq!(
            find(&ports, "s_axis_rx_tdata_i"),
            &port("s_axis_rx_tdata_i", Dir::In, 128, wide)
        );
        assert_eq!(
            find(&ports, "m_axi_wstrb_o"),
            &port("m_axi_wstrb_o", Dir::Out, 16, Storage::U16)
        );
        // A width that is not a whole number of words.
        let tiny = parse_ports(include_str!("../tests/data/Vtiny.h"), "Vtiny.h").unwrap();
        assert_eq!(find(&tiny, "wide_i"), &port("wide_i", Dir::In, 100, wide));
        assert_eq!(find(&tiny, "wide_o").dir, Dir::Out);
    }

    #[test]
    fn unknown_macros_and_offset_ranges_are_errors() {
        let e = parse_ports("    VL_IN128(&x,127,0);\n", "x.h").unwrap_err();
        assert!(
            e.to_string().contains("unknown port macro VL_*128 for x"),
            "{e}"
        );
        let e = parse_ports("    VL_IN8(&x,7,4);\n", "x.h").unwrap_err();
        assert!(e.to_string().contains("[7:4]"), "{e}");
    }
}
