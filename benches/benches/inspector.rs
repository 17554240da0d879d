//! The emulator's inspector under load: the timeline's first page with 100,000 entries
//! recorded against 10 recorded, and the emulator's request rate with one subscriber reading
//! the live stream (`/_emulator/events`) against none. All over loopback.
//!
//! ```text
//! cargo bench -p bulletins-benches --bench inspector -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Targets (issue "The emulator's inspector"): first page at 100,000 ≤ 1.2× its time at 10;
//! throughput with one subscriber ≥ 0.8× with none.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bulletins_emulator::Emulator;
use criterion::{Criterion, Throughput};
use futures_util::StreamExt as _;
use tokio::runtime::Runtime;

/// The documented example payload.
const EXAMPLE: &str = r#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"[email protected]","when":"now"}"#;

/// Requests in flight while filling the log or measuring throughput.
const CONCURRENCY: usize = 8;

/// Requests per throughput sample.
const BATCH: usize = 400;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn start() -> Emulator {
    Emulator::demo()
        .concurrency_limit(0)
        .start()
        .await
        .expect("emulator")
}

/// Sends `count` copies of the example, `CONCURRENCY` at a time.
async fn send(client: &reqwest::Client, url: &str, count: usize) {
    futures_util::stream::iter(0..count)
        .for_each_concurrent(CONCURRENCY, |_| async move {
            let answer = client
                .post(url)
                .header("X-CleverTap-Account-Id", "ABCD-RSTU-1234")
                .header("X-CleverTap-Passcode", "XXXXXX")
                .header("Content-Type", "application/json")
                .body(EXAMPLE)
                .send()
                .await
                .expect("an answer");
            assert!(answer.status().is_success());
        })
        .await;
}

fn first_page(c: &mut Criterion) {
    let runtime = runtime();
    let client = reqwest::Client::new();
    let mut group = c.benchmark_group("inspector first page");
    // 50 fills exactly one page: the same rows as at 100,000, so the two differ only in what is held.
    for recorded in [10, 50, 100_000] {
        let emulator = runtime.block_on(async {
            let emulator = start().await;
            send(&client, &emulator.trigger_url(), recorded).await;
            emulator
        });
        let url = format!("{}/_emulator/ui", emulator.base_url());
        group.bench_function(format!("{recorded} recorded"), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let page = client.get(&url).send().await.expect("page");
                    black_box(page.bytes().await.expect("body"));
                });
            });
        });
        runtime.block_on(emulator.shutdown());
    }
    group.finish();
}

fn throughput(c: &mut Criterion) {
    let runtime = runtime();
    let client = reqwest::Client::new();
    let mut group = c.benchmark_group("emulator throughput");
    group.throughput(Throughput::Elements(BATCH as u64));
    for subscribers in [0, 1] {
        let emulator = runtime.block_on(start());
        let reader = (subscribers == 1).then(|| {
            let url = format!("{}/_emulator/events", emulator.base_url());
            let client = client.clone();
            runtime.spawn(async move {
                let response = client.get(url).send().await.expect("stream");
                let mut stream = response.bytes_stream();
                while let Some(Ok(chunk)) = stream.next().await {
                    black_box(chunk);
                }
            })
        });
        let url = emulator.trigger_url();
        group.bench_function(format!("{subscribers} live subscribers"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let started = Instant::now();
                    runtime.block_on(send(&client, &url, BATCH));
                    total += started.elapsed();
                }
                total
            });
        });
        if let Some(reader) = reader {
            reader.abort();
        }
        runtime.block_on(emulator.shutdown());
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    first_page(&mut criterion);
    throughput(&mut criterion);
    criterion.final_summary();
}
