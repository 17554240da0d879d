//! The store's housekeeping and claim statements on a large table, for BENCHMARKS.md: loads
//! 1,000,000 rows (by default) of which 200,000 are pending in backoff (due in an hour or
//! more), 200 hold leases (100 `claimed`, 100 `sending`, not yet expired) and the rest were
//! delivered within the last hour, then times, each `--runs` times, what a relay runs on every
//! loop or sweep: a claim (nothing due), a sweep (no lease expired), a purge (nothing past its
//! retention), the relay's check for unfinished rows (`Store::has_active`), and, for scale,
//! the exact counts: the account's unfinished rows (`Store::active`) and the operators' counts
//! by state (`Store::status`). Target: the first four each ≤ 5 ms.
//!
//! ```text
//! cargo run --release -p bulletins-outbox --example store_scale
//! cargo run --release -p bulletins-outbox --features postgres --example store_scale -- \
//!     --database postgres://postgres@127.0.0.1:5432/postgres
//! ```

// A benchmark's job is to print its measurement.
#![allow(clippy::print_stdout)]

use std::future::Future;
use std::time::{Duration, Instant};

use bulletins_outbox::{Store, TableName};
use clap::Parser;

/// Times the store's statements on a table of `--rows` rows.
#[derive(Debug, Parser)]
struct Args {
    /// The database (default: a temporary SQLite file).
    #[arg(long)]
    database: Option<String>,
    /// Rows in the table.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Of which pending in backoff.
    #[arg(long, default_value_t = 200_000)]
    backoff: u64,
    /// Timed runs of each statement.
    #[arg(long, default_value_t = 30)]
    runs: usize,
}

const ACCOUNT: &str = "ABCD-RSTU-1234";
/// Rows holding a lease in each of `claimed` and `sending`.
const LEASED: u64 = 100;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", dir.path().join("scale.db").display()));
    let table = TableName::new(format!("scale_{}", std::process::id()))?;
    let store = Store::connect_or_create(&url)
        .await?
        .with_table(table.clone());
    store.migrate().await?;
    let started = Instant::now();
    load(&url, &table, &args).await?;
    println!(
        "database={} rows={} backoff={} loaded in {:.1}s",
        url.split(':').next().unwrap_or(""),
        args.rows,
        args.backoff,
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<28} {:>10} {:>10} {:>10}",
        "statement", "median", "p90", "max"
    );
    let runs = args.runs;
    report("claim (nothing due)", runs, || async {
        let claim = store.claim(ACCOUNT, 128, Duration::from_secs(30)).await?;
        assert!(claim.rows.is_empty(), "a row was due");
        Ok(())
    })
    .await?;
    report("sweep", runs, || async {
        store.sweep().await?;
        Ok(())
    })
    .await?;
    report("purge", runs, || async {
        store
            .purge_delivered(Duration::from_secs(7 * 24 * 3600), 1000)
            .await?;
        Ok(())
    })
    .await?;
    report("has_active (relay's check)", runs, || async {
        assert!(store.has_active(ACCOUNT).await?, "nothing active");
        Ok(())
    })
    .await?;
    report("active (exact count)", runs, || async {
        store.active(ACCOUNT).await?;
        Ok(())
    })
    .await?;
    report("status (counts by state)", runs, || async {
        store.status().await?;
        Ok(())
    })
    .await?;
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {table}")))
            .execute(&pool)
            .await?;
    }
    Ok(())
}

/// Runs `op` `runs` times (after one untimed run) and prints its median, 90th percentile and
/// maximum.
async fn report<F, Fut>(name: &str, runs: usize, mut op: F) -> Result<(), bulletins_outbox::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), bulletins_outbox::Error>>,
{
    op().await?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        op().await?;
        times.push(started.elapsed());
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
    println!(
        "{name:<28} {:>10} {:>10} {:>10}",
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(1.0))
    );
    Ok(())
}

/// Fills the table in three statements: the delivered rows, the backoff, the leases.
async fn load(url: &str, table: &TableName, args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let delivered = args.rows.saturating_sub(args.backoff + 2 * LEASED);
    let hour = 3_600_000;
    // `{n}`: the row's number from 1; `{now}`: the database's clock in milliseconds.
    let statements = [
        format!(
            "INSERT INTO {table} (account, event, body, state, attempts, created_at, available_at, finished_at, targets) \
             SELECT '{ACCOUNT}', 'order_placed', '{{}}', 'delivered', 1, {{now}} - {hour} + {{n}} % {hour}, \
             {{now}} - {hour} + {{n}} % {hour}, {{now}} - {hour} + {{n}} % {hour} + 500, 1 FROM {{rows:{delivered}}}"
        ),
        format!(
            "INSERT INTO {table} (account, event, body, state, attempts, created_at, available_at, last_error) \
             SELECT '{ACCOUNT}', 'order_placed', '{{}}', 'pending', 3, {{now}}, {{now}} + {hour} + {{n}}, 'HTTP 429' \
             FROM {{rows:{}}}",
            args.backoff
        ),
        format!(
            "INSERT INTO {table} (account, event, body, state, attempts, claim_token, lease_until, sent_at) \
             SELECT '{ACCOUNT}', 'order_placed', '{{}}', CASE WHEN {{n}} % 2 = 0 THEN 'claimed' ELSE 'sending' END, 1, \
             'bench', {{now}} + {hour}, {{now}} FROM {{rows:{}}}",
            2 * LEASED
        ),
    ];
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        for statement in &statements {
            let sql = fill(
                statement,
                "(EXTRACT(EPOCH FROM statement_timestamp()) * 1000)::BIGINT",
                "g",
                |n| format!("generate_series(1, {n}) AS g"),
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await?;
        }
        // What autovacuum does after a load this size; a long-running table has its statistics.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("VACUUM ANALYZE {table}")))
            .execute(&pool)
            .await?;
    } else {
        let pool = sqlx::SqlitePool::connect_with(Store::sqlite_options(url)?).await?;
        for statement in &statements {
            let sql = fill(
                statement,
                "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
                "i",
                |n| {
                    format!(
                        "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s)"
                    )
                },
            );
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await?;
        }
        // No ANALYZE: applications rarely run it, so the plans must not depend on it.
    }
    Ok(())
}

/// Specialises a load statement: `{now}`, `{n}`, and `{rows:N}` (a source of N numbered rows).
fn fill(statement: &str, now: &str, n: &str, rows: impl Fn(&str) -> String) -> String {
    let mut sql = statement.replace("{now}", now).replace("{n}", n);
    if let Some(start) = sql.find("{rows:") {
        let end = start + sql[start..].find('}').unwrap_or(0);
        let count = sql[start + 6..end].to_owned();
        sql.replace_range(start..=end, &rows(&count));
    }
    sql
}
