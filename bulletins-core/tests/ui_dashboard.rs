//! Compile-time checks of `#[derive(BusinessEvent)]` against a dashboard file, named by the
//! `dashboard` attribute or by `BULLETINS_DASHBOARD`: one rule per case.
//!
//! The derive resolves a relative path against the compiled crate's directory, and trybuild
//! compiles the cases as a crate of its own, under the target directory
//! (`<target>/tests/trybuild/bulletins-core/`), which may be anywhere (`CARGO_TARGET_DIR`, a
//! shared build cache). So the cases name the fixtures as this crate sees them
//! (`tests/ui/dashboard/fixtures/...`), and the test copies the fixtures to the same place in
//! trybuild's crate before it builds the cases: the paths, and the messages that show them, are
//! the same wherever the target directory is.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p bulletins-core --test
//! ui_dashboard`, then read the diff of every `.stderr`.

use std::path::{Path, PathBuf};

/// The fixtures, relative to this crate's directory and to trybuild's.
const FIXTURES: &str = "tests/ui/dashboard/fixtures";

/// One test, so the variable is set and unset in order: trybuild's builds inherit it.
#[test]
fn ui_dashboard() {
    let trybuild_crate = trybuild_crate_dir();
    mirror_fixtures(&trybuild_crate);

    std::env::remove_var("BULLETINS_DASHBOARD");
    {
        let t = trybuild::TestCases::new();
        t.pass("tests/ui/dashboard/pass/*.rs");
        t.compile_fail("tests/ui/dashboard/*.rs");
    }

    // Relative to the crate's directory, as `.cargo/config.toml`'s `[env]` may hand it over.
    std::env::set_var("BULLETINS_DASHBOARD", format!("{FIXTURES}/bulletins.json"));
    {
        let t = trybuild::TestCases::new();
        t.pass("tests/ui/dashboard/env/pass/*.rs");
        t.compile_fail("tests/ui/dashboard/env/*.rs");
    }

    // Absolute, as `[env] ... relative = true` hands it over: still shown relative.
    let missing = trybuild_crate.join("tests/ui/dashboard/no-such.json");
    std::env::set_var("BULLETINS_DASHBOARD", &missing);
    {
        let t = trybuild::TestCases::new();
        t.compile_fail("tests/ui/dashboard/env-missing/*.rs");
    }
    std::env::remove_var("BULLETINS_DASHBOARD");
}

/// The directory of the crate trybuild builds the cases in: `tests/trybuild/<crate>` under the
/// target directory `cargo metadata` reports, found the way trybuild finds it.
fn trybuild_crate_dir() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version=1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let target = metadata["target_directory"]
        .as_str()
        .expect("cargo metadata names the target directory");
    Path::new(target)
        .join("tests/trybuild")
        .join(env!("CARGO_PKG_NAME"))
}

/// Copies this crate's fixtures to the same relative path in trybuild's crate. A file is written
/// only when its content differs, and one deleted here is deleted there too, so that two runs
/// sharing a target directory never see a half-written fixture, and none lingers.
fn mirror_fixtures(trybuild_crate: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES);
    let to = trybuild_crate.join(FIXTURES);
    std::fs::create_dir_all(&to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&from).expect("the fixtures directory") {
        let entry = entry.expect("a fixture");
        let bytes = std::fs::read(entry.path())
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", entry.path().display()));
        let copy = to.join(entry.file_name());
        if std::fs::read(&copy).ok().as_ref() != Some(&bytes) {
            std::fs::write(&copy, &bytes)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", copy.display()));
        }
        names.push(entry.file_name());
    }
    for entry in std::fs::read_dir(&to).expect("the copied fixtures") {
        let entry = entry.expect("a copied fixture");
        if !names.contains(&entry.file_name()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
