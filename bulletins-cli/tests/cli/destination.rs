//! A journal belongs to one destination: a rehearsal against the emulator never makes the real
//! send report "delivered (by an earlier run)" with nothing sent.

use crate::support::{against, expect_code, jsonl, run, Emu, ACCOUNT, PASSCODE};

#[test]
fn a_journal_started_against_one_destination_is_refused_for_another() {
    let rehearsal = Emu::start();
    let production = Emu::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = jsonl(dir.path(), "promo.jsonl", 3);

    let out = run(against(&rehearsal).arg("send").arg(&path));
    expect_code(&out, 0);
    assert_eq!(rehearsal.received(), 3);

    // The same command, pointed at another endpoint, with the same default journal.
    let out = run(against(&production).arg("send").arg(&path));
    assert!(
        !out.stderr.contains("by an earlier run"),
        "nothing was sent there, yet:\n{}",
        out.stderr
    );
    expect_code(&out, 7);
    for url in [rehearsal.base_url(), production.base_url()] {
        assert!(out.stderr.contains(&url), "names {url}:\n{}", out.stderr);
    }
    assert_eq!(production.received(), 0);

    // The same endpoint, another account.
    let other = "WXYZ-RSTU-5678";
    let out = run(against(&rehearsal)
        .env("CLEVERTAP_ACCOUNT_ID", other)
        .arg("send")
        .arg(&path));
    expect_code(&out, 7);
    for account in [ACCOUNT, other] {
        assert!(
            out.stderr.contains(account),
            "names {account}:\n{}",
            out.stderr
        );
    }
    assert_eq!(rehearsal.received(), 3);

    // The journal names where its lines went, never the passcode; its own destination resumes.
    let journal = std::fs::read_to_string(dir.path().join("promo.jsonl.journal")).expect("read");
    let header = journal.lines().next().unwrap_or_default();
    assert!(header.contains(ACCOUNT), "{header}");
    assert!(header.contains(&rehearsal.base_url()), "{header}");
    assert!(!journal.contains(PASSCODE), "{journal}");
    let out = run(against(&rehearsal).arg("send").arg(&path));
    expect_code(&out, 0);
    assert!(out.stderr.contains("by an earlier run"), "{}", out.stderr);
    assert_eq!(rehearsal.received(), 3);

    // Another journal sends the same input to the other destination.
    let out = run(against(&production)
        .arg("send")
        .arg(&path)
        .arg("--journal")
        .arg(dir.path().join("production.journal")));
    expect_code(&out, 0);
    assert_eq!(production.received(), 3);
}
