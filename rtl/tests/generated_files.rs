//! The files generated from `rtl/regmap.toml` must match it: a change to the
//! register map that was not regenerated fails here. (The generators' own
//! tests live in the `regmap` crate.)

use regmap::{tree, RegMap};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("rtl/ has a parent")
}

fn map() -> RegMap {
    tree::load(root()).expect("valid register map")
}

#[test]
fn checked_in_files_are_up_to_date() {
    let files = tree::generated_files(&map(), root());
    let sv_package = nic_hw::hdl_dir().join(nic_hw::REGS_PKG_SV);
    assert!(files.iter().any(|f| f.path == sv_package), "{files:?}");
    for f in files {
        assert!(
            !f.is_stale(),
            "{} is stale: run `cargo run -p regmap --bin regmap-gen`",
            f.path.display()
        );
    }
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
