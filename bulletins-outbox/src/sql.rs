//! The SQL each store runs, written once with placeholders and specialised per database and
//! table name (which [`TableName`] has already checked to be a plain identifier).

use std::time::Duration;

use sqlx::{AssertSqlSafe, SqlSafeStr as _, SqlStr};

use crate::rows::Outcome;
use crate::state::State;
use crate::table::{TableName, DEFAULT_TABLE};

/// What one database does its own way, as data: the SQL text that differs, and two habits.
/// Each backend defines one beside its code (`store/sqlite.rs`, `store/postgres.rs`); every
/// other statement is shared. Templates name the table `{t}` and the clock `{now}`, and number
/// parameters `$1`.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// The current time in milliseconds since the UNIX epoch, on the database's clock, fixed
    /// for the statement: a comparison with it must be an index condition.
    pub(crate) now: &'static str,
    /// What the database numbers its parameters with: `$` (`$1`) or `?` (`?1`).
    pub(crate) parameter: &'static str,
    /// Row locking for the claim's inner select.
    pub(crate) skip_locked: &'static str,
    /// Whether the claim runs in a transaction of its own, or alone.
    pub(crate) claim_in_transaction: bool,
    /// How long an idle relay waits before it looks for due rows again.
    pub(crate) poll_interval: Duration,
    /// The shipped schema file.
    pub(crate) schema: &'static str,
    /// The catalog query: the table's existence (`$1`: its name), and the names of its
    /// indexes (lower case). Catalog reads take no lock on the table.
    pub(crate) catalog: &'static str,
    /// [`Outbox::enqueue`](crate::Outbox::enqueue)'s insert, returning the row's id.
    pub(crate) insert: &'static str,
    /// Marks the rows `sending` whose ids `$1` lists, if claim token `$2` holds them; `$3` is
    /// the lease. Returns their ids.
    pub(crate) mark_sending_many: &'static str,
    /// Records deliveries: each row's id, claim token and targets, in `$1` (and `$2`, `$3`).
    /// Returns the ids of the rows it recorded.
    pub(crate) delivered_many: &'static str,
    /// `delivered_many` and marking rows `sending` as one statement, where the database has it.
    pub(crate) deliver_and_mark: Option<&'static str>,
    /// Wakes the relays listening on channel `$1`, if the database can.
    pub(crate) notify: Option<&'static str>,
    /// Serializes `migrate` between services starting at once (`$1`: a key), if needed.
    pub(crate) lock_schema: Option<&'static str>,
}

/// A statement's parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Int(i64),
    Text(&'a str),
}

/// Every statement, ready to run.
#[derive(Debug)]
pub(crate) struct Queries {
    /// The text it was written from, for the same statements on another table.
    pub(crate) dialect: &'static Dialect,
    pub(crate) schema: String,
    /// The indexes `schema` creates, then those it drops: `migrate` looks them up first.
    pub(crate) schema_indexes: (Vec<String>, Vec<String>),
    pub(crate) catalog: SqlStr,
    pub(crate) claim: SqlStr,
    pub(crate) mark_sending: SqlStr,
    pub(crate) mark_sending_many: SqlStr,
    pub(crate) extend_sending: SqlStr,
    pub(crate) delivered_many: SqlStr,
    pub(crate) deliver_and_mark: Option<SqlStr>,
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
    pub(crate) notify: Option<SqlStr>,
    pub(crate) state_of: SqlStr,
    pub(crate) active: SqlStr,
    pub(crate) has_active: SqlStr,
}

/// Why a relay's lease on a `sending` row ran out: what the sweeper writes into `last_error`.
const LEASE_EXPIRED: &str = "the relay sending it stopped or lost its lease after the request may have left; check CleverTap, then resolve it";

impl Dialect {
    /// `template` for table `table`, in this database's words.
    pub(crate) fn statement(&self, template: &str, table: &TableName) -> SqlStr {
        let sql = template
            .replace("{t}", table.as_str())
            .replace("{now}", self.now)
            .replace('$', self.parameter);
        AssertSqlSafe(sql).into_sql_str()
    }

    /// [`Dialect::insert`] for table `table`.
    pub(crate) fn insert_into(&self, table: &TableName) -> SqlStr {
        self.statement(self.insert, table)
    }
}

impl Queries {
    pub(crate) fn new(dialect: &'static Dialect, table: &TableName) -> Self {
        let q = |template: &str| dialect.statement(template, table);
        let schema = dialect.schema.replace(DEFAULT_TABLE, table.as_str());
        Self {
            dialect,
            schema_indexes: (
                names_after(&schema, "CREATE INDEX IF NOT EXISTS "),
                names_after(&schema, "DROP INDEX IF EXISTS "),
            ),
            schema,
            catalog: q(dialect.catalog),
            mark_sending_many: q(dialect.mark_sending_many),
            delivered_many: q(dialect.delivered_many),
            deliver_and_mark: dialect.deliver_and_mark.map(q),
            notify: dialect.notify.map(q),
            claim: q(&claim(dialect.skip_locked)),
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
            counts: q(&counts()),
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

/// The claim's template, with `skip_locked` in its pick. The pick is materialized once: as a
/// plain `IN (subquery)` PostgreSQL may rescan it, and with SKIP LOCKED each rescan picks other
/// rows, so one claim could take far more than its limit (the whole backlog).
fn claim(skip_locked: &str) -> String {
    format!(
        "WITH picked AS MATERIALIZED (SELECT id FROM {{t}} \
           WHERE state = 'pending' AND account = $3 AND available_at <= {{now}} \
           ORDER BY available_at, id LIMIT $4 {skip_locked}) \
         UPDATE {{t}} SET state = 'claimed', claim_token = $1, lease_until = {{now}} + $2, \
         attempts = attempts + 1 \
         WHERE state = 'pending' AND id IN (SELECT id FROM picked) \
         RETURNING id, body, attempts"
    )
}

/// The counts' template: one count per state, each on that state's partial index (a
/// `GROUP BY state` reads the whole table).
fn counts() -> String {
    (State::ALL.iter())
        .map(|s| {
            format!(
                "SELECT '{0}', COUNT(*) FROM {{t}} WHERE state = '{0}'",
                s.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

impl Queries {
    /// The statement recording one row's outcome, and its parameters: the row's id, its claim
    /// token, then targets (delivered), the error (refused, uncertain), or the error and the
    /// backoff (retry).
    pub(crate) fn record<'a>(
        &'a self,
        id: i64,
        token: &'a str,
        outcome: &'a Outcome,
    ) -> (&'a SqlStr, Vec<Arg<'a>>) {
        let (sql, last) = match outcome {
            Outcome::Delivered { targets } => (&self.delivered, vec![Arg::Int(count(*targets))]),
            Outcome::Refused(error) => (&self.refused, vec![Arg::Text(error)]),
            Outcome::Uncertain(error) => (&self.uncertain, vec![Arg::Text(error)]),
            Outcome::Retry { error, after } => (
                &self.retry,
                vec![Arg::Text(error), Arg::Int(millis(*after))],
            ),
        };
        let mut args = vec![Arg::Int(id), Arg::Text(token)];
        args.extend(last);
        (sql, args)
    }
}

/// A duration in whole milliseconds, as the table's times are.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A count as a column's `BIGINT`.
pub(crate) fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
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
