//! The business events of an example company, shared by its services.
//!
//! This is the layout to copy: one crate holds every business event as a typed struct, checked
//! at compile time against CleverTap's rules, and each service that raises them depends on it.
//! The crate depends on `bulletins-core` alone — no HTTP client, no async runtime — so any
//! service, tool or test can use it. When the dashboard changes, this crate changes, and every
//! service that raises the event stops compiling until it sends what the dashboard now needs.
//!
//! `bulletins.json`, beside `Cargo.toml`, is the dashboard as CleverTap defines it: every
//! event here names it (`#[business_event(dashboard = "bulletins.json")]`), so a misspelled
//! event or a missing required property fails the build, and the required properties come from
//! the file. The services' tests serve the same file from the emulator, and
//! `tests/dashboard.rs` fails when an event here is missing from the file or disagrees with it.
//! `tests/ui.rs` pins the contract from the services' side: trybuild cases of structs a service
//! might write, which must fail to compile (a required property left out, a misspelt event)
//! or compile.

use bulletins_core::{EventSchema, StaticEvent};

pub mod commerce;
pub mod media;

/// The text of `bulletins.json`, for an emulator to serve
/// (`bulletins_emulator::Dashboard::from_json(DASHBOARD)`).
pub const DASHBOARD: &str = include_str!("../bulletins.json");

/// The schema of every event in this crate.
pub const SCHEMAS: &[EventSchema] = &[
    <commerce::OrderPlaced<'static> as StaticEvent>::SCHEMA,
    <commerce::PriceDrop as StaticEvent>::SCHEMA,
    <media::ProgramReleased as StaticEvent>::SCHEMA,
];
