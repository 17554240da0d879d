//! `send` sends what it checked: an input replaced or rewritten between the check pass and the
//! send pass is never sent in its new form, and an input that can be read only once (a pipe)
//! is read once.
//!
//! The seam: `--passcode-file` is read after the check pass and before the send pass. Made a
//! FIFO, its open blocks the binary there until the test has changed the input and written
//! the passcode, so the change lands between the passes on every run.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{against, expect_code, payload, run, Emu, KillOnDrop, Run, PASSCODE};

/// The program ids of the checked input; the changed input has 101, 102 and 103.
const CHECKED: [u64; 3] = [1, 2, 3];

fn text(ids: impl IntoIterator<Item = u64>) -> String {
    ids.into_iter().map(|id| payload(id) + "\n").collect()
}

/// Runs `send` on a 3-line input that `change` alters once the check pass is over; returns the
/// run and the program ids the emulator received.
fn send_changing(change: fn(&Path, &str), args: &[&str]) -> (Run, BTreeSet<u64>) {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("promo.jsonl");
    std::fs::write(&path, text(CHECKED)).expect("write the input");
    let passcode = dir.path().join("passcode");
    let made = std::process::Command::new("mkfifo")
        .arg(&passcode)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo");

    let changer = {
        let (path, passcode) = (path.clone(), passcode.clone());
        std::thread::spawn(move || {
            // Returns once the binary opens the passcode file: its check pass is over.
            let mut fifo = std::fs::OpenOptions::new()
                .write(true)
                .open(&passcode)
                .expect("open the FIFO");
            change(&path, &text(101..=103));
            fifo.write_all(format!("{PASSCODE}\n").as_bytes())
                .expect("write the passcode");
        })
    };
    let out = run(against(&emu)
        .arg("send")
        .arg(&path)
        .args(args)
        .arg("--passcode-file")
        .arg(&passcode));
    if !changer.is_finished() {
        // The binary never opened the passcode file: release the thread (opening a FIFO for
        // reading and writing does not wait on Linux), then fail below.
        let _release = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&passcode);
        let _ = changer.join();
        panic!("the passcode file was never read:\n{}", out.stderr);
    }
    changer.join().expect("the input was changed");
    let ids = emu.by_program_id().into_keys().collect();
    (out, ids)
}

/// An editor's save, `mv`, a generator writing a new file over the old name.
fn replace(path: &Path, text: &str) {
    let new = PathBuf::from(format!("{}.new", path.display()));
    std::fs::write(&new, text).expect("write the new input");
    std::fs::rename(&new, path).expect("rename it over the old");
}

/// `cp new.jsonl promo.jsonl`, `>` in a shell: the same file, truncated and written again.
fn rewrite(path: &Path, text: &str) {
    std::fs::write(path, text).expect("rewrite the input");
}

#[test]
fn an_input_replaced_after_the_check_pass_is_sent_as_checked() {
    let (out, ids) = send_changing(replace, &[]);
    expect_code(&out, 0);
    assert_eq!(ids, BTreeSet::from(CHECKED), "{}", out.stderr);
}

#[test]
fn an_input_rewritten_after_the_check_pass_is_not_sent() {
    for args in [&[][..], &["--no-journal"]] {
        let (out, ids) = send_changing(rewrite, args);
        assert!(
            ids.is_subset(&BTreeSet::from(CHECKED)),
            "{args:?}: sent lines that were never checked: {ids:?}\n{}",
            out.stderr
        );
        expect_code(&out, 1);
        assert!(
            out.stderr.contains("changed since it was checked"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

/// `bulletins send <(generate)`: a pipe can be read only once, so it is copied aside and both
/// passes read the copy (opening it again would wait forever for a writer).
#[test]
fn an_input_from_a_pipe_is_read_once_and_sent() {
    let emu = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("generated.jsonl");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, text(CHECKED)).expect("write the pipe"))
    };
    let mut child = KillOnDrop(
        against(&emu)
            .arg("send")
            .arg(&fifo)
            .arg("--journal")
            .arg(dir.path().join("generated.journal"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    // A bound, not a timing: a second open of the pipe would block for ever.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the send hung on the pipe");
        std::thread::sleep(Duration::from_millis(20));
    };
    writer.join().expect("the pipe was read");
    assert_eq!(status.code(), Some(0));
    let ids: BTreeSet<u64> = emu.by_program_id().into_keys().collect();
    assert_eq!(ids, BTreeSet::from(CHECKED));
}
