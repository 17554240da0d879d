//! The passcode never appears in stdout, stderr, a dry run, the journal or the process's
//! arguments.

use std::process::Stdio;
use std::time::Duration;

use bulletins_emulator::Fault;

use crate::support::{bulletins, expect_code, jsonl, run, Emu, Run};

const SECRET: &str = "S3NT1NEL-passcode";

#[test]
fn the_passcode_never_shows() {
    let emu = Emu::with(|b| b.account("SECRET-ACCOUNT", SECRET));
    let dir = tempfile::tempdir().expect("tempdir");
    let passcode_file = dir.path().join("passcode");
    std::fs::write(&passcode_file, format!("{SECRET}\n")).expect("write");
    let path = jsonl(dir.path(), "in.jsonl", 20);
    let with_env = || {
        let mut command = bulletins();
        command
            .env("CLEVERTAP_ACCOUNT_ID", "SECRET-ACCOUNT")
            .env("CLEVERTAP_PASSCODE", SECRET)
            .env("CLEVERTAP_BASE_URL", emu.base_url());
        command
    };
    let with_file = |args: &[&str]| {
        let mut command = bulletins();
        command
            .args(args)
            .args([
                "--account-id",
                "SECRET-ACCOUNT",
                "--base-url",
                &emu.base_url(),
            ])
            .arg("--passcode-file")
            .arg(&passcode_file);
        command
    };
    let trigger = [
        "trigger",
        "Program Released",
        "-p",
        "program_id=1",
        "-p",
        "language=Hindi",
        "-p",
        "prev_program_id=0",
        "--name",
        "n",
        "--created-by",
        "c",
    ];
    let mut runs: Vec<Run> = Vec::new();
    let mut check = |out: Run, code: i32| {
        expect_code(&out, code);
        runs.push(out);
    };
    check(run(with_env().args(trigger)), 0);
    check(run(with_env().args(trigger).arg("--json")), 0);
    check(run(with_env().args(trigger).arg("--dry-run")), 0);
    check(
        run(with_env().args(trigger).args(["--dry-run", "--json"])),
        0,
    );
    emu.inject(Fault::CloseAfterBody, 1);
    check(run(with_env().args(trigger).arg("--json")), 5);
    check(
        run(with_env()
            .args(trigger)
            .env("CLEVERTAP_ACCOUNT_ID", "nobody")),
        4,
    );
    emu.inject(Fault::status(503), 1);
    emu.inject(Fault::status(400), 1);
    check(
        run(with_env()
            .args(["send", "--json", "--concurrency", "1"])
            .arg(&path)),
        5,
    );

    // With --passcode-file, the running process's arguments hold only the file's path.
    let received = emu.received();
    emu.inject(Fault::Delay(Duration::from_millis(20)), 20);
    let path2 = jsonl(dir.path(), "in2.jsonl", 20);
    let child = with_file(&["send", "--json"])
        .arg(&path2)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    emu.wait_for(received + 5);
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline);
    assert!(cmdline.contains("--passcode-file"), "{cmdline}");
    assert!(!cmdline.contains(SECRET), "{cmdline}");
    let out = child.wait_with_output().expect("wait");
    check(
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        0,
    );
    check(run(with_file(&trigger).arg("--dry-run")), 0);

    for out in &runs {
        assert!(!out.stdout.contains(SECRET), "stdout: {}", out.stdout);
        assert!(!out.stderr.contains(SECRET), "stderr: {}", out.stderr);
    }
    for journal in ["in.jsonl.journal", "in2.jsonl.journal"] {
        let text = std::fs::read_to_string(dir.path().join(journal)).expect("journal");
        assert!(text.lines().count() > 20, "{text}");
        assert!(!text.contains(SECRET), "{journal}: {text}");
    }
}
