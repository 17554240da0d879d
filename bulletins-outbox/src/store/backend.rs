//! The one trait each database implements (`sqlite.rs`, `postgres.rs`), and the store's work
//! written once over it: [`Db`], what a [`Store`](super::Store) holds, whichever database it is
//! (as sqlx's `Any` driver erases each driver behind one trait).

use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::query::Query;
use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row as _, SqlStr, Type,
};

use crate::error::Error;
use crate::rows::{ClaimedRow, Outcome, Record, Stepped, UncertainRow};
use crate::sql::{count, millis, Arg, Queries};
use crate::table::TableName;
use crate::{Outbox, OutboxConnection};
use bulletins_http::Payload;

/// A statement of database `B` with its parameters.
pub(crate) type Statement<'q, B> = Query<'q, B, <B as Database>::Arguments>;

/// Rows recorded delivered: id, claim token, targets.
pub(crate) type Delivered<'a> = (i64, &'a str, i64);

/// What one database does its own way in code; what it does differently as data is its
/// [`Dialect`](crate::sql::Dialect). Everything else a store does is written once, in [`Db`]'s
/// implementation. (The bounds are sqlx's, for the statements to run; both databases have
/// them all.)
pub(crate) trait Backend: Database
where
    for<'c> &'c mut Self::Connection: Executor<'c, Database = Self>,
    Self::Arguments: IntoArguments<Self>,
    for<'a> i64: Encode<'a, Self> + Decode<'a, Self> + Type<Self>,
    for<'a> &'a str: Encode<'a, Self> + Type<Self>,
    for<'a> String: Decode<'a, Self> + Type<Self>,
    for<'a> bool: Decode<'a, Self> + Type<Self>,
    usize: ColumnIndex<Self::Row>,
{
    /// Begins a transaction that writes.
    const BEGIN: &'static str;

    /// How many rows a statement changed.
    fn rows_affected(done: &Self::QueryResult) -> u64;

    /// Binds a list of row ids as one parameter.
    fn bind_ids<'q>(query: Statement<'q, Self>, ids: &[i64]) -> Statement<'q, Self>;

    /// Binds the rows recorded delivered, for `Dialect::delivered_many`.
    fn bind_delivered<'q>(
        query: Statement<'q, Self>,
        rows: &[Delivered<'_>],
    ) -> Statement<'q, Self>;

    /// Binds the rows to mark `sending`, each with its claim token, for
    /// `Dialect::deliver_and_mark`.
    fn bind_sends<'q>(
        query: Statement<'q, Self>,
        sends: &[(Arc<str>, Vec<i64>)],
    ) -> Statement<'q, Self>;

    /// `sql` with `args` bound.
    fn query<'q>(sql: &SqlStr, args: &[Arg<'_>]) -> Statement<'q, Self> {
        (args.iter()).fold(sqlx::query(sql.clone()), |query, arg| match *arg {
            Arg::Int(n) => query.bind(n),
            Arg::Text(s) => query.bind(s),
        })
    }

    /// Runs insert `sql` (account, event, body) on `conn`, returning the row's id: the one
    /// insert of [`Outbox::enqueue`], whichever database it is.
    fn insert<'a>(
        conn: &'a mut Self::Connection,
        sql: &'a SqlStr,
        account: &'a str,
        event: &'a str,
        body: String,
    ) -> impl Future<Output = Result<i64, sqlx::Error>> + Send + 'a {
        async move {
            let args = [Arg::Text(account), Arg::Text(event), Arg::Text(&body)];
            Self::query(sql, &args).fetch_one(conn).await?.try_get(0)
        }
    }

    /// Notices of new rows on `channel`, if the database sends any.
    fn listen(
        _pool: &Pool<Self>,
        _channel: &str,
    ) -> impl Future<Output = Result<Option<Notices>, sqlx::Error>> + Send {
        async { Ok(None) }
    }
}

/// A database's notices of new rows (PostgreSQL's `LISTEN`), which wake an idle relay: an
/// error when the connection fails (the next notice waits for it to be back).
pub(crate) type Notices = BoxStream<'static, Result<(), sqlx::Error>>;

/// A pool of one database, its differences erased: the statements a [`Store`](super::Store)
/// runs, with [`Queries`]' text and neutral parameters.
pub(crate) trait Db: Debug + Send + Sync {
    /// Runs `sql`; returns how many rows it changed.
    fn execute<'a>(&'a self, sql: &'a SqlStr, args: &'a [Arg<'a>]) -> Fut<'a, u64>;
    /// Runs `sql` once per parameter list in `each`, in one transaction; returns how many rows
    /// it changed in all.
    fn execute_all<'a>(&'a self, sql: &'a SqlStr, each: &'a [Vec<Arg<'a>>]) -> Fut<'a, u64>;
    /// The first column of `sql`'s one row, a number.
    fn fetch_number<'a>(&'a self, sql: &'a SqlStr, args: &'a [Arg<'a>]) -> Fut<'a, Option<i64>>;
    /// The first column of `sql`'s one row, a boolean.
    fn fetch_bool<'a>(&'a self, sql: &'a SqlStr, args: &'a [Arg<'a>]) -> Fut<'a, bool>;
    /// The first column of `sql`'s row, text, if it returns one.
    fn fetch_text<'a>(&'a self, sql: &'a SqlStr, args: &'a [Arg<'a>]) -> Fut<'a, Option<String>>;
    /// (text, number) per row: [`Queries::counts`].
    fn fetch_counts<'a>(&'a self, sql: &'a SqlStr) -> Fut<'a, Vec<(String, i64)>>;
    /// (is the table, name) per row: [`Queries::catalog`].
    fn fetch_catalog<'a>(&'a self, sql: &'a SqlStr, table: &'a str)
        -> Fut<'a, Vec<(bool, String)>>;
    /// Runs [`Queries::claim`].
    fn claim<'a>(&'a self, sql: &'a Queries, args: &'a [Arg<'a>]) -> Fut<'a, Vec<ClaimedRow>>;
    /// Runs [`Queries::list_uncertain`].
    fn uncertain<'a>(&'a self, sql: &'a Queries, limit: u32) -> Fut<'a, Vec<UncertainRow>>;
    /// One transaction: records `records`' outcomes, then marks `sends`' rows `sending`.
    fn commit_step<'a>(
        &'a self,
        sql: &'a Queries,
        records: &'a [Record],
        sends: &'a [(Arc<str>, Vec<i64>)],
        send_lease: Duration,
    ) -> Fut<'a, Stepped>;
    /// Stores `payloads` for `outbox` in one transaction.
    fn enqueue_all<'a>(&'a self, outbox: &'a Outbox, payloads: &'a [Payload]) -> Fut<'a, ()>;
    /// Runs the schema file in one transaction.
    fn migrate<'a>(&'a self, sql: &'a Queries, table: &'a TableName) -> Fut<'a, ()>;
    /// Notices of new rows on `channel`, if the database sends any.
    fn listen<'a>(&'a self, channel: &'a str) -> Fut<'a, Option<Notices>>;
}

type Fut<'a, T> = BoxFuture<'a, Result<T, Error>>;

/// Each of `rows`, decoded.
fn decode<R, T>(
    rows: &[R],
    decode: impl FnMut(&R) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, Error> {
    Ok(rows.iter().map(decode).collect::<Result<_, _>>()?)
}

impl<B> Db for Pool<B>
where
    B: Backend,
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    B::Connection: OutboxConnection,
    B::Arguments: IntoArguments<B>,
    for<'a> i64: Encode<'a, B> + Decode<'a, B> + Type<B>,
    for<'a> &'a str: Encode<'a, B> + Type<B>,
    for<'a> String: Decode<'a, B> + Type<B>,
    for<'a> bool: Decode<'a, B> + Type<B>,
    usize: ColumnIndex<B::Row>,
{
    fn execute<'a>(&'a self, sql: &'a SqlStr, args: &'a [Arg<'a>]) -> Fut<'a, u64> {
        Box::pin(async move { Ok(B::rows_affected(&B::query(sql, args).execute(self).await?)) })
    }

    fn execute_all<'a>(&'a self, sql: &'a SqlStr, each: &'a [Vec<Arg<'a>>]) -> Fut<'a, u64> {
        Box::pin(async move {
            let mut tx = self.begin_with(B::BEGIN).await?;
            let mut changed = 0;
            for args in each {
                changed += B::rows_affected(&B::query(sql, args).execute(&mut *tx).await?);
            }
            tx.commit().await?;
            Ok(changed)
        })
    }

    fn fetch_number<'a>(&'a self, sql: &'a SqlStr, args: &'a [Arg<'a>]) -> Fut<'a, Option<i64>> {
        Box::pin(async move { Ok(B::query(sql, args).fetch_one(self).await?.try_get(0)?) })
    }

    fn fetch_bool<'a>(&'a self, sql: &'a SqlStr, args: &'a [Arg<'a>]) -> Fut<'a, bool> {
        Box::pin(async move { Ok(B::query(sql, args).fetch_one(self).await?.try_get(0)?) })
    }

    fn fetch_text<'a>(&'a self, sql: &'a SqlStr, args: &'a [Arg<'a>]) -> Fut<'a, Option<String>> {
        Box::pin(async move {
            match B::query(sql, args).fetch_optional(self).await? {
                Some(row) => Ok(row.try_get(0)?),
                None => Ok(None),
            }
        })
    }

    fn fetch_counts<'a>(&'a self, sql: &'a SqlStr) -> Fut<'a, Vec<(String, i64)>> {
        Box::pin(async move {
            let rows = B::query(sql, &[]).fetch_all(self).await?;
            decode(&rows, |r| Ok((r.try_get(0)?, r.try_get(1)?)))
        })
    }

    fn fetch_catalog<'a>(
        &'a self,
        sql: &'a SqlStr,
        table: &'a str,
    ) -> Fut<'a, Vec<(bool, String)>> {
        Box::pin(async move {
            let rows = B::query(sql, &[Arg::Text(table)]).fetch_all(self).await?;
            decode(&rows, |r| Ok((r.try_get(0)?, r.try_get(1)?)))
        })
    }

    fn claim<'a>(&'a self, sql: &'a Queries, args: &'a [Arg<'a>]) -> Fut<'a, Vec<ClaimedRow>> {
        Box::pin(async move {
            let claim = B::query(&sql.claim, args);
            let rows = if sql.dialect.claim_in_transaction {
                let mut tx = self.begin_with(B::BEGIN).await?;
                let rows = claim.fetch_all(&mut *tx).await?;
                tx.commit().await?;
                rows
            } else {
                claim.fetch_all(self).await?
            };
            decode(&rows, |row| {
                Ok(ClaimedRow {
                    id: row.try_get(0)?,
                    body: row.try_get(1)?,
                    attempts: row.try_get(2)?,
                })
            })
        })
    }

    fn uncertain<'a>(&'a self, sql: &'a Queries, limit: u32) -> Fut<'a, Vec<UncertainRow>> {
        Box::pin(async move {
            let list = B::query(&sql.list_uncertain, &[Arg::Int(i64::from(limit))]);
            let rows = list.fetch_all(self).await?;
            decode(&rows, |r| {
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
            })
        })
    }

    fn commit_step<'a>(
        &'a self,
        sql: &'a Queries,
        records: &'a [Record],
        sends: &'a [(Arc<str>, Vec<i64>)],
        send_lease: Duration,
    ) -> Fut<'a, Stepped> {
        Box::pin(async move {
            let mut stepped = Stepped {
                recorded: vec![false; records.len()],
                sending: Vec::new(),
            };
            if records.is_empty() && sends.iter().all(|(_, ids)| ids.is_empty()) {
                return Ok(stepped);
            }
            let mut delivered: Vec<Delivered<'_>> = Vec::new();
            let mut position = HashMap::new();
            for (i, record) in records.iter().enumerate() {
                if let Outcome::Delivered { targets } = record.outcome {
                    delivered.push((record.id, &record.token, count(targets)));
                    position.insert(record.id, i);
                }
            }
            let lease = millis(send_lease);
            // The relay's usual step, all deliveries, in one statement where the database has one.
            if let (Some(one), true) = (&sql.deliver_and_mark, delivered.len() == records.len()) {
                let query = B::bind_delivered(sqlx::query(one.clone()), &delivered);
                let rows = B::bind_sends(query, sends)
                    .bind(lease)
                    .fetch_all(self)
                    .await?;
                for row in rows {
                    let (recorded, id): (bool, i64) = (row.try_get(0)?, row.try_get(1)?);
                    if !recorded {
                        stepped.sending.push(id);
                    } else if let Some(i) = position.get(&id) {
                        stepped.recorded[*i] = true;
                    }
                }
                return Ok(stepped);
            }
            let mut tx = self.begin_with(B::BEGIN).await?;
            if !delivered.is_empty() {
                let query = B::bind_delivered(sqlx::query(sql.delivered_many.clone()), &delivered);
                for row in query.fetch_all(&mut *tx).await? {
                    if let Some(i) = position.get(&row.try_get::<i64, _>(0)?) {
                        stepped.recorded[*i] = true;
                    }
                }
            }
            for (i, record) in records.iter().enumerate() {
                if !matches!(record.outcome, Outcome::Delivered { .. }) {
                    let (statement, args) = sql.record(record.id, &record.token, &record.outcome);
                    let done = B::query(statement, &args).execute(&mut *tx).await?;
                    stepped.recorded[i] = B::rows_affected(&done) == 1;
                }
            }
            for (token, ids) in sends.iter().filter(|(_, ids)| !ids.is_empty()) {
                let query = B::bind_ids(sqlx::query(sql.mark_sending_many.clone()), ids)
                    .bind(&**token)
                    .bind(lease);
                for row in query.fetch_all(&mut *tx).await? {
                    stepped.sending.push(row.try_get(0)?);
                }
            }
            tx.commit().await?;
            Ok(stepped)
        })
    }

    fn enqueue_all<'a>(&'a self, outbox: &'a Outbox, payloads: &'a [Payload]) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut tx = self.begin_with(B::BEGIN).await?;
            for payload in payloads {
                outbox.enqueue_payload(&mut *tx, payload).await?;
            }
            Ok(tx.commit().await?)
        })
    }

    fn migrate<'a>(&'a self, sql: &'a Queries, table: &'a TableName) -> Fut<'a, ()> {
        Box::pin(async move {
            let mut tx = self.begin_with(B::BEGIN).await?;
            if let Some(lock) = sql.dialect.lock_schema {
                sqlx::query(lock)
                    .bind(&*format!("bulletins-outbox:{table}"))
                    .execute(&mut *tx)
                    .await?;
            }
            let schema = sqlx::AssertSqlSafe(sql.schema.clone());
            sqlx::raw_sql(schema).execute(&mut *tx).await?;
            Ok(tx.commit().await?)
        })
    }

    fn listen<'a>(&'a self, channel: &'a str) -> Fut<'a, Option<Notices>> {
        Box::pin(async move { Ok(B::listen(self, channel).await?) })
    }
}
