//! `bulletins dashboard breaking OLD NEW`: each format, `--fail-on`, colour, usage errors.

use std::path::{Path, PathBuf};

use crate::{bulletins, expect_code, run, write_events};

/// An old and a new file: one event removed, a property made required, one added optional,
/// an event added.
fn pair(dir: &Path) -> (PathBuf, PathBuf) {
    let old = write_events(
        dir,
        "old.json",
        &[
            r#"{"name": "order_placed", "properties": ["order_id", "coupon_code"], "required": ["order_id"]}"#,
            r#"{"name": "Program Released", "properties": ["program_id"], "required": ["program_id"]}"#,
        ],
    );
    let new = write_events(
        dir,
        "new.json",
        &[
            r#"{"name": "order_placed", "properties": ["order_id", "coupon_code", "gift_note"], "required": ["order_id", "coupon_code"]}"#,
            r#"{"name": "Price Drop", "properties": ["product_id"]}"#,
        ],
    );
    (old, new)
}

const REMOVED: &str = "business event \"Program Released\" was removed: every service raising it breaks (CleverTap answers \"Business Event Not Found\"; the derive refuses it)";
const REQUIRED: &str = "business event \"order_placed\": property \"coupon_code\" became required: every service raising the event without it breaks (CleverTap answers \"Property coupon_code missing\")";
const OPTIONAL: &str = "business event \"order_placed\": new optional property \"gift_note\": no service breaks; services may start sending it";
const ADDED: &str =
    "business event \"Price Drop\" was added: no service breaks; services may start raising it";

fn breaking(dir: &Path, args: &[&str]) -> crate::Run {
    let (old, new) = pair(dir);
    run(bulletins()
        .current_dir(dir)
        .args(["dashboard", "breaking"])
        .arg(old.file_name().expect("a name"))
        .arg(new.file_name().expect("a name"))
        .args(args))
}

#[test]
fn text_groups_findings_by_level_and_exits_8_on_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = breaking(dir.path(), &[]);
    expect_code(&out, 8);
    assert_eq!(
        out.stdout,
        format!(
            "error (2)\n  new.json:2:22: {REMOVED} [event-removed]\n  new.json:3:111: {REQUIRED} [property-became-required]\n\
             info (2)\n  new.json:3:72: {OPTIONAL} [new-optional-property]\n  new.json:4:14: {ADDED} [event-added]\n"
        )
    );
    assert_eq!(
        out.stderr,
        "2 errors, 0 warnings, 2 info\nerror: 2 findings at or above --fail-on error\n"
    );
    assert!(!out.stdout.contains('\x1b'), "NO_COLOR: {:?}", out.stdout);
}

#[test]
fn json_is_one_object_per_finding_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = breaking(dir.path(), &["--format", "json"]);
    expect_code(&out, 8);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    let removed: serde_json::Value = serde_json::from_str(lines[0]).expect("JSON");
    assert_eq!(
        removed,
        serde_json::json!({
            "file": "new.json", "line": 2, "column": 22, "level": "error",
            "rule": "event-removed", "event": "Program Released", "property": null,
            "message": REMOVED,
        })
    );
    let optional: serde_json::Value = serde_json::from_str(lines[1]).expect("JSON");
    assert_eq!(
        (&optional["rule"], &optional["level"], &optional["property"]),
        (
            &"new-optional-property".into(),
            &"info".into(),
            &"gift_note".into()
        )
    );
    assert_eq!(
        out.stderr,
        "2 errors, 0 warnings, 2 info\nerror: 2 findings at or above --fail-on error\n"
    );
}

#[test]
fn github_prints_workflow_commands_with_info_as_notices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = breaking(dir.path(), &["--format", "github"]);
    expect_code(&out, 8);
    assert_eq!(
        out.stdout,
        format!(
            "::error file=new.json,line=2,col=22,title=event-removed::{REMOVED}\n\
             ::notice file=new.json,line=3,col=72,title=new-optional-property::{OPTIONAL}\n\
             ::error file=new.json,line=3,col=111,title=property-became-required::{REQUIRED}\n\
             ::notice file=new.json,line=4,col=14,title=event-added::{ADDED}\n"
        )
    );
}

#[test]
fn fail_on_sets_the_least_level_that_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let only_additions = |dir: &Path| {
        let old = write_events(dir, "a.json", &[r#"{"name": "e"}"#]);
        let new = write_events(
            dir,
            "b.json",
            &[r#"{"name": "e", "properties": ["k"]}"#, r#"{"name": "f"}"#],
        );
        (old, new)
    };
    let (old, new) = only_additions(dir.path());
    let with = |args: &[&str]| {
        run(bulletins()
            .args(["dashboard", "breaking"])
            .arg(&old)
            .arg(&new)
            .args(args))
    };
    let out = with(&[]);
    expect_code(&out, 0);
    assert_eq!(out.stderr, "0 errors, 0 warnings, 2 info\n");
    expect_code(&with(&["--fail-on", "warning"]), 0);
    let out = with(&["--fail-on", "info"]);
    expect_code(&out, 8);
    assert!(
        out.stderr
            .ends_with("error: 2 findings at or above --fail-on info\n"),
        "{}",
        out.stderr
    );
    // A file compared with itself: nothing to say.
    let out = run(bulletins()
        .args(["dashboard", "breaking"])
        .arg(&old)
        .arg(&old));
    expect_code(&out, 0);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("", "no findings\n")
    );
}

#[test]
fn warnings_fail_only_from_fail_on_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let old = dir.path().join("old.json");
    std::fs::write(&old, r#"{"business_events": []}"#).expect("write");
    let new = dir.path().join("new.json");
    std::fs::write(
        &new,
        r#"{"accounts": [{"account_id": "A", "passcode": "p"}], "business_events": []}"#,
    )
    .expect("write");
    let with = |fail_on: &str| {
        run(bulletins()
            .args(["dashboard", "breaking", "--fail-on", fail_on])
            .arg(&old)
            .arg(&new))
    };
    let out = with("error");
    expect_code(&out, 0);
    assert!(out.stdout.starts_with("warning (1)\n"), "{}", out.stdout);
    expect_code(&with("warning"), 8);
}

#[test]
fn colour_follows_no_color_and_clicolor_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (old, new) = pair(dir.path());
    let coloured = run(bulletins()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["dashboard", "breaking"])
        .arg(&old)
        .arg(&new));
    expect_code(&coloured, 8);
    assert!(
        coloured.stdout.starts_with("\x1b[1;31merror\x1b[0m (2)\n"),
        "{:?}",
        coloured.stdout
    );
    // Not a terminal and not forced: plain, even without NO_COLOR.
    let piped = run(bulletins()
        .env_remove("NO_COLOR")
        .args(["dashboard", "breaking"])
        .arg(&old)
        .arg(&new));
    assert!(!piped.stdout.contains('\x1b'), "{:?}", piped.stdout);
    // NO_COLOR wins over CLICOLOR_FORCE.
    let both = run(bulletins()
        .env("CLICOLOR_FORCE", "1")
        .args(["dashboard", "breaking"])
        .arg(&old)
        .arg(&new));
    assert!(!both.stdout.contains('\x1b'), "{:?}", both.stdout);
}

#[test]
fn usage_errors_exit_2_and_invalid_files_exit_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (old, new) = pair(dir.path());
    let breaking =
        |args: &[&std::ffi::OsStr]| run(bulletins().args(["dashboard", "breaking"]).args(args));
    let out = breaking(&[old.as_os_str()]);
    expect_code(&out, 2);
    assert_eq!(
        out.stderr,
        "error: give two files, OLD and NEW\n  hint: or compare a file with a git revision: breaking FILE --against origin/main\n"
    );
    let out = breaking(&[
        old.as_os_str(),
        new.as_os_str(),
        "--against".as_ref(),
        "HEAD".as_ref(),
    ]);
    expect_code(&out, 2);
    assert!(out.stderr.contains("give one file"), "{}", out.stderr);
    let missing = dir.path().join("missing.json");
    let out = breaking(&[old.as_os_str(), missing.as_os_str()]);
    expect_code(&out, 2);
    assert!(
        out.stderr.contains("missing.json: cannot read"),
        "{}",
        out.stderr
    );
    expect_code(
        &breaking(&[
            old.as_os_str(),
            new.as_os_str(),
            "--format".as_ref(),
            "xml".as_ref(),
        ]),
        2,
    );
    expect_code(
        &breaking(&[
            old.as_os_str(),
            new.as_os_str(),
            "--fail-on".as_ref(),
            "never".as_ref(),
        ]),
        2,
    );

    let refused = dir.path().join("refused.json");
    std::fs::write(&refused, "{\n  \"business_event\": []\n}\n").expect("write");
    let out = breaking(&[old.as_os_str(), refused.as_os_str()]);
    expect_code(&out, 3);
    assert!(
        out.stderr == format!(
            "error: {}:2:18: unknown field `business_event`, expected one of `accounts`, `concurrency_limit`, `business_events`\n  hint: `bulletins dashboard lint FILE` lists what a file is refused for\n",
            refused.display()
        ),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
}
