//! The contract a team pins in its schema crate: a service's struct that leaves out a property
//! `bulletins.json` requires, or misspells an event, does not compile — with the derive's
//! message — and a struct that follows the file does. When the dashboard changes, these cases
//! say which structs break before any service does. The README's "Pinning the contract" block
//! is this file after this header (`examples/tests/readme.rs` checks it).
//!
//! Regenerate the expected messages with `TRYBUILD=overwrite cargo test -p
//! bulletins-example-schema --test ui`, then read the diff of every `.stderr`.

use std::path::Path;

#[test]
fn ui() {
    give_trybuild_the_dashboard();
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/contract/*.rs");
}

/// trybuild builds the cases as a crate of its own, in `<target>/tests/trybuild/<this crate>/`,
/// where the derive resolves `dashboard = "bulletins.json"`: put the file there too (only when
/// it differs, so that two runs never read a half-written copy).
fn give_trybuild_the_dashboard() {
    // Cargo's scratch directory for integration tests is `<target>/tmp`.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("<target>/tmp");
    let cases = target.join("tests/trybuild").join(env!("CARGO_PKG_NAME"));
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("bulletins.json");
    let file = std::fs::read(file).expect("bulletins.json beside Cargo.toml");
    if std::fs::read(cases.join("bulletins.json")).ok() != Some(file.clone()) {
        std::fs::create_dir_all(&cases).expect("trybuild's directory");
        std::fs::write(cases.join("bulletins.json"), file).expect("a copy of bulletins.json");
    }
}
