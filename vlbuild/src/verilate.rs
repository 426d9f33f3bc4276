//! Running Verilator and the C++ compiler: one variant's model (verilator,
//! then its makefile for `<prefix>__ALL.o`) and Verilator's runtime objects,
//! each into a fresh cache entry.

use std::path::PathBuf;
use std::process::Command;

use crate::cache::Entry;
use crate::command::{run_capture, spawn_captured, wait_checked};
use crate::error::Result;
use crate::options::{OptLevels, Variant};
use crate::toolchain::Toolchain;

/// What [`verilate_variant`] needs of a design for one variant.
pub(crate) struct ModelJob<'a> {
    /// The design's name, for the build message.
    pub(crate) design: &'a str,
    pub(crate) top: &'a str,
    /// The design's flags, then the variant's.
    pub(crate) flags: Vec<String>,
    pub(crate) include_dirs: &'a [PathBuf],
    pub(crate) sources: &'a [PathBuf],
    pub(crate) opt: &'a OptLevels,
    /// The hook defines and forced include, for the model's C++.
    pub(crate) hook_flags: &'a [String],
    pub(crate) variant: &'a Variant,
}

/// Verilates one variant and compiles the model into `entry`.
pub(crate) fn verilate_variant(tc: &Toolchain, job: &ModelJob, entry: &Entry) -> Result<()> {
    let prefix = &job.variant.prefix;
    println!(
        "cargo:warning={}: verilating {} ({} files, {}) into {}",
        job.design,
        job.top,
        job.sources.len(),
        job.variant.description,
        entry.dir.display()
    );
    let tmp = entry.fresh_tmp()?;
    let mut cmd = Command::new(&tc.verilator);
    cmd.args(&job.flags)
        .arg("-Mdir")
        .arg(&tmp)
        .args(
            job.include_dirs
                .iter()
                .map(|d| format!("-I{}", d.display())),
        )
        .args(job.sources);
    run_capture(
        &mut cmd,
        &format!("verilator (verilating {} as {prefix})", job.top),
    )?;
    let mut make = Command::new("make");
    make.current_dir(&tmp)
        .arg("-f")
        .arg(format!("{prefix}.mk"))
        .arg("-o")
        .arg(format!("{prefix}.mk"))
        .arg(format!("VERILATOR_ROOT={}", tc.root.display()))
        .arg(format!("OPT_FAST={}", job.opt.fast))
        .arg(format!("OPT_SLOW={}", job.opt.slow))
        .arg(format!("OPT_GLOBAL={}", job.opt.global))
        .arg(format!("USER_CPPFLAGS={}", job.hook_flags.join(" ")))
        .arg(format!("{prefix}__ALL.o"));
    run_capture(
        &mut make,
        &format!("make (compiling the verilated model {prefix})"),
    )?;
    entry.commit(&tmp)
}

/// Compiles Verilator's runtime sources `objs` (`verilated`, ...) from its
/// include directory into `entry`, all at once.
pub(crate) fn build_runtime(
    tc: &Toolchain,
    entry: &Entry,
    objs: &[String],
    cppflags: &[String],
    opt_global: &str,
) -> Result<()> {
    let tmp = entry.fresh_tmp()?;
    let include = tc.include_dir();
    let children = objs
        .iter()
        .map(|o| {
            let mut c = Command::new(&tc.cxx);
            c.args(cppflags)
                .arg(opt_global)
                .arg("-c")
                .arg(include.join(format!("{o}.cpp")))
                .arg("-o")
                .arg(tmp.join(format!("{o}.o")));
            Ok((o, spawn_captured(&mut c, &tc.cxx)?))
        })
        .collect::<Result<Vec<_>>>()?;
    for (o, child) in children {
        wait_checked(child, &format!("compiling Verilator runtime {o}.cpp"))?;
    }
    entry.commit(&tmp)
}
