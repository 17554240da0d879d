//! The README's "Dashboard changes in review" recipe, end to end: a throwaway git repository
//! with two commits, and `bulletins dashboard breaking FILE --against HEAD~1` run from inside it.

use std::path::Path;
use std::process::Command;

use crate::{bulletins, expect_code, run, write_events};

/// git in `dir`, with no user or system configuration (no signing, no hooks).
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["-c", "user.name=Reviewer", "-c", "user.email=r@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn breaking_against_the_previous_commit_from_anywhere_in_the_repository() {
    let repo = tempfile::tempdir().expect("tempdir");
    let root = repo.path();
    let schema = root.join("crates/schema");
    std::fs::create_dir_all(&schema).expect("mkdir");
    git(root, &["init", "--quiet"]);
    write_events(
        &schema,
        "bulletins.json",
        &[
            r#"{"name": "order_placed", "properties": ["order_id", "coupon_code"], "required": ["order_id"]}"#,
        ],
    );
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "the dashboard"]);
    write_events(
        &schema,
        "bulletins.json",
        &[
            r#"{"name": "order_placed", "properties": ["order_id", "coupon_code"], "required": ["order_id", "coupon_code"]}"#,
        ],
    );
    git(
        root,
        &["commit", "--quiet", "-am", "coupon_code becomes required"],
    );

    // From a directory beside the file's: the path is taken from the repository's root.
    let elsewhere = root.join("crates/service");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    let out = run(bulletins().current_dir(&elsewhere).args([
        "dashboard",
        "breaking",
        "../schema/bulletins.json",
        "--against",
        "HEAD~1",
        "--format",
        "github",
    ]));
    expect_code(&out, 8);
    assert_eq!(
        out.stdout,
        "::error file=crates/schema/bulletins.json,line=3,col=98,title=property-became-required::business event \"order_placed\": property \"coupon_code\" became required: every service raising the event without it breaks (CleverTap answers \"Property coupon_code missing\")\n"
    );
    assert_eq!(
        out.stderr,
        "1 error, 0 warnings, 0 info\nerror: 1 finding at or above --fail-on error\n"
    );
    // Text names the file as it was given.
    let out = run(bulletins().current_dir(&elsewhere).args([
        "dashboard",
        "breaking",
        "../schema/bulletins.json",
        "--against",
        "HEAD~1",
    ]));
    expect_code(&out, 8);
    assert!(
        out.stdout
            .starts_with("error (1)\n  ../schema/bulletins.json:3:98: "),
        "{}",
        out.stdout
    );
    // The file against its own commit: no change.
    let out = run(bulletins().current_dir(&schema).args([
        "dashboard",
        "breaking",
        "bulletins.json",
        "--against",
        "HEAD",
    ]));
    expect_code(&out, 0);
    assert_eq!(out.stderr, "no findings\n");
}

#[test]
fn a_file_new_in_this_change_adds_every_event_and_a_bad_revision_is_a_usage_error() {
    let repo = tempfile::tempdir().expect("tempdir");
    let root = repo.path();
    git(root, &["init", "--quiet"]);
    std::fs::write(root.join("README"), "x").expect("write");
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "first"]);
    write_events(root, "bulletins.json", &[r#"{"name": "order_placed"}"#]);
    git(root, &["add", "."]);
    git(root, &["commit", "--quiet", "-m", "second"]);

    let out = run(bulletins().current_dir(root).args([
        "dashboard",
        "breaking",
        "bulletins.json",
        "--against",
        "HEAD~1",
        "--format",
        "json",
    ]));
    expect_code(&out, 0);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(
        out.stdout.contains(r#""rule":"event-added""#),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stderr,
        "note: bulletins.json did not exist at HEAD~1: every event in it is new\n0 errors, 0 warnings, 1 info\n"
    );

    let out = run(bulletins().current_dir(root).args([
        "dashboard",
        "breaking",
        "bulletins.json",
        "--against",
        "origin/main",
    ]));
    expect_code(&out, 2);
    assert_eq!(
        out.stderr,
        "error: unknown revision \"origin/main\"\n  hint: fetch it first (a shallow CI checkout has no origin/main: git fetch origin main)\n"
    );
    let outside = tempfile::tempdir().expect("tempdir");
    write_events(outside.path(), "bulletins.json", &[]);
    let out = run(bulletins().current_dir(outside.path()).args([
        "dashboard",
        "breaking",
        "bulletins.json",
        "--against",
        "HEAD",
    ]));
    expect_code(&out, 2);
    assert!(
        out.stderr
            .starts_with("error: bulletins.json is not inside a git repository"),
        "{}",
        out.stderr
    );
}
