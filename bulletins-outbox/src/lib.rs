#![doc = include_str!("../README.md")]
//!
//! # Features
//! - `sqlite` (default): the SQLite store.
//! - `postgres`: the PostgreSQL store.
//! - `metrics`: the relay records [its metrics](metrics) (rows by state, the oldest pending
//!   row's age, uncertain rows, claim durations) and the client's through the `metrics`
//!   facade; nothing is recorded until the application installs a recorder.
mod error;
pub mod metrics;
mod outbox;
mod relay;
mod rows;
mod sql;
mod state;
mod store;
mod table;

pub use error::Error;
pub use outbox::{Outbox, OutboxConnection};
pub use relay::{Health, Relay, Report};
pub use rows::{Claim, ClaimedRow, Outcome, Resolution, Status, Swept, UncertainRow};
pub use state::State;
pub use store::{Store, SQLITE_BUSY_TIMEOUT};
pub use table::{InvalidTableName, TableName, DEFAULT_TABLE, MAX_TABLE_NAME_LEN};
// The tests run on both stores whatever features the build asked for (see the dev-dependency).
#[cfg(all(test, feature = "sqlite", feature = "postgres"))]
mod plan_tests;
