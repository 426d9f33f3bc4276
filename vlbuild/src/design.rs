//! What to build: a top module, its sources, the variants to verilate it
//! as, and where to cache them. [`Design::build`] brings every variant and
//! Verilator's runtime up to date and reads back their ports.

use std::path::{Path, PathBuf};

use crate::built::{Built, Model};
use crate::cache::{Entry, Key};
use crate::error::{Error, Result};
use crate::header::parse_ports;
use crate::makefile::{mk_list, mk_value};
use crate::options::{Hooks, OptLevels, Variant};
use crate::ports::PortTable;
use crate::toolchain::Toolchain;
use crate::verilate::{build_runtime, verilate_variant, ModelJob};

/// A design to verilate in several variants, cached by content.
#[derive(Debug, Clone)]
pub struct Design {
    /// Names the build in messages (`cargo:warning=<name>: ...`).
    pub name: String,
    /// `--top-module`.
    pub top: String,
    /// The sources, in the order Verilator reads them (packages first).
    pub sources: Vec<PathBuf>,
    /// `-I` directories for `include` and module lookup.
    pub include_dirs: Vec<PathBuf>,
    /// Directories whose every file keys the models' cache entries (the
    /// sources' and included files' homes).
    pub key_dirs: Vec<PathBuf>,
    /// Verilator option files (`-f`), read before the variant's flags.
    pub option_files: Vec<PathBuf>,
    pub variants: Vec<Variant>,
    pub hooks: Option<Hooks>,
    pub opt: OptLevels,
    /// Where the cache entries live (shared by every profile and checkout).
    pub cache_dir: PathBuf,
    /// The caller's cache format: change it to invalidate its entries.
    pub cache_format: String,
}

impl Design {
    /// Verilates and compiles every variant whose cache entry is missing
    /// (in parallel, one thread each), compiles Verilator's runtime if its
    /// entry is missing, and reads every variant's ports.
    pub fn build(&self, tc: &Toolchain) -> Result<Built> {
        if self.variants.is_empty() {
            return Err(Error::Config(format!(
                "{}: no variants to build",
                self.name
            )));
        }
        std::fs::create_dir_all(&self.cache_dir)
            .map_err(Error::io("cannot create", &self.cache_dir))?;
        let entries = self.model_entries(tc)?;
        self.verilate_missing(tc, &entries)?;
        let models: Vec<Model> = self
            .variants
            .iter()
            .zip(entries)
            .map(|(v, e)| Model {
                variant: v.clone(),
                dir: e.dir,
            })
            .collect();
        let first = &models[0];
        let classes = read(
            &first
                .dir
                .join(format!("{}_classes.mk", first.variant.prefix)),
        )?;
        let defines = vm_defines(&classes);
        let runtime: Vec<String> = mk_list(&classes, "VM_GLOBAL_FAST")
            .into_iter()
            .chain(mk_list(&classes, "VM_GLOBAL_SLOW"))
            .collect();
        let rt = self.runtime_entry(tc, &defines)?;
        if !rt.is_done() {
            let flags = self.runtime_cpp_flags(tc, &defines);
            build_runtime(tc, &rt, &runtime, &flags, &self.opt.global)?;
        }
        let include = tc.include_dir();
        Ok(Built {
            ports: self.read_ports(&models)?,
            runtime_objects: runtime
                .iter()
                .map(|r| rt.dir.join(format!("{r}.o")))
                .collect(),
            include_dirs: vec![include.clone(), include.join("vltstd")],
            defines,
            models,
        })
    }

    /// The flags every model is verilated with, before the variant's.
    pub fn verilator_flags(&self) -> Vec<String> {
        let mut f = self.fixed_flags();
        for o in &self.option_files {
            f.push("-f".into());
            f.push(o.display().to_string());
        }
        f
    }

    /// The flags that do not name a file: `--cc`, the top module and one
    /// `<prefix>__ALL.cpp` whatever the design's size (the build compiles
    /// exactly that object).
    fn fixed_flags(&self) -> Vec<String> {
        ["--cc", "--top-module", &self.top, "--output-split", "0"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// The hook defines (without the header's path).
    fn hook_defines(&self) -> &[String] {
        self.hooks.as_ref().map_or(&[], |h| &h.defines)
    }

    /// The hook defines and the forced include of their header. (No -fPIC:
    /// the models link into executables.)
    pub fn hook_flags(&self) -> Vec<String> {
        let Some(h) = &self.hooks else {
            return Vec::new();
        };
        let mut f = h.defines.clone();
        f.push("-include".into());
        f.push(h.header.display().to_string());
        f
    }

    fn hooks_text(&self) -> Result<Vec<u8>> {
        match &self.hooks {
            Some(h) => std::fs::read(&h.header).map_err(Error::io("cannot read", &h.header)),
            None => Ok(Vec::new()),
        }
    }

    fn model_entries(&self, tc: &Toolchain) -> Result<Vec<Entry>> {
        let mut common = Key::new();
        common
            .str(&self.cache_format)
            .str(&tc.version)
            .str(&tc.cxx_version)
            .bytes(&self.hooks_text()?);
        // Paths are left out (a checkout anywhere shares the entries): the
        // option files and sources count by content and name.
        for f in self.fixed_flags().iter().chain(self.hook_defines()) {
            common.str(f);
        }
        for o in &self.option_files {
            common.bytes(&std::fs::read(o).map_err(Error::io("cannot read", o))?);
        }
        common.str(&self.opt.fast).str(&self.opt.slow);
        for s in &self.sources {
            common.str(&s.file_name().unwrap_or_default().to_string_lossy());
        }
        for d in &self.key_dirs {
            common.tree(d)?;
        }
        Ok(self
            .variants
            .iter()
            .map(|v| {
                let mut k = common;
                for f in v.flags() {
                    k.str(&f);
                }
                Entry::new(&self.cache_dir, &format!("model-{}", v.prefix), &k)
            })
            .collect())
    }

    fn verilate_missing(&self, tc: &Toolchain, entries: &[Entry]) -> Result<()> {
        let hook_flags = self.hook_flags();
        std::thread::scope(|scope| {
            let jobs: Vec<_> = self
                .variants
                .iter()
                .zip(entries)
                .filter(|(_, e)| !e.is_done())
                .map(|(v, e)| {
                    let job = ModelJob {
                        design: &self.name,
                        top: &self.top,
                        flags: self
                            .verilator_flags()
                            .into_iter()
                            .chain(v.flags())
                            .collect(),
                        include_dirs: &self.include_dirs,
                        sources: &self.sources,
                        opt: &self.opt,
                        hook_flags: &hook_flags,
                        variant: v,
                    };
                    scope.spawn(move || verilate_variant(tc, &job, e))
                })
                .collect();
            jobs.into_iter()
                .map(|j| j.join().expect("a verilating thread panicked"))
                .collect::<Result<Vec<()>>>()
        })?;
        Ok(())
    }

    fn runtime_entry(&self, tc: &Toolchain, defines: &[(String, String)]) -> Result<Entry> {
        let mut k = Key::new();
        k.str(&self.cache_format)
            .str(&tc.version)
            .str(&tc.cxx_version)
            .str(&self.opt.global)
            .bytes(&self.hooks_text()?);
        for f in self.hook_defines() {
            k.str(f);
        }
        for (n, v) in defines {
            k.str(n).str(v);
        }
        Ok(Entry::new(&self.cache_dir, "rt", &k))
    }

    fn runtime_cpp_flags(&self, tc: &Toolchain, defines: &[(String, String)]) -> Vec<String> {
        let include = tc.include_dir();
        let mut f = vec![
            format!("-I{}", include.display()),
            format!("-I{}", include.join("vltstd").display()),
        ];
        f.extend(defines.iter().map(|(n, v)| format!("-D{n}={v}")));
        f.extend(
            [
                "-faligned-new",
                "-fcf-protection=none",
                "-Wno-bool-operation",
                "-Wno-sign-compare",
                "-Wno-uninitialized",
                "-Wno-unused-but-set-variable",
                "-Wno-unused-parameter",
                "-Wno-unused-variable",
                "-Wno-shadow",
            ]
            .map(String::from),
        );
        f.extend(self.hook_flags());
        f
    }

    fn read_ports(&self, models: &[Model]) -> Result<PortTable> {
        let mut per_variant = Vec::new();
        for m in models {
            let file = format!("{}.h", m.variant.prefix);
            let ports = parse_ports(&read(&m.dir.join(&file))?, &file)?;
            per_variant.push((m.variant.prefix.clone(), ports));
        }
        PortTable::align(per_variant)
    }
}

/// The model's `VM_*` switches as defines, in Verilator's order
/// (`VM_SC` is 0: models are built with `--cc`).
fn vm_defines(classes_mk: &str) -> Vec<(String, String)> {
    let value = |n: &str| mk_value(classes_mk, n).unwrap_or_else(|| "0".to_string());
    [
        ("VM_COVERAGE", value("VM_COVERAGE")),
        ("VM_SC", "0".to_string()),
        ("VM_TRACE", value("VM_TRACE")),
        ("VM_TRACE_FST", value("VM_TRACE_FST")),
        ("VM_TRACE_VCD", value("VM_TRACE_VCD")),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect()
}

pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(Error::io("cannot read", path))
}
