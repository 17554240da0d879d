//! A store: the outbox table in SQLite or PostgreSQL, and every statement the relay and the
//! operators run on it. Each state change is a short statement guarded by the row's claim token;
//! the relay groups them (many rows per statement, outcomes and the next `sending` marks in one
//! transaction) so that a commit serves many rows. Each database is a backend of its own
//! (`store/sqlite.rs`, `store/postgres.rs`) behind one trait (`store/backend.rs`); what follows is
//! written once for both.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::rows::{Claim, Outcome, Record, Resolution, Status, Stepped, Swept, UncertainRow};
use crate::sql::{millis, Arg, Dialect, Queries};
use crate::state::State;
use crate::table::TableName;
use crate::Outbox;
use backend::Db;
use bulletins_http::Payload;

pub(crate) use backend::Notices;

pub(crate) mod backend;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
mod setup;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("bulletins-outbox needs a store: enable the `sqlite` feature, `postgres`, or both");

/// How long a SQLite connection waits for another writer before giving up with `SQLITE_BUSY`.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The outbox table in one database: what [`Relay`](crate::Relay) and the operator commands
/// work on. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    db: Arc<dyn Db>,
    table: TableName,
    pub(crate) sql: Arc<Queries>,
}

impl Store {
    /// A store on `db`, whose statements are in `dialect`, using table `table`.
    fn new(db: Arc<dyn Db>, dialect: &'static Dialect, table: TableName) -> Self {
        let sql = Arc::new(Queries::new(dialect, &table));
        Self { db, table, sql }
    }

    /// Uses table `table` instead of `bulletins_outbox`.
    #[must_use]
    pub fn with_table(self, table: TableName) -> Self {
        Self::new(self.db, self.sql.dialect, table)
    }

    /// The table's name.
    pub fn table(&self) -> &TableName {
        &self.table
    }

    /// How long an idle relay waits before it looks for due rows again.
    pub(crate) fn poll_interval(&self) -> Duration {
        self.sql.dialect.poll_interval
    }

    /// Notices of new rows (PostgreSQL's `LISTEN` on the table's name), if the database sends
    /// any.
    pub(crate) async fn listen(&self) -> Result<Option<Notices>, Error> {
        self.db.listen(self.table.as_str()).await
    }

    /// Stores `payloads` for `outbox` in one transaction, as [`Outbox::enqueue_payload`] stores
    /// each: all of them, or none if one insert fails. Returns how many were stored. For
    /// backfills; a service enqueues in its own transaction instead.
    ///
    /// # Errors
    /// [`Error::Database`] (nothing is stored).
    pub async fn enqueue_all(&self, outbox: &Outbox, payloads: &[Payload]) -> Result<usize, Error> {
        self.db.enqueue_all(outbox, payloads).await?;
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
        let args = [
            Arg::Text(&token),
            Arg::Int(millis(lease)),
            Arg::Text(account),
            Arg::Int(i64::from(limit)),
        ];
        let rows = self.db.claim(&self.sql, &args).await?;
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
        let args = [Arg::Int(id), Arg::Text(token), Arg::Int(millis(send_lease))];
        Ok(self.db.execute(&self.sql.mark_sending, &args).await? == 1)
    }

    /// Records a sent row's outcome, if `token` still holds it. Returns whether it did.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn record(&self, id: i64, token: &str, outcome: &Outcome) -> Result<bool, Error> {
        let (sql, args) = self.sql.record(id, token, outcome);
        Ok(self.db.execute(sql, &args).await? == 1)
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
        (self.db)
            .commit_step(&self.sql, records, sends, send_lease)
            .await
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
        let each: Vec<Vec<Arg<'_>>> = leases
            .iter()
            .map(|(id, token, lease)| {
                vec![Arg::Int(*id), Arg::Text(token), Arg::Int(millis(*lease))]
            })
            .collect();
        self.db.execute_all(&self.sql.extend_sending, &each).await
    }

    /// Hands a claimed row back (pending, due now) if `token` still holds it and it never
    /// reached `sending`. Returns whether it did.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn release(&self, id: i64, token: &str) -> Result<bool, Error> {
        let args = [Arg::Int(id), Arg::Text(token)];
        Ok(self.db.execute(&self.sql.release, &args).await? == 1)
    }

    /// Returns expired claims that never reached `sending` to pending, and turns expired
    /// `sending` rows into uncertain (their request may have left).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn sweep(&self) -> Result<Swept, Error> {
        Ok(Swept {
            released: self.db.execute(&self.sql.sweep_claimed, &[]).await?,
            uncertain: self.db.execute(&self.sql.sweep_sending, &[]).await?,
        })
    }

    /// Deletes up to `limit` delivered rows older than `retention`. Returns how many.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn purge_delivered(&self, retention: Duration, limit: u32) -> Result<u64, Error> {
        let args = [Arg::Int(millis(retention)), Arg::Int(i64::from(limit))];
        self.db.execute(&self.sql.purge, &args).await
    }

    /// How long until `account`'s next pending row is due (zero if one is due now), or `None`
    /// if it has none.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn next_due(&self, account: &str) -> Result<Option<Duration>, Error> {
        let args = [Arg::Text(account)];
        let ms = self.db.fetch_number(&self.sql.next_due, &args).await?;
        Ok(ms.map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0))))
    }

    /// How many of `account`'s rows are pending, claimed or sending: not yet finished.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn active(&self, account: &str) -> Result<u64, Error> {
        let args = [Arg::Text(account)];
        let n = self.db.fetch_number(&self.sql.active, &args).await?;
        Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    /// Whether any of `account`'s rows is pending, claimed or sending: [`Store::active`] is not
    /// zero, found without counting them (a count reads every pending row's index entry).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn has_active(&self, account: &str) -> Result<bool, Error> {
        let args = [Arg::Text(account)];
        self.db.fetch_bool(&self.sql.has_active, &args).await
    }

    /// Counts by state and the age of the oldest pending row.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn status(&self) -> Result<Status, Error> {
        let rows = self.db.fetch_counts(&self.sql.counts).await?;
        let oldest = self.db.fetch_number(&self.sql.oldest_pending, &[]).await?;
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
        self.db.uncertain(&self.sql, limit).await
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
            Resolution::Delivered => &self.sql.resolve_delivered,
            Resolution::Resend => &self.sql.resolve_resend,
        };
        if self.db.execute(sql, &[Arg::Int(id)]).await? == 1 {
            if let (Some(notify), Resolution::Resend) = (&self.sql.notify, resolution) {
                let channel = [Arg::Text(self.table.as_str())];
                self.db.execute(notify, &channel).await?;
            }
            return Ok(());
        }
        let args = [Arg::Int(id)];
        let state = self.db.fetch_text(&self.sql.state_of, &args).await?;
        Err(Error::NotUncertain { id, state })
    }
}

// Each database's statements, as `Queries` writes them from its dialect.
#[cfg(test)]
mod sql_tests {
    use crate::sql::Queries;
    use crate::table::TableName;

    #[test]
    fn the_table_name_reaches_every_statement_and_index() {
        let table = TableName::new("shop_outbox").expect("valid");
        for dialect in [
            #[cfg(feature = "sqlite")]
            &super::sqlite::DIALECT,
            #[cfg(feature = "postgres")]
            &super::postgres::DIALECT,
        ] {
            the_table_name_reaches(Queries::new(dialect, &table));
        }
    }

    fn the_table_name_reaches(q: Queries) {
        assert!(!q.schema.contains("bulletins_outbox"));
        assert!(q
            .schema
            .contains("CREATE INDEX IF NOT EXISTS shop_outbox_claim"));
        assert!(q.claim.as_str().contains("UPDATE shop_outbox "));
        let (created, dropped) = &q.schema_indexes;
        assert_eq!(created.len(), 6, "{created:?}");
        assert!(
            created.iter().all(|i| i.starts_with("shop_outbox_")),
            "{created:?}"
        );
        assert_eq!(dropped, &["shop_outbox_lease"]);
    }
}
