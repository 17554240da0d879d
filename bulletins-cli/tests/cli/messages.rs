//! What a newcomer reads: what was not checked, counts that add up, advice in the command
//! line's own terms, and a resend hint that tells refused lines from passing failures.

use bulletins_emulator::Fault;

use crate::support::{against, bulletins, expect_code, jsonl, run, Emu, ACCOUNT};

const UNCHECKED: &str = "note: not checked against a dashboard: event names and required properties; pass --dashboard FILE or set BULLETINS_DASHBOARD";

/// The documentation's dashboard, as a file.
fn dashboard_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("bulletins.json");
    std::fs::write(
        &path,
        r#"{"business_events":[{"name":"Program Released","properties":["program_id","language","prev_program_id"],"required":["program_id","language"]}]}"#,
    )
    .expect("write");
    path
}

/// `bulletins trigger "Program Released"` with `program_id` and `prev_program_id`, and these
/// further properties.
fn trigger(emu: &Emu, properties: &[&str]) -> std::process::Command {
    let mut command = against(emu);
    command.args(["trigger", "Program Released", "-p", "program_id=1"]);
    command.args(["-p", "prev_program_id=1"]);
    for property in properties {
        command.args(["-p", property]);
    }
    command.args(["--name", "n", "--created-by", "me"]);
    command
}

#[test]
fn without_a_dashboard_validate_send_and_trigger_say_what_was_not_checked() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 1);
    let dashboard = dashboard_file(dir.path());

    let out = run(bulletins().arg("validate").arg(&path));
    expect_code(&out, 0);
    assert_eq!(out.stderr.matches(UNCHECKED).count(), 1, "{}", out.stderr);
    let out = run(against(&emu).args(["send", "--no-journal"]).arg(&path));
    expect_code(&out, 0);
    assert_eq!(out.stderr.matches(UNCHECKED).count(), 1, "{}", out.stderr);
    let out = run(&mut trigger(&emu, &["language=Hindi"]));
    expect_code(&out, 0);
    assert_eq!(out.stderr.matches(UNCHECKED).count(), 1, "{}", out.stderr);

    // With one, nothing is said.
    let out = run(bulletins()
        .arg("validate")
        .arg(&path)
        .arg("--dashboard")
        .arg(&dashboard));
    expect_code(&out, 0);
    assert!(!out.stderr.contains("not checked"), "{}", out.stderr);
    let out = run(bulletins()
        .arg("validate")
        .arg(&path)
        .env("BULLETINS_DASHBOARD", &dashboard));
    assert!(!out.stderr.contains("not checked"), "{}", out.stderr);
}

#[test]
fn validate_counts_the_files_with_problems_and_reports_a_dashboard_as_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = jsonl(dir.path(), "good.jsonl", 2);
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{}\n").expect("write");
    let dashboard = dashboard_file(dir.path());

    let out = run(bulletins().arg("validate").arg(&bad).arg(&dashboard));
    expect_code(&out, 3);
    assert!(
        out.stderr.contains("bulletins.json: dashboard: 1 event\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("error: 1 problem in 1 of 2 files"),
        "{}",
        out.stderr
    );

    let out = run(bulletins().arg("validate").arg(&dashboard));
    expect_code(&out, 0);
    assert!(
        out.stderr.ends_with("dashboard: 1 event\n1 file valid\n"),
        "{}",
        out.stderr
    );
    // A dashboard file alone checks no payload: nothing to say about one.
    assert!(!out.stderr.contains("not checked"), "{}", out.stderr);

    let out = run(bulletins().arg("validate").arg(&good).arg(&good));
    expect_code(&out, 0);
    assert!(
        out.stderr.ends_with("2 files valid (4 payload lines)\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn trigger_gives_advice_in_the_command_lines_terms() {
    let emu = Emu::start();
    let out = run(&mut trigger(&emu, &[]));
    expect_code(&out, 4);
    assert!(
        out.stderr.contains("Property language missing"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("-p KEY=VALUE"), "{}", out.stderr);
    assert!(!out.stderr.contains("requires"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("running the same command again is refused again"),
        "{}",
        out.stderr
    );

    // May have been delivered: said once, in the error; the hint says how to check.
    emu.inject(Fault::CloseAfterBody, 1);
    let out = run(&mut trigger(&emu, &["language=Hindi"]));
    expect_code(&out, 5);
    assert_eq!(
        out.stderr.matches("may have been delivered").count(),
        1,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: look for it on the CleverTap dashboard"),
        "{}",
        out.stderr
    );
}

#[test]
fn send_tells_refused_lines_from_lines_a_rerun_may_deliver() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 1);

    emu.inject(Fault::status(400), 1);
    let out = run(against(&emu).args(["send", "--no-journal"]).arg(&path));
    expect_code(&out, 6);
    assert!(
        out.stderr
            .contains("0 delivered, 1 refused, 0 not delivered"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("; 1 request in "), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "refused: line 1\n  fix those lines (or the dashboard); re-running sends them again and CleverTap will refuse them again"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("safe to send again"), "{}", out.stderr);

    // Refused credentials: the lines are fine, a re-run with the right ones delivers them.
    let out = run(against(&emu)
        .env("CLEVERTAP_PASSCODE", "WRONG1")
        .env("CLEVERTAP_ACCOUNT_ID", ACCOUNT)
        .args(["send", "--no-journal"])
        .arg(&path));
    expect_code(&out, 6);
    assert!(
        out.stderr.contains(
            "not delivered, for a passing reason: line 1\n  re-run the same command to send them"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("refused: line"), "{}", out.stderr);
}

#[test]
fn the_exit_code_table_is_in_the_top_level_help_and_its_own_topic_only() {
    let top = run(bulletins().arg("--help"));
    expect_code(&top, 0);
    assert!(
        top.stdout.contains("  5    outcome unknown"),
        "{}",
        top.stdout
    );
    let topic = run(bulletins().args(["help", "exit-codes"]));
    expect_code(&topic, 0);
    assert!(
        topic.stdout.starts_with("Exit codes:\n  0 "),
        "{}",
        topic.stdout
    );
    assert!(
        topic.stdout.contains("  7    journal locked"),
        "{}",
        topic.stdout
    );
    for command in ["send", "trigger", "validate"] {
        let out = run(bulletins().args([command, "--help"]));
        expect_code(&out, 0);
        assert!(
            !out.stdout.contains("  5    outcome unknown"),
            "{command}: {}",
            out.stdout
        );
        assert!(
            out.stdout
                .contains("Exit codes: `bulletins help exit-codes`."),
            "{command}: {}",
            out.stdout
        );
    }
    let send = run(bulletins().args(["send", "--help"]));
    assert!(
        send.stdout
            .contains("without it, the passcode is the value of $CLEVERTAP_PASSCODE"),
        "{}",
        send.stdout
    );
    assert!(
        !send.stdout.contains("[default: $CLEVERTAP_PASSCODE]"),
        "{}",
        send.stdout
    );
}
