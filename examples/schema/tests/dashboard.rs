//! `bulletins.json` is what the compiled events write: every event, with the same properties,
//! required the same way, in the same order. A snapshot test (`dashboard::expect_file`): when
//! it fails it lists what writing the file would change, and which of those changes break a
//! service raising the event.
//!
//! After changing an event on purpose, write the file from the compiled schemas with
//! `BULLETINS_UPDATE_DASHBOARD=1 cargo test -p bulletins-example-schema --test dashboard`,
//! then read its diff (and `bulletins dashboard breaking bulletins.json --against HEAD`).

use std::path::Path;

use bulletins_core::dashboard::{self, Dashboard};
use bulletins_example_schema::{DASHBOARD, SCHEMAS};

#[test]
fn bulletins_json_is_what_the_compiled_events_write() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bulletins.json");
    dashboard::expect_file(&dashboard::from_schemas(SCHEMAS), &path)
        .unwrap_or_else(|stale| panic!("{stale}"));
}

#[test]
fn the_embedded_text_is_the_file() {
    let embedded: Dashboard = DASHBOARD.parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(embedded.events().len(), SCHEMAS.len());
}
