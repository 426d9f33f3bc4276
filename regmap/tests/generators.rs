//! The register map's validation rules and generators, on the project's map
//! and on broken copies of it.

use regmap::{tree, Problem, RegMap, RegMapError};

fn source() -> String {
    std::fs::read_to_string(tree::repo_root().join(tree::REGMAP_TOML)).expect("read regmap.toml")
}

fn map() -> RegMap {
    RegMap::parse(&source(), "rtl/regmap.toml").expect("valid register map")
}

#[test]
fn bad_maps_are_rejected_with_the_reason() {
    let dup = source().replacen("offset = 0x004", "offset = 0x000", 1);
    let e = RegMap::parse(&dup, "x.toml").unwrap_err().to_string();
    assert!(e.contains("x.toml") && e.contains("already used"), "{e}");

    let unaligned = source().replacen("offset = 0x004", "offset = 0x006", 1);
    let e = RegMap::parse(&unaligned, "x.toml").unwrap_err();
    assert!(
        matches!(&e, RegMapError::Invalid { problem: Problem::RegOffset { reg, .. }, .. } if reg == "VERSION"),
        "{e:?}"
    );
    assert!(e.to_string().contains("aligned"), "{e}");

    let typo = source().replacen("access = \"ro\"", "access = \"rx\"", 1);
    let e = RegMap::parse(&typo, "x.toml").unwrap_err();
    assert!(matches!(e, RegMapError::Syntax { .. }), "{e:?}");
}

#[test]
fn overlapping_fields_are_rejected() {
    let overlap = source().replacen("bits = [1, 1]", "bits = [1, 0]", 1);
    let e = RegMap::parse(&overlap, "x.toml").unwrap_err();
    assert!(
        matches!(&e, RegMapError::Invalid { problem: Problem::FieldOverlap { reg, field }, .. }
            if reg == "CTRL" && field == "SOFT_RESET"),
        "{e:?}"
    );
}

#[test]
fn a_missing_file_names_the_path() {
    let e = RegMap::load(std::path::Path::new("/nonexistent/regmap.toml")).unwrap_err();
    assert!(matches!(e, RegMapError::Read { .. }), "{e:?}");
    assert!(e.to_string().contains("/nonexistent/regmap.toml"), "{e}");
}

#[test]
fn the_cpp_header_carries_the_sv_package_values() {
    let m = map();
    let h = m.to_cpp_header();
    let sv = m.to_sv();
    assert!(
        h.contains("constexpr uint64_t REG_RX_PROD = 0x10CULL;"),
        "{h}"
    );
    assert!(
        sv.contains("localparam logic [REG_ADDR_W-1:0] REG_RX_PROD = 12'h10C;"),
        "{sv}"
    );
    assert!(
        h.contains("constexpr uint64_t RST_IRQ_MASK = 0x0000000FULL;"),
        "{h}"
    );
    assert!(
        h.contains("constexpr uint64_t CPL_DESC_IDX_OFF = 8ULL;"),
        "{h}"
    );
    assert!(
        h.contains("constexpr uint64_t MAX_FRAME_CAP = 9216ULL;"),
        "{h}"
    );
    assert!(
        h.contains("constexpr uint64_t CTRL_LOOPBACK_LSB = 2ULL;"),
        "{h}"
    );
    // Every localparam of the package has its constant in the header.
    for line in sv
        .lines()
        .filter(|l| l.trim_start().starts_with("localparam"))
    {
        let name = line
            .split('=')
            .next()
            .unwrap()
            .split_whitespace()
            .last()
            .unwrap();
        assert!(
            h.contains(&format!("constexpr uint64_t {name} = ")),
            "{name} missing from nic_regs.h"
        );
    }
}

#[test]
fn the_generated_files_are_the_three_checked_in_outputs() {
    let root = tree::repo_root();
    let files = tree::generated_files(&map(), &root);
    let names: Vec<_> = files
        .iter()
        .map(|f| f.path.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "rtl/hdl/nic_regs_pkg.sv",
            "docs/REGISTERS.md",
            "rtl/harness/nic_regs.h"
        ]
    );
    for f in &files {
        assert!(
            !f.is_stale(),
            "{} is stale: run `cargo run -p regmap --bin regmap-gen`",
            f.path.display()
        );
    }
}
