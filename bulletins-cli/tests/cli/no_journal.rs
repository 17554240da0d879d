//! `send --no-journal`, which hands the lines straight to the client: every line still gets
//! exactly one result, with its own line number, and Ctrl-C behaves as with a journal.

use std::process::Stdio;
use std::time::Duration;

use bulletins_emulator::Fault;

use crate::support::{against, expect_code, jsonl, lines_with, run, Emu, KillOnDrop};

#[test]
fn every_line_gets_one_result_under_its_own_number() {
    const LINES: u64 = 40;
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", LINES);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("{\"business_event\":\"Program Released\"}\n");
    std::fs::write(&path, text).expect("write");
    // At concurrency 1 the first request is refused and the second may have been delivered.
    emu.inject(Fault::status(400), 1);
    emu.inject(Fault::CloseAfterBody, 1);
    let out = run(against(&emu)
        .args(["send", "--no-journal", "--skip-invalid", "--json"])
        .args(["--concurrency", "1"])
        .arg(&path));
    expect_code(&out, 5);
    assert_eq!(lines_with(&out.stdout, "not_delivered"), [1]);
    assert_eq!(lines_with(&out.stdout, "uncertain"), [2]);
    assert_eq!(lines_with(&out.stdout, "skipped"), [LINES + 1]);
    let mut delivered = lines_with(&out.stdout, "delivered");
    delivered.sort_unstable();
    assert_eq!(delivered, (3..=LINES).collect::<Vec<_>>());
    assert!(out.stderr.contains("line 1: refused"), "{}", out.stderr);
    // Each line's result names the bulletin that line carried (program_id = line number);
    // the refused one is not recorded by the emulator.
    let seen = emu.by_program_id();
    assert_eq!(seen.get(&2), Some(&(1, 0)), "{seen:?}");
    assert!(
        (3..=LINES).all(|id| seen.get(&id) == Some(&(1, 1))),
        "{seen:?}"
    );

    // Concurrently, in completion order: still one result per line.
    let out = run(against(&emu)
        .args(["send", "--no-journal", "--skip-invalid", "--json"])
        .args(["--concurrency", "4"])
        .arg(&path));
    expect_code(&out, 6);
    let mut delivered = lines_with(&out.stdout, "delivered");
    delivered.sort_unstable();
    assert_eq!(delivered, (1..=LINES).collect::<Vec<_>>());
}

#[test]
fn ctrl_c_waits_for_the_requests_in_flight_and_sends_nothing_more() {
    const LINES: u64 = 60;
    let emu = Emu::start();
    emu.inject(Fault::Delay(Duration::from_millis(30)), LINES as usize);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", LINES);
    let child = against(&emu)
        .args(["send", "--no-journal", "--json"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    emu.wait_for(10);
    interrupt(child.id());
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    // The input was not read to its end: no claim that it changed.
    assert!(!stderr.contains("changed while"), "{stderr}");
    assert!(lines_with(&stdout, "uncertain").is_empty(), "{stdout}");
    // Every request that left was answered and reported; none left after the interrupt.
    let mut delivered = lines_with(&stdout, "delivered");
    delivered.sort_unstable();
    let mut received: Vec<u64> = emu.by_program_id().into_keys().collect();
    received.sort_unstable();
    assert_eq!(delivered, received);
    assert!(received.len() < LINES as usize, "{received:?}");
}

#[test]
fn a_second_ctrl_c_leaves_the_requests_in_flight_uncertain() {
    let emu = Emu::start();
    emu.inject(Fault::Delay(Duration::from_secs(60)), 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 10);
    let child = KillOnDrop(
        against(&emu)
            .args(["send", "--no-journal", "--json", "--concurrency", "3"])
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    emu.wait_for(3);
    interrupt(child.0.id());
    std::thread::sleep(Duration::from_millis(200));
    interrupt(child.0.id());
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
    assert_eq!(lines_with(&stdout, "uncertain"), [1, 2, 3], "{stdout}");
    assert!(stderr.contains("left uncertain"), "{stderr}");
    assert_eq!(emu.received(), 3);
}

/// At a concurrency of 4 the client pulls lines ahead of the requests in flight (queued for
/// its workers): a second Ctrl-C calls uncertain only the lines whose requests left, and the
/// queued ones, never sent, not delivered.
#[test]
fn a_second_ctrl_c_calls_a_queued_line_not_delivered_not_uncertain() {
    // Room for 4 at once, so that no request draws a 429.
    let emu = Emu::with(|builder| builder.concurrency_limit(4));
    emu.inject(Fault::Delay(Duration::from_secs(60)), 4);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "in.jsonl", 30);
    let child = KillOnDrop(
        against(&emu)
            .args(["send", "--no-journal", "--json", "--concurrency", "4"])
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    emu.wait_for(4);
    interrupt(child.0.id());
    std::thread::sleep(Duration::from_millis(200));
    interrupt(child.0.id());
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
    assert_eq!(emu.received(), 4);
    assert_eq!(
        lines_with(&stdout, "uncertain"),
        [1, 2, 3, 4],
        "lines queued but never sent called uncertain: {stdout}"
    );
    let not_sent = lines_with(&stdout, "not_delivered");
    assert!(
        !not_sent.is_empty() && not_sent.iter().all(|line| *line > 4),
        "the queued lines are not delivered: {stdout}"
    );
}

fn interrupt(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
}
