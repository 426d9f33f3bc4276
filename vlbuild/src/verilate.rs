//! Running Verilator and the C++ compiler: one variant's model (verilator,
//! then its makefile for `<prefix>__ALL.o`) and Verilator's runtime objects,
//! each into a fresh cache entry.

use std::process::Command;

use crate::cache::Entry;
use crate::command::{run_capture, spawn_captured, wait_checked};
use crate::design::{Design, Variant};
use crate::error::Result;
use crate::toolchain::Toolchain;

/// Verilates `v` of `design` and compiles the model into `entry`.
pub(crate) fn verilate_variant(
    tc: &Toolchain,
    design: &Design,
    v: &Variant,
    entry: &Entry,
    hook_flags: &[String],
) -> Result<()> {
    let prefix = &v.prefix;
    println!(
        "cargo:warning={}: verilating {} ({} files, {}) into {}",
        design.name,
        design.top,
        design.sources.len(),
        v.description,
        entry.dir.display()
    );
    let tmp = entry.fresh_tmp()?;
    let mut cmd = Command::new(&tc.verilator);
    cmd.args(design.verilator_flags())
        .args(v.flags())
        .arg("-Mdir")
        .arg(&tmp)
        .args(
            design
                .include_dirs
                .iter()
                .map(|d| format!("-I{}", d.display())),
        )
        .args(&design.sources);
    run_capture(
        &mut cmd,
        &format!("verilator (verilating {} as {prefix})", design.top),
    )?;
    let mut make = Command::new("make");
    make.current_dir(&tmp)
        .arg("-f")
        .arg(format!("{prefix}.mk"))
        .arg("-o")
        .arg(format!("{prefix}.mk"))
        .arg(format!("VERILATOR_ROOT={}", tc.root.display()))
        .arg(format!("OPT_FAST={}", design.opt.fast))
        .arg(format!("OPT_SLOW={}", design.opt.slow))
        .arg(format!("OPT_GLOBAL={}", design.opt.global))
        .arg(format!("USER_CPPFLAGS={}", hook_flags.join(" ")))
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
