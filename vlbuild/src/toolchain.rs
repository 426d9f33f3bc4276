//! The tools a build needs: `verilator` (from `VERILATOR` or `PATH`), its
//! root (`VERILATOR_ROOT` or `verilator --getenv VERILATOR_ROOT`) and the
//! C++ compiler (`CXX`, default `c++`), with the versions that key the cache.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::command::run_capture;
use crate::error::{Error, Result};

const NOT_FOUND_HELP: &str = "Verilator 5 is needed to build the model but `verilator` was not \
    found (set VERILATOR=/path/to/verilator or put it on PATH). Install it with \
    `apt-get install -y verilator` (Debian's 5.006) or `bash ci/install.sh`.";

/// The environment variables [`Toolchain::find`] reads; a build script
/// prints `cargo:rerun-if-env-changed` for each.
pub const TOOLCHAIN_ENV: &[&str] = &["VERILATOR", "VERILATOR_ROOT", "CXX", "PATH"];

/// Verilator and the C++ compiler, found once per build.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The `verilator` binary.
    pub verilator: PathBuf,
    /// `verilator --version`, trimmed.
    pub version: String,
    /// `VERILATOR_ROOT` (its `include/` holds the runtime sources).
    pub root: PathBuf,
    /// The C++ compiler command.
    pub cxx: String,
    /// The first line of `<cxx> --version`.
    pub cxx_version: String,
}

impl Toolchain {
    /// Finds the tools from the environment and asks them their versions.
    pub fn find() -> Result<Toolchain> {
        let verilator = find_verilator()?;
        let version = run_capture(
            Command::new(&verilator).arg("--version"),
            "verilator --version",
        )?
        .trim()
        .to_string();
        let root = verilator_root(&verilator)?;
        let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
        let cxx_version = run_capture(Command::new(&cxx).arg("--version"), "c++ --version")?
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        Ok(Toolchain {
            verilator,
            version,
            root,
            cxx,
            cxx_version,
        })
    }

    /// Verilator's runtime headers and sources (`<root>/include`).
    pub fn include_dir(&self) -> PathBuf {
        self.root.join("include")
    }
}

fn find_verilator() -> Result<PathBuf> {
    if let Some(v) = std::env::var_os("VERILATOR") {
        let p = PathBuf::from(v);
        if p.is_file() {
            return Ok(p);
        }
        return Err(Error::VerilatorNotFound(format!(
            "VERILATOR={} is not a file. {NOT_FOUND_HELP}",
            p.display()
        )));
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("verilator"))
                .find(|p| p.is_file())
        })
        .ok_or_else(|| Error::VerilatorNotFound(NOT_FOUND_HELP.to_string()))
}

fn verilator_root(verilator: &Path) -> Result<PathBuf> {
    if let Some(r) = std::env::var_os("VERILATOR_ROOT") {
        return Ok(PathBuf::from(r));
    }
    let out = run_capture(
        Command::new(verilator)
            .arg("--getenv")
            .arg("VERILATOR_ROOT"),
        "verilator --getenv VERILATOR_ROOT",
    )?;
    let root = PathBuf::from(out.trim());
    if !root.join("include/verilated.cpp").exists() {
        return Err(Error::RuntimeSources(root));
    }
    Ok(root)
}
