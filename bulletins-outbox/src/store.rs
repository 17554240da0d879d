//! A store: the outbox table in SQLite or PostgreSQL, and every statement the relay and the
//! operators run on it. Each state change is a short statement guarded by the row's claim token;
//! the relay groups them (many rows per statement, outcomes and the next `sending` marks in one
//! transaction) so that a commit serves many rows. SQLite writes in `BEGIN IMMEDIATE`
//! transactions.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row as _;

use crate::error::Error;
use crate::rows::{
    Claim, ClaimedRow, Outcome, Record, Resolution, Status, Stepped, Swept, UncertainRow,
};
use crate::sql::{Dialect, Queries};
use crate::state::State;
use crate::table::TableName;
use crate::Outbox;
use bulletins_http::Payload;

#[cfg(feature = "postgres")]
use sqlx::postgres::PgPool;
#[cfg(feature = "sqlite")]
use sqlx::sqlite::SqlitePool;

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("bulletins-outbox needs a store: enable the `sqlite` feature, `postgres`, or both");

/// How long a SQLite connection waits for another writer before giving up with `SQLITE_BUSY`.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The outbox table in one database: what [`Relay`](crate::Relay) and the operator commands
/// work on. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    table: TableName,
    pub(crate) sql: Arc<Queries>,
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the store's pool, whichever database it is.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite($p) => $body,
            #[cfg(feature = "postgres")]
            Pool::Postgres($p) => $body,
        }
    };
}

/// The statement recording one row's outcome, bound: delivered binds $3 targets; refused and
/// uncertain $3 error; retry $3 error, $4 backoff.
macro_rules! record_query {
    ($store:expr, $id:expr, $token:expr, $outcome:expr) => {{
        let (sql, error, number) = match $outcome {
            Outcome::Delivered { targets } => (
                $store.sql.delivered.clone(),
                None,
                Some(i64::try_from(*targets).unwrap_or(i64::MAX)),
            ),
            Outcome::Refused(error) => ($store.sql.refused.clone(), Some(error.clone()), None),
            Outcome::Uncertain(error) => ($store.sql.uncertain.clone(), Some(error.clone()), None),
            Outcome::Retry { error, after } => (
                $store.sql.retry.clone(),
                Some(error.clone()),
                Some(millis(*after)),
            ),
        };
        let mut query = sqlx::query(sql).bind($id).bind($token.to_string());
        if let Some(error) = error {
            query = query.bind(error);
        }
        if let Some(number) = number {
            query = query.bind(number);
        }
        query
    }};
}

// Opening a store and setting its schema up (after the macros, which it uses).
mod setup;

#[cfg(feature = "sqlite")]
type SqliteQuery = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;
#[cfg(feature = "postgres")]
type PgQuery = sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments>;

impl Store {
    /// A store on an existing SQLite pool, using the default table. Give the pool
    /// [`Store::sqlite_options`]' settings (WAL, a busy timeout) so that writers wait for each
    /// other instead of failing with `SQLITE_BUSY`.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(pool: SqlitePool) -> Self {
        Self::with_pool(Pool::Sqlite(pool), Dialect::Sqlite, TableName::default())
    }

    /// A store on an existing PostgreSQL pool, using the default table.
    #[cfg(feature = "postgres")]
    pub fn postgres(pool: PgPool) -> Self {
        Self::with_pool(
            Pool::Postgres(pool),
            Dialect::Postgres,
            TableName::default(),
        )
    }

    fn with_pool(pool: Pool, dialect: Dialect, table: TableName) -> Self {
        let sql = Arc::new(Queries::new(dialect, &table));
        Self { pool, table, sql }
    }

    /// Uses table `table` instead of `bulletins_outbox`.
    #[must_use]
    pub fn with_table(self, table: TableName) -> Self {
        let dialect = self.dialect();
        Self::with_pool(self.pool, dialect, table)
    }

    /// The table's name.
    pub fn table(&self) -> &TableName {
        &self.table
    }

    pub(crate) fn dialect(&self) -> Dialect {
        on_dialect(&self.pool)
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Stores `payloads` for `outbox` in one transaction, as [`Outbox::enqueue_payload`] stores
    /// each: all of them, or none if one insert fails. Returns how many were stored. For
    /// backfills; a service enqueues in its own transaction instead.
    ///
    /// # Errors
    /// [`Error::Database`] (nothing is stored).
    pub async fn enqueue_all(&self, outbox: &Outbox, payloads: &[Payload]) -> Result<usize, Error> {
        match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                for payload in payloads {
                    outbox.enqueue_payload(&mut *tx, payload).await?;
                }
                tx.commit().await?;
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for payload in payloads {
                    outbox.enqueue_payload(&mut *tx, payload).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(payloads.len())
    }

    /// Claims up to `limit` due pending rows of `account` for `lease`, under a fresh token.
    ///
    /// PostgreSQL: one `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)`, so relays
    /// never wait for each other's rows. SQLite: the same in a `BEGIN IMMEDIATE` transaction, so
    /// the write lock is taken before reading (no `SQLITE_BUSY` upgrade failure).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn claim(&self, account: &str, limit: u32, lease: Duration) -> Result<Claim, Error> {
        let token: Arc<str> = format!("{:032x}", rand::random::<u128>()).into();
        macro_rules! query {
            () => {
                sqlx::query(self.sql.claim.clone())
                    .bind(token.to_string())
                    .bind(millis(lease))
                    .bind(account.to_owned())
                    .bind(i64::from(limit))
            };
        }
        let rows = match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let rows = query!().fetch_all(&mut *tx).await?;
                tx.commit().await?;
                claimed_rows(&rows)?
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => claimed_rows(&query!().fetch_all(pool).await?)?,
        };
        Ok(Claim { token, rows })
    }

    /// Marks a claimed row `sending`, committed, before its request leaves — only if `token`
    /// still holds it and its lease has not expired; `send_lease` bounds how long the request
    /// may take before the sweeper calls it uncertain. Returns whether it did: `false` means the
    /// lease was lost, and the request must not be sent.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn mark_sending(
        &self,
        id: i64,
        token: &str,
        send_lease: Duration,
    ) -> Result<bool, Error> {
        macro_rules! query {
            () => {
                sqlx::query(self.sql.mark_sending.clone())
                    .bind(id)
                    .bind(token.to_owned())
                    .bind(millis(send_lease))
            };
        }
        let done = on_pool!(&self.pool, pool => query!().execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Records a sent row's outcome, if `token` still holds it. Returns whether it did.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn record(&self, id: i64, token: &str, outcome: &Outcome) -> Result<bool, Error> {
        let done = on_pool!(&self.pool, pool => record_query!(self, id, token, outcome)
            .execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Marks many rows of one claim `sending` in one statement, so one commit, before their
    /// requests leave — each only if `token` still holds it and its lease has not expired.
    /// Returns the ids it marked: only those may be sent.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn mark_sending_many(
        &self,
        token: &str,
        ids: &[i64],
        send_lease: Duration,
    ) -> Result<Vec<i64>, Error> {
        let sends = [(Arc::from(token), ids.to_vec())];
        Ok(self.commit_step(&[], &sends, send_lease).await?.sending)
    }

    /// Records many rows' outcomes in one transaction, each only if `token` still holds it.
    /// Returns, in order, whether each was recorded.
    ///
    /// # Errors
    /// [`Error::Database`]; then none was recorded.
    pub async fn record_many(
        &self,
        token: &str,
        outcomes: &[(i64, Outcome)],
    ) -> Result<Vec<bool>, Error> {
        let token: Arc<str> = Arc::from(token);
        let records: Vec<Record> = outcomes
            .iter()
            .map(|(id, outcome)| Record {
                id: *id,
                token: token.clone(),
                outcome: outcome.clone(),
            })
            .collect();
        Ok(self
            .commit_step(&records, &[], Duration::ZERO)
            .await?
            .recorded)
    }

    /// One transaction: records `records`' outcomes, then marks `sends`' rows `sending`
    /// (token, ids). Every row is guarded by its own token. Nothing is applied if it fails.
    pub(crate) async fn commit_step(
        &self,
        records: &[Record],
        sends: &[(Arc<str>, Vec<i64>)],
        send_lease: Duration,
    ) -> Result<Stepped, Error> {
        let mut stepped = Stepped {
            recorded: vec![false; records.len()],
            sending: Vec::new(),
        };
        if records.is_empty() && sends.iter().all(|(_, ids)| ids.is_empty()) {
            return Ok(stepped);
        }
        let delivered: Vec<(usize, &Record, i64)> = records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r.outcome {
                Outcome::Delivered { targets } => {
                    Some((i, r, i64::try_from(targets).unwrap_or(i64::MAX)))
                }
                _ => None,
            })
            .collect();
        let position: std::collections::HashMap<i64, usize> =
            delivered.iter().map(|(i, r, _)| (r.id, *i)).collect();
        macro_rules! step {
            ($tx:ident, $bind_delivered:expr, $bind_ids:expr) => {{
                if !delivered.is_empty() {
                    let query = $bind_delivered(sqlx::query(self.sql.delivered_many.clone()));
                    for row in query.fetch_all(&mut *$tx).await? {
                        let id: i64 = row.try_get(0)?;
                        if let Some(i) = position.get(&id) {
                            stepped.recorded[*i] = true;
                        }
                    }
                }
                for (i, record) in records.iter().enumerate() {
                    if matches!(record.outcome, Outcome::Delivered { .. }) {
                        continue;
                    }
                    let query = record_query!(self, record.id, &record.token, &record.outcome);
                    stepped.recorded[i] = query.execute(&mut *$tx).await?.rows_affected() == 1;
                }
                for (token, ids) in sends.iter().filter(|(_, ids)| !ids.is_empty()) {
                    let query = $bind_ids(sqlx::query(self.sql.mark_sending_many.clone()), ids)
                        .bind(token.to_string())
                        .bind(millis(send_lease));
                    for row in query.fetch_all(&mut *$tx).await? {
                        stepped.sending.push(row.try_get(0)?);
                    }
                }
                $tx.commit().await?;
            }};
        }
        match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let json = serde_json::to_string(
                    &delivered
                        .iter()
                        .map(|(_, r, targets)| (r.id, &*r.token, *targets))
                        .collect::<Vec<_>>(),
                )
                .unwrap_or_default();
                step!(
                    tx,
                    |q: SqliteQuery| q.bind(json),
                    |q: SqliteQuery, ids: &Vec<i64>| q
                        .bind(serde_json::to_string(ids).unwrap_or_default())
                );
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) if delivered.len() == records.len() => {
                let (ids, tokens, targets) = delivered_columns(&delivered);
                let (mut send_ids, mut send_tokens) = (Vec::new(), Vec::new());
                for (token, ids) in sends {
                    send_ids.extend_from_slice(ids);
                    send_tokens.extend(ids.iter().map(|_| token.to_string()));
                }
                let rows = sqlx::query(self.sql.deliver_and_mark.clone())
                    .bind(ids)
                    .bind(tokens)
                    .bind(targets)
                    .bind(send_ids)
                    .bind(send_tokens)
                    .bind(millis(send_lease))
                    .fetch_all(pool)
                    .await?;
                for row in rows {
                    let (recorded, id): (bool, i64) = (row.try_get(0)?, row.try_get(1)?);
                    if !recorded {
                        stepped.sending.push(id);
                    } else if let Some(i) = position.get(&id) {
                        stepped.recorded[*i] = true;
                    }
                }
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let (ids, tokens, targets) = delivered_columns(&delivered);
                step!(
                    tx,
                    |q: PgQuery| q.bind(ids).bind(tokens).bind(targets),
                    |q: PgQuery, ids: &Vec<i64>| q.bind(ids.clone())
                );
            }
        }
        Ok(stepped)
    }

    /// Sets the lease of each `sending` row (id, token, lease from now) whose token still
    /// holds it, in one transaction. Returns how many it changed.
    pub(crate) async fn extend_sending(
        &self,
        leases: &[(i64, Arc<str>, Duration)],
    ) -> Result<u64, Error> {
        if leases.is_empty() {
            return Ok(0);
        }
        macro_rules! extend {
            ($tx:ident) => {{
                let mut changed = 0;
                for (id, token, lease) in leases {
                    changed += sqlx::query(self.sql.extend_sending.clone())
                        .bind(*id)
                        .bind(token.to_string())
                        .bind(millis(*lease))
                        .execute(&mut *$tx)
                        .await?
                        .rows_affected();
                }
                $tx.commit().await?;
                changed
            }};
        }
        Ok(match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                extend!(tx)
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                extend!(tx)
            }
        })
    }

    /// Hands a claimed row back (pending, due now) if `token` still holds it and it never
    /// reached `sending`. Returns whether it did.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn release(&self, id: i64, token: &str) -> Result<bool, Error> {
        macro_rules! query {
            () => {
                sqlx::query(self.sql.release.clone())
                    .bind(id)
                    .bind(token.to_owned())
            };
        }
        let done = on_pool!(&self.pool, pool => query!().execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Returns expired claims that never reached `sending` to pending, and turns expired
    /// `sending` rows into uncertain (their request may have left).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn sweep(&self) -> Result<Swept, Error> {
        macro_rules! released {
            () => {
                sqlx::query(self.sql.sweep_claimed.clone())
            };
        }
        macro_rules! uncertain {
            () => {
                sqlx::query(self.sql.sweep_sending.clone())
            };
        }
        let (released, uncertain) = on_pool!(&self.pool, pool => (
            released!().execute(pool).await?.rows_affected(),
            uncertain!().execute(pool).await?.rows_affected(),
        ));
        Ok(Swept {
            released,
            uncertain,
        })
    }

    /// Deletes up to `limit` delivered rows older than `retention`. Returns how many.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn purge_delivered(&self, retention: Duration, limit: u32) -> Result<u64, Error> {
        macro_rules! query {
            () => {
                sqlx::query(self.sql.purge.clone())
                    .bind(millis(retention))
                    .bind(i64::from(limit))
            };
        }
        Ok(on_pool!(&self.pool, pool => query!().execute(pool).await?.rows_affected()))
    }

    /// How long until `account`'s next pending row is due (zero if one is due now), or `None`
    /// if it has none.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn next_due(&self, account: &str) -> Result<Option<Duration>, Error> {
        macro_rules! query {
            () => {
                sqlx::query(self.sql.next_due.clone()).bind(account.to_owned())
            };
        }
        let ms: Option<i64> =
            on_pool!(&self.pool, pool => query!().fetch_one(pool).await?.try_get(0)?);
        Ok(ms.map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0))))
    }

    /// How many of `account`'s rows are pending, claimed or sending: not yet finished.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn active(&self, account: &str) -> Result<u64, Error> {
        macro_rules! query {
            () => {
                sqlx::query(self.sql.active.clone()).bind(account.to_owned())
            };
        }
        let n: i64 = on_pool!(&self.pool, pool => query!().fetch_one(pool).await?.try_get(0)?);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Whether any of `account`'s rows is pending, claimed or sending: [`Store::active`] is not
    /// zero, found without counting them (a count reads every pending row's index entry).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn has_active(&self, account: &str) -> Result<bool, Error> {
        macro_rules! query {
            () => {
                sqlx::query(self.sql.has_active.clone()).bind(account.to_owned())
            };
        }
        Ok(on_pool!(&self.pool, pool => query!().fetch_one(pool).await?.try_get(0)?))
    }

    /// Counts by state and the age of the oldest pending row.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn status(&self) -> Result<Status, Error> {
        macro_rules! counts_query {
            () => {
                sqlx::query(self.sql.counts.clone())
            };
        }
        macro_rules! oldest_query {
            () => {
                sqlx::query(self.sql.oldest_pending.clone())
            };
        }
        let (rows, oldest): (Vec<(String, i64)>, Option<i64>) = on_pool!(&self.pool, pool => {
            let rows = counts_query!().fetch_all(pool).await?;
            let rows = rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            (rows, oldest_query!().fetch_one(pool).await?.try_get(0)?)
        });
        let mut counts: BTreeMap<State, u64> = State::ALL.iter().map(|s| (*s, 0)).collect();
        for (state, n) in rows {
            if let Some(state) = State::from_column(&state) {
                counts.insert(state, u64::try_from(n).unwrap_or(0));
            }
        }
        Ok(Status {
            counts,
            oldest_pending_ms: oldest.map(|ms| u64::try_from(ms).unwrap_or(0)),
        })
    }

    /// The uncertain rows, oldest first, at most `limit`.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn uncertain(&self, limit: u32) -> Result<Vec<UncertainRow>, Error> {
        macro_rules! query {
            () => {
                sqlx::query(self.sql.list_uncertain.clone()).bind(i64::from(limit))
            };
        }
        let rows = on_pool!(&self.pool, pool => {
            let rows = query!().fetch_all(pool).await?;
            rows.iter().map(|r| {
                let age: i64 = r.try_get(5)?;
                Ok(UncertainRow {
                    id: r.try_get(0)?,
                    account: r.try_get(1)?,
                    event: r.try_get(2)?,
                    body: r.try_get(3)?,
                    attempts: r.try_get(4)?,
                    age_ms: u64::try_from(age).unwrap_or(0),
                    error: r.try_get(6)?,
                })
            }).collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Applies an operator's decision to uncertain row `id`; [`Resolution::Resend`] also
    /// applies to a refused row, whose cause an operator fixed.
    ///
    /// # Errors
    /// [`Error::NotUncertain`] if there is no such row or it is not uncertain (nor refused,
    /// for a resend);
    /// [`Error::Database`].
    pub async fn resolve(&self, id: i64, resolution: Resolution) -> Result<(), Error> {
        let sql = match resolution {
            Resolution::Delivered => self.sql.resolve_delivered.clone(),
            Resolution::Resend => self.sql.resolve_resend.clone(),
        };
        macro_rules! query {
            () => {
                sqlx::query(sql).bind(id)
            };
        }
        let done = on_pool!(&self.pool, pool => query!().execute(pool).await?.rows_affected());
        if done == 1 {
            #[cfg(feature = "postgres")]
            if let (Pool::Postgres(pool), Resolution::Resend) = (&self.pool, resolution) {
                sqlx::query("SELECT pg_notify($1, '')")
                    .bind(self.table.as_str().to_owned())
                    .execute(pool)
                    .await?;
            }
            return Ok(());
        }
        macro_rules! query {
            () => {
                sqlx::query(self.sql.state_of.clone()).bind(id)
            };
        }
        let state: Option<String> = on_pool!(&self.pool, pool => match query!().fetch_optional(pool).await? {
            Some(row) => Some(row.try_get(0)?),
            None => None,
        });
        Err(Error::NotUncertain { id, state })
    }
}

fn on_dialect(pool: &Pool) -> Dialect {
    match pool {
        #[cfg(feature = "sqlite")]
        Pool::Sqlite(_) => Dialect::Sqlite,
        #[cfg(feature = "postgres")]
        Pool::Postgres(_) => Dialect::Postgres,
    }
}

/// The delivered rows as PostgreSQL's array parameters: ids, claim tokens, targets.
#[cfg(feature = "postgres")]
fn delivered_columns(delivered: &[(usize, &Record, i64)]) -> (Vec<i64>, Vec<String>, Vec<i64>) {
    (
        delivered.iter().map(|(_, r, _)| r.id).collect(),
        delivered
            .iter()
            .map(|(_, r, _)| r.token.to_string())
            .collect(),
        delivered.iter().map(|(_, _, t)| *t).collect(),
    )
}

fn claimed_rows<R: sqlx::Row>(rows: &[R]) -> Result<Vec<ClaimedRow>, sqlx::Error>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter()
        .map(|row| {
            Ok(ClaimedRow {
                id: row.try_get(0)?,
                body: row.try_get(1)?,
                attempts: row.try_get(2)?,
            })
        })
        .collect()
}

/// A duration in whole milliseconds, as the table's times are.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
