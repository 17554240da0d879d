#![doc = include_str!("../README.md")]
//!
//! # Features
//! - `sqlite` (default): the SQLite store.
//! - `postgres`: the PostgreSQL store.
mod error;
mod outbox;
mod relay;
mod rows;
mod sql;
mod state;
mod store;
mod table;

pub use error::Error;
pub use outbox::{Outbox, OutboxConnection};
pub use relay::{Relay, Report};
pub use rows::{Claim, ClaimedRow, Outcome, Resolution, Status, Swept, UncertainRow};
pub use state::State;
pub use store::{Store, SQLITE_BUSY_TIMEOUT};
pub use table::{InvalidTableName, TableName, DEFAULT_TABLE, MAX_TABLE_NAME_LEN};
// The tests run on both stores whatever features the build asked for (see the dev-dependency).
#[cfg(all(test, feature = "sqlite", feature = "postgres"))]
mod plan_tests;
