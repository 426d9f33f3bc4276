//! Where the register map and the files generated from it live in the
//! repository, and whether those files are current.

use crate::model::{RegMap, RegMapError};
use std::path::{Path, PathBuf};

/// The register map source, relative to the repository root.
pub const REGMAP_TOML: &str = "rtl/regmap.toml";

/// One file generated from the register map and checked into the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

impl GeneratedFile {
    /// Whether the file on disk differs from what the map generates (a
    /// missing file is stale).
    pub fn is_stale(&self) -> bool {
        std::fs::read_to_string(&self.path).map_or(true, |have| have != self.contents)
    }
}

/// The repository root, seen from this crate.
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Loads the register map of the repository at `root`.
pub fn load(root: &Path) -> Result<RegMap, RegMapError> {
    RegMap::load(&root.join(REGMAP_TOML))
}

/// Every checked-in file generated from `map`, with its path under `root`:
/// the RTL package, the register doc and the C++ harness header.
pub fn generated_files(map: &RegMap, root: &Path) -> Vec<GeneratedFile> {
    [
        ("rtl/hdl/nic_regs_pkg.sv", map.to_sv()),
        ("docs/REGISTERS.md", map.to_markdown()),
        ("rtl/harness/nic_regs.h", map.to_cpp_header()),
    ]
    .into_iter()
    .map(|(rel, contents)| GeneratedFile {
        path: root.join(rel),
        contents,
    })
    .collect()
}
