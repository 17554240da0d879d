//! The journal's promises, end to end: a killed batch resumes without sending a line twice, an
//! uncertain line is never resent unless asked, Ctrl-C flushes, a torn record is recovered.

use std::process::Stdio;
use std::time::Duration;

use bulletins_emulator::Fault;

use crate::support::{against, expect_code, jsonl, lines_with, run, Emu, KillOnDrop};

#[test]
fn a_send_killed_midway_resumes_and_sends_every_line_at_most_once() {
    const LINES: u64 = 10_000;
    // No per-account limit: with CleverTap's 3 and `--concurrency 3`, a request sent as soon as
    // the previous answer arrives can beat the server's release of its slot and draw a 429,
    // which the client retries after a backoff — correct, but slow on a loaded machine.
    let emu = Emu::with(|b| b.concurrency_limit(0));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "batch.jsonl", LINES);

    let mut child = KillOnDrop(
        against(&emu)
            .arg("send")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    // Watched through the journal, not the emulator: its record is cloned whole to be read,
    // under the lock its handlers take to record.
    let journal = dir.path().join("batch.jsonl.journal");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let text = std::fs::read_to_string(&journal).unwrap_or_default();
        if text.lines().filter(|l| l.starts_with("d ")).count() >= 3_000 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the send made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.0.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    let _ = child.0.wait();
    let before = emu.received();
    assert!(
        before < LINES as usize,
        "killed after it finished; nothing tested"
    );

    let out = run(against(&emu).arg("send").arg(&path).arg("--json"));
    let uncertain = lines_with(&out.stdout, "uncertain");
    expect_code(&out, if uncertain.is_empty() { 0 } else { 5 });

    let seen = emu.by_program_id();
    let twice: Vec<_> = seen.iter().filter(|(_, (n, _))| *n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    let missing: Vec<u64> = (1..=LINES)
        .filter(|id| seen.get(id).map_or(0, |(_, accepted)| *accepted) == 0)
        .filter(|id| !uncertain.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "neither delivered nor reported uncertain: {missing:?}"
    );
    // Only lines started when the kill struck can be uncertain: the groups stay small.
    assert!(uncertain.len() <= 3 + 256, "{} uncertain", uncertain.len());
    eprintln!(
        "killed after {before} bulletins; re-run: {} uncertain lines {uncertain:?}",
        uncertain.len()
    );
}

#[test]
fn an_answer_lost_after_the_body_is_uncertain_and_resent_only_when_asked() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 5);
    emu.inject(Fault::CloseAfterBody, 1);
    let send = || {
        let mut command = against(&emu);
        command.args(["send", "--concurrency", "1"]).arg(&path);
        command
    };

    let out = run(&mut send());
    expect_code(&out, 5);
    assert!(
        out.stderr.contains("line 1: may have been delivered"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("may have been delivered, so not resent: line 1"),
        "{}",
        out.stderr
    );
    assert_eq!(emu.received(), 5);

    let out = run(&mut send());
    expect_code(&out, 5);
    assert!(out.stderr.contains("not resent: line 1"), "{}", out.stderr);
    assert_eq!(emu.received(), 5, "nothing sent again");

    let out = run(send().arg("--resend-uncertain"));
    expect_code(&out, 0);
    let seen = emu.by_program_id();
    assert_eq!(
        seen.get(&1),
        Some(&(2, 1)),
        "received twice, as asked; accepted once"
    );
    assert!((2..=5).all(|id| seen.get(&id) == Some(&(1, 1))), "{seen:?}");
}

#[test]
fn ctrl_c_flushes_the_journal_exits_130_and_the_rerun_resumes() {
    const LINES: u64 = 60;
    let emu = Emu::start();
    emu.inject(Fault::Delay(Duration::from_millis(30)), LINES as usize);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", LINES);
    let child = against(&emu)
        .arg("send")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    emu.wait_for(10);
    let pid = child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("re-run the same command to resume"),
        "{stderr}"
    );
    let sent_before = emu.received();
    assert!(sent_before < LINES as usize, "{sent_before}");

    // The requests in flight were waited for: nothing is uncertain.
    let out = run(against(&emu).arg("send").arg(&path));
    expect_code(&out, 0);
    let seen = emu.by_program_id();
    assert!(
        (1..=LINES).all(|id| seen.get(&id) == Some(&(1, 1))),
        "{seen:?}"
    );
}

#[test]
fn a_torn_last_record_is_recovered_and_its_line_reads_as_uncertain() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 3);
    expect_code(
        &run(against(&emu)
            .args(["send", "--concurrency", "1"])
            .arg(&path)),
        0,
    );
    let journal = dir.path().join("in.jsonl.journal");
    let text = std::fs::read_to_string(&journal).expect("read");
    assert!(text.ends_with("d 3 1\n"), "{text}");
    // A crash in the middle of writing line 3's outcome.
    std::fs::write(&journal, &text[..text.len() - 3]).expect("write");

    let out = run(against(&emu).arg("send").arg(&path));
    expect_code(&out, 5);
    assert!(
        out.stderr.contains("cut off a torn last record (3 bytes)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("not resent: line 3"), "{}", out.stderr);
    assert_eq!(emu.received(), 3);
}

#[test]
fn without_a_journal_a_rerun_sends_everything_again() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 3);
    expect_code(
        &run(against(&emu).args(["send", "--no-journal"]).arg(&path)),
        0,
    );
    expect_code(
        &run(against(&emu).args(["send", "--no-journal"]).arg(&path)),
        0,
    );
    assert_eq!(emu.received(), 6);
    assert!(!dir.path().join("in.jsonl.journal").exists());
}

#[test]
fn stdin_needs_an_explicit_journal_and_then_resumes_like_a_file() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 4);
    let input = || std::fs::File::open(&path).expect("open");
    let out = run(against(&emu).args(["send", "-"]).stdin(input()));
    expect_code(&out, 2);
    assert!(out.stderr.contains("--journal"), "{}", out.stderr);
    let journal = dir.path().join("stdin.journal");
    for _ in 0..2 {
        let out = run(against(&emu)
            .args(["send", "-", "--journal"])
            .arg(&journal)
            .stdin(input()));
        expect_code(&out, 0);
    }
    assert_eq!(emu.received(), 4);
}

#[test]
fn one_when_the_journal_cannot_be_written() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 2);
    let out = run(against(&emu)
        .arg("send")
        .arg(&path)
        .arg("--journal")
        .arg(dir.path().join("no/such/dir/j")));
    expect_code(&out, 1);
    assert_eq!(emu.received(), 0);
}

/// With the journal, lines are started (and synced) ahead of the requests in flight: a second
/// Ctrl-C calls uncertain only the lines whose requests left; the queued ones, never sent, are
/// recorded not delivered, so the rerun sends them without `--resend-uncertain`.
#[test]
fn a_second_ctrl_c_calls_only_the_lines_whose_request_left_uncertain() {
    let emu = Emu::start();
    emu.inject(Fault::Delay(Duration::from_secs(60)), 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 30);
    let child = KillOnDrop(
        against(&emu)
            .args(["send", "--json", "--concurrency", "3"])
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    emu.wait_for(3);
    for _ in 0..2 {
        let status = std::process::Command::new("kill")
            .args(["-INT", &child.0.id().to_string()])
            .status()
            .expect("kill -INT");
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut child = child;
    let status = child.0.wait().expect("wait");
    let mut stdout = String::new();
    let mut stderr = String::new();
    use std::io::Read as _;
    if let Some(mut pipe) = child.0.stdout.take() {
        pipe.read_to_string(&mut stdout).expect("stdout");
    }
    if let Some(mut pipe) = child.0.stderr.take() {
        pipe.read_to_string(&mut stderr).expect("stderr");
    }
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_eq!(emu.received(), 3);
    assert_eq!(
        lines_with(&stdout, "uncertain"),
        [1, 2, 3],
        "lines queued but never sent called uncertain: {stdout}"
    );

    // The rerun sends every line but the 3 uncertain ones (still uncertain: exit code 5).
    let out = run(against(&emu).arg("send").arg(&path));
    expect_code(&out, 5);
    let seen = emu.by_program_id();
    assert!(
        (4..=30).all(|id| seen.get(&id) == Some(&(1, 1))),
        "{seen:?}"
    );
}
