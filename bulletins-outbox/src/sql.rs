//! The SQL each store runs, written once with placeholders and specialised per database and
//! table name (which [`TableName`] has already checked to be a plain identifier).

use sqlx::{AssertSqlSafe, SqlSafeStr as _, SqlStr};

use crate::table::{TableName, DEFAULT_TABLE};

/// Which database a statement is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    #[cfg(feature = "sqlite")]
    Sqlite,
    #[cfg(feature = "postgres")]
    Postgres,
}

impl Dialect {
    /// The current time in milliseconds since the UNIX epoch, on the database's clock, fixed
    /// for the statement: a comparison with it must be an index condition. PostgreSQL's
    /// `clock_timestamp()` is volatile, so every comparison with it was a filter (a purge read
    /// the whole table); `statement_timestamp()` is stable. SQLite's `'now'` is fixed per
    /// statement already.
    fn now(self) -> &'static str {
        match self {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
            #[cfg(feature = "postgres")]
            Dialect::Postgres => "(EXTRACT(EPOCH FROM statement_timestamp()) * 1000)::BIGINT",
        }
    }

    /// The shipped schema file.
    pub(crate) fn schema(self) -> &'static str {
        match self {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => include_str!("../sql/sqlite.sql"),
            #[cfg(feature = "postgres")]
            Dialect::Postgres => include_str!("../sql/postgres.sql"),
        }
    }

    /// Row locking for the claim's inner select: Postgres skips rows another relay is claiming;
    /// SQLite has one writer at a time (`BEGIN IMMEDIATE`), so needs none.
    fn skip_locked(self) -> &'static str {
        match self {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => "",
            #[cfg(feature = "postgres")]
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
        }
    }
}

/// Every statement, ready to run.
#[derive(Debug)]
pub(crate) struct Queries {
    pub(crate) schema: String,
    /// The indexes `schema` creates, then those it drops: `migrate` looks them up first.
    pub(crate) schema_indexes: (Vec<String>, Vec<String>),
    /// The table's existence (`$1`: its name), and the names of its indexes (lower case).
    pub(crate) catalog: SqlStr,
    pub(crate) insert: SqlStr,
    pub(crate) claim: SqlStr,
    pub(crate) mark_sending: SqlStr,
    pub(crate) mark_sending_many: SqlStr,
    pub(crate) extend_sending: SqlStr,
    pub(crate) delivered_many: SqlStr,
    /// PostgreSQL only: `delivered_many` and marking rows `sending` as one statement.
    #[cfg(feature = "postgres")]
    pub(crate) deliver_and_mark: SqlStr,
    pub(crate) delivered: SqlStr,
    pub(crate) refused: SqlStr,
    pub(crate) uncertain: SqlStr,
    pub(crate) retry: SqlStr,
    pub(crate) release: SqlStr,
    pub(crate) sweep_claimed: SqlStr,
    pub(crate) sweep_sending: SqlStr,
    pub(crate) purge: SqlStr,
    pub(crate) next_due: SqlStr,
    pub(crate) counts: SqlStr,
    pub(crate) oldest_pending: SqlStr,
    pub(crate) list_uncertain: SqlStr,
    pub(crate) resolve_delivered: SqlStr,
    pub(crate) resolve_resend: SqlStr,
    pub(crate) state_of: SqlStr,
    pub(crate) active: SqlStr,
    pub(crate) has_active: SqlStr,
}

/// Why a relay's lease on a `sending` row ran out: what the sweeper writes into `last_error`.
const LEASE_EXPIRED: &str = "the relay sending it stopped or lost its lease after the request may have left; check CleverTap, then resolve it";

impl Queries {
    pub(crate) fn new(dialect: Dialect, table: &TableName) -> Self {
        let t = table.as_str();
        let now = dialect.now();
        let q = |template: &str| -> SqlStr {
            let mut sql = template.replace("{t}", t).replace("{now}", now);
            if dialect_is_sqlite(dialect) {
                // SQLite numbers its parameters `?1`; Postgres `$1`.
                sql = sql.replace('$', "?");
            }
            AssertSqlSafe(sql).into_sql_str()
        };
        let insert = match dialect {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => {
                q("INSERT INTO {t} (account, event, body) VALUES ($1, $2, $3) RETURNING id")
            }
            // NOTIFY inside the caller's transaction: delivered at commit, dropped on rollback.
            #[cfg(feature = "postgres")]
            Dialect::Postgres => q(&format!(
                "INSERT INTO {{t}} (account, event, body) SELECT $1, $2, $3 \
                 FROM (SELECT pg_notify('{t}', '')) AS notified RETURNING id"
            )),
        };
        // Many rows in one statement: SQLite reads them from a JSON array (`?1`), PostgreSQL from
        // arrays. Every row is still guarded by its own claim token and state.
        let (mark_sending_many, delivered_many) = match dialect {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => (
                q("UPDATE {t} SET state = 'sending', sent_at = {now}, lease_until = {now} + $3 \
                   WHERE id IN (SELECT value FROM json_each($1)) AND claim_token = $2 \
                   AND state = 'claimed' AND lease_until > {now} RETURNING id"),
                q("UPDATE {t} SET state = 'delivered', targets = o.targets, finished_at = {now}, \
                   lease_until = NULL, last_error = NULL \
                   FROM (SELECT value ->> 0 AS id, value ->> 1 AS token, value ->> 2 AS targets \
                         FROM json_each($1)) AS o \
                   WHERE {t}.id = o.id AND {t}.claim_token = o.token \
                   AND {t}.state IN ('sending', 'uncertain') RETURNING {t}.id"),
            ),
            #[cfg(feature = "postgres")]
            Dialect::Postgres => (
                q("UPDATE {t} SET state = 'sending', sent_at = {now}, lease_until = {now} + $3 \
                   WHERE id = ANY($1) AND claim_token = $2 \
                   AND state = 'claimed' AND lease_until > {now} RETURNING id"),
                q("UPDATE {t} AS r SET state = 'delivered', targets = o.targets, finished_at = {now}, \
                   lease_until = NULL, last_error = NULL \
                   FROM unnest($1::BIGINT[], $2::TEXT[], $3::BIGINT[]) AS o(id, token, targets) \
                   WHERE r.id = o.id AND r.claim_token = o.token \
                   AND r.state IN ('sending', 'uncertain') RETURNING r.id"),
            ),
        };
        // One statement, so one round trip and one commit, for the relay's usual step: answers
        // that were all deliveries, and the next rows (each with its token) to mark `sending`.
        #[cfg(feature = "postgres")]
        let deliver_and_mark = q("WITH done AS (\
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
             SELECT TRUE, id FROM done UNION ALL SELECT FALSE, id FROM marked");
        let schema = dialect.schema().replace(DEFAULT_TABLE, t);
        // Catalog reads take no lock on the table, so they never wait for the application.
        let catalog = match dialect {
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => q("SELECT type = 'table', lower(name) FROM sqlite_master \
                 WHERE (type = 'table' AND name = $1 COLLATE NOCASE) \
                 OR (type = 'index' AND tbl_name = $1 COLLATE NOCASE)"),
            #[cfg(feature = "postgres")]
            Dialect::Postgres => q("SELECT TRUE, lower($1) WHERE to_regclass($1) IS NOT NULL \
                 UNION ALL SELECT FALSE, c.relname::TEXT FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass($1)"),
        };
        Self {
            schema_indexes: (
                names_after(&schema, "CREATE INDEX IF NOT EXISTS "),
                names_after(&schema, "DROP INDEX IF EXISTS "),
            ),
            catalog,
            schema,
            #[cfg(feature = "postgres")]
            deliver_and_mark,
            mark_sending_many,
            delivered_many,
            insert,
            // The pick is materialized once: as a plain `IN (subquery)` PostgreSQL may rescan
            // it, and with SKIP LOCKED each rescan picks other rows, so one claim could take
            // far more than its limit (the whole backlog).
            claim: q(&format!(
                "WITH picked AS MATERIALIZED (SELECT id FROM {{t}} \
                   WHERE state = 'pending' AND account = $3 AND available_at <= {{now}} \
                   ORDER BY available_at, id LIMIT $4 {}) \
                 UPDATE {{t}} SET state = 'claimed', claim_token = $1, lease_until = {{now}} + $2, \
                 attempts = attempts + 1 \
                 WHERE state = 'pending' AND id IN (SELECT id FROM picked) \
                 RETURNING id, body, attempts",
                dialect.skip_locked()
            )),
            // The relay renews a `sending` row's lease while its request waits for a slot, and
            // restarts it once the request left: only while its token still holds the row.
            extend_sending: q("UPDATE {t} SET lease_until = {now} + $3 \
                 WHERE id = $1 AND claim_token = $2 AND state = 'sending'"),
            // Only while the lease holds: past it, the sweeper may hand the row to another relay.
            mark_sending: q("UPDATE {t} SET state = 'sending', sent_at = {now}, lease_until = {now} + $3 \
                 WHERE id = $1 AND claim_token = $2 AND state = 'claimed' AND lease_until > {now}"),
            // A relay's answer beats the sweeper's guess, so these also leave `uncertain`.
            delivered: q("UPDATE {t} SET state = 'delivered', targets = $3, finished_at = {now}, \
                 lease_until = NULL, last_error = NULL \
                 WHERE id = $1 AND claim_token = $2 AND state IN ('sending', 'uncertain')"),
            // Also from `claimed`: a stored body that cannot be read is refused without sending.
            refused: q("UPDATE {t} SET state = 'refused', last_error = $3, finished_at = {now}, lease_until = NULL \
                 WHERE id = $1 AND claim_token = $2 AND state IN ('claimed', 'sending', 'uncertain')"),
            uncertain: q("UPDATE {t} SET state = 'uncertain', last_error = $3, finished_at = {now}, lease_until = NULL \
                 WHERE id = $1 AND claim_token = $2 AND state = 'sending'"),
            retry: q("UPDATE {t} SET state = 'pending', last_error = $3, available_at = {now} + $4, \
                 claim_token = NULL, lease_until = NULL, finished_at = NULL \
                 WHERE id = $1 AND claim_token = $2 AND state IN ('sending', 'uncertain')"),
            release: q("UPDATE {t} SET state = 'pending', claim_token = NULL, lease_until = NULL \
                 WHERE id = $1 AND claim_token = $2 AND state = 'claimed'"),
            sweep_claimed: q("UPDATE {t} SET state = 'pending', claim_token = NULL, lease_until = NULL \
                 WHERE state = 'claimed' AND lease_until <= {now}"),
            // The token stays, so the relay, if alive after all, can still record what happened.
            sweep_sending: q(&format!(
                "UPDATE {{t}} SET state = 'uncertain', finished_at = {{now}}, lease_until = NULL, \
                 last_error = '{LEASE_EXPIRED}' WHERE state = 'sending' AND lease_until <= {{now}}"
            )),
            purge: q("DELETE FROM {t} WHERE id IN (SELECT id FROM {t} \
                 WHERE state = 'delivered' AND finished_at < {now} - $1 LIMIT $2)"),
            next_due: q("SELECT MIN(available_at) - {now} FROM {t} WHERE state = 'pending' AND account = $1"),
            // One count per state, each on that state's partial index: a `GROUP BY state`
            // reads the whole table.
            counts: q(&crate::state::State::ALL
                .iter()
                .map(|s| format!("SELECT '{0}', COUNT(*) FROM {{t}} WHERE state = '{0}'", s.as_str()))
                .collect::<Vec<_>>()
                .join(" UNION ALL ")),
            oldest_pending: q("SELECT {now} - MIN(created_at) FROM {t} WHERE state = 'pending'"),
            list_uncertain: q("SELECT id, account, event, body, attempts, \
                 {now} - COALESCE(sent_at, created_at), last_error \
                 FROM {t} WHERE state = 'uncertain' ORDER BY id LIMIT $1"),
            // Operators' decisions; clearing the token keeps a late relay from overwriting them.
            resolve_delivered: q("UPDATE {t} SET state = 'delivered', finished_at = {now}, claim_token = NULL \
                 WHERE id = $1 AND state = 'uncertain'"),
            // A refused row too: an operator who fixed the cause (a passcode, a dashboard event)
            // may send it again.
            resolve_resend: q("UPDATE {t} SET state = 'pending', available_at = {now}, claim_token = NULL, \
                 lease_until = NULL, finished_at = NULL WHERE id = $1 AND state IN ('uncertain', 'refused')"),
            state_of: q("SELECT state FROM {t} WHERE id = $1"),
            // A sum over the states' partial indexes (pending by account; the claimed and
            // sending rows are few), so no index of its own.
            active: q("SELECT (SELECT COUNT(*) FROM {t} WHERE state = 'pending' AND account = $1) \
                 + (SELECT COUNT(*) FROM {t} WHERE state = 'claimed' AND account = $1) \
                 + (SELECT COUNT(*) FROM {t} WHERE state = 'sending' AND account = $1)"),
            // `MIN` over each partial index stops at its first entry whatever the backlog (an
            // `EXISTS` may be planned as a table scan that expects an early match). The columns
            // are never NULL in these states: `available_at` never, `lease_until` from the claim
            // until the row leaves `sending`.
            has_active: q("SELECT (SELECT MIN(available_at) FROM {t} WHERE state = 'pending' AND account = $1) IS NOT NULL \
                 OR (SELECT MIN(lease_until) FROM {t} WHERE state = 'claimed' AND account = $1) IS NOT NULL \
                 OR (SELECT MIN(lease_until) FROM {t} WHERE state = 'sending' AND account = $1) IS NOT NULL"),
        }
    }
}

/// The (lower-case) identifiers that follow `keyword` in `sql`.
fn names_after(sql: &str, keyword: &str) -> Vec<String> {
    sql.match_indices(keyword)
        .filter_map(|(at, _)| {
            let rest = &sql[at + keyword.len()..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
            Some(rest[..end].to_ascii_lowercase())
        })
        .collect()
}

fn dialect_is_sqlite(dialect: Dialect) -> bool {
    match dialect {
        #[cfg(feature = "sqlite")]
        Dialect::Sqlite => true,
        #[cfg(feature = "postgres")]
        Dialect::Postgres => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_name_reaches_every_statement_and_index() {
        let table = TableName::new("shop_outbox").expect("valid");
        #[cfg(feature = "sqlite")]
        let q = Queries::new(Dialect::Sqlite, &table);
        #[cfg(all(feature = "postgres", not(feature = "sqlite")))]
        let q = Queries::new(Dialect::Postgres, &table);
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
