//! Running the external tools (verilator, make, the C++ compiler) and
//! turning their failures into [`Error`]s that carry their output.

use std::process::{Child, Command, Output, Stdio};

use crate::error::{Error, Result};

/// Runs `cmd` to completion; its stdout on success. `what` names the step in
/// the error.
pub(crate) fn run_capture(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd.output().map_err(|source| Error::Spawn {
        program: what.to_string(),
        source,
    })?;
    check(out, what)
}

/// Starts `cmd` with its output captured, for [`wait_checked`].
pub(crate) fn spawn_captured(cmd: &mut Command, program: &str) -> Result<Child> {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn {
            program: program.to_string(),
            source,
        })
}

/// Waits for a child of [`spawn_captured`]; its stdout on success.
pub(crate) fn wait_checked(child: Child, what: &str) -> Result<String> {
    let out = child.wait_with_output().map_err(|source| Error::Spawn {
        program: what.to_string(),
        source,
    })?;
    check(out, what)
}

fn check(out: Output, what: &str) -> Result<String> {
    if !out.status.success() {
        return Err(Error::Command {
            what: what.to_string(),
            status: out.status,
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
