//! The business events of an example company, shared by its services.
//!
//! This is the layout to copy: one crate holds every business event as a typed struct, checked
//! at compile time against CleverTap's rules, and each service that raises them depends on it.
//! The crate depends on `bulletins-core` alone — no HTTP client, no async runtime — so any
//! service, tool or test can use it. When the dashboard changes, this crate changes, and every
//! service that raises the event stops compiling until it sends what the dashboard now needs.

pub mod commerce;
pub mod media;
