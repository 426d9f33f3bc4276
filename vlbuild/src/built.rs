//! What a build gives its build script: each variant's compiled model
//! (with its generated C++ to look into), Verilator's runtime objects and
//! the compile settings for code that includes the models' headers.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::options::Variant;
use crate::ports::PortTable;

/// One verilated variant, compiled.
#[derive(Debug, Clone)]
pub struct Model {
    pub variant: Variant,
    /// The cache entry holding the generated C++ and `<prefix>__ALL.o`.
    pub dir: PathBuf,
}

impl Model {
    /// The compiled model (`<prefix>__ALL.o`).
    pub fn object(&self) -> PathBuf {
        self.dir.join(format!("{}__ALL.o", self.variant.prefix))
    }

    /// The root class (`<prefix>___024root`), whose header has the model's internals.
    pub fn root_class(&self) -> String {
        format!("{}___024root", self.variant.prefix)
    }

    /// Whether the root class declares a member `name` (a Verilator
    /// internal that differs between versions).
    pub fn root_has_member(&self, name: &str) -> Result<bool> {
        let h = self.dir.join(format!("{}.h", self.root_class()));
        let text = std::fs::read_to_string(&h).map_err(Error::io("cannot read", &h))?;
        Ok(text.contains(&format!(" {name};")))
    }

    /// The output ports computed in the input-combinational region.
    pub fn ico_outputs(&self, outputs: &[&str]) -> Result<Vec<String>> {
        crate::ico::ico_outputs_in_dir(&self.dir, &self.variant.prefix, outputs)
    }
}

/// Everything a build script links and generates from.
#[derive(Debug, Clone)]
pub struct Built {
    /// One per variant, in the order of the design's variants.
    pub models: Vec<Model>,
    /// Verilator's runtime objects (`verilated.o`, ...).
    pub runtime_objects: Vec<PathBuf>,
    /// Verilator's include directories (`include/`, `include/vltstd/`).
    pub include_dirs: Vec<PathBuf>,
    /// The `VM_*` defines the models were generated for (`VM_TRACE`, ...),
    /// to compile code that includes their headers with.
    pub defines: Vec<(String, String)>,
    /// The ports of every variant, aligned by name.
    pub ports: PortTable,
}
