//! Every exit code the help lists, provoked.

use bulletins_emulator::Fault;

use crate::support::{against, bulletins, expect_code, jsonl, payload, run, Emu};

fn trigger(emu: &Emu) -> std::process::Command {
    let mut command = against(emu);
    command.args([
        "trigger",
        "Program Released",
        "-p",
        "program_id=234567",
        "-p",
        "language=Hindi",
        "-p",
        "prev_program_id=123457",
        "--name",
        "Sa Re Ga Ma episode 12",
        "--created-by",
        "[email protected]",
    ]);
    command
}

#[test]
fn zero_when_delivered() {
    let emu = Emu::start();
    let out = run(&mut trigger(&emu));
    expect_code(&out, 0);
    assert_eq!(out.stdout.trim(), "delivered to 1 target");
    assert_eq!(emu.by_program_id().get(&234_567), Some(&(1, 1)));
}

#[test]
fn two_for_usage_errors_and_missing_credentials() {
    expect_code(&run(bulletins().args(["trigger", "--bogus"])), 2);
    let out = run(bulletins().args(["trigger", "e", "--name", "n", "--created-by", "c"]));
    expect_code(&out, 2);
    assert!(
        out.stderr.contains("CLEVERTAP_ACCOUNT_ID"),
        "{}",
        out.stderr
    );
    let emu = Emu::start();
    expect_code(&run(trigger(&emu).args(["-p", "no-equals-sign"])), 2);
    expect_code(&run(trigger(&emu).args(["--when", "yesterday"])), 2);
    assert_eq!(emu.received(), 0);
}

#[test]
fn three_for_invalid_input_and_nothing_is_sent() {
    let emu = Emu::start();
    let long = format!("language={}", "x".repeat(513));
    let out = run(trigger(&emu).args(["-p", &long]));
    expect_code(&out, 3);
    assert!(out.stderr.contains("513 bytes"), "{}", out.stderr);

    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 5);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("{\"business_event\":\"Program Released\"}\n");
    text.push_str(&payload(7).replace("\"now\"", "-5"));
    std::fs::write(&path, text).expect("write");
    let out = run(against(&emu).arg("send").arg(&path));
    expect_code(&out, 3);
    assert!(
        out.stderr.contains("in.jsonl:6: missing \"name\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("in.jsonl:7: \"when\""),
        "{}",
        out.stderr
    );
    assert_eq!(emu.received(), 0);
    assert!(!dir.path().join("in.jsonl.journal").exists());
}

#[test]
fn three_for_a_dashboard_mismatch() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let dashboard = dir.path().join("bulletins.json");
    std::fs::write(
        &dashboard,
        r#"{"business_events":[{"name":"Program Released","properties":["program_id","language"],"required":["program_id"]}]}"#,
    )
    .expect("write");
    let out = run(trigger(&emu).arg("--dashboard").arg(&dashboard));
    expect_code(&out, 3);
    assert!(
        out.stderr
            .contains("has no property \"prev_program_id\" on the dashboard"),
        "{}",
        out.stderr
    );
    let out = run(trigger(&emu).env("BULLETINS_DASHBOARD", &dashboard));
    expect_code(&out, 3);
    assert_eq!(emu.received(), 0);
}

#[test]
fn four_when_clevertap_refuses() {
    let emu = Emu::start();
    let out = run(trigger(&emu).env("CLEVERTAP_PASSCODE", "wrong"));
    expect_code(&out, 4);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    emu.inject(Fault::status(400), 1);
    expect_code(&run(&mut trigger(&emu)), 4);
    emu.inject(
        Fault::FailBody200 {
            error: "Business Event Not Found".into(),
            code: 512,
        },
        1,
    );
    expect_code(&run(&mut trigger(&emu)), 4);
}

#[test]
fn five_when_it_may_have_been_delivered() {
    let emu = Emu::start();
    emu.inject(Fault::CloseAfterBody, 1);
    let out = run(trigger(&emu).arg("--json"));
    expect_code(&out, 5);
    let result: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("json");
    assert_eq!(result["outcome"], "uncertain");
    assert_eq!(emu.received(), 1, "sent once, not retried");
}

#[test]
fn six_when_some_lines_of_a_batch_were_not_delivered() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 6);
    emu.inject(Fault::status(400), 1);
    let out = run(against(&emu)
        .args(["send", "--concurrency", "1"])
        .arg(&path));
    expect_code(&out, 6);
    assert!(out.stderr.contains("line 1: refused"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("5 delivered, 1 refused, 0 not delivered"),
        "{}",
        out.stderr
    );
    // Certainly not delivered, so the re-run sends it (and only it).
    let out = run(against(&emu).arg("send").arg(&path));
    expect_code(&out, 0);
    let seen = emu.by_program_id();
    assert!((1..=6).all(|id| seen.get(&id) == Some(&(1, 1))), "{seen:?}");
}

#[test]
fn seven_when_the_journal_is_held_by_another_run() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 3);
    expect_code(&run(against(&emu).arg("send").arg(&path)), 0);
    // Another `bulletins send` holds it: the same lock the binary takes.
    let held = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .open(dir.path().join("in.jsonl.journal"))
        .expect("open the journal");
    held.try_lock().expect("lock it");
    let out = run(against(&emu).arg("send").arg(&path));
    expect_code(&out, 7);
    assert!(
        out.stderr.contains("in use by another running"),
        "{}",
        out.stderr
    );
    drop(held);
    expect_code(&run(against(&emu).arg("send").arg(&path)), 0);
    assert_eq!(emu.received(), 3);
}

#[test]
fn seven_when_the_input_changed() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 3);
    expect_code(&run(against(&emu).arg("send").arg(&path)), 0);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text = text.replacen("episode 2", "episode two", 1);
    std::fs::write(&path, text).expect("write");
    let out = run(against(&emu).arg("send").arg(&path));
    expect_code(&out, 7);
    assert!(
        out.stderr.contains("belongs to another input"),
        "{}",
        out.stderr
    );
    assert_eq!(emu.received(), 3);
}

#[test]
fn skip_invalid_sends_the_valid_lines_and_reports_the_others_as_skipped() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 4);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("{\"business_event\":\"Program Released\"}\n");
    std::fs::write(&path, text).expect("write");
    let out = run(against(&emu)
        .args(["send", "--skip-invalid", "--json"])
        .arg(&path));
    expect_code(&out, 6);
    assert!(
        out.stderr.contains("in.jsonl:5: missing \"name\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("skipped as invalid: line 5"),
        "{}",
        out.stderr
    );
    assert_eq!(crate::support::lines_with(&out.stdout, "skipped"), [5]);
    assert_eq!(
        crate::support::lines_with(&out.stdout, "delivered").len(),
        4
    );
    assert_eq!(emu.received(), 4);
}
