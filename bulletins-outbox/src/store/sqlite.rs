//! The SQLite store: one writer at a time, so every transaction that writes begins with
//! `BEGIN IMMEDIATE` (the write lock taken before the first read, never an `SQLITE_BUSY`
//! upgrade failure), and lists of rows travel as one JSON array parameter.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteQueryResult,
};
use sqlx::Sqlite;

use super::backend::{Backend, Delivered, Statement};
use super::{Store, SQLITE_BUSY_TIMEOUT};
use crate::error::Error;
use crate::outbox::sealed::Sealed;
use crate::sql::Dialect;
use crate::table::TableName;
use crate::{Outbox, OutboxConnection};

pub(crate) static DIALECT: Dialect = Dialect {
    // `'now'` is fixed per statement.
    now: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
    parameter: "?",
    // One writer at a time (`BEGIN IMMEDIATE`): no row locks to skip.
    skip_locked: "",
    // So that its write lock is taken before it reads.
    claim_in_transaction: true,
    poll_interval: Duration::from_millis(500),
    schema: include_str!("../../sql/sqlite.sql"),
    catalog: "SELECT type = 'table', lower(name) FROM sqlite_master \
        WHERE (type = 'table' AND name = $1 COLLATE NOCASE) \
        OR (type = 'index' AND tbl_name = $1 COLLATE NOCASE)",
    insert: "INSERT INTO {t} (account, event, body) VALUES ($1, $2, $3) RETURNING id",
    // Many rows in one statement, read from a JSON array (`?1`); each row still guarded by its
    // own claim token and state.
    mark_sending_many:
        "UPDATE {t} SET state = 'sending', sent_at = {now}, lease_until = {now} + $3 \
        WHERE id IN (SELECT value FROM json_each($1)) AND claim_token = $2 \
        AND state = 'claimed' AND lease_until > {now} RETURNING id",
    delivered_many:
        "UPDATE {t} SET state = 'delivered', targets = o.targets, finished_at = {now}, \
        lease_until = NULL, last_error = NULL \
        FROM (SELECT value ->> 0 AS id, value ->> 1 AS token, value ->> 2 AS targets \
              FROM json_each($1)) AS o \
        WHERE {t}.id = o.id AND {t}.claim_token = o.token \
        AND {t}.state IN ('sending', 'uncertain') RETURNING {t}.id",
    deliver_and_mark: None,
    notify: None,
    // `BEGIN IMMEDIATE` serializes `migrate` already.
    lock_schema: None,
};

impl Backend for Sqlite {
    const BEGIN: &'static str = "BEGIN IMMEDIATE";

    fn rows_affected(done: &SqliteQueryResult) -> u64 {
        done.rows_affected()
    }

    fn bind_ids<'q>(query: Statement<'q, Self>, ids: &[i64]) -> Statement<'q, Self> {
        query.bind(serde_json::to_string(ids).unwrap_or_default())
    }

    fn bind_delivered<'q>(
        query: Statement<'q, Self>,
        rows: &[Delivered<'_>],
    ) -> Statement<'q, Self> {
        query.bind(serde_json::to_string(rows).unwrap_or_default())
    }

    // Unused while the dialect has no `deliver_and_mark` (SQLite cannot UPDATE inside a WITH).
    fn bind_sends<'q>(
        query: Statement<'q, Self>,
        sends: &[(Arc<str>, Vec<i64>)],
    ) -> Statement<'q, Self> {
        let rows: Vec<(i64, &str)> = (sends.iter())
            .flat_map(|(token, ids)| ids.iter().map(|id| (*id, &**token)))
            .collect();
        query.bind(serde_json::to_string(&rows).unwrap_or_default())
    }
}

impl Sealed for SqliteConnection {}

impl OutboxConnection for SqliteConnection {
    fn insert_row<'a>(
        &'a mut self,
        outbox: &'a Outbox,
        event: &'a str,
        body: String,
    ) -> BoxFuture<'a, Result<i64, sqlx::Error>> {
        Box::pin(Sqlite::insert(
            self,
            outbox
                .sqlite_insert
                .get_or_init(|| DIALECT.insert_into(outbox.table())),
            outbox.account(),
            event,
            body,
        ))
    }
}

impl Store {
    /// A store on an existing SQLite pool, using the default table. Give the pool
    /// [`Store::sqlite_options`]' settings (WAL, a busy timeout) so that writers wait for each
    /// other instead of failing with `SQLITE_BUSY`.
    pub fn sqlite(pool: SqlitePool) -> Self {
        Self::new(Arc::new(pool), &DIALECT, TableName::default())
    }

    /// The connection settings the outbox expects of a SQLite database, for the application's
    /// own pool: the file created if missing (the application owns its database; the outbox's
    /// own [`Store::connect`] turns that off), WAL (readers never block the writer), and a
    /// [`SQLITE_BUSY_TIMEOUT`] so a writer waits for another instead of failing.
    ///
    /// # Errors
    /// [`Error::Database`] if `url` is not a SQLite URL.
    pub fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, Error> {
        Ok(SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT))
    }
}

/// Opens the SQLite database at `url`, creating a missing file only if `create`.
pub(super) async fn open(url: &str, create: bool) -> Result<Store, Error> {
    let options = Store::sqlite_options(url)?.create_if_missing(create);
    match SqlitePoolOptions::new().connect_with(options.clone()).await {
        Ok(pool) => Ok(Store::sqlite(pool)),
        // Opened without SQLITE_OPEN_CREATE, a missing file fails to open: say so by its path
        // instead of SQLite's "unable to open database file".
        Err(_) if !create && !options.get_filename().exists() => Err(Error::NoDatabase {
            path: options.get_filename().to_path_buf(),
        }),
        Err(error) => Err(error.into()),
    }
}
