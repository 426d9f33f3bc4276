//! Verilates the NIC (`rtl/hdl/*.sv` under the `cosim/hdl/tb_top.sv`
//! wrapper) in the variants of [`VARIANTS`] with `vlbuild`, writes the port
//! and variant tables that `src/bridge.rs` and `src/variant.rs` turn into
//! Rust, and builds the cxx bridge with the models and Verilator's runtime.
//!
//! Verilator output is cached in `<target dir>/verilator-cache/` (override:
//! `COSIM_VERILATOR_CACHE`), shared by every profile and checkout:
//! * `rt-<key>/`: Verilator's runtime objects (key: Verilator version, C++
//!   compiler, optimisation level, the hooks header);
//! * `model-<prefix>-<key>/`: one verilated model per variant (key: every
//!   file under `rtl/hdl` and `cosim/hdl`, the option files
//!   `rtl/verilator.f` and `rtl/verilator_trace.f`, Verilator version,
//!   flags, the variant's data width and assertion switch).
//!
//! Nothing is re-verilated unless the RTL (or the wrapper, or the options)
//! changed. The variants are verilated and compiled in parallel, each under
//! its own `--prefix`, and linked into the same library;
//! `cosim::ModelConfig` picks one at run time.
//!
//! Environment: `VERILATOR` (the verilator binary), `COSIM_VERILATOR_CACHE`,
//! `COSIM_RTL_HDL_DIR` (verilate another RTL tree than `rtl/hdl`, for
//! experiments), `CXX`.

use std::error::Error;
use std::path::{Path, PathBuf};

use vlbuild::{writer, Built, Design, Hooks, OptLevels, Toolchain, Variant};

const TOP: &str = "tb_top";
/// Bump to invalidate every cache entry after a change of this script.
const CACHE_FORMAT: &str = "cosim-build-6";

/// The verilated builds of the NIC: class prefix, data width (`AXI_DATA_W`)
/// and whether the SVA are compiled in. The order is the variant index of
/// the generated Rust (`VARIANTS`) and C++ (`COSIM_FOR_EACH_VARIANT`) tables.
const VARIANTS: &[(&str, u32, bool)] = &[
    ("Vnic_w64", 64, true),
    ("Vnic_w64_fast", 64, false),
    ("Vnic_w128", 128, true),
    ("Vnic_w128_fast", 128, false),
];

/// Defines shared by the models, the runtime and the shim.
const HOOK_DEFINES: &[&str] = &[
    "-DVL_USER_FINISH",
    "-DVL_USER_STOP",
    "-DVL_USER_FATAL",
    "-DVL_PRINTF=cosim_vl_printf",
];

fn main() {
    if let Err(e) = run() {
        let mut msg = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            msg.push_str(&format!(": {s}"));
            source = s.source();
        }
        eprintln!("\nerror: cosim build: {msg}\n");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let hdl_dir = match std::env::var_os("COSIM_RTL_HDL_DIR") {
        Some(d) => PathBuf::from(d),
        None => manifest.join("../rtl/hdl"),
    };
    let hdl_dir = hdl_dir
        .canonicalize()
        .map_err(|source| vlbuild::Error::Io {
            what: "RTL directory",
            path: hdl_dir.clone(),
            source,
        })?;
    let rtl_dir = manifest.join("../rtl");
    let tb_dir = manifest.join("hdl");
    let csrc = manifest.join("csrc");
    let option_files = vec![
        rtl_dir.join("verilator.f"),
        rtl_dir.join("verilator_trace.f"),
    ];

    let own_env = ["COSIM_VERILATOR_CACHE", "COSIM_RTL_HDL_DIR"];
    for var in vlbuild::TOOLCHAIN_ENV.iter().chain(&own_env) {
        println!("cargo:rerun-if-env-changed={var}");
    }
    for path in [&hdl_dir, &tb_dir, &csrc].into_iter().chain(&option_files) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rerun-if-changed=src/bridge.rs");
    println!("cargo:rerun-if-changed=build.rs");

    let design = Design {
        name: "cosim".into(),
        top: TOP.into(),
        sources: sources(&hdl_dir, &tb_dir)?,
        include_dirs: vec![hdl_dir.clone()],
        key_dirs: vec![hdl_dir, tb_dir],
        option_files,
        variants: VARIANTS
            .iter()
            .map(|&(prefix, data_w, assertions)| Variant {
                prefix: prefix.into(),
                params: vec![("AXI_DATA_W".into(), data_w.to_string())],
                assertions,
                description: format!(
                    "{data_w}-bit data, assertions {}",
                    if assertions { "on" } else { "off" }
                ),
            })
            .collect(),
        hooks: Some(Hooks {
            header: csrc.join("cosim_hooks.h"),
            defines: HOOK_DEFINES.iter().map(|d| d.to_string()).collect(),
        }),
        opt: OptLevels::default(),
        cache_dir: match std::env::var_os("COSIM_VERILATOR_CACHE") {
            Some(d) => PathBuf::from(d),
            None => target_dir(&out_dir).join("verilator-cache"),
        },
        cache_format: CACHE_FORMAT.into(),
    };
    let toolchain = Toolchain::find()?;
    let built = design.build(&toolchain)?;
    write_tables(&built, &out_dir)?;
    compile_bridge(&design, &built, &csrc, &out_dir);
    println!("cargo:rustc-link-lib=dylib=pthread");
    println!("cargo:rustc-link-lib=dylib=atomic");
    println!("cargo:rustc-link-lib=dylib=z");
    println!(
        "cargo:rustc-env=COSIM_VERILATOR_VERSION={}",
        toolchain.version
    );
    Ok(())
}

/// The RTL in the order Verilator reads it (the register package first),
/// then the wrapper.
fn sources(hdl_dir: &Path, tb_dir: &Path) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let mut files: Vec<PathBuf> = vlbuild::cache::list_files(hdl_dir)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sv"))
        .collect();
    let name = |p: &Path| {
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    files.sort_by_key(|p| (name(p) != "nic_regs_pkg.sv", name(p)));
    if !files.iter().any(|p| p.ends_with("nic_top.sv")) {
        return Err(format!("no nic_top.sv in {}", hdl_dir.display()).into());
    }
    files.push(tb_dir.join("tb_top.sv"));
    Ok(files)
}

/// `ports.rs`, `variants.rs` (Rust) and `ports_inc.h`, `variants_inc.h`
/// (C++), with a warning for each variant that cannot take the single-eval
/// cycle.
fn write_tables(built: &Built, out_dir: &Path) -> Result<(), Box<dyn Error>> {
    let outputs: Vec<&str> = built
        .ports
        .rows
        .iter()
        .filter(|r| !r.is_input())
        .map(|r| r.name.as_str())
        .collect();
    let mut ico_outputs = Vec::new();
    for m in &built.models {
        let ico = m.ico_outputs(&outputs)?;
        if !ico.is_empty() {
            println!(
                "cargo:warning=cosim: {}: output(s) {} are computed in the input-combinational region (they may depend on inputs combinationally): this build clocks with two evals per cycle",
                m.variant.prefix,
                ico.join(", ")
            );
        }
        ico_outputs.push(ico);
    }
    let (cpp_variants, prev_clock) = writer::cpp_variant_table("COSIM", &built.models, "clk_i")?;
    for (m, has) in built.models.iter().zip(prev_clock) {
        if !has {
            println!(
                "cargo:warning=cosim: {}.h has no {}: fast models fall back to two evals per cycle",
                m.root_class(),
                writer::prev_clock_member("clk_i")
            );
        }
    }
    let write = |name: &str, text: &str| writer::write_file(&out_dir.join(name), text);
    write("ports.rs", &writer::rust_port_table(&built.ports)?)?;
    write(
        "variants.rs",
        &writer::rust_variant_table(&built.models, &ico_outputs),
    )?;
    write("ports_inc.h", &writer::cpp_port_list("COSIM", &built.ports))?;
    write("variants_inc.h", &cpp_variants)?;
    Ok(())
}

/// Bridge, shim, models and runtime in one archive (the runtime calls the
/// hooks defined in the shim, so they must not be split across archives).
fn compile_bridge(design: &Design, built: &Built, csrc: &Path, out_dir: &Path) {
    let mut build = cxx_build::bridge("src/bridge.rs");
    build.file(csrc.join("shim.cc"));
    for m in &built.models {
        build.include(&m.dir);
    }
    for d in &built.include_dirs {
        build.include(d);
    }
    build
        .include(out_dir)
        .include(csrc)
        .flag_if_supported("-std=gnu++17")
        .flag("-faligned-new")
        .flag("-Wno-unused-parameter")
        .flag("-Wno-sign-compare")
        .opt_level(2);
    for (name, value) in &built.defines {
        build.define(name, value.as_str());
    }
    for f in design.hook_flags() {
        build.flag(&f);
    }
    for m in &built.models {
        build.object(m.object());
    }
    for o in &built.runtime_objects {
        build.object(o);
    }
    build.compile("cosim_vtb");
}

fn env(k: &str) -> Result<String, Box<dyn Error>> {
    std::env::var(k).map_err(|_| format!("{k} not set").into())
}

fn target_dir(out_dir: &Path) -> PathBuf {
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        let t = PathBuf::from(t);
        if t.is_absolute() {
            return t;
        }
    }
    // OUT_DIR = <target>[/<triple>]/<profile>/build/<pkg>-<hash>/out
    out_dir
        .ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.to_path_buf())
}
