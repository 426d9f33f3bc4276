//! Verilates the NIC (`rtl/hdl/*.sv` under the `cosim/hdl/tb_top.sv` wrapper),
//! compiles the model and Verilator's runtime, generates the raw-pointer port
//! table from the Verilated header and builds the cxx bridge.
//!
//! Verilator output is cached in `<target dir>/verilator-cache/` (override:
//! `COSIM_VERILATOR_CACHE`), shared by every profile:
//! * `rt-<key>/`: Verilator's runtime objects (key: Verilator version, C++
//!   compiler, flags, the hooks header);
//! * `model-<key>/`: one verilated model per variant of [`VARIANTS`] (key:
//!   every file under `rtl/hdl` and `cosim/hdl`, Verilator version, flags,
//!   the variant's data width and assertion switch).
//!
//! Nothing is re-verilated unless the RTL (or the wrapper) changed. The
//! variants are verilated and compiled in parallel, each under its own
//! `--prefix`, and linked into the same library; `cosim::ModelConfig` picks
//! one at run time.
//!
//! Environment: `VERILATOR` (the verilator binary), `COSIM_VERILATOR_CACHE`,
//! `COSIM_RTL_HDL_DIR` (verilate another RTL tree than `rtl/hdl`, for
//! experiments), `CXX`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TOP: &str = "tb_top";
/// Bump to invalidate every cache entry after a change of this script.
const CACHE_FORMAT: &str = "cosim-build-5";

/// One verilated build of the NIC: data width and whether the SVA are
/// compiled in. The order is the variant index shared with the generated
/// Rust (`VARIANTS`) and C++ (`COSIM_FOR_EACH_VARIANT`) tables.
struct Variant {
    /// Verilator `--prefix` (class name of the model).
    prefix: &'static str,
    data_w: u32,
    assertions: bool,
}

const VARIANTS: &[Variant] = &[
    Variant {
        prefix: "Vnic_w64",
        data_w: 64,
        assertions: true,
    },
    Variant {
        prefix: "Vnic_w64_fast",
        data_w: 64,
        assertions: false,
    },
    Variant {
        prefix: "Vnic_w128",
        data_w: 128,
        assertions: true,
    },
    Variant {
        prefix: "Vnic_w128_fast",
        data_w: 128,
        assertions: false,
    },
];

impl Variant {
    fn flags(&self) -> Vec<String> {
        let mut f: Vec<String> = VERILATOR_FLAGS.iter().map(|s| s.to_string()).collect();
        if self.assertions {
            f.push("--assert".into());
        }
        f.push(format!("-GAXI_DATA_W={}", self.data_w));
        f.push("--prefix".into());
        f.push(self.prefix.into());
        f
    }
}

const VERILATOR_FLAGS: &[&str] = &[
    "--cc",
    "--trace-fst",
    "--trace-structs",
    "-O3",
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    "--top-module",
    TOP,
    // One `V<top>__ALL.cpp` whatever the design's size (and with or without
    // --assert): the build compiles exactly that object.
    "--output-split",
    "0",
];

/// Defines shared by the model, the runtime and the shim.
const HOOK_DEFINES: &[&str] = &[
    "-DVL_USER_FINISH",
    "-DVL_USER_STOP",
    "-DVL_USER_FATAL",
    "-DVL_PRINTF=cosim_vl_printf",
];
const OPT_FAST: &str = "-O3";
const OPT_SLOW: &str = "-O1";
const OPT_GLOBAL: &str = "-O2";

fn main() {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env("OUT_DIR"));
    let hdl_dir = match std::env::var_os("COSIM_RTL_HDL_DIR") {
        Some(d) => PathBuf::from(d),
        None => manifest.join("../rtl/hdl"),
    };
    let hdl_dir = hdl_dir
        .canonicalize()
        .unwrap_or_else(|e| fail(&format!("RTL directory {}: {e}", hdl_dir.display())));
    let tb_dir = manifest.join("hdl");
    let csrc = manifest.join("csrc");
    let hooks_h = csrc.join("cosim_hooks.h");

    println!("cargo:rerun-if-env-changed=VERILATOR");
    println!("cargo:rerun-if-env-changed=COSIM_VERILATOR_CACHE");
    println!("cargo:rerun-if-env-changed=COSIM_RTL_HDL_DIR");
    println!("cargo:rerun-if-env-changed=CXX");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rerun-if-changed={}", hdl_dir.display());
    println!("cargo:rerun-if-changed={}", tb_dir.display());
    println!("cargo:rerun-if-changed={}", csrc.display());
    println!("cargo:rerun-if-changed=src/bridge.rs");
    println!("cargo:rerun-if-changed=build.rs");

    let verilator = find_verilator();
    let version = run_capture(
        Command::new(&verilator).arg("--version"),
        "verilator --version",
    );
    let version = version.trim().to_string();
    let root = verilator_root(&verilator);
    let include = root.join("include");
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    let cxx_version = run_capture(Command::new(&cxx).arg("--version"), "c++ --version");
    let cxx_version = cxx_version.lines().next().unwrap_or("").to_string();
    let hooks_text = std::fs::read(&hooks_h)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", hooks_h.display())));

    let cache_root = match std::env::var_os("COSIM_VERILATOR_CACHE") {
        Some(d) => PathBuf::from(d),
        None => target_dir(&out_dir).join("verilator-cache"),
    };
    std::fs::create_dir_all(&cache_root)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", cache_root.display())));

    // ---- sources, in order: the register package first.
    let mut rtl_files: Vec<PathBuf> = list_files(&hdl_dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sv"))
        .collect();
    rtl_files.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        (name != "nic_regs_pkg.sv", name)
    });
    if !rtl_files.iter().any(|p| p.ends_with("nic_top.sv")) {
        fail(&format!("no nic_top.sv in {}", hdl_dir.display()));
    }
    let tb = tb_dir.join("tb_top.sv");

    // ---- runtime objects (independent of the RTL).
    let mut rt_hasher = Fnv::new();
    rt_hasher.str(CACHE_FORMAT);
    rt_hasher.str(&version);
    rt_hasher.str(&cxx_version);
    rt_hasher.str(OPT_GLOBAL);
    rt_hasher.bytes(&hooks_text);
    for d in HOOK_DEFINES {
        rt_hasher.str(d);
    }
    let rt_dir = cache_root.join(format!("rt-{:016x}", rt_hasher.finish()));

    // ---- the models, one per variant.
    let mut common = Fnv::new();
    common.str(CACHE_FORMAT);
    common.str(&version);
    common.str(&cxx_version);
    common.bytes(&hooks_text);
    for f in VERILATOR_FLAGS.iter().chain(HOOK_DEFINES) {
        common.str(f);
    }
    common.str(OPT_FAST);
    common.str(OPT_SLOW);
    for (base, files) in [
        (&hdl_dir, list_files(&hdl_dir)),
        (&tb_dir, list_files(&tb_dir)),
    ] {
        for f in files {
            common.str(&f.strip_prefix(base).unwrap().to_string_lossy());
            common.bytes(
                &std::fs::read(&f)
                    .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", f.display()))),
            );
        }
    }
    let model_dirs: Vec<PathBuf> = VARIANTS
        .iter()
        .map(|v| {
            let mut h = Fnv(common.0);
            for f in v.flags() {
                h.str(&f);
            }
            cache_root.join(format!("model-{}-{:016x}", v.prefix, h.finish()))
        })
        .collect();

    let cppflags = cpp_flags(&include, &hooks_h);
    let user_flags = hook_flags(&hooks_h);
    std::thread::scope(|scope| {
        for (v, dir) in VARIANTS.iter().zip(&model_dirs) {
            if !dir.join("DONE").exists() {
                let (verilator, hdl_dir, rtl_files, tb, user_flags, root) =
                    (&verilator, &hdl_dir, &rtl_files, &tb, &user_flags, &root);
                scope.spawn(move || {
                    build_model(v, verilator, dir, hdl_dir, rtl_files, tb, user_flags, root)
                });
            }
        }
    });
    let first = &VARIANTS[0];
    let classes = read(&model_dirs[0].join(format!("{}_classes.mk", first.prefix)));
    let runtime = mk_list(&classes, "VM_GLOBAL_FAST")
        .into_iter()
        .chain(mk_list(&classes, "VM_GLOBAL_SLOW"))
        .collect::<Vec<_>>();
    if !rt_dir.join("DONE").exists() {
        build_runtime(&rt_dir, &include, &runtime, &cppflags, &cxx);
    }

    // ---- port tables: the same ports in every variant; the data ports
    // differ in width (and so in C++ storage type).
    // Each variant's ports, put in the first variant's order (the header
    // groups ports by storage type, so the order differs with the widths).
    let mut tables: Vec<Vec<Port>> = Vec::new();
    for (v, dir) in VARIANTS.iter().zip(&model_dirs) {
        let mut ports = parse_ports(&read(&dir.join(format!("{}.h", v.prefix))));
        if ports.is_empty() {
            fail(&format!("no ports found in {}.h", v.prefix));
        }
        if let Some(t0) = tables.first() {
            if ports.len() != t0.len() {
                fail(&format!(
                    "{} has {} ports, {} has {}",
                    v.prefix,
                    ports.len(),
                    first.prefix,
                    t0.len()
                ));
            }
            let mut ordered = Vec::with_capacity(ports.len());
            for p0 in t0 {
                let Some(i) = ports
                    .iter()
                    .position(|p| p.name == p0.name && p.input == p0.input)
                else {
                    fail(&format!(
                        "{} has no {} port {}",
                        v.prefix,
                        if p0.input { "input" } else { "output" },
                        p0.name
                    ));
                };
                ordered.push(ports.swap_remove(i));
            }
            ports = ordered;
        }
        tables.push(ports);
    }
    std::fs::write(out_dir.join("ports.rs"), gen_rust_ports(&tables)).unwrap();
    std::fs::write(out_dir.join("ports_inc.h"), gen_cpp_ports(&tables[0])).unwrap();
    std::fs::write(
        out_dir.join("variants_inc.h"),
        gen_cpp_variants(&model_dirs),
    )
    .unwrap();
    let ico_outputs: Vec<Vec<String>> = VARIANTS
        .iter()
        .zip(&model_dirs)
        .zip(&tables)
        .map(|((v, dir), t)| {
            let outs: Vec<&str> = t.iter().filter(|p| !p.input).map(|p| p.name.as_str()).collect();
            let ico = outputs_in_ico(dir, v.prefix, &outs);
            if !ico.is_empty() {
                println!(
                    "cargo:warning=cosim: {}: output(s) {} are computed in the input-combinational region (they may depend on inputs combinationally): this build clocks with two evals per cycle",
                    v.prefix,
                    ico.join(", ")
                );
            }
            ico
        })
        .collect();
    std::fs::write(out_dir.join("variants.rs"), gen_rust_variants(&ico_outputs)).unwrap();

    // ---- bridge + shim + models + runtime in one archive (the runtime
    // calls the hooks defined in the shim, so they must not be split across
    // archives).
    let mut build = cxx_build::bridge("src/bridge.rs");
    build.file(csrc.join("shim.cc"));
    for dir in &model_dirs {
        build.include(dir);
    }
    build
        .include(&include)
        .include(include.join("vltstd"))
        .include(&out_dir)
        .include(&csrc)
        .flag_if_supported("-std=gnu++17")
        .flag("-faligned-new")
        .flag("-Wno-unused-parameter")
        .flag("-Wno-sign-compare")
        .opt_level(2)
        .define("VM_COVERAGE", "0")
        .define("VM_SC", "0")
        .define("VM_TRACE", "1")
        .define("VM_TRACE_FST", "1")
        .define("VM_TRACE_VCD", "0");
    for d in HOOK_DEFINES {
        build.flag(d);
    }
    build.flag("-include").flag(hooks_h.to_str().unwrap());
    for (v, dir) in VARIANTS.iter().zip(&model_dirs) {
        build.object(dir.join(format!("{}__ALL.o", v.prefix)));
    }
    for r in &runtime {
        build.object(rt_dir.join(format!("{r}.o")));
    }
    build.compile("cosim_vtb");
    println!("cargo:rustc-link-lib=dylib=pthread");
    println!("cargo:rustc-link-lib=dylib=atomic");
    println!("cargo:rustc-link-lib=dylib=z");
    println!("cargo:rustc-env=COSIM_VERILATOR_VERSION={version}");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())))
}

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| fail(&format!("{k} not set")))
}

fn fail(msg: &str) -> ! {
    eprintln!("\nerror: cosim build: {msg}\n");
    panic!("cosim build: {msg}");
}

fn find_verilator() -> PathBuf {
    const HELP: &str =
        "Verilator 5 is needed to build the NIC model but `verilator` was not found \
        (set VERILATOR=/path/to/verilator or put it on PATH). Install it with \
        `apt-get install -y verilator` (Debian's 5.006) or `bash ci/install.sh`.";
    if let Some(v) = std::env::var_os("VERILATOR") {
        let p = PathBuf::from(v);
        if p.is_file() {
            return p;
        }
        fail(&format!("VERILATOR={} is not a file. {HELP}", p.display()));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join("verilator");
            if p.is_file() {
                return p;
            }
        }
    }
    fail(HELP)
}

fn verilator_root(verilator: &Path) -> PathBuf {
    if let Some(r) = std::env::var_os("VERILATOR_ROOT") {
        return PathBuf::from(r);
    }
    let out = run_capture(
        Command::new(verilator)
            .arg("--getenv")
            .arg("VERILATOR_ROOT"),
        "verilator --getenv VERILATOR_ROOT",
    );
    let root = PathBuf::from(out.trim());
    if !root.join("include/verilated.cpp").exists() {
        fail(&format!(
            "Verilator's runtime sources not found under {} (include/verilated.cpp)",
            root.display()
        ));
    }
    root
}

fn run_capture(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run {what}: {e}")));
    if !out.status.success() {
        fail(&format!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
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

fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d)
            .unwrap_or_else(|e| fail(&format!("cannot list {}: {e}", d.display())));
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn cpp_flags(include: &Path, hooks_h: &Path) -> Vec<String> {
    let mut f: Vec<String> = vec![
        format!("-I{}", include.display()),
        format!("-I{}", include.join("vltstd").display()),
        "-DVM_COVERAGE=0".into(),
        "-DVM_SC=0".into(),
        "-DVM_TRACE=1".into(),
        "-DVM_TRACE_FST=1".into(),
        "-DVM_TRACE_VCD=0".into(),
        "-faligned-new".into(),
        "-fcf-protection=none".into(),
        "-Wno-bool-operation".into(),
        "-Wno-sign-compare".into(),
        "-Wno-uninitialized".into(),
        "-Wno-unused-but-set-variable".into(),
        "-Wno-unused-parameter".into(),
        "-Wno-unused-variable".into(),
        "-Wno-shadow".into(),
    ];
    f.extend(hook_flags(hooks_h));
    f
}

/// The hook defines and the forced include of their declarations. (No
/// -fPIC: the model links into executables, and the compiler's default PIE
/// code is what the C++ harness gets too.)
fn hook_flags(hooks_h: &Path) -> Vec<String> {
    let mut f: Vec<String> = HOOK_DEFINES.iter().map(|s| s.to_string()).collect();
    f.push("-include".into());
    f.push(hooks_h.display().to_string());
    f
}

/// Builds into a temporary directory and renames it into place, so an
/// interrupted or concurrent build never leaves a half-filled cache entry.
fn fresh_tmp(dir: &Path) -> PathBuf {
    let tmp = dir.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", tmp.display())));
    tmp
}

fn commit_tmp(tmp: &Path, dir: &Path) {
    std::fs::write(tmp.join("DONE"), b"").unwrap();
    if std::fs::rename(tmp, dir).is_err() {
        // Another build finished the same key first; use its result.
        let _ = std::fs::remove_dir_all(tmp);
        if !dir.join("DONE").exists() {
            fail(&format!("cannot move {} into place", tmp.display()));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build_model(
    v: &Variant,
    verilator: &Path,
    model_dir: &Path,
    hdl_dir: &Path,
    rtl_files: &[PathBuf],
    tb: &Path,
    user_cppflags: &[String],
    root: &Path,
) {
    let prefix = v.prefix;
    println!(
        "cargo:warning=cosim: verilating {} ({} files, {}-bit data, assertions {}) into {}",
        hdl_dir.display(),
        rtl_files.len(),
        v.data_w,
        if v.assertions { "on" } else { "off" },
        model_dir.display()
    );
    let tmp = fresh_tmp(model_dir);
    let mut cmd = Command::new(verilator);
    cmd.args(v.flags())
        .arg("-Mdir")
        .arg(&tmp)
        .arg(format!("-I{}", hdl_dir.display()))
        .args(rtl_files)
        .arg(tb);
    run_capture(
        &mut cmd,
        &format!("verilator (verilating the NIC RTL as {prefix})"),
    );
    let mut make = Command::new("make");
    make.current_dir(&tmp)
        .arg("-f")
        .arg(format!("{prefix}.mk"))
        .arg("-o")
        .arg(format!("{prefix}.mk"))
        .arg(format!("VERILATOR_ROOT={}", root.display()))
        .arg(format!("OPT_FAST={OPT_FAST}"))
        .arg(format!("OPT_SLOW={OPT_SLOW}"))
        .arg(format!("OPT_GLOBAL={OPT_GLOBAL}"))
        .arg(format!("USER_CPPFLAGS={}", user_cppflags.join(" ")))
        .arg(format!("{prefix}__ALL.o"));
    run_capture(
        &mut make,
        &format!("make (compiling the verilated model {prefix})"),
    );
    commit_tmp(&tmp, model_dir);
}

fn build_runtime(rt_dir: &Path, include: &Path, objs: &[String], cppflags: &[String], cxx: &str) {
    let tmp = fresh_tmp(rt_dir);
    let children: Vec<_> = objs
        .iter()
        .map(|o| {
            let src = include.join(format!("{o}.cpp"));
            let mut c = Command::new(cxx);
            c.args(cppflags)
                .arg(OPT_GLOBAL)
                .arg("-c")
                .arg(&src)
                .arg("-o")
                .arg(tmp.join(format!("{o}.o")));
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            let child = c
                .spawn()
                .unwrap_or_else(|e| fail(&format!("cannot run {cxx}: {e}")));
            (o.clone(), child)
        })
        .collect();
    for (o, child) in children {
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| fail(&format!("waiting for {cxx}: {e}")));
        if !out.status.success() {
            fail(&format!(
                "compiling Verilator runtime {o}.cpp failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    commit_tmp(&tmp, rt_dir);
}

/// The words of `NAME += \` lists in a Verilator-generated makefile.
fn mk_list(text: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim();
        if !inside {
            if t.starts_with(name) && t[name.len()..].trim_start().starts_with("+=") {
                inside = true;
            }
            continue;
        }
        if t.is_empty() {
            break;
        }
        let w = t.trim_end_matches('\\').trim();
        if !w.is_empty() {
            out.push(w.to_string());
        }
        if !t.ends_with('\\') {
            break;
        }
    }
    out
}

#[derive(Debug)]
struct Port {
    name: String,
    input: bool,
    width: u32,
    /// 8, 16, 32, 64 or 0 for a VlWide of `words` 32-bit words.
    cbits: u32,
    words: u32,
}

/// Parses `VL_IN8(&clk_i,0,0);`, `VL_OUT64(&x,63,0);`, `VL_INW(&w,127,0,4);`.
fn parse_ports(header: &str) -> Vec<Port> {
    let mut ports = Vec::new();
    for line in header.lines() {
        let t = line.trim();
        let (input, rest) = if let Some(r) = t.strip_prefix("VL_IN") {
            (true, r)
        } else if let Some(r) = t.strip_prefix("VL_OUT") {
            (false, r)
        } else {
            continue;
        };
        let Some(open) = rest.find("(&") else {
            continue;
        };
        let kind = &rest[..open];
        let args: Vec<&str> = rest[open + 2..]
            .trim_end_matches(';')
            .trim_end_matches(')')
            .split(',')
            .map(str::trim)
            .collect();
        let name = args[0].to_string();
        let msb: u32 = args[1].parse().expect("msb");
        let lsb: u32 = args[2].parse().expect("lsb");
        let width = msb - lsb + 1;
        let (cbits, words) = match kind {
            "8" => (8, 1),
            "16" => (16, 1),
            "" => (32, 1),
            "64" => (64, 1),
            "W" => (0, args[3].parse().expect("words")),
            other => fail(&format!("unknown port macro VL_*{other} for {name}")),
        };
        assert!(lsb == 0, "port {name}: lsb {lsb} != 0 is not supported");
        ports.push(Port {
            name,
            input,
            width,
            cbits,
            words,
        });
    }
    ports
}

fn rust_ty(p: &Port) -> &'static str {
    match p.cbits {
        8 => "u8",
        16 => "u16",
        32 => "u32",
        64 => "u64",
        _ => "u32",
    }
}

fn natural_ty(p: &Port) -> &'static str {
    match (p.width, p.cbits) {
        (1, _) => "bool",
        (_, 8) => "u8",
        (_, 16) => "u16",
        (_, 32) => "u32",
        (_, 64) => "u64",
        _ => unreachable!(),
    }
}

/// Whether port `i` has the same C++ storage in every variant.
fn uniform(tables: &[Vec<Port>], i: usize) -> bool {
    let p0 = &tables[0][i];
    tables
        .iter()
        .all(|t| (t[i].width, t[i].cbits, t[i].words) == (p0.width, p0.cbits, p0.words))
}

fn slot_expr(p: &Port) -> String {
    let kind = match p.cbits {
        8 => "SlotKind::U8".to_string(),
        16 => "SlotKind::U16".to_string(),
        32 => "SlotKind::U32".to_string(),
        64 => "SlotKind::U64".to_string(),
        _ => format!("SlotKind::Wide({})", p.words),
    };
    format!("Slot {{ kind: {kind}, width: {} }}", p.width)
}

fn gen_rust_ports(tables: &[Vec<Port>]) -> String {
    let ports = &tables[0];
    let n = ports.len();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// Generated by cosim/build.rs from the Verilated headers of every model variant. Do not edit.\n"
    );
    let _ = writeln!(
        s,
        "/// Raw pointers to the model's port fields, in port order. Ports whose\n/// width differs between variants (the data paths) carry their storage\n/// [`Slot`], set from the variant at construction."
    );
    let _ = writeln!(s, "pub struct Ports {{");
    for (i, p) in ports.iter().enumerate() {
        let m = if p.input { "mut" } else { "const" };
        if uniform(tables, i) {
            let _ = writeln!(s, "    {}: *{m} {},", p.name, rust_ty(p));
        } else {
            let _ = writeln!(s, "    {}: *{m} u8,\n    {}_slot: Slot,", p.name, p.name);
        }
    }
    let _ = writeln!(s, "}}\n");
    let _ = writeln!(
        s,
        "/// Every port of each variant (in `VARIANTS` order): name, direction, width in bits."
    );
    let _ = writeln!(
        s,
        "pub const VARIANT_PORTS: [&[PortInfo]; {}] = [",
        tables.len()
    );
    for t in tables {
        let _ = writeln!(s, "    &[");
        for p in t {
            let _ = writeln!(
                s,
                "        PortInfo {{ name: \"{}\", input: {}, width: {} }},",
                p.name, p.input, p.width
            );
        }
        let _ = writeln!(s, "    ],");
    }
    let _ = writeln!(s, "];\n");
    let _ = writeln!(s, "impl Ports {{");
    let _ = writeln!(
        s,
        "    /// # Safety\n    /// `addrs` are the addresses the shim's `port_addrs` returned for a model of\n    /// variant `variant` that outlives the returned value, in port order."
    );
    let _ = writeln!(
        s,
        "    pub(crate) unsafe fn from_addrs(addrs: &[usize], variant: usize) -> Self {{"
    );
    let _ = writeln!(
        s,
        "        assert_eq!(addrs.len(), {n}, \"port table size\");"
    );
    let _ = writeln!(s, "        Self {{");
    for (i, p) in ports.iter().enumerate() {
        let m = if p.input { "mut" } else { "const" };
        if uniform(tables, i) {
            let _ = writeln!(
                s,
                "            {}: addrs[{i}] as *{m} {},",
                p.name,
                rust_ty(p)
            );
        } else {
            let _ = writeln!(s, "            {}: addrs[{i}] as *{m} u8,", p.name);
            let _ = writeln!(s, "            {}_slot: match variant {{", p.name);
            for (k, t) in tables.iter().enumerate() {
                let _ = writeln!(s, "                {k} => {},", slot_expr(&t[i]));
            }
            let _ = writeln!(
                s,
                "                _ => panic!(\"no model variant {{variant}}\"),\n            }},"
            );
        }
    }
    let _ = writeln!(s, "        }}\n    }}\n");
    for (i, p) in ports.iter().enumerate() {
        let n = &p.name;
        if !uniform(tables, i) {
            if tables.iter().any(|t| t[i].width > 128) {
                fail(&format!(
                    "port {n}: a width that differs between variants must stay <= 128 bits"
                ));
            }
            let _ = writeln!(s, "    /// `{n}`: its width in bits in this variant.");
            let _ = writeln!(
                s,
                "    #[inline(always)]\n    pub fn {n}_width(&self) -> u32 {{\n        self.{n}_slot.width\n    }}"
            );
            let _ = writeln!(s, "    /// `{n}` (width per variant, zero-extended).");
            let _ = writeln!(
                s,
                "    #[inline(always)]\n    pub fn {n}_bits(&self) -> u128 {{\n        // SAFETY: the pointer addresses a live port field of the model whose storage the\n        // slot names (see `from_addrs`); the model only changes in `eval`, which takes `&mut`.\n        unsafe {{ self.{n}_slot.read(self.{n}) }}\n    }}"
            );
            if p.input {
                let _ = writeln!(
                    s,
                    "    /// Sets `{n}`; bits above its width in this variant are dropped.\n    #[inline(always)]\n    pub fn set_{n}_bits(&mut self, v: u128) {{\n        // SAFETY: as above; `&mut self` excludes other borrows of the port.\n        unsafe {{ self.{n}_slot.write(self.{n}, v) }}\n    }}"
                );
            }
            continue;
        }
        if p.cbits == 0 {
            let w = p.words;
            let _ = writeln!(
                s,
                "    /// `{n}` ({} bits) as {w} little-endian 32-bit words.",
                p.width
            );
            let _ = writeln!(
                s,
                "    #[inline(always)]\n    pub fn {n}(&self) -> &[u32] {{"
            );
            let _ = writeln!(
                s,
                "        // SAFETY: the pointer addresses a live VlWide<{w}> of the model (see `from_addrs`);\n        // the slice borrows `self`, and the model only changes in `eval`, which takes `&mut`.\n        unsafe {{ std::slice::from_raw_parts(self.{n}, {w}) }}\n    }}"
            );
            if p.input {
                let _ = writeln!(
                    s,
                    "    #[inline(always)]\n    pub fn set_{n}(&mut self, v: &[u32]) {{"
                );
                let _ = writeln!(
                    s,
                    "        assert_eq!(v.len(), {w}, \"{n} takes {w} words\");"
                );
                let _ = writeln!(
                    s,
                    "        // SAFETY: as above; `&mut self` excludes other borrows of the port.\n        unsafe {{ std::ptr::copy_nonoverlapping(v.as_ptr(), self.{n}, {w}) }}\n    }}"
                );
            }
            if p.width <= 128 {
                let _ = writeln!(
                    s,
                    "    #[inline(always)]\n    pub fn {n}_bits(&self) -> u128 {{"
                );
                let _ = writeln!(s, "        let w = self.{n}();\n        let mut v = 0u128;");
                let _ = writeln!(s, "        for (i, x) in w.iter().enumerate() {{ v |= u128::from(*x) << (32 * i); }}\n        v\n    }}");
                if p.input {
                    let _ = writeln!(
                        s,
                        "    #[inline(always)]\n    pub fn set_{n}_bits(&mut self, v: u128) {{"
                    );
                    let _ = writeln!(s, "        let mut w = [0u32; {w}];");
                    let _ = writeln!(s, "        for (i, x) in w.iter_mut().enumerate() {{ *x = (v >> (32 * i)) as u32; }}");
                    let _ = writeln!(s, "        self.set_{n}(&w);\n    }}");
                }
            }
            continue;
        }
        let nt = natural_ty(p);
        let rt = rust_ty(p);
        let mask: u128 = if p.width >= 64 {
            u64::MAX as u128
        } else {
            (1u128 << p.width) - 1
        };
        let _ = writeln!(
            s,
            "    /// `{n}` ({} bit{}).",
            p.width,
            if p.width == 1 { "" } else { "s" }
        );
        let _ = writeln!(s, "    #[inline(always)]\n    pub fn {n}(&self) -> {nt} {{");
        let safety = "        // SAFETY: the pointer addresses a live port field of the model (see `from_addrs`);\n        // the model only changes in `eval`, which takes `&mut`.";
        if nt == "bool" {
            let _ = writeln!(
                s,
                "{safety}\n        unsafe {{ *self.{n} & 1 != 0 }}\n    }}"
            );
        } else {
            let _ = writeln!(s, "{safety}\n        unsafe {{ *self.{n} }}\n    }}");
        }
        let _ = writeln!(
            s,
            "    #[inline(always)]\n    pub fn {n}_bits(&self) -> u128 {{"
        );
        let _ = writeln!(
            s,
            "{safety}\n        u128::from(unsafe {{ *self.{n} }})\n    }}"
        );
        if p.input {
            let _ = writeln!(
                s,
                "    #[inline(always)]\n    pub fn set_{n}(&mut self, v: {nt}) {{"
            );
            let conv = if nt == "bool" {
                format!("{rt}::from(v)")
            } else {
                if p.width == p.cbits {
                    "v".to_string()
                } else {
                    format!("v & {mask:#x}")
                }
            };
            let _ = writeln!(
                s,
                "        // SAFETY: as above; `&mut self` excludes other borrows of the port.\n        unsafe {{ *self.{n} = {conv} }}\n    }}"
            );
            let _ = writeln!(
                s,
                "    #[inline(always)]\n    pub fn set_{n}_bits(&mut self, v: u128) {{"
            );
            let _ = writeln!(
                s,
                "        // SAFETY: as above.\n        unsafe {{ *self.{n} = (v & {mask:#x}) as {rt} }}\n    }}"
            );
        }
    }
    let _ = writeln!(s, "}}");
    s
}

fn gen_cpp_ports(ports: &[Port]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// Generated by cosim/build.rs from the Verilated headers. Do not edit."
    );
    let _ = writeln!(s, "#define COSIM_PORT_COUNT {}", ports.len());
    let _ = writeln!(s, "#define COSIM_FOR_EACH_PORT(X) \\");
    for p in ports {
        let _ = writeln!(s, "    X({}) \\", p.name);
    }
    let _ = writeln!(s);
    s
}

/// The member of the Verilated root class that holds `clk_i` as seen at the
/// previous eval (Verilator 5.006 detects the posedge against it).
const CLK_PREV_MEMBER: &str = "__Vtrigrprev__TOP__clk_i";

/// C++: the model headers and `COSIM_FOR_EACH_VARIANT(X)`, X(index, class,
/// root class, single-eval cycle supported). The single-eval cycle needs
/// the root's previous-clock member; a Verilator without it gets the
/// two-eval fallback.
fn gen_cpp_variants(model_dirs: &[PathBuf]) -> String {
    let mut s = String::from("// Generated by cosim/build.rs. Do not edit.\n#pragma once\n");
    let mut rows = String::new();
    for (i, (v, dir)) in VARIANTS.iter().zip(model_dirs).enumerate() {
        let root = format!("{}___024root", v.prefix);
        let root_h = read(&dir.join(format!("{root}.h")));
        let poke = root_h.contains(&format!(" {CLK_PREV_MEMBER};"));
        if !poke {
            println!(
                "cargo:warning=cosim: {root}.h has no {CLK_PREV_MEMBER}: fast models fall back to two evals per cycle"
            );
        }
        let _ = writeln!(s, "#include \"{}.h\"\n#include \"{root}.h\"", v.prefix);
        let _ = writeln!(
            rows,
            "    X({i}, {}, {root}, {}) \\",
            v.prefix,
            u8::from(poke)
        );
    }
    let _ = writeln!(s, "#define COSIM_VARIANT_COUNT {}", VARIANTS.len());
    let _ = writeln!(s, "#define COSIM_CLK_PREV_MEMBER {CLK_PREV_MEMBER}");
    let _ = writeln!(s, "#define COSIM_FOR_EACH_VARIANT(X) \\\n{rows}");
    s
}

/// The output ports a Verilated model computes in its input-combinational
/// region (the `___ico_*` functions and every function they call): exactly
/// the outputs that may depend combinationally on an input. Empty means every
/// output is a function of registers only, which makes the single-eval cycle
/// exact.
fn outputs_in_ico(model_dir: &Path, prefix: &str, outputs: &[&str]) -> Vec<String> {
    // Every function body of the model's root class, by name.
    let root = format!("{prefix}___024root___");
    let mut bodies: std::collections::HashMap<String, String> = Default::default();
    for f in list_files(model_dir) {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".cpp") || name.ends_with("__ALL.cpp") {
            continue;
        }
        let text = read(&f);
        let mut cur: Option<(String, String)> = None;
        for line in text.lines() {
            if let Some((_, body)) = cur.as_mut() {
                body.push_str(line);
                body.push('\n');
                if line == "}" {
                    let (n, b) = cur.take().unwrap();
                    bodies.insert(n, b);
                }
                continue;
            }
            let sig = line.strip_prefix("VL_INLINE_OPT ").unwrap_or(line);
            if let Some(rest) = sig.strip_prefix("void ") {
                if let Some(open) = rest.find('(') {
                    let fname = &rest[..open];
                    if fname.starts_with(&root) && line.ends_with('{') {
                        cur = Some((fname.to_string(), String::new()));
                    }
                }
            }
        }
    }
    // The ico functions and their callees, transitively.
    let mut todo: Vec<String> = bodies
        .keys()
        .filter(|n| n.contains("___ico_"))
        .cloned()
        .collect();
    let mut seen: std::collections::HashSet<String> = Default::default();
    while let Some(n) = todo.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        let body = &bodies[&n];
        let mut at = 0;
        while let Some(i) = body[at..].find(&root) {
            let start = at + i;
            let end = body[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(body.len(), |e| start + e);
            let callee = &body[start..end];
            if bodies.contains_key(callee) && !seen.contains(callee) {
                todo.push(callee.to_string());
            }
            at = end;
        }
    }
    let mut found = Vec::new();
    for out in outputs {
        let pat = format!("vlSelf->{out}");
        let assigned = seen.iter().any(|n| {
            bodies[n].lines().any(|l| {
                let Some(i) = l.find(&pat) else {
                    return false;
                };
                let rest = &l[i + pat.len()..];
                if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                    return false; // a longer name
                }
                let rest = match rest.strip_prefix('[') {
                    Some(r) => r.split_once(']').map_or("", |(_, after)| after),
                    None => rest,
                };
                let rest = rest.trim_start();
                rest.starts_with('=') && !rest.starts_with("==")
            })
        });
        if assigned {
            found.push(out.to_string());
        }
    }
    found
}

/// Rust: `VARIANTS`, in the same order.
fn gen_rust_variants(ico_outputs: &[Vec<String>]) -> String {
    let mut s = String::from(
        "// Generated by cosim/build.rs. Do not edit.\n\n/// The model variants built into this library, by index.\npub const VARIANTS: &[VariantInfo] = &[\n",
    );
    for (v, ico) in VARIANTS.iter().zip(ico_outputs) {
        let _ = writeln!(
            s,
            "    VariantInfo {{ class: \"{}\", data_width: {}, assertions: {}, comb_outputs: &{:?} }},",
            v.prefix, v.data_w, v.assertions, ico
        );
    }
    s.push_str("];\n");
    s
}

/// 64-bit FNV-1a, stable across Rust versions (unlike `DefaultHasher`).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn bytes(&mut self, b: &[u8]) {
        for x in (b.len() as u64).to_le_bytes().iter().chain(b) {
            self.0 ^= u64::from(*x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
