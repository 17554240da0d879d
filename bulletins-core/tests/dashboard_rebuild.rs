//! The derive's dashboard check re-runs when only the file (or `BULLETINS_DASHBOARD`) changes:
//! a scratch crate is checked, its dashboard file edited, checked again, restored.
//!
//! The scratch crate lives in cargo's test scratch directory (`target/tmp`) with its own
//! target directory, kept between runs so only the first run compiles the dependencies. It
//! builds offline with the workspace's `Cargo.lock`.

use std::path::{Path, PathBuf};
use std::process::Command;

const DASHBOARD: &str = r#"{ "business_events": [
  { "name": "order_placed", "properties": ["order_id"], "required": ["order_id"] },
  { "name": "invoice_paid", "properties": ["invoice_id"], "required": ["invoice_id"] }
] }
"#;

const MAIN: &str = r#"
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", dashboard = "bulletins.json")]
pub struct OrderPlaced {
    pub order_id: String,
}

// Checked only when BULLETINS_DASHBOARD names a file.
#[derive(BusinessEvent)]
#[business_event(name = "invoice_paid")]
pub struct InvoicePaid {
    pub invoice_id: String,
}

fn main() {}
"#;

fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-rebuild");
    std::fs::create_dir_all(dir.join("src")).expect("scratch directory");
    let core = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = format!(
        "[package]\nname = \"dashboard-rebuild\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nbulletins-core = {{ path = {:?} }}\n\n\
         # Not a member of the repository's workspace.\n[workspace]\n",
        core.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("Cargo.toml");
    let lock = core.join("../Cargo.lock");
    std::fs::copy(lock, dir.join("Cargo.lock")).expect("Cargo.lock");
    std::fs::write(dir.join("src/main.rs"), MAIN).expect("main.rs");
    std::fs::write(dir.join("bulletins.json"), DASHBOARD).expect("bulletins.json");
    dir
}

/// `cargo check` of the scratch crate: whether it passed, and its stderr.
fn check(dir: &Path, dashboard_env: Option<&Path>) -> (bool, String) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["check", "--offline", "--quiet", "--color=never"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS");
    match dashboard_env {
        Some(path) => command.env("BULLETINS_DASHBOARD", path),
        None => command.env_remove("BULLETINS_DASHBOARD"),
    };
    let output = command.output().expect("cargo runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// One test: both halves build the same scratch crate, one after the other.
#[test]
fn the_check_reruns_when_the_file_or_the_variable_changes() {
    let dir = scratch();
    editing_only_the_dashboard_file_rebuilds_the_check(&dir);
    pointing_the_variable_at_another_file_rebuilds_the_check(&dir);
}

fn editing_only_the_dashboard_file_rebuilds_the_check(dir: &Path) {
    let file = dir.join("bulletins.json");
    let (ok, stderr) = check(dir, None);
    assert!(ok, "the scratch crate should compile:\n{stderr}");

    // The event is renamed on the dashboard: no source file changes.
    std::fs::write(&file, DASHBOARD.replace("order_placed", "order_created")).expect("edit");
    let (ok, stderr) = check(dir, None);
    assert!(!ok, "the edited file should fail the build");
    assert!(
        stderr.contains("business event `order_placed` is not defined in `bulletins.json`"),
        "{stderr}"
    );

    std::fs::write(&file, DASHBOARD).expect("restore");
    let (ok, stderr) = check(dir, None);
    assert!(ok, "the restored file should compile again:\n{stderr}");
}

fn pointing_the_variable_at_another_file_rebuilds_the_check(dir: &Path) {
    let other = dir.join("other-account.json");
    std::fs::write(
        &other,
        r#"{ "business_events": [{ "name": "order_placed", "properties": ["order_id"] }] }"#,
    )
    .expect("other file");
    let (ok, stderr) = check(dir, None);
    assert!(ok, "{stderr}");
    let (ok, stderr) = check(dir, Some(&other));
    assert!(!ok, "the variable's file lacks `invoice_paid`");
    assert!(
        stderr.contains("business event `invoice_paid` is not defined in `other-account.json`"),
        "{stderr}"
    );
    let (ok, stderr) = check(dir, Some(&dir.join("bulletins.json")));
    assert!(ok, "{stderr}");
    let (ok, stderr) = check(dir, None);
    assert!(ok, "{stderr}");
}
