//! Enqueueing: a bulletin written in the caller's own transaction.

use futures_util::future::BoxFuture;
use sqlx::SqlStr;

use bulletins_http::{Bulletin, BusinessEvent, Payload};

use crate::error::Error;
use crate::table::TableName;

/// Where bulletins are enqueued: the account they go to and the outbox table.
///
/// ```no_run
/// # #[cfg(feature = "sqlite")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use bulletins_http::{Bulletin, DynamicEvent};
/// use bulletins_outbox::{Outbox, Store};
///
/// let pool = sqlx::SqlitePool::connect_with(Store::sqlite_options("sqlite:shop.db")?).await?;
/// Store::sqlite(pool.clone()).migrate().await?;
/// let outbox = Outbox::new("ABCD-RSTU-1234");
///
/// let mut tx = pool.begin().await?;
/// sqlx::query("INSERT INTO orders (id) VALUES (?)").bind("12345").execute(&mut *tx).await?;
/// let event = DynamicEvent::new("order_placed")?.property("order_id", "12345")?;
/// outbox.enqueue(&mut *tx, &Bulletin::new(event, "Order 12345", "shop")).await?;
/// tx.commit().await?; // the bulletin exists only if the order does
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Outbox {
    account: String,
    table: TableName,
    /// The insert statement for each database, written by its store the first time this
    /// outbox enqueues there, then reused.
    #[cfg(feature = "sqlite")]
    pub(crate) sqlite_insert: std::sync::OnceLock<SqlStr>,
    #[cfg(feature = "postgres")]
    pub(crate) postgres_insert: std::sync::OnceLock<SqlStr>,
}

impl Outbox {
    /// Enqueues for CleverTap account `account` into the default table. A relay delivers the
    /// rows of its own client's account.
    pub fn new(account: impl Into<String>) -> Self {
        Self::build(account.into(), TableName::default())
    }

    fn build(account: String, table: TableName) -> Self {
        Self {
            account,
            #[cfg(feature = "sqlite")]
            sqlite_insert: std::sync::OnceLock::new(),
            #[cfg(feature = "postgres")]
            postgres_insert: std::sync::OnceLock::new(),
            table,
        }
    }

    /// Uses table `table` instead of `bulletins_outbox` (the relay's [`Store`](crate::Store)
    /// must use the same).
    #[must_use]
    pub fn with_table(self, table: TableName) -> Self {
        Self::build(self.account, table)
    }

    /// The account bulletins are enqueued for.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The table.
    pub fn table(&self) -> &TableName {
        &self.table
    }

    /// Validates `bulletin` and, if it is valid, stores its JSON payload for this outbox's
    /// account on `conn` — normally `&mut *tx`, the transaction that makes the change the
    /// bulletin announces, so the bulletin is committed or rolled back with it. Returns the
    /// row's id. On PostgreSQL it also notifies waiting relays, at commit.
    ///
    /// On SQLite, a transaction that reads before it writes should begin with
    /// `pool.begin_with("BEGIN IMMEDIATE")`, or its first write may fail with `SQLITE_BUSY`
    /// when another connection wrote in between.
    ///
    /// # Errors
    /// [`Error::Invalid`] if the bulletin breaks one of CleverTap's rules (nothing is stored);
    /// [`Error::Database`] if the insert fails (roll the transaction back).
    pub async fn enqueue<C, E>(
        &self,
        conn: &mut C,
        bulletin: &Bulletin<'_, E>,
    ) -> Result<i64, Error>
    where
        C: OutboxConnection + ?Sized,
        E: BusinessEvent,
    {
        let payload = bulletin.to_payload().map_err(Error::Invalid)?;
        self.enqueue_payload(conn, &payload).await
    }

    /// Stores a [`Payload`] as [`Self::enqueue`] stores a bulletin's: its bytes, which the
    /// relay sends as they are. Returns the row's id.
    ///
    /// # Errors
    /// [`Error::Database`] if the insert fails (roll the transaction back).
    pub async fn enqueue_payload<C>(&self, conn: &mut C, payload: &Payload) -> Result<i64, Error>
    where
        C: OutboxConnection + ?Sized,
    {
        // A payload is checked JSON, so UTF-8.
        let body = String::from_utf8_lossy(payload.as_bytes()).into_owned();
        Ok(conn.insert_row(self, payload.event(), body).await?)
    }
}

/// Implemented beside each backend (`store/sqlite.rs`, `store/postgres.rs`).
pub(crate) mod sealed {
    pub trait Sealed {}
}

/// A connection [`Outbox::enqueue`] can write on: `sqlx::SqliteConnection` or
/// `sqlx::PgConnection`, which is what `&mut *tx` gives for a transaction on either.
pub trait OutboxConnection: sealed::Sealed + Send {
    #[doc(hidden)]
    fn insert_row<'a>(
        &'a mut self,
        outbox: &'a Outbox,
        event: &'a str,
        body: String,
    ) -> BoxFuture<'a, Result<i64, sqlx::Error>>;
}
