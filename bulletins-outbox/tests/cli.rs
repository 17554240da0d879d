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
