//! Generates the Rust register constants from `regmap.toml` (the single source
//! of the register map) into OUT_DIR.

#[allow(dead_code)]
#[path = "src/regmap.rs"]
mod regmap;

fn main() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("regmap.toml");
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-changed=src/regmap.rs");
    let text = std::fs::read_to_string(&src)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", src.display()));
    let map = regmap::RegMap::parse(&text, &src.display().to_string())
        .unwrap_or_else(|e| panic!("invalid register map: {e}"));
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("regs.rs"), map.to_rust()).expect("write regs.rs");
}
