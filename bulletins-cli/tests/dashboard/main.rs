//! `bulletins dashboard ...`, the built binary driven as a process: stdout, stderr and the exit
//! code of every format, and the review recipe end to end in a throwaway git repository.

mod breaking;
mod init;
mod lint;
mod review;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The binary, with no colour unless a test asks, and none of the caller's settings.
pub(crate) fn bulletins() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bulletins"));
    // GIT_DIR and its kin (set when tests run from a git hook) would point git elsewhere.
    for var in [
        "BULLETINS_DASHBOARD",
        "CLICOLOR_FORCE",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
    ] {
        command.env_remove(var);
    }
    command.env("NO_COLOR", "1").stdin(Stdio::null());
    command
}

/// What a finished run printed, and its exit code.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn run(command: &mut Command) -> Run {
    let output = command.output().expect("the binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Asserts the exit code, showing the output when it differs.
#[track_caller]
pub(crate) fn expect_code(run: &Run, code: i32) {
    assert_eq!(
        run.code, code,
        "exit code; stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

/// Writes a dashboard file with these events, one per line from line 3.
pub(crate) fn write_events(dir: &Path, name: &str, events: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let text = format!(
        "{{\n  \"business_events\": [\n    {}\n  ]\n}}\n",
        events.join(",\n    ")
    );
    std::fs::write(&path, text).expect("write the dashboard file");
    path
}

#[test]
fn help_shows_an_example_for_every_dashboard_command_and_its_exit_codes() {
    for (command, code) in [
        ("breaking", "  8  a finding at or above --fail-on"),
        ("lint", "  8  a finding at or above --fail-on"),
        (
            "init",
            "  3  an invalid payload line, or none at all; nothing written",
        ),
    ] {
        let out = run(bulletins().args(["dashboard", command, "--help"]));
        expect_code(&out, 0);
        assert!(
            out.stdout
                .contains(&format!("  bulletins dashboard {command} ")),
            "{command}: {}",
            out.stdout
        );
        assert!(out.stdout.contains(code), "{command}: {}", out.stdout);
    }
    let out = run(bulletins().arg("--help"));
    assert!(
        out.stdout
            .contains("  8    dashboard breaking/lint: a finding at or above --fail-on\n"),
        "{}",
        out.stdout
    );
}
