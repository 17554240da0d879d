//! `bulletins dashboard lint FILE...`: each format and exit code.

use crate::{bulletins, expect_code, run, write_events};

const TYPO: &str = "business events \"order_placd\" and \"order_placed\" (line 3) are 1 edit apart: probably a typo shipped to the dashboard; keep one name";
const STYLE: &str = "business event \"order_placed\": property \"couponCode\" is camelCase, but most property keys in this file are snake_case (2 of 3); keep one style";

fn lint(args: &[&str]) -> (tempfile::TempDir, crate::Run) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_events(
        dir.path(),
        "bulletins.json",
        &[
            r#"{"name": "order_placed", "properties": ["order_id", "store_id", "couponCode"]}"#,
            r#"{"name": "order_placd"}"#,
        ],
    );
    let out = run(bulletins()
        .current_dir(dir.path())
        .args(["dashboard", "lint", "bulletins.json"])
        .args(args));
    (dir, out)
}

#[test]
fn likely_mistakes_are_warnings_that_fail_only_from_fail_on_warning() {
    let (_dir, out) = lint(&[]);
    expect_code(&out, 0);
    assert_eq!(
        out.stdout,
        format!(
            "warning (2)\n  bulletins.json:3:69: {STYLE} [mixed-naming-styles]\n  bulletins.json:4:14: {TYPO} [similar-event-names]\n"
        )
    );
    assert_eq!(out.stderr, "0 errors, 2 warnings, 0 info\n");
    let (_dir, out) = lint(&["--fail-on", "warning"]);
    expect_code(&out, 8);
    assert_eq!(
        out.stderr,
        "0 errors, 2 warnings, 0 info\nerror: 2 findings at or above --fail-on warning\n"
    );
}

#[test]
fn json_and_github_formats() {
    let (_dir, out) = lint(&["--format", "json"]);
    expect_code(&out, 0);
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[1],
        serde_json::json!({
            "file": "bulletins.json", "line": 4, "column": 14, "level": "warning",
            "rule": "similar-event-names", "event": "order_placd", "property": null,
            "message": TYPO,
        })
    );
    let (_dir, out) = lint(&["--format", "github"]);
    expect_code(&out, 0);
    assert_eq!(
        out.stdout,
        format!(
            "::warning file=bulletins.json,line=3,col=69,title=mixed-naming-styles::{STYLE}\n\
             ::warning file=bulletins.json,line=4,col=14,title=similar-event-names::{TYPO}\n"
        )
    );
}

#[test]
fn a_refused_file_is_an_error_finding_and_an_unreadable_one_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clean = write_events(dir.path(), "clean.json", &[r#"{"name": "order_placed"}"#]);
    let refused = write_events(
        dir.path(),
        "refused.json",
        &[r#"{"name": "e", "properties": ["a"], "required": ["b"]}"#],
    );
    let out = run(bulletins().current_dir(dir.path()).args([
        "dashboard",
        "lint",
        "clean.json",
        "refused.json",
        "--format",
        "github",
    ]));
    expect_code(&out, 8);
    assert_eq!(
        out.stdout,
        "::error file=refused.json,line=3,col=53,title=invalid-file::business event \"e\": required key \"b\" is not among its `properties`; add it there or remove it from `required`\n"
    );
    assert_eq!(
        out.stderr,
        "1 error, 0 warnings, 0 info\nerror: 1 finding at or above --fail-on error\n"
    );
    let out = run(bulletins().args(["dashboard", "lint"]).arg(&clean));
    expect_code(&out, 0);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("", "no findings\n")
    );

    let out = run(bulletins()
        .args(["dashboard", "lint"])
        .arg(&refused)
        .arg(dir.path().join("missing.json")));
    expect_code(&out, 2);
    assert!(
        out.stderr.starts_with("error: cannot read "),
        "{}",
        out.stderr
    );
    expect_code(&run(bulletins().args(["dashboard", "lint"])), 2);
}
