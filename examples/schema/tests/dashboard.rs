//! `bulletins.json` and the compiled events agree: every event is in the file, with the same
//! properties and the same required ones.
//!
//! After changing an event on purpose, write the file from the compiled schemas with
//! `BULLETINS_DASHBOARD_OVERWRITE=1 cargo test -p bulletins-example-schema --test dashboard`,
//! then read its diff.

use std::path::Path;

use bulletins_core::dashboard::{self, Dashboard};
use bulletins_example_schema::{DASHBOARD, SCHEMAS};

#[test]
fn bulletins_json_defines_every_event_as_compiled() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bulletins.json");
    if std::env::var_os("BULLETINS_DASHBOARD_OVERWRITE").is_some() {
        let written = dashboard::from_schemas(SCHEMAS).to_json_pretty();
        std::fs::write(&path, written).expect("write bulletins.json");
        return;
    }
    let file = Dashboard::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
    let drift: Vec<String> = dashboard::drift(&file, SCHEMAS)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        drift.is_empty(),
        "bulletins.json and the compiled events disagree:\n{}\n\
         (after an intended change: BULLETINS_DASHBOARD_OVERWRITE=1 cargo test -p bulletins-example-schema --test dashboard)",
        drift.join("\n")
    );
}

#[test]
fn the_embedded_text_is_the_file() {
    let embedded: Dashboard = DASHBOARD.parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(embedded.events().len(), SCHEMAS.len());
}
