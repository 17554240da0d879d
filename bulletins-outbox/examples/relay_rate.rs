//! Rates for BENCHMARKS.md, measured in one run against an embedded emulator:
//! the relay's delivery rate against `Client::trigger_stream` at the same concurrency (with
//! every answer delayed by `--delay-ms`, CleverTap's regime, or not), and the cost of `enqueue`
//! in a transaction against a plain `INSERT` of the same row.
//!
//! ```text
//! cargo run --release -p bulletins-outbox --example relay_rate -- --rows 2000
//! cargo run --release -p bulletins-outbox --example relay_rate -- --rows 300 --delay-ms 50
//! cargo run --release -p bulletins-outbox --features postgres --example relay_rate -- \
//!     --database postgres://postgres@127.0.0.1:5432/postgres
//! ```

// A benchmark's job is to print its measurement.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use bulletins_emulator::{Emulator, EventDefinition, Fault};
use bulletins_http::{Bulletin, Client, DynamicEvent};
use bulletins_outbox::{Outbox, Relay, Store, TableName};
use clap::Parser;
use futures_util::StreamExt as _;

/// Relay and enqueue rates, each against its baseline.
#[derive(Debug, Parser)]
struct Args {
    /// The database (default: a temporary SQLite file).
    #[arg(long)]
    database: Option<String>,
    /// Bulletins per measurement.
    #[arg(long, default_value_t = 2000)]
    rows: usize,
    /// Delay every emulator answer by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

const ACCOUNT: &str = "ABCD-RSTU-1234";

fn bulletin(i: usize) -> Bulletin<'static, DynamicEvent> {
    let event = DynamicEvent::new("order_placed")
        .and_then(|e| e.property("order_id", i.to_string()))
        .unwrap_or_else(|e| panic!("{e}"));
    Bulletin::new(event, format!("Order {i}"), "bench")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", dir.path().join("bench.db").display()));
    let table = TableName::new(format!("bench_{}", std::process::id()))?;
    let store = Store::connect(&url).await?.with_table(table.clone());
    store.migrate().await?;
    let emulator = Emulator::builder()
        .account(ACCOUNT, "XXXXXX")
        .event(EventDefinition::new("order_placed").properties(["order_id"]))
        .start()
        .await?;
    let client = Client::builder()
        .base_url(emulator.base_url())
        .account_id(ACCOUNT)
        .passcode("XXXXXX")
        .build()?;
    let delay = Duration::from_millis(args.delay_ms);
    let n = args.rows;

    // Baseline: the client alone, at its concurrency (3, CleverTap's).
    if !delay.is_zero() {
        emulator.inject(Fault::Delay(delay), n);
    }
    let started = Instant::now();
    let ok = client
        .trigger_stream((0..n).map(bulletin))
        .filter(|r| std::future::ready(r.1.is_ok()))
        .count()
        .await;
    let direct = n as f64 / started.elapsed().as_secs_f64();
    assert_eq!(ok, n, "the baseline failed");

    // Enqueue: one transaction per bulletin, as a service does.
    let outbox = Outbox::new(ACCOUNT).with_table(table.clone());
    let enqueue = time_transactions(&store, &url, n, Some(&outbox)).await?;
    let insert = time_transactions(&store, &url, n, None).await?;

    // The relay over what was enqueued.
    if !delay.is_zero() {
        emulator.inject(Fault::Delay(delay), n);
    }
    let relay = Relay::new(store.clone(), client);
    let started = Instant::now();
    let report = relay.run_until_empty().await?;
    let relayed = n as f64 / started.elapsed().as_secs_f64();
    assert_eq!(report.delivered, n as u64, "{report:?}");

    println!(
        "rows={n} delay_ms={} database={}",
        args.delay_ms,
        url.split(':').next().unwrap_or("")
    );
    println!(
        "client trigger_stream: {direct:.0}/s; relay: {relayed:.0}/s; ratio {:.2}",
        relayed / direct
    );
    println!(
        "enqueue in a transaction: {:.0} µs; plain INSERT: {:.0} µs; ratio {:.2}",
        enqueue.as_secs_f64() * 1e6 / n as f64,
        insert.as_secs_f64() * 1e6 / n as f64,
        enqueue.as_secs_f64() / insert.as_secs_f64()
    );
    Ok(())
}

/// `n` transactions, each inserting one row: through `outbox` or, without it, a plain INSERT of
/// the same columns into a copy of the table.
async fn time_transactions(
    store: &Store,
    url: &str,
    n: usize,
    outbox: Option<&Outbox>,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let plain = format!("{}_plain", store.table());
    let body = String::from_utf8(bulletin(0).to_json_vec()?)?;
    macro_rules! measure {
        ($pool:expr, $create:expr, $insert:expr) => {{
            let pool = $pool;
            sqlx::query(sqlx::AssertSqlSafe($create))
                .execute(&pool)
                .await?;
            let started = Instant::now();
            for i in 0..n {
                let mut tx = pool.begin().await?;
                match outbox {
                    Some(outbox) => {
                        outbox.enqueue(&mut *tx, &bulletin(i)).await?;
                    }
                    None => {
                        sqlx::query(sqlx::AssertSqlSafe($insert.clone()))
                            .bind(ACCOUNT)
                            .bind("order_placed")
                            .bind(&body)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
            }
            Ok(started.elapsed())
        }};
    }
    if url.starts_with("sqlite:") {
        measure!(
            sqlx::SqlitePool::connect_with(Store::sqlite_options(url)?).await?,
            format!("CREATE TABLE IF NOT EXISTS {plain} (id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, event TEXT NOT NULL, body TEXT NOT NULL)"),
            format!("INSERT INTO {plain} (account, event, body) VALUES (?1, ?2, ?3)")
        )
    } else {
        measure!(
            sqlx::PgPool::connect(url).await?,
            format!("CREATE TABLE IF NOT EXISTS {plain} (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account TEXT NOT NULL, event TEXT NOT NULL, body TEXT NOT NULL)"),
            format!("INSERT INTO {plain} (account, event, body) VALUES ($1, $2, $3)")
        )
    }
}
