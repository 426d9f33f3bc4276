//! Regenerates `rtl/hdl/nic_regs_pkg.sv` and `docs/REGISTERS.md` from
//! `rtl/regmap.toml`. `--check` only compares and exits 1 when stale.

use nic_hw::regmap::RegMap;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("regmap.toml");
    let text = match std::fs::read_to_string(&src) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", src.display());
            return ExitCode::from(2);
        }
    };
    let map = match RegMap::parse(&text, &src.display().to_string()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let outputs = [
        (root.join("hdl").join(nic_hw::REGS_PKG_SV), map.to_sv()),
        (root.join("../docs/REGISTERS.md"), map.to_markdown()),
    ];
    let mut stale = false;
    for (path, want) in outputs {
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have == want {
            continue;
        }
        if check {
            eprintln!(
                "stale: {} (run `cargo run -p nic-hw --bin regmap-gen`)",
                path.display()
            );
            stale = true;
        } else if let Err(e) = std::fs::write(&path, want) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        } else {
            println!("wrote {}", path.display());
        }
    }
    if stale {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
