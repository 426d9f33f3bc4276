//! The ports of every variant of a design, side by side: the same names and
//! directions in every variant, in the first variant's header order, each
//! with its storage and width per variant (a parameter such as a data width
//! changes both).

use crate::error::{Error, Result};
use crate::header::{Dir, Port, Storage};

/// One port across the variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRow {
    pub name: String,
    pub dir: Dir,
    /// Storage and width in each variant, in variant order.
    pub slots: Vec<(Storage, u32)>,
}

impl PortRow {
    /// The same storage and width in every variant.
    pub fn is_uniform(&self) -> bool {
        self.slots.iter().all(|s| *s == self.slots[0])
    }

    pub fn is_input(&self) -> bool {
        self.dir == Dir::In
    }
}

/// Every port of a design's variants, in port order (the order of the
/// address list a shim hands over).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortTable {
    /// The variants' class prefixes, in variant order.
    pub variants: Vec<String>,
    pub rows: Vec<PortRow>,
}

impl PortTable {
    /// Puts each variant's ports (prefix, header order) in the first
    /// variant's order; every variant must have the same names and
    /// directions.
    pub fn align(per_variant: Vec<(String, Vec<Port>)>) -> Result<PortTable> {
        let mut it = per_variant.into_iter();
        let (first, ports) = it
            .next()
            .ok_or_else(|| Error::Config("no variants to take ports from".into()))?;
        if ports.is_empty() {
            return Err(Error::Ports {
                variant: first,
                reason: "no ports found in its header".into(),
            });
        }
        let mut rows: Vec<PortRow> = ports
            .into_iter()
            .map(|p| PortRow {
                name: p.name,
                dir: p.dir,
                slots: vec![(p.storage, p.width)],
            })
            .collect();
        let mut variants = vec![first.clone()];
        for (prefix, mut ports) in it {
            if ports.len() != rows.len() {
                return Err(Error::Ports {
                    reason: format!("{} ports, {first} has {}", ports.len(), rows.len()),
                    variant: prefix,
                });
            }
            for row in &mut rows {
                let Some(i) = ports
                    .iter()
                    .position(|p| p.name == row.name && p.dir == row.dir)
                else {
                    let dir = if row.is_input() { "input" } else { "output" };
                    return Err(Error::Ports {
                        reason: format!("no {dir} port {}", row.name),
                        variant: prefix,
                    });
                };
                let p = ports.swap_remove(i);
                row.slots.push((p.storage, p.width));
            }
            variants.push(prefix);
        }
        Ok(PortTable { variants, rows })
    }

    /// The ports as the given variant has them.
    pub fn variant_ports(&self, variant: usize) -> impl Iterator<Item = Port> + '_ {
        self.rows.iter().map(move |r| Port {
            name: r.name.clone(),
            dir: r.dir,
            storage: r.slots[variant].0,
            width: r.slots[variant].1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::parse_ports;

    fn table() -> PortTable {
        let w64 = parse_ports(include_str!("../tests/data/Vnic_w64.h"), "w64").unwrap();
        let w128 = parse_ports(include_str!("../tests/data/Vnic_w128.h"), "w128").unwrap();
        PortTable::align(vec![("Vnic_w64".into(), w64), ("Vnic_w128".into(), w128)]).unwrap()
    }

    #[test]
    fn variants_are_put_in_the_first_variants_order() {
        let t = table();
        assert_eq!(t.rows.len(), 66);
        let row = |n: &str| t.rows.iter().find(|r| r.name == n).unwrap();
        // The 128-bit header lists the wide data ports before the 64-bit
        // addresses; the table keeps the 64-bit order.
        let names: Vec<&str> = t.rows.iter().map(|r| r.name.as_str()).collect();
        let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(at("m_axi_awaddr_o") < at("m_axi_wdata_o"));
        assert!(row("clk_i").is_uniform());
        assert!(row("m_axi_awaddr_o").is_uniform());
        let wdata = row("m_axi_wdata_o");
        assert!(!wdata.is_uniform());
        assert_eq!(
            wdata.slots,
            [(Storage::U64, 64), (Storage::Wide { words: 4 }, 128)]
        );
        assert_eq!(
            row("m_axi_wstrb_o").slots,
            [(Storage::U8, 8), (Storage::U16, 16)]
        );
        let w128: Vec<Port> = t.variant_ports(1).collect();
        assert_eq!(w128[at("m_axi_wdata_o")].width, 128);
    }

    #[test]
    fn variants_with_other_ports_are_errors() {
        let w64 = parse_ports(include_str!("../tests/data/Vnic_w64.h"), "w64").unwrap();
        let mut fewer = w64.clone();
        fewer.pop();
        let e = PortTable::align(vec![("a".into(), w64.clone()), ("b".into(), fewer)]).unwrap_err();
        assert!(e.to_string().contains("b: 65 ports, a has 66"), "{e}");
        let mut renamed = w64.clone();
        renamed[0].name = "clock".into();
        let e = PortTable::align(vec![("a".into(), w64), ("b".into(), renamed)]).unwrap_err();
        assert!(e.to_string().contains("b: no input port clk_i"), "{e}");
    }
}
