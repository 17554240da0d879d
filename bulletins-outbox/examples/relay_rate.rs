//! Rates for BENCHMARKS.md, measured in one run against an embedded emulator:
//! the relay's delivery rate against `Client::trigger_stream` at the same concurrency (with
//! every answer delayed by `--delay-ms`, CleverTap's regime, or not), and the cost of `enqueue`
//! in a transaction against a plain `INSERT` of the same row (interleaved blocks, wall and CPU
//! time). With `--backlog N` it instead measures the relay's memory: N rows pending, the peak
//! RSS growth (Linux) while the relay delivers `--rows` of them.
//!
//! ```text
//! cargo run --release -p bulletins-outbox --example relay_rate -- --rows 2000
//! cargo run --release -p bulletins-outbox --example relay_rate -- --rows 300 --delay-ms 50
//! cargo run --release -p bulletins-outbox --example relay_rate -- --rows 5000 --backlog 1000000
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
    /// Rows `sending` at once (default: the relay's own default).
    #[arg(long)]
    max_sending: Option<usize>,
    /// Measures memory instead: fills the table with this many pending rows, then relays
    /// `--rows` of them.
    #[arg(long)]
    backlog: Option<u64>,
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
    let store = Store::connect_or_create(&url)
        .await?
        .with_table(table.clone());
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
    if let Some(backlog) = args.backlog {
        return memory(&store, &url, &emulator, client, backlog, n).await;
    }

    // Baseline: the client alone, at its concurrency (3, CleverTap's).
    if !delay.is_zero() {
        emulator.inject(Fault::Delay(delay), n);
    }
    let started = Instant::now();
    let cpu = process_cpu();
    let ok = client
        .trigger_stream((0..n).map(bulletin))
        .filter(|r| std::future::ready(r.1.is_ok()))
        .count()
        .await;
    let direct = n as f64 / started.elapsed().as_secs_f64();
    let direct_cpu = process_cpu().saturating_sub(cpu);
    assert_eq!(ok, n, "the baseline failed");

    // Enqueue: one transaction per bulletin, as a service does, in alternating blocks so that
    // a change of load hits both sides alike.
    let outbox = Outbox::new(ACCOUNT).with_table(table.clone());
    let (mut enqueue, mut insert) = (Cost::default(), Cost::default());
    let block = 100.min(n);
    let mut done = 0;
    while done < n {
        let rows = block.min(n - done);
        enqueue.add(time_transactions(&store, &url, done, rows, Some(&outbox)).await?);
        insert.add(time_transactions(&store, &url, done, rows, None).await?);
        done += rows;
    }

    // The relay over what was enqueued.
    if !delay.is_zero() {
        emulator.inject(Fault::Delay(delay), n);
    }
    let mut relay = Relay::new(store.clone(), client);
    if let Some(rows) = args.max_sending {
        relay = relay.max_sending(rows);
    }
    let started = Instant::now();
    let cpu = process_cpu();
    let report = relay.run_until_empty().await?;
    let relayed = n as f64 / started.elapsed().as_secs_f64();
    let relay_cpu = process_cpu().saturating_sub(cpu);
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
        "CPU per bulletin (emulator included): trigger_stream {:.0} µs; relay {:.0} µs",
        direct_cpu.as_secs_f64() * 1e6 / n as f64,
        relay_cpu.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "enqueue in a transaction: {:.0} µs wall, {:.0} µs CPU; plain INSERT: {:.0} µs wall, {:.0} µs CPU; ratio {:.2} wall, {:.2} CPU",
        enqueue.wall.as_secs_f64() * 1e6 / n as f64,
        enqueue.cpu.as_secs_f64() * 1e6 / n as f64,
        insert.wall.as_secs_f64() * 1e6 / n as f64,
        insert.cpu.as_secs_f64() * 1e6 / n as f64,
        enqueue.wall.as_secs_f64() / insert.wall.as_secs_f64(),
        enqueue.cpu.as_secs_f64() / insert.cpu.as_secs_f64()
    );
    Ok(())
}

/// Wall-clock and CPU time (every thread of the process: SQLite runs on sqlx's worker).
#[derive(Debug, Default, Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Duration,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.wall += other.wall;
        self.cpu += other.cpu;
    }
}

/// CPU time used so far by every thread of this process (Linux; zero elsewhere).
fn process_cpu() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(ns)
}

/// A line of /proc/self/status, in KiB (Linux).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Fills the table with `backlog` pending rows in one statement, then relays `rows` of them
/// and prints how far the peak RSS rose meanwhile.
async fn memory(
    store: &Store,
    url: &str,
    emulator: &Emulator,
    client: Client,
    backlog: u64,
    rows: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let body = String::from_utf8(bulletin(0).to_json_vec()?)?.replace('\'', "''");
    let fill = format!(
        "INSERT INTO {} (account, event, body) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {backlog}) \
         SELECT '{ACCOUNT}', 'order_placed', '{body}' FROM n",
        store.table()
    );
    let started = Instant::now();
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect_with(Store::sqlite_options(url)?).await?;
        sqlx::query(sqlx::AssertSqlSafe(fill))
            .execute(&pool)
            .await?;
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        sqlx::query(sqlx::AssertSqlSafe(fill))
            .execute(&pool)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {}", store.table())))
            .execute(&pool)
            .await?;
    }
    let filled = started.elapsed();
    // Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
    std::fs::write("/proc/self/clear_refs", "5")?;
    let rss_before = status_kib("VmRSS:").unwrap_or(0);
    let relay = Relay::new(store.clone(), client);
    let started = Instant::now();
    tokio::select! {
        () = relay.run() => {}
        () = async {
            while emulator.accepted().len() < rows {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        } => {}
    }
    let relayed = started.elapsed();
    let peak = status_kib("VmHWM:").unwrap_or(0);
    println!(
        "backlog={backlog} relayed={rows} database={} (filled in {:.1}s, relayed in {:.1}s)",
        url.split(':').next().unwrap_or(""),
        filled.as_secs_f64(),
        relayed.as_secs_f64()
    );
    println!(
        "RSS before relaying: {rss_before} KiB; peak while relaying: {peak} KiB; growth {} KiB",
        peak.saturating_sub(rss_before)
    );
    Ok(())
}

/// `n` transactions, each inserting one row: through `outbox` or, without it, a plain INSERT of
/// the same columns into a copy of the table.
async fn time_transactions(
    store: &Store,
    url: &str,
    first: usize,
    n: usize,
    outbox: Option<&Outbox>,
) -> Result<Cost, Box<dyn std::error::Error>> {
    let plain = format!("{}_plain", store.table());
    macro_rules! measure {
        ($pool:expr, $create:expr, $insert:expr) => {{
            let pool = $pool;
            sqlx::query(sqlx::AssertSqlSafe($create))
                .execute(&pool)
                .await?;
            // Built before the clock starts: only enqueue's own work (validation, JSON) and
            // the INSERT are timed, against the INSERT of the finished JSON.
            let bulletins: Vec<_> = (first..first + n).map(bulletin).collect();
            let bodies = bulletins
                .iter()
                .map(|b| Ok(String::from_utf8(b.to_json_vec()?)?))
                .collect::<Result<Vec<String>, Box<dyn std::error::Error>>>()?;
            let started = Instant::now();
            let cpu = process_cpu();
            for (bulletin, body) in bulletins.iter().zip(&bodies) {
                let mut tx = pool.begin().await?;
                match outbox {
                    Some(outbox) => {
                        outbox.enqueue(&mut *tx, bulletin).await?;
                    }
                    None => {
                        sqlx::query(sqlx::AssertSqlSafe($insert.clone()))
                            .bind(ACCOUNT)
                            .bind("order_placed")
                            .bind(body)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
            }
            Ok(Cost {
                wall: started.elapsed(),
                cpu: process_cpu().saturating_sub(cpu),
            })
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
