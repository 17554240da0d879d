//! The query plans of the statements a relay runs on every loop or sweep — the claim, the two
//! sweeps, the purge, and the counts of unfinished rows — on a table holding mostly delivered
//! rows and a backlog in backoff, as a long-running outbox does: each must find its rows through
//! an index, and compare times inside the index, never read the table or filter every row.
//! (Speed itself is measured by `examples/store_scale.rs`, not here.)

use sqlx::{
    AssertSqlSafe, PgPool, Postgres, Row as _, SqlSafeStr as _, SqlStr, Sqlite, SqlitePool,
};

use crate::sql::Arg::{self, Int, Text};
use crate::store::backend::Backend as _;
use crate::store::Store;
use crate::table::TableName;

const ACCOUNT: &str = "ABCD-RSTU-1234";

/// The statements under test, with the values their parameters take.
fn statements(store: &Store) -> Vec<(&'static str, SqlStr, Vec<Arg<'static>>)> {
    let sql = &store.sql;
    let lease = Int(30_000);
    vec![
        (
            "claim",
            sql.claim.clone(),
            vec![Text("token"), lease, Text(ACCOUNT), Int(128)],
        ),
        ("sweep (claimed)", sql.sweep_claimed.clone(), vec![]),
        ("sweep (sending)", sql.sweep_sending.clone(), vec![]),
        (
            "purge",
            sql.purge.clone(),
            vec![Int(7 * 24 * 3_600_000), Int(1000)],
        ),
        ("active", sql.active.clone(), vec![Text(ACCOUNT)]),
        ("has_active", sql.has_active.clone(), vec![Text(ACCOUNT)]),
        ("next_due", sql.next_due.clone(), vec![Text(ACCOUNT)]),
    ]
}

/// Inserts `rows` rows: 80 % delivered in the last hour, 20 % pending in backoff, 50 claimed
/// and 50 sending with leases not yet expired, then has the database gather statistics.
const FILL: &str = "\
    INSERT INTO {t} (account, event, body, state, attempts, created_at, available_at, finished_at, claim_token, lease_until) \
    SELECT '{a}', 'order_placed', '{}', \
      CASE WHEN n <= 50 THEN 'claimed' WHEN n <= 100 THEN 'sending' WHEN n % 5 = 0 THEN 'pending' ELSE 'delivered' END, \
      1, {now} - 3600000 + n, {now} + 3600000 + n, \
      CASE WHEN n > 100 AND n % 5 <> 0 THEN {now} - 3600000 + n END, \
      CASE WHEN n <= 100 THEN 'token' END, CASE WHEN n <= 100 THEN {now} + 60000 END \
    FROM {rows}";

const ROWS: u32 = 20_000;

fn fill_sql(store: &Store, now: &str, rows: &str) -> String {
    FILL.replace("{t}", store.table().as_str())
        .replace("{a}", ACCOUNT)
        .replace("{now}", now)
        .replace("{rows}", rows)
}

/// What is wrong with `plan`, a plan of statement `name` on table `t`, if anything.
fn sqlite_problem(name: &str, t: &str, plan: &str) -> Option<String> {
    for line in plan.lines() {
        let line = line.trim();
        // `SCAN t` reads the table; `SCAN t USING INDEX` reads one (partial) index whole, which
        // a count must, but a statement that compares times must `SEARCH` the index instead.
        let scans_table = line == format!("SCAN {t}");
        let scans_index = line.starts_with(&format!("SCAN {t} USING"));
        let counts = matches!(name, "active" | "status counts");
        if scans_table || (scans_index && !counts) {
            return Some(format!("{name}: `{line}`"));
        }
    }
    None
}

fn postgres_problem(name: &str, plan: &str) -> Option<String> {
    for line in plan.lines() {
        let line = line.trim();
        if line.contains("Seq Scan") {
            return Some(format!("{name}: `{line}`"));
        }
        // A time compared in a filter is compared on every row the index returns: with a
        // volatile clock, on every row of the state (the backlog, every delivered row).
        if line.starts_with("Filter:") && line.contains("timestamp") {
            return Some(format!("{name}: `{line}`"));
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_statements_find_their_rows_through_indexes() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite:{}", dir.path().join("plans.db").display());
    let options = Store::sqlite_options(&url).expect("a SQLite URL");
    let pool = &SqlitePool::connect_with(options).await.expect("sqlite");
    let store = Store::sqlite(pool.clone()).with_table(TableName::new("plans").expect("valid"));
    store.migrate().await.expect("migrate");
    let rows = format!(
        "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {ROWS}) SELECT n FROM s)"
    );
    let fill = fill_sql(
        &store,
        "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
        &rows,
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(fill))
        .execute(pool)
        .await
        .expect("fill");
    let mut all = statements(&store);
    all.push(("status counts", store.sql.counts.clone(), vec![]));
    let mut problems = Vec::new();
    for (name, sql, binds) in all {
        let explain = AssertSqlSafe(format!("EXPLAIN QUERY PLAN {}", sql.as_str()));
        let plan: Vec<String> = Sqlite::query(&explain.into_sql_str(), &binds)
            .fetch_all(pool)
            .await
            .expect("explain")
            .iter()
            .map(|r| r.get::<String, _>(3))
            .collect();
        let plan = plan.join("\n");
        problems.extend(sqlite_problem(name, store.table().as_str(), &plan));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_statements_find_their_rows_through_indexes() {
    let Some(url) = postgres_url("postgres_statements_find_their_rows_through_indexes") else {
        return;
    };
    let table = format!("plans_{}_{:x}", std::process::id(), rand::random::<u32>());
    let pool = &PgPool::connect(&url).await.expect("postgres");
    let store =
        Store::postgres(pool.clone()).with_table(TableName::new(table.clone()).expect("valid"));
    store.migrate().await.expect("migrate");
    let rows = format!("generate_series(1, {ROWS}) AS n");
    let fill = fill_sql(&store, "(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT", &rows);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("{fill}; ANALYZE {table}")))
        .execute(pool)
        .await
        .expect("fill");
    let mut problems = Vec::new();
    // A relay's connection prepares each statement once and runs it many times: PostgreSQL
    // then switches to a generic plan, made without the parameters' values. Both must hold.
    for mode in ["force_custom_plan", "force_generic_plan"] {
        let mut connection = pool.acquire().await.expect("connection");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET plan_cache_mode = {mode}")))
            .execute(&mut *connection)
            .await
            .expect("set");
        for (name, sql, binds) in statements(&store) {
            let explain = AssertSqlSafe(format!("EXPLAIN {}", sql.as_str()));
            let plan: Vec<String> = Postgres::query(&explain.into_sql_str(), &binds)
                .fetch_all(&mut *connection)
                .await
                .expect("explain")
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect();
            let plan = plan.join("\n");
            problems.extend(postgres_problem(&format!("{name} ({mode})"), &plan));
        }
        sqlx::raw_sql("RESET plan_cache_mode")
            .execute(&mut *connection)
            .await
            .expect("reset");
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE {table}")))
        .execute(pool)
        .await
        .expect("drop");
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The test PostgreSQL, or `None` (with the skip printed) when BULLETINS_TEST_DATABASE_URL is
/// unset; under CI=true that is a failure instead.
fn postgres_url(test: &str) -> Option<String> {
    const VAR: &str = "BULLETINS_TEST_DATABASE_URL";
    match std::env::var(VAR) {
        Ok(url) => Some(url),
        Err(_) => {
            let reason = format!(
                "skipping {test}: {VAR} is unset (run `source .ci/services.sh` to start a PostgreSQL and set it)"
            );
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
            eprintln!("{reason}");
            None
        }
    }
}
