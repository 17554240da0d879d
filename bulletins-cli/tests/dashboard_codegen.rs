//! `bulletins dashboard codegen`, driven as a process: the module it prints is the library's,
//! `--out` writes it only when it changes, and `--check` passes, or fails with a unified diff
//! and exit 3, as `cargo fmt --check` does.

use std::path::Path;
use std::process::{Command, Output};

use bulletins_dashboard::codegen::{self, DeriveCrate, Options};
use bulletins_dashboard::Dashboard;

const DASHBOARD: &str = r#"{
  "business_events": [
    { "name": "Program Released",
      "properties": ["program_id", "language", "coupon-code"],
      "required": ["program_id", "language"] }
  ]
}
"#;

fn bulletins(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulletins"))
        .args(args)
        .current_dir(dir)
        .env_remove("BULLETINS_DASHBOARD")
        .output()
        .expect("the binary runs")
}

/// `--check` of `events.rs` beside `bulletins.json`.
const CHECK: &[&str] = &[
    "dashboard",
    "codegen",
    "bulletins.json",
    "--out",
    "events.rs",
    "--check",
];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A directory holding `bulletins.json`.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("bulletins.json"), DASHBOARD).expect("write the dashboard");
    dir
}

fn expected(derive_crate: DeriveCrate) -> String {
    let dashboard: Dashboard = DASHBOARD.parse().expect("a valid dashboard");
    let options = Options::new("bulletins.json").derive_crate(derive_crate);
    codegen::generate(&dashboard, &options).expect("a valid dashboard")
}

#[test]
fn it_prints_the_library_s_module_naming_the_file_as_written() {
    let dir = project();
    let out = bulletins(dir.path(), &["dashboard", "codegen", "./bulletins.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), expected(DeriveCrate::BulletinsCore));
    let out = bulletins(
        dir.path(),
        &[
            "dashboard",
            "codegen",
            "bulletins.json",
            "--crate",
            "bulletins-http",
        ],
    );
    assert_eq!(text(&out.stdout), expected(DeriveCrate::BulletinsHttp));
}

#[test]
fn out_writes_the_module_only_when_it_changes() {
    let dir = project();
    let args = [
        "dashboard",
        "codegen",
        "bulletins.json",
        "--out",
        "events.rs",
    ];
    let out = bulletins(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "wrote events.rs (1 event)\n");
    assert!(out.stdout.is_empty());
    let path = dir.path().join("events.rs");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        expected(DeriveCrate::BulletinsCore)
    );
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let out = bulletins(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "events.rs is up to date (1 event)\n");
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
}

#[test]
fn check_passes_on_an_up_to_date_file_and_writes_nothing() {
    let dir = project();
    let path = dir.path().join("events.rs");
    std::fs::write(&path, expected(DeriveCrate::BulletinsCore)).unwrap();
    let out = bulletins(dir.path(), CHECK);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert_eq!(text(&out.stderr), "events.rs is up to date\n");
}

#[test]
fn check_fails_on_a_stale_file_with_a_unified_diff_and_exit_3() {
    let dir = project();
    let path = dir.path().join("events.rs");
    let stale = expected(DeriveCrate::BulletinsCore).replace(
        "    pub language: String,",
        "    pub language: Option<String>,",
    );
    std::fs::write(&path, &stale).unwrap();
    let out = bulletins(dir.path(), CHECK);
    assert_eq!(out.status.code(), Some(3));
    let diff = text(&out.stdout);
    assert!(
        diff.starts_with("--- a/events.rs\n+++ b/events.rs\n@@ -"),
        "{diff}"
    );
    assert!(diff.contains("\n-    pub language: Option<String>,\n+    pub language: String,\n"));
    assert_eq!(
        text(&out.stderr),
        "error: events.rs is stale: it is not what bulletins.json generates (the diff is on stdout)\n  \
         hint: run `bulletins dashboard codegen bulletins.json --out events.rs` and commit the result\n"
    );
    // Nothing was written.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), stale);
}

#[test]
fn check_fails_on_a_missing_file_and_creates_nothing() {
    let dir = project();
    let out = bulletins(dir.path(), CHECK);
    assert_eq!(out.status.code(), Some(3));
    let diff = text(&out.stdout);
    assert!(diff.contains("\n+pub struct ProgramReleased {\n"), "{diff}");
    assert!(text(&out.stderr).starts_with("error: events.rs is missing: "));
    assert!(!dir.path().join("events.rs").exists());
}

#[test]
fn check_without_out_is_a_usage_error() {
    let dir = project();
    let out = bulletins(
        dir.path(),
        &["dashboard", "codegen", "bulletins.json", "--check"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--out <PATH>"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_unreadable_file_is_exit_2_and_a_refused_one_exit_3_with_its_position() {
    let dir = project();
    let out = bulletins(dir.path(), &["dashboard", "codegen", "missing.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: missing.json: cannot read the dashboard file"));

    std::fs::write(
        dir.path().join("bad.json"),
        "{\n  \"business_events\": [\n    { \"name\": \"a\", \"required\": [\"b\"] }\n  ]\n}\n",
    )
    .unwrap();
    let out = bulletins(dir.path(), &["dashboard", "codegen", "bad.json"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr),
        "error: bad.json:3:33: business event \"a\": required key \"b\" is not among its `properties`; add it there or remove it from `required`\n"
    );
}

#[test]
fn an_unwritable_out_is_exit_1() {
    let dir = project();
    let out = bulletins(
        dir.path(),
        &[
            "dashboard",
            "codegen",
            "bulletins.json",
            "--out",
            "no-such-dir/events.rs",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("error: cannot write no-such-dir/events.rs: "));
}

#[test]
fn help_shows_examples_and_the_exit_codes() {
    let dir = project();
    let out = bulletins(dir.path(), &["dashboard", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout)
        .contains("  bulletins dashboard codegen bulletins.json --out src/events.rs --check\n"));
    let out = bulletins(dir.path(), &["dashboard", "codegen", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(help.contains("--out src/events.rs --check"), "{help}");
    assert!(
        help.contains(
            "  3    FILE is not a valid dashboard file; or (--check) PATH is stale or missing"
        ),
        "{help}"
    );
}
