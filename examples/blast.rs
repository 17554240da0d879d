//! A load generator: raise N copies of CleverTap's documented "Program Released" bulletin at
//! concurrency C, with the SDK's client or with the hand-written baseline, and report the rate.
//!
//! ```text
//! cargo run --release --example blast -- --url http://127.0.0.1:8787 --count 10000 --concurrency 16
//! cargo run --release --example blast -- --url http://127.0.0.1:8787 --count 10000 --concurrency 16 --mode bare
//! ```
//!
//! - `--mode client` (default): `bulletins_http::Client` with `.max_concurrency(C)`, raising
//!   the bulletins through `Client::trigger_stream` (`--api stream`, the default: results are
//!   counted as they come and not kept) or `Client::trigger_all` (`--api all`: one result per
//!   bulletin kept until the end, so its memory grows with N by design).
//! - `--mode bare`: the baseline a user writes by hand — C tokio tasks, each building a
//!   `serde_json::json!` payload and POSTing it with a shared `reqwest::Client`, then checking
//!   the status and parsing the answer's JSON.
//!
//! - `--redis URL` (client mode): the cap of C is shared through Redis (`RedisLimiter`) by
//!   every blast process given the same URL and account, so several processes together keep
//!   the account's limit:
//!
//! ```text
//! for i in 1 2 3 4; do cargo run --release --example blast -- --url http://127.0.0.1:8787 \
//!     --count 1000 --concurrency 3 --redis redis://127.0.0.1:6379 & done; wait
//! ```
//!
//! - `--api trigger` (client mode): `--tasks` tasks (default 4 × C) each calling
//!   `Client::trigger` in turn, as a service raising each bulletin where it happens does.
//!
//! Credentials default to the emulator's demo account (`ABCD-RSTU-1234` / `XXXXXX`). Against
//! the emulator binary, serve `benches/emulator-unlimited.json` so its per-account concurrency
//! limit (CleverTap's 3) does not turn C = 16 into 429s.
//!
//! The last line on stdout is `requests=N ok=K failed=F seconds=S rps=R`; the peak resident
//! set size (`VmHWM` of /proc/self/status, Linux) and the CPU time of its threads are printed
//! on stderr just before it.

// A load generator's job is to print its measurement.
#![allow(clippy::print_stdout)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bulletins_example_schema::media::ProgramReleased;
use bulletins_http::protocol::{ACCOUNT_ID_HEADER, PASSCODE_HEADER, TRIGGER_PATH};
use bulletins_http::{Bulletin, Client, RedisLimiter, When};
use clap::{Parser, ValueEnum};
use futures_util::StreamExt as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// The SDK's `Client`.
    Client,
    /// A bare reqwest + json! loop: the hand-written baseline.
    Bare,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Api {
    /// `Client::trigger_stream`: results counted as they finish, none kept.
    Stream,
    /// `Client::trigger_all`: every result kept, in input order.
    All,
    /// `Client::trigger`, one bulletin at a time, from `--tasks` tasks at once: a service
    /// raising each bulletin where it happens, with more callers than slots.
    Trigger,
}

/// Raise N copies of the documented bulletin at concurrency C and report the rate.
#[derive(Debug, Parser)]
#[command(name = "blast")]
struct Args {
    /// Base URL of the endpoint (the emulator, the static responder, ...).
    #[arg(long)]
    url: String,
    /// How many bulletins to raise.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// The account id sent as X-CleverTap-Account-Id.
    #[arg(long, default_value = "ABCD-RSTU-1234")]
    account_id: String,
    /// The passcode sent as X-CleverTap-Passcode.
    #[arg(long, default_value = "XXXXXX")]
    passcode: String,
    /// The SDK's client, or the hand-written baseline.
    #[arg(long, value_enum, default_value_t = Mode::Client)]
    mode: Mode,
    /// With `--mode client`: which batch API raises the bulletins.
    #[arg(long, value_enum, default_value_t = Api::Stream)]
    api: Api,
    /// With `--api trigger`: how many tasks call `trigger` at once (default: 4 times C).
    #[arg(long)]
    tasks: Option<usize>,
    /// With `--mode client`: share the cap of C with every process using this Redis
    /// (`redis://host:port`).
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// The client's per-attempt timeout, in milliseconds (default: the client's).
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// With `--redis`: how much longer than the timeout a slot's lease lasts, in milliseconds
    /// (default: the limiter's).
    #[arg(long)]
    lease_margin_ms: Option<u64>,
    /// With `--redis`: how many times in a row a slot may pass between this process's tasks
    /// before it goes back to Redis (default: the limiter's; 0 never).
    #[arg(long)]
    max_local_handoffs: Option<u32>,
}

/// What a run counted.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    failed: usize,
    first_error: Option<String>,
}

impl Tally {
    fn record<E: std::fmt::Display>(&mut self, result: Result<(), E>) {
        match result {
            Ok(()) => self.ok += 1,
            Err(error) => {
                self.failed += 1;
                self.first_error.get_or_insert_with(|| error.to_string());
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.failed += other.failed;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    let started = Instant::now();
    // Each mode runs in spawned tasks, on the runtime's workers: `main`'s own future is polled
    // on a thread that every I/O wake-up would have to unpark, which at C=1 costs the client
    // mode (one task driving every request) a large part of its rate and the bare mode nothing.
    let args = Arc::new(args);
    let run = Arc::clone(&args);
    let tally = tokio::spawn(async move {
        match run.mode {
            Mode::Client => client(&run).await,
            Mode::Bare => bare(&run).await,
        }
    })
    .await?
    .map_err(|error| error.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(error) = &tally.first_error {
        eprintln!("blast: first failure: {error}");
    }
    if let Some(kib) = peak_rss_kib() {
        eprintln!("blast: peak_rss_kib={kib}");
    }
    if let Some(micros) = cpu_micros() {
        eprintln!("blast: cpu_us={micros}");
    }
    println!(
        "requests={} ok={} failed={} seconds={seconds:.3} rps={:.0}",
        args.count,
        tally.ok,
        tally.failed,
        args.count as f64 / seconds
    );
    Ok(())
}

/// The SDK: one client capped at C requests in flight, N bulletins pulled lazily.
async fn client(args: &Args) -> Result<Tally, Box<dyn std::error::Error + Send + Sync>> {
    let mut builder = Client::builder()
        .base_url(&args.url)
        .account_id(&args.account_id)
        .passcode(args.passcode.clone())
        .max_concurrency(args.concurrency);
    if let Some(millis) = args.timeout_ms {
        builder = builder.timeout(Duration::from_millis(millis));
    }
    let limiter = match &args.redis {
        Some(url) => {
            let mut limiter = RedisLimiter::builder(url);
            if let Some(millis) = args.lease_margin_ms {
                // A round trip may take at most the margin (else no grant covers an attempt).
                let margin = Duration::from_millis(millis);
                limiter = limiter
                    .lease_margin(margin)
                    .redis_timeout(margin.min(Duration::from_secs(2)));
            }
            if let Some(max) = args.max_local_handoffs {
                limiter = limiter.max_local_handoffs(max);
            }
            let limiter = limiter.build()?;
            builder = builder.limiter(limiter.clone());
            Some(limiter)
        }
        None => None,
    };
    let client = builder.build()?;
    let bulletins = std::iter::repeat_n(documented_bulletin(), args.count);

    let mut tally = Tally::default();
    match args.api {
        Api::Stream => {
            let mut results = std::pin::pin!(client.trigger_stream(bulletins));
            while let Some((_, result)) = results.next().await {
                tally.record(result.map(drop));
            }
        }
        Api::All => {
            for result in client.trigger_all(bulletins).await {
                tally.record(result.map(drop));
            }
        }
        Api::Trigger => tally = each(&client, documented_bulletin(), args).await?,
    }
    if let Some(limiter) = limiter {
        eprintln!(
            "blast: redis_round_trips={} renewals={} local_handoffs={}",
            limiter.round_trips(),
            limiter.renewals(),
            limiter.local_handoffs()
        );
    }
    Ok(tally)
}

/// The documented bulletin.
fn documented_bulletin() -> Bulletin<'static, ProgramReleased> {
    let event = ProgramReleased {
        program_id: "234567".into(),
        language: "Hindi".into(),
        prev_program_id: "123457".into(),
    };
    Bulletin::new(event, "Sa Re Ga Ma episode 12", "[email protected]").when(When::Now)
}

/// `--api trigger`: tasks each calling `Client::trigger` until N bulletins have been raised.
async fn each(
    client: &Client,
    bulletin: Bulletin<'static, ProgramReleased>,
    args: &Args,
) -> Result<Tally, Box<dyn std::error::Error + Send + Sync>> {
    let next = Arc::new(AtomicUsize::new(0));
    let bulletin = Arc::new(bulletin);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.tasks.unwrap_or(4 * args.concurrency).max(1) {
        let (client, bulletin, next, count) = (
            client.clone(),
            Arc::clone(&bulletin),
            Arc::clone(&next),
            args.count,
        );
        tasks.spawn(async move {
            let mut tally = Tally::default();
            while next.fetch_add(1, Ordering::Relaxed) < count {
                tally.record(client.trigger(&bulletin).await.map(drop));
            }
            tally
        });
    }
    let mut tally = Tally::default();
    while let Some(task) = tasks.join_next().await {
        tally.merge(task?);
    }
    Ok(tally)
}

/// The baseline: what a user writes by hand with reqwest and `json!`.
async fn bare(args: &Args) -> Result<Tally, Box<dyn std::error::Error + Send + Sync>> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let url = format!("{}{TRIGGER_PATH}", args.url.trim_end_matches('/'));
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (http, url, next, count) = (http.clone(), url.clone(), Arc::clone(&next), args.count);
        let (account_id, passcode) = (args.account_id.clone(), args.passcode.clone());
        tasks.spawn(async move {
            let mut tally = Tally::default();
            while next.fetch_add(1, Ordering::Relaxed) < count {
                tally.record(bare_once(&http, &url, &account_id, &passcode).await);
            }
            tally
        });
    }
    let mut tally = Tally::default();
    while let Some(task) = tasks.join_next().await {
        tally.merge(task?);
    }
    Ok(tally)
}

async fn bare_once(
    http: &reqwest::Client,
    url: &str,
    account_id: &str,
    passcode: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (program_id, language, prev) = ("234567", "Hindi", "123457");
    let payload = serde_json::json!({
        "business_event": "Program Released",
        "name": "Sa Re Ga Ma episode 12",
        "properties": {
            "program_id": program_id,
            "language": language,
            "prev_program_id": prev,
        },
        "c-by": "[email protected]",
        "when": "now",
    });
    let response = http
        .post(url)
        .header(ACCOUNT_ID_HEADER, account_id)
        .header(PASSCODE_HEADER, passcode)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(&payload)?)
        .send()
        .await?;
    let status = response.status();
    let answer: serde_json::Value = serde_json::from_slice(&response.bytes().await?)?;
    if status.is_success() && answer["status"] == "success" {
        Ok(())
    } else {
        Err(format!("{status}: {answer}").into())
    }
}

/// The CPU time of the process's threads so far, in microseconds, from each one's
/// /proc/self/task/*/schedstat (Linux only; nanoseconds, where `time` rounds to 10 ms).
fn cpu_micros() -> Option<u64> {
    let mut nanos = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let schedstat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        nanos += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(nanos / 1000)
}

/// The peak resident set size in KiB, from /proc/self/status (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
