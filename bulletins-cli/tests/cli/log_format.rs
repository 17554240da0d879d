//! `--log-format json`: every line `send` writes to stderr is one JSON object (timestamp,
//! level, target, message and the event's fields), what it tells its user included, and none
//! holds the passcode.

use bulletins_emulator::Fault;

use crate::support::{against, bulletins, expect_code, jsonl, run, Emu, PASSCODE};

/// Every line of `stderr`, parsed; the passcodes given never appear.
pub(crate) fn json_lines(stderr: &str, passcodes: &[&str]) -> Vec<serde_json::Value> {
    for passcode in passcodes {
        assert!(!stderr.contains(passcode), "a passcode is logged: {stderr}");
    }
    stderr
        .lines()
        .map(|line| {
            let object: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            for key in ["timestamp", "level", "target", "message"] {
                assert!(object.get(key).is_some(), "no {key}: {line}");
            }
            object
        })
        .collect()
}

fn with_message<'a>(lines: &'a [serde_json::Value], start: &str) -> &'a serde_json::Value {
    lines
        .iter()
        .find(|l| l["message"].as_str().is_some_and(|m| m.starts_with(start)))
        .unwrap_or_else(|| panic!("no line starting {start:?}: {lines:#?}"))
}

#[test]
fn send_logs_one_json_object_per_line() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 4);
    emu.inject(Fault::status(400), 1);
    let out = run(against(&emu)
        .args(["send", "--concurrency", "1", "--log-format", "json"])
        .arg(&path));
    expect_code(&out, 6);
    let lines = json_lines(&out.stderr, &[PASSCODE]);
    let refused = with_message(&lines, "line 1: refused");
    assert_eq!(refused["level"], "WARN");
    assert_eq!(refused["target"], "bulletins::cli");
    let summary = with_message(&lines, "3 delivered, 1 refused, 0 not delivered");
    // The note that no dashboard was given is a JSON event too.
    assert_eq!(with_message(&lines, "note: not checked")["level"], "WARN");
    assert_eq!(summary["level"], "INFO");
}

#[test]
fn the_failure_a_command_exits_with_is_one_json_object_with_its_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 1);
    // No credentials at all.
    let out = run(bulletins()
        .args(["send", "--log-format", "json"])
        .arg(&path));
    expect_code(&out, 2);
    let lines = json_lines(&out.stderr, &[]);
    let errors: Vec<_> = lines.iter().filter(|l| l["level"] == "ERROR").collect();
    assert_eq!(errors.len(), 1, "{lines:#?}");
    assert!(errors[0]["hint"].as_str().is_some(), "{lines:#?}");
}

#[test]
fn the_environment_can_ask_for_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 1);
    let out = run(bulletins()
        .env("BULLETINS_LOG_FORMAT", "json")
        .arg("send")
        .arg(&path));
    expect_code(&out, 2);
    let lines = json_lines(&out.stderr, &[]);
    assert_eq!(
        lines.iter().filter(|l| l["level"] == "ERROR").count(),
        1,
        "{lines:#?}"
    );
}
