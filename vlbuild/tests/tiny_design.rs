//! A whole build of a small module the way a build script does it:
//! Verilator, the model's makefile, the runtime and the port table, in a
//! temporary cache, then the same build again from the cache.

use std::path::{Path, PathBuf};

use vlbuild::{writer, Design, OptLevels, Toolchain, Variant};

const TINY_SV: &str = include_str!("data/tiny.sv");

fn scratch() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vlbuild-tiny-design");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("rtl")).unwrap();
    dir
}

fn variant(prefix: &str, w: u32, assertions: bool) -> Variant {
    Variant {
        prefix: prefix.into(),
        params: vec![("W".into(), w.to_string())],
        assertions,
        description: format!("{w}-bit data"),
    }
}

fn design(dir: &Path) -> Design {
    let rtl = dir.join("rtl");
    std::fs::write(rtl.join("tiny.sv"), TINY_SV).unwrap();
    Design {
        name: "vlbuild-test".into(),
        top: "tiny".into(),
        sources: vec![rtl.join("tiny.sv")],
        include_dirs: vec![rtl.clone()],
        key_dirs: vec![rtl],
        option_files: Vec::new(),
        variants: vec![
            variant("Vtiny_w8", 8, true),
            variant("Vtiny_w16", 16, false),
        ],
        hooks: None,
        // Quick to compile; the build is what is tested, not the model's speed.
        opt: OptLevels {
            fast: "-O0".into(),
            slow: "-O0".into(),
            global: "-O0".into(),
        },
        cache_dir: dir.join("cache"),
        cache_format: "vlbuild-test-1".into(),
    }
}

#[test]
fn a_tiny_module_builds_into_a_cached_port_table() {
    let dir = scratch();
    let design = design(&dir);
    let tc = Toolchain::find().expect("the tests need verilator and a C++ compiler");
    let built = design.build(&tc).unwrap();

    for m in &built.models {
        assert!(m.object().is_file(), "{}", m.object().display());
    }
    assert!(!built.runtime_objects.is_empty());
    for o in &built.runtime_objects {
        assert!(o.is_file(), "{}", o.display());
    }
    assert!(built.defines.contains(&("VM_TRACE".into(), "0".into())));

    let rows = writer::rust_port_table(&built.ports).unwrap();
    assert!(rows.contains("port_table! {\n    variants: 2;\n"), "{rows}");
    assert!(
        rows.contains(" clk_i_width } in fixed(bit, 1);\n"),
        "{rows}"
    );
    assert!(
        rows.contains(" sel_i_width } in fixed(u16, 16);\n"),
        "{rows}"
    );
    assert!(
        rows.contains(" wide_o_width } out fixed(wide 4, 100);\n"),
        "{rows}"
    );
    // W changes the storage of d_i and q_o between the variants.
    assert!(
        rows.contains(" d_i_width } in varying[(U8, 8), (U16, 16)];\n"),
        "{rows}"
    );
    assert!(
        rows.contains(" q_o_width } out varying[(U8, 8), (U16, 16)];\n"),
        "{rows}"
    );

    let outputs = ["q_o", "any_o", "wide_o"];
    let ico: Vec<Vec<String>> = built
        .models
        .iter()
        .map(|m| m.ico_outputs(&outputs).unwrap())
        .collect();
    assert_eq!(ico, [["any_o"], ["any_o"]]);
    let variants = writer::rust_variant_table(&built.models, &ico);
    assert!(
        variants.contains(
            "    Vtiny_w8 { params: { W: 8 }, assertions: true, ico_outputs: [\"any_o\"] };\n"
        ),
        "{variants}"
    );
    let (cpp, has_prev_clock) = writer::cpp_variant_table("TINY", &built.models, "clk_i").unwrap();
    assert_eq!(has_prev_clock, [true, true]);
    assert!(
        cpp.contains("    X(1, Vtiny_w16, Vtiny_w16___024root, 1) \\\n"),
        "{cpp}"
    );

    // A second build finds every entry done and gives the same result.
    let again = design.build(&tc).unwrap();
    assert_eq!(again.ports, built.ports);
    let dirs = |b: &vlbuild::Built| b.models.iter().map(|m| m.dir.clone()).collect::<Vec<_>>();
    assert_eq!(dirs(&again), dirs(&built));

    // Another source keys another entry.
    std::fs::write(dir.join("rtl/tiny.sv"), TINY_SV.replace("|sel_i", "&sel_i")).unwrap();
    let entries = std::fs::read_dir(dir.join("cache")).unwrap().count();
    let changed = design.build(&tc).unwrap();
    assert_ne!(dirs(&changed), dirs(&built));
    assert_eq!(
        std::fs::read_dir(dir.join("cache")).unwrap().count(),
        entries + 2
    );
}
