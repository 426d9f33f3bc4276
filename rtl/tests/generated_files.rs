//! The files generated from `rtl/regmap.toml` must match it: a change to the
//! register map that was not regenerated fails here.

use nic_hw::regmap::RegMap;
use std::path::Path;

fn map() -> RegMap {
    RegMap::parse(nic_hw::REGMAP_TOML, "rtl/regmap.toml").expect("valid register map")
}

#[test]
fn sv_package_is_up_to_date() {
    let path = nic_hw::hdl_dir().join(nic_hw::REGS_PKG_SV);
    let have = std::fs::read_to_string(&path).expect("read nic_regs_pkg.sv");
    assert!(
        have == map().to_sv(),
        "{} is stale: run `cargo run -p nic-hw --bin regmap-gen`",
        path.display()
    );
}

#[test]
fn register_doc_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/REGISTERS.md");
    let have = std::fs::read_to_string(&path).expect("read docs/REGISTERS.md");
    assert!(
        have == map().to_markdown(),
        "{} is stale: run `cargo run -p nic-hw --bin regmap-gen`",
        path.display()
    );
}

#[test]
fn rust_constants_come_from_the_map() {
    let m = map();
    for r in &m.regs {
        let info = nic_hw::regs::REGISTERS
            .iter()
            .find(|i| i.name == r.name)
            .unwrap_or_else(|| panic!("{} missing from generated REGISTERS", r.name));
        assert_eq!(info.offset, r.offset, "{}", r.name);
        assert_eq!(info.reset, r.reset, "{}", r.name);
    }
    assert_eq!(nic_hw::regs::REGISTERS.len(), m.regs.len());
    assert_eq!(nic_hw::regs::CTRL, m.reg("CTRL").unwrap().offset);
    assert_eq!(nic_hw::regs::ctrl::LOOPBACK, 1 << 2);
    assert_eq!(nic_hw::regs::name_of(0x10C), Some("RX_PROD"));
    assert_eq!(nic_hw::regs::name_of(0xFFC), None);
}

#[test]
fn bad_maps_are_rejected_with_the_reason() {
    let dup = nic_hw::REGMAP_TOML.replacen("offset = 0x004", "offset = 0x000", 1);
    let e = RegMap::parse(&dup, "x.toml").unwrap_err();
    assert!(e.contains("x.toml") && e.contains("already used"), "{e}");

    let unaligned = nic_hw::REGMAP_TOML.replacen("offset = 0x004", "offset = 0x006", 1);
    let e = RegMap::parse(&unaligned, "x.toml").unwrap_err();
    assert!(e.contains("VERSION") && e.contains("aligned"), "{e}");

    let typo = nic_hw::REGMAP_TOML.replacen("access = \"ro\"", "access = \"rx\"", 1);
    assert!(RegMap::parse(&typo, "x.toml").is_err());
}
