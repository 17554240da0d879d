//! The dashboard file, `bulletins.json`: the business events a CleverTap dashboard defines,
//! checked in beside the code that raises them.
//!
//! ```json
//! {
//!   "business_events": [
//!     { "name": "order_placed",
//!       "properties": ["order_id", "product_category", "coupon_code"],
//!       "required": ["order_id", "product_category"],
//!       "targets": 1 }
//!   ]
//! }
//! ```
//!
//! Each event has a `name` and may list `properties`, the `required` ones among them, and
//! `targets` (what the emulator answers). Two more fields are read only by
//! `bulletins-emulator`: `accounts` (`[{"account_id": "...", "passcode": "..."}]`; a file
//! checked into a repository leaves it out) and `concurrency_limit`. Unknown fields are
//! refused.
//!
//! One parser serves every reader: `#[derive(BusinessEvent)]` checks structs against the
//! file at compile time, `bulletins-core` checks `DynamicEvent`s against it at run time, the
//! emulator serves it, and the `bulletins` CLI validates it. A refused file is reported as
//! `file:line:column: problem`; no message repeats a value from `accounts`.
//!
//! ```
//! use bulletins_dashboard::Dashboard;
//!
//! let dashboard: Dashboard = r#"{ "business_events": [
//!     { "name": "Program Released",
//!       "properties": ["program_id", "language"], "required": ["program_id"] }
//! ] }"#.parse()?;
//! let event = dashboard.event("Program Released").expect("defined");
//! assert!(event.is_required("program_id"));
//! assert_eq!(dashboard.closest_event_names("Program Releasd", 3), ["Program Released"]);
//! # Ok::<(), bulletins_dashboard::Error>(())
//! ```
//!
//! The file is also a contract every service compiles against, and this crate reviews changes
//! to it: [`breaking`] compares two versions and says which change breaks whom, [`lint`]
//! finds what the file would be refused for and what is legal but probably wrong, [`starter`]
//! and [`Inference`] write a first file, and [`expect_file`] keeps a file written from code
//! up to date in a snapshot test. Findings name their [`Rule`] (an id and a [`Level`]) and the
//! line and column in the file; the `bulletins dashboard` command line prints them.
//! [`codegen`] writes the Rust module of a dashboard's events: one `#[derive(BusinessEvent)]`
//! struct per event, from the `bulletins dashboard codegen` command or a `build.rs`.
//!
//! This crate does no I/O beyond reading the file ([`Dashboard::from_file`],
//! [`DashboardFile::read`]) and, in [`expect_file`], writing it.

mod breaking;
pub mod codegen;
mod error;
mod file;
mod finding;
mod infer;
mod key;
mod lint;
mod locate;
mod model;
mod read;
mod snapshot;
mod source;
mod style;
mod suggest;

pub use breaking::breaking;
pub use error::{AccountProblem, Error, ErrorKind};
pub use finding::{Finding, Level, Rule};
pub use infer::{starter, Inference, SeenEvent};
pub use key::{check_key, KeyProblem, MAX_KEY_CHARS};
pub use lint::{lint, lint_file};
pub use locate::Position;
pub use model::{Account, Dashboard, EventDefinition};
pub use snapshot::{expect_file, expect_file_or_update, Snapshot, SnapshotError, UPDATE_ENV};
pub use source::DashboardFile;
pub use suggest::closest;

/// The compile-time environment variable naming the dashboard file for
/// `#[derive(BusinessEvent)]`: absolute, or relative to the crate's manifest directory.
pub const DASHBOARD_ENV: &str = "BULLETINS_DASHBOARD";

#[cfg(test)]
mod tests;
