//! The `bulletins-outbox` binary's handling of bad input: a clear error and exit code, never a
//! panic, and no password in the message.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulletins-outbox"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("CLEVERTAP_ACCOUNT_ID")
        .output()
        .expect("run bulletins-outbox")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_unsupported_database_is_named_without_its_password() {
    let output = run(&["status", "--database", "mysql://admin:hunter2@db/shop"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.starts_with("error: unsupported database URL \"mysql://admin:***@db/shop\""),
        "{text}"
    );
    assert!(
        text.contains("use sqlite:path/to/file.db or postgres://"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_table_name_that_is_not_an_identifier_is_refused() {
    let output = run(&[
        "status",
        "--database",
        "sqlite::memory:",
        "--table",
        "outbox; DROP TABLE orders",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid outbox table name"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn resolve_needs_a_decision_and_a_database() {
    let output = run(&["resolve", "7", "--database", "sqlite::memory:"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--resend"), "{}", stderr(&output));
    let output = run(&[
        "resolve",
        "7",
        "--delivered",
        "--resend",
        "--database",
        "sqlite::memory:",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["uncertain"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--database"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn enqueue_without_an_account_or_a_readable_file_says_so() {
    let output = run(&["enqueue", "--database", "sqlite::memory:", "missing.jsonl"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--account"), "{}", stderr(&output));
    let output = run(&[
        "enqueue",
        "--database",
        "sqlite::memory:",
        "--account",
        "A",
        "/nonexistent/x.jsonl",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with("error: reading /nonexistent/x.jsonl: "),
        "{}",
        stderr(&output)
    );
}

/// Every command but `migrate` on a SQLite file that does not exist: an error naming the path,
/// a non-zero exit, and still no file (a mistyped path must not become a new, empty outbox
/// that `enqueue` fills and no relay reads).
#[test]
fn only_migrate_creates_a_sqlite_database() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("shpo.db");
    let database = format!("sqlite:{}", path.display());
    let backfill = dir.path().join("backfill.jsonl");
    std::fs::write(
        &backfill,
        r#"{"business_event":"order_placed","name":"Backfill 1","properties":{"order_id":"1"},"c-by":"ops","when":1700000000}"#,
    )
    .expect("write");
    let backfill = backfill.to_str().expect("utf8");
    let commands: [&[&str]; 5] = [
        &["status"],
        &["uncertain"],
        &["resolve", "1", "--resend"],
        &["enqueue", "--account", "ABCD-RSTU-1234", backfill],
        &["relay", "--until-empty"],
    ];
    for args in commands {
        let output = Command::new(env!("CARGO_BIN_EXE_bulletins-outbox"))
            .args(args)
            .args(["--database", &database])
            .env_remove("DATABASE_URL")
            .env("CLEVERTAP_ACCOUNT_ID", "ABCD-RSTU-1234")
            .env("CLEVERTAP_PASSCODE", "XXXXXX")
            // Never reached: the database is opened first.
            .env("CLEVERTAP_BASE_URL", "http://127.0.0.1:9")
            .env_remove("CLEVERTAP_REGION")
            .output()
            .expect("run bulletins-outbox");
        let text = stderr(&output);
        assert_ne!(output.status.code(), Some(0), "{args:?}: {output:?}");
        assert!(
            text.contains(&format!("no SQLite database at {}", path.display())),
            "{args:?}: {text}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .filter(|name| name != "backfill.jsonl")
            .collect();
        assert!(left.is_empty(), "{args:?} created {left:?}");
    }

    let output = run(&["migrate", "--database", &database]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(path.exists());
    let output = run(&["status", "--database", &database]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}
