//! How one variant of a design is made: its class prefix, parameters and
//! assertion switch, the hooks header forced into the C++, and the C++
//! optimisation levels.

use std::path::PathBuf;

/// One verilated build of the design, under its own class prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// Verilator `--prefix`: the model's C++ class name.
    pub prefix: String,
    /// Top-level parameters, as `-G<name>=<value>`.
    pub params: Vec<(String, String)>,
    /// Whether the SystemVerilog assertions are compiled in (`--assert`).
    pub assertions: bool,
    /// Says what the variant is in build messages ("64-bit data, assertions on").
    pub description: String,
}

impl Variant {
    /// The Verilator flags that make this variant (after the design's).
    pub fn flags(&self) -> Vec<String> {
        let mut f = Vec::new();
        if self.assertions {
            f.push("--assert".to_string());
        }
        f.extend(self.params.iter().map(|(k, v)| format!("-G{k}={v}")));
        f.push("--prefix".into());
        f.push(self.prefix.clone());
        f
    }
}

/// A header forced into every translation unit of the models and of the
/// runtime (`-include`), with the defines that need it (Verilator's
/// `VL_USER_*` and `VL_PRINTF` hooks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hooks {
    pub header: PathBuf,
    /// Compiler flags, e.g. `-DVL_USER_FINISH`.
    pub defines: Vec<String>,
}

/// The C++ optimisation levels of Verilator's makefiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptLevels {
    /// `OPT_FAST`: the model's fast-path code.
    pub fast: String,
    /// `OPT_SLOW`: the model's slow-path code.
    pub slow: String,
    /// `OPT_GLOBAL`: Verilator's runtime.
    pub global: String,
}

impl Default for OptLevels {
    fn default() -> Self {
        Self {
            fast: "-O3".into(),
            slow: "-O1".into(),
            global: "-O2".into(),
        }
    }
}
