//! The PostgreSQL store: claims skip the rows another relay is claiming (`FOR UPDATE SKIP
//! LOCKED`), lists of rows travel as arrays, the relay's usual step is one statement, and
//! `NOTIFY` wakes the relays `LISTEN`ing on the table's name.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream;
use sqlx::postgres::{PgConnection, PgListener, PgPool, PgPoolOptions, PgQueryResult};
use sqlx::Postgres;

use super::backend::{Backend, Delivered, Notices, Statement};
use super::Store;
use crate::error::Error;
use crate::outbox::sealed::Sealed;
use crate::sql::Dialect;
use crate::table::TableName;
use crate::{Outbox, OutboxConnection};

pub(crate) static DIALECT: Dialect = Dialect {
    // `clock_timestamp()` is volatile, so every comparison with it was a filter (a purge read
    // the whole table); `statement_timestamp()` is stable, so comparisons are index conditions.
    now: "(EXTRACT(EPOCH FROM statement_timestamp()) * 1000)::BIGINT",
    parameter: "$",
    // Relays never wait for each other's rows.
    skip_locked: "FOR UPDATE SKIP LOCKED",
    // One statement, one round trip.
    claim_in_transaction: false,
    // `NOTIFY` wakes an idle relay; polling only backs it up.
    poll_interval: Duration::from_secs(30),
    schema: include_str!("../../sql/postgres.sql"),
    catalog: "SELECT TRUE, lower($1) WHERE to_regclass($1) IS NOT NULL \
        UNION ALL SELECT FALSE, c.relname::TEXT FROM pg_catalog.pg_index i \
        JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass($1)",
    // NOTIFY inside the caller's transaction: delivered at commit, dropped on rollback.
    insert: "INSERT INTO {t} (account, event, body) SELECT $1, $2, $3 \
        FROM (SELECT pg_notify('{t}', '')) AS notified RETURNING id",
    // Many rows in one statement, read from arrays; each row still guarded by its own claim
    // token and state.
    mark_sending_many:
        "UPDATE {t} SET state = 'sending', sent_at = {now}, lease_until = {now} + $3 \
        WHERE id = ANY($1) AND claim_token = $2 \
        AND state = 'claimed' AND lease_until > {now} RETURNING id",
    delivered_many:
        "UPDATE {t} AS r SET state = 'delivered', targets = o.targets, finished_at = {now}, \
        lease_until = NULL, last_error = NULL \
        FROM unnest($1::BIGINT[], $2::TEXT[], $3::BIGINT[]) AS o(id, token, targets) \
        WHERE r.id = o.id AND r.claim_token = o.token \
        AND r.state IN ('sending', 'uncertain') RETURNING r.id",
    // One statement, so one round trip and one commit, for the relay's usual step: answers
    // that were all deliveries, and the next rows (each with its token) to mark `sending`.
    deliver_and_mark: Some(
        "WITH done AS (\
           UPDATE {t} AS r SET state = 'delivered', targets = o.targets, finished_at = {now}, \
           lease_until = NULL, last_error = NULL \
           FROM unnest($1::BIGINT[], $2::TEXT[], $3::BIGINT[]) AS o(id, token, targets) \
           WHERE r.id = o.id AND r.claim_token = o.token \
           AND r.state IN ('sending', 'uncertain') RETURNING r.id), \
         marked AS (\
           UPDATE {t} AS r SET state = 'sending', sent_at = {now}, lease_until = {now} + $6 \
           FROM unnest($4::BIGINT[], $5::TEXT[]) AS o(id, token) \
           WHERE r.id = o.id AND r.claim_token = o.token \
           AND r.state = 'claimed' AND r.lease_until > {now} RETURNING r.id) \
         SELECT TRUE, id FROM done UNION ALL SELECT FALSE, id FROM marked",
    ),
    notify: Some("SELECT pg_notify($1, '')"),
    // Two services starting at once must not race on CREATE ... IF NOT EXISTS.
    lock_schema: Some("SELECT pg_advisory_xact_lock(hashtext($1))"),
};

impl Backend for Postgres {
    const BEGIN: &'static str = "BEGIN";

    fn rows_affected(done: &PgQueryResult) -> u64 {
        done.rows_affected()
    }

    fn bind_ids<'q>(query: Statement<'q, Self>, ids: &[i64]) -> Statement<'q, Self> {
        query.bind(ids)
    }

    fn bind_delivered<'q>(
        query: Statement<'q, Self>,
        rows: &[Delivered<'_>],
    ) -> Statement<'q, Self> {
        query
            .bind(rows.iter().map(|r| r.0).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.1).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.2).collect::<Vec<_>>())
    }

    fn bind_sends<'q>(
        query: Statement<'q, Self>,
        sends: &[(Arc<str>, Vec<i64>)],
    ) -> Statement<'q, Self> {
        let (mut ids, mut tokens) = (Vec::new(), Vec::<&str>::new());
        for (token, send) in sends {
            ids.extend_from_slice(send);
            tokens.extend(send.iter().map(|_| &**token));
        }
        query.bind(ids).bind(tokens)
    }

    async fn listen(pool: &PgPool, channel: &str) -> Result<Option<Notices>, sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(channel).await?;
        // `recv` reconnects after a failure, so the stream goes on.
        let notices = stream::unfold(listener, |mut listener| async move {
            Some((listener.recv().await.map(drop), listener))
        });
        Ok(Some(Box::pin(notices)))
    }
}

impl Sealed for PgConnection {}

impl OutboxConnection for PgConnection {
    fn insert_row<'a>(
        &'a mut self,
        outbox: &'a Outbox,
        event: &'a str,
        body: String,
    ) -> BoxFuture<'a, Result<i64, sqlx::Error>> {
        Box::pin(Postgres::insert(
            self,
            outbox
                .postgres_insert
                .get_or_init(|| DIALECT.insert_into(outbox.table())),
            outbox.account(),
            event,
            body,
        ))
    }
}

impl Store {
    /// A store on an existing PostgreSQL pool, using the default table.
    pub fn postgres(pool: PgPool) -> Self {
        Self::new(Arc::new(pool), &DIALECT, TableName::default())
    }
}

/// Connects to the PostgreSQL database at `url`.
pub(super) async fn open(url: &str) -> Result<Store, Error> {
    let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
    Ok(Store::postgres(pool))
}
