//! Generates the Rust register constants (`nic_hw::regs`) from `regmap.toml`
//! (the single source of the register map) into OUT_DIR, with the
//! build-time crate `regmap`.

fn main() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("regmap.toml");
    println!("cargo:rerun-if-changed={}", src.display());
    let map = regmap::RegMap::load(&src).unwrap_or_else(|e| panic!("invalid register map: {e}"));
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("regs.rs"), map.to_rust()).expect("write regs.rs");
}
