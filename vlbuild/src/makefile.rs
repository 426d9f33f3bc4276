//! Lists in Verilator-generated makefiles (`<prefix>_classes.mk`).

/// The words of a `NAME += \` list: one per continued line, up to the first
/// line without a trailing `\` (or an empty line).
pub fn mk_list(text: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim);
    let opens = |t: &str| {
        t.strip_prefix(name)
            .is_some_and(|rest| rest.trim_start().starts_with("+="))
    };
    if !lines.by_ref().any(opens) {
        return out;
    }
    for t in lines {
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

/// The value of a `NAME = value` line.
pub fn mk_value(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix(name)?.trim_start();
        let value = rest.strip_prefix('=')?;
        Some(value.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSES: &str = include_str!("../tests/data/Vnic_w64_classes.mk");

    #[test]
    fn lists_of_the_generated_classes_makefile() {
        assert_eq!(
            mk_list(CLASSES, "VM_GLOBAL_FAST"),
            ["verilated", "verilated_fst_c", "verilated_threads"]
        );
        assert_eq!(
            mk_list(CLASSES, "VM_CLASSES_FAST"),
            [
                "Vnic_w64",
                "Vnic_w64___024root__DepSet_h526310ab__0",
                "Vnic_w64___024root__DepSet_h5d0d5dbd__0"
            ]
        );
        assert_eq!(mk_list(CLASSES, "VM_SUPPORT_FAST"), ["Vnic_w64__Trace__0"]);
    }

    #[test]
    fn switches_of_the_generated_classes_makefile() {
        assert_eq!(mk_value(CLASSES, "VM_TRACE").as_deref(), Some("1"));
        assert_eq!(mk_value(CLASSES, "VM_TRACE_FST").as_deref(), Some("1"));
        assert_eq!(mk_value(CLASSES, "VM_TRACE_VCD").as_deref(), Some("0"));
        assert_eq!(mk_value(CLASSES, "VM_COVERAGE").as_deref(), Some("0"));
        assert_eq!(mk_value(CLASSES, "VM_NO_SUCH_SWITCH"), None);
    }

    #[test]
    fn empty_and_missing_lists() {
        // `VM_GLOBAL_SLOW += \` followed by an empty line.
        assert!(mk_list(CLASSES, "VM_GLOBAL_SLOW").is_empty());
        assert!(mk_list(CLASSES, "VM_NO_SUCH_LIST").is_empty());
        // A name that is only a prefix of the list's name does not open it.
        assert!(mk_list(CLASSES, "VM_GLOBAL").is_empty());
    }
}
