//! Writes `$OUT_DIR/events.rs`, one `#[derive(BusinessEvent)]` struct per event of
//! `bulletins.json`, which `src/lib.rs` includes. Cargo runs it again when the file changes.

use std::path::PathBuf;

use bulletins_dashboard::{codegen, Dashboard};

fn main() {
    println!("cargo::rerun-if-changed=bulletins.json");
    // A refused file stops the build with its `file:line:column: problem`.
    let dashboard = Dashboard::from_file("bulletins.json").unwrap_or_else(|e| panic!("{e}"));
    let options = codegen::Options::new("bulletins.json");
    let code = codegen::generate(&dashboard, &options).unwrap_or_else(|e| panic!("{e}"));
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let path = out_dir.join("events.rs");
    std::fs::write(&path, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
