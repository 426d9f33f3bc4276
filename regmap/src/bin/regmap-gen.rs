//! Regenerates `rtl/hdl/nic_regs_pkg.sv`, `docs/REGISTERS.md` and
//! `rtl/harness/nic_regs.h` from `rtl/regmap.toml`. `--check` only compares
//! and exits 1 when a file is stale.

use regmap::tree;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = tree::repo_root();
    let map = match tree::load(&root) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut stale = false;
    for file in tree::generated_files(&map, &root) {
        if !file.is_stale() {
            continue;
        }
        if check {
            eprintln!(
                "stale: {} (run `cargo run -p regmap --bin regmap-gen`)",
                file.path.display()
            );
            stale = true;
        } else if let Err(e) = std::fs::write(&file.path, &file.contents) {
            eprintln!("error: cannot write {}: {e}", file.path.display());
            return ExitCode::from(2);
        } else {
            println!("wrote {}", file.path.display());
        }
    }
    if stale {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
