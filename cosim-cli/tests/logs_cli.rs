//! The logs as a CI job or a redirect sees them: plain text on stderr.

use std::process::Command;

#[test]
fn logs_to_a_pipe_carry_no_colour_escapes() {
    let o = Command::new(env!("CARGO_BIN_EXE_cosim"))
        .args(["run", "rx_small", "--frames", "4"])
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .output()
        .expect("run cosim");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains(" INFO "), "the run logs at info level:\n{err}");
    assert!(
        !err.contains('\u{1b}'),
        "stderr is a pipe here, so no ANSI escapes:\n{err}"
    );
}
