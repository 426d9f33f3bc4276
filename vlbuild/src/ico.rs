//! Which outputs a Verilated model computes in its input-combinational
//! ("ico") region: the `___ico_*` functions of the root class and every
//! root function they call. Exactly those outputs may depend
//! combinationally on an input; none means every output is a function of
//! registers only.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::cache::list_files;
use crate::error::{Error, Result};

/// The outputs (of `outputs`) assigned in the ico region of the model
/// `prefix` whose generated C++ is in `model_dir`, in `outputs` order.
pub fn ico_outputs_in_dir(model_dir: &Path, prefix: &str, outputs: &[&str]) -> Result<Vec<String>> {
    let mut sources = Vec::new();
    for f in list_files(model_dir)? {
        let name = f.file_name().unwrap_or_default().to_string_lossy();
        if name.ends_with(".cpp") && !name.ends_with("__ALL.cpp") {
            sources.push(std::fs::read_to_string(&f).map_err(Error::io("cannot read", &f))?);
        }
    }
    Ok(ico_outputs(
        sources.iter().map(String::as_str),
        prefix,
        outputs,
    ))
}

/// As [`ico_outputs_in_dir`], over the texts of the model's `.cpp` files.
pub fn ico_outputs<'a>(
    sources: impl IntoIterator<Item = &'a str>,
    prefix: &str,
    outputs: &[&str],
) -> Vec<String> {
    let root = format!("{prefix}___024root___");
    let mut bodies = HashMap::new();
    for text in sources {
        root_functions(text, &root, &mut bodies);
    }
    let region = ico_region(&bodies, &root);
    outputs
        .iter()
        .filter(|out| region.iter().any(|f| assigns(&bodies[f.as_str()], out)))
        .map(|out| out.to_string())
        .collect()
}

/// Every function body of the root class defined in `text`, by name: from
/// a `void <root>...(...) {` line (perhaps `VL_INLINE_OPT`) to its `}` line.
fn root_functions(text: &str, root: &str, bodies: &mut HashMap<String, String>) {
    let mut cur: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some((name, mut body)) = cur.take() {
            body.push_str(line);
            body.push('\n');
            if line == "}" {
                bodies.insert(name, body);
            } else {
                cur = Some((name, body));
            }
            continue;
        }
        let sig = line.strip_prefix("VL_INLINE_OPT ").unwrap_or(line);
        let Some(rest) = sig.strip_prefix("void ") else {
            continue;
        };
        if let Some(open) = rest.find('(') {
            let name = &rest[..open];
            if name.starts_with(root) && line.ends_with('{') {
                cur = Some((name.to_string(), String::new()));
            }
        }
    }
}

/// The `___ico_` functions and their callees among `bodies`, transitively.
fn ico_region(bodies: &HashMap<String, String>, root: &str) -> HashSet<String> {
    let mut todo: Vec<&str> = bodies
        .keys()
        .filter(|n| n.contains("___ico_"))
        .map(String::as_str)
        .collect();
    let mut seen = HashSet::new();
    while let Some(n) = todo.pop() {
        if !seen.insert(n.to_string()) {
            continue;
        }
        let body = &bodies[n];
        let mut at = 0;
        while let Some(i) = body[at..].find(root) {
            let start = at + i;
            let end = body[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(body.len(), |e| start + e);
            if let Some((callee, _)) = bodies.get_key_value(&body[start..end]) {
                if !seen.contains(callee.as_str()) {
                    todo.push(callee);
                }
            }
            at = end;
        }
    }
    seen
}

/// Whether a line of `body` assigns `vlSelf-><out>` (or a word of it).
fn assigns(body: &str, out: &str) -> bool {
    let pat = format!("vlSelf->{out}");
    body.lines().any(|l| {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUTS: &[&str] = &["q_o", "any_o", "wide_o"];

    fn data(dir: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(dir)
    }

    #[test]
    fn an_output_assigned_in_the_ico_function_is_found() {
        let found = ico_outputs_in_dir(&data("ico_tiny"), "Vtiny", OUTPUTS).unwrap();
        // q_o and wide_o are registers: assigned in the nba region only.
        assert_eq!(found, ["any_o"]);
    }

    #[test]
    fn outputs_only_assigned_in_nba_are_not_found() {
        let found = ico_outputs_in_dir(&data("ico_tiny"), "Vtiny", &["q_o", "wide_o"]).unwrap();
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn callees_of_the_ico_function_are_followed() {
        let found = ico_outputs_in_dir(&data("ico_callee"), "Vtiny", OUTPUTS).unwrap();
        // wide_o through an indexed word; q_o is only compared (`==`) there.
        assert_eq!(found, ["any_o", "wide_o"]);
    }

    #[test]
    fn another_model_prefix_finds_nothing() {
        assert!(ico_outputs_in_dir(&data("ico_tiny"), "Vother", OUTPUTS)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_longer_name_is_not_the_output() {
        let text = "void Vt___024root___ico_sequent__TOP__0(Vt___024root* vlSelf) {\n    vlSelf->any_o_q = 1U;\n}\n";
        assert!(ico_outputs([text], "Vt", &["any_o"]).is_empty());
        let text = text.replace("any_o_q", "any_o");
        assert_eq!(ico_outputs([text.as_str()], "Vt", &["any_o"]), ["any_o"]);
    }
}
