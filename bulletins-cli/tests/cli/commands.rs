//! `--dry-run`'s curl, `validate`, `completions`, `emulator` and `--help`.

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

use crate::support::{against, bulletins, expect_code, jsonl, run, Emu, KillOnDrop, PASSCODE};

#[test]
fn the_dry_run_curl_is_accepted_by_the_emulator() {
    let emu = Emu::start();
    let out = run(against(&emu).args([
        "trigger",
        "Program Released",
        "-p",
        "program_id=234567",
        "-p",
        "language=Hindi",
        "-p",
        "prev_program_id=123457",
        "--name",
        "Sa Re Ga Ma episode 12 (it's a \"special\" $HOME `episode`)",
        "--created-by",
        "[email protected]",
        "--dry-run",
    ]));
    expect_code(&out, 0);
    assert_eq!(emu.received(), 0, "a dry run sends nothing");
    let (body, curl) = out.stdout.split_once('\n').expect("body, then curl");
    let body: serde_json::Value = serde_json::from_str(body).expect("the body is JSON");
    assert_eq!(body["properties"]["language"], "Hindi");
    assert!(
        curl.contains("$CLEVERTAP_PASSCODE") && !curl.contains(PASSCODE),
        "{curl}"
    );

    let answer = std::process::Command::new("sh")
        .arg("-c")
        .arg(curl)
        .env("CLEVERTAP_PASSCODE", PASSCODE)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&answer.stdout);
    assert!(
        answer.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&answer.stderr)
    );
    assert_eq!(text.trim(), r#"{"status":"success","targets":1}"#);
    let seen = emu.by_program_id();
    assert_eq!(seen.get(&234_567), Some(&(1, 1)));
}

#[test]
fn validate_reports_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = jsonl(dir.path(), "good.jsonl", 3);
    let out = run(bulletins().arg("validate").arg(&good));
    expect_code(&out, 0);

    let bad = dir.path().join("bad.jsonl");
    let text = format!(
        "{}\n\nnot json\n{}\n",
        crate::support::payload(1),
        crate::support::payload(2).replace("Hindi", &"x".repeat(600))
    );
    std::fs::write(&bad, text).expect("write");
    let dashboard = dir.path().join("broken.json");
    std::fs::write(
        &dashboard,
        "{\n  \"business_events\": [],\n  \"bogus\": 1\n}",
    )
    .expect("write");
    let out = run(bulletins()
        .arg("validate")
        .arg(&good)
        .arg(&bad)
        .arg(&dashboard));
    expect_code(&out, 3);
    assert!(
        out.stderr.contains("bad.jsonl:3: not a JSON object"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("bad.jsonl:4: property \"language\" is 600 bytes"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("broken.json:3:"), "{}", out.stderr);
    assert!(
        out.stderr.contains("3 problems in 2 of 3 files"),
        "{}",
        out.stderr
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(bulletins().args(["completions", shell]));
        expect_code(&out, 0);
        assert!(out.stdout.contains("bulletins"), "{shell}");
    }
    expect_code(&run(bulletins().args(["completions", "tcsh"])), 2);
}

#[test]
fn help_shows_an_example_for_every_command_and_the_exit_codes() {
    let out = run(bulletins().arg("--help"));
    expect_code(&out, 0);
    assert!(out.stdout.contains("130  interrupted"), "{}", out.stdout);
    for command in ["trigger", "send", "validate", "emulator", "completions"] {
        let out = run(bulletins().args([command, "--help"]));
        expect_code(&out, 0);
        assert!(
            out.stdout.contains(&format!("  bulletins {command} ")),
            "{command}: {}",
            out.stdout
        );
    }
}

#[test]
fn the_emulator_command_serves_until_sigterm() {
    let mut child = KillOnDrop(
        bulletins()
            .args(["emulator", "--listen", "127.0.0.1:0", "--max-recorded", "1"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let mut base_url = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if let Some(url) = line.strip_prefix("bulletins-emulator listening on ") {
            base_url = Some(url.to_owned());
            break;
        }
    }
    let base_url = base_url.expect("the listening line");
    let trigger = || {
        run(bulletins()
            .args([
                "trigger",
                "Program Released",
                "-p",
                "program_id=1",
                "-p",
                "language=Hindi",
            ])
            .args([
                "-p",
                "prev_program_id=0",
                "--name",
                "n",
                "--created-by",
                "c",
            ])
            .env("CLEVERTAP_ACCOUNT_ID", "ABCD-RSTU-1234")
            .env("CLEVERTAP_PASSCODE", PASSCODE)
            .env("CLEVERTAP_BASE_URL", &base_url))
    };
    expect_code(&trigger(), 0);
    expect_code(&trigger(), 0);
    // `--max-recorded 1`: the first bulletin was forgotten, and counted.
    let listing = std::process::Command::new("curl")
        .args(["-sS", "-D", "-", &format!("{base_url}/_emulator/bulletins")])
        .output()
        .expect("curl");
    let listing = String::from_utf8_lossy(&listing.stdout).to_ascii_lowercase();
    assert!(listing.contains("x-emulator-evicted: 1"), "{listing}");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert_eq!(child.0.wait().expect("wait").code(), Some(0));
}
