//! A transactional outbox for CleverTap Bulletins.
mod error;
pub mod ops;
mod outbox;
mod payload;
mod relay;
mod sql;
mod state;
mod store;
mod table;

pub use error::Error;
pub use outbox::{Outbox, OutboxConnection};
pub use relay::{Relay, Report};
pub use state::State;
pub use store::*;
pub use table::{InvalidTableName, TableName, DEFAULT_TABLE, MAX_TABLE_NAME_LEN};
