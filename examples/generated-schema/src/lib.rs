//! The business events of an example company, generated from the dashboard file.
//!
//! The layout to copy when the dashboard is the source of truth: `bulletins.json`, beside
//! `Cargo.toml`, defines the events; `build.rs` turns it into one `#[derive(BusinessEvent)]`
//! struct per event with `bulletins_dashboard::codegen`; this file includes the result. Nobody
//! writes a struct by hand, and a change to the file changes the structs on the next build: a
//! service that raises an event without a property the file now requires stops compiling.
//!
//! ```
//! use bulletins_core::Bulletin;
//! use bulletins_example_generated_schema::ProgramReleased;
//!
//! let event = ProgramReleased {
//!     program_id: "234567".into(),
//!     language: "Hindi".into(),
//!     prev_program_id: None,
//! };
//! let json = Bulletin::new(event, "Sa Re Ga Ma episode 12", "[email protected]").to_json_vec()?;
//! assert!(json.starts_with(br#"{"business_event":"Program Released""#));
//! # Ok::<(), bulletins_core::BuildError>(())
//! ```
//!
//! To read what was generated: `cat target/debug/build/bulletins-example-generated-schema-*/out/events.rs`,
//! or `bulletins dashboard codegen bulletins.json`, which prints the same module.

include!(concat!(env!("OUT_DIR"), "/events.rs"));

/// The text of `bulletins.json`, for an emulator to serve.
pub const DASHBOARD: &str = include_str!("../bulletins.json");
