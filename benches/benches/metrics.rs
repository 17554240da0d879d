//! What recording the client's metrics costs: `trigger_stream` against the static responder
//! (a separate process answering at once, so the client is CPU-bound), with the Prometheus
//! recorder installed against the same run without one.
//!
//! ```text
//! cargo bench -p bulletins-benches --bench metrics -- --warm-up-time 1 --measurement-time 5
//! ```
//!
//! Target (issue "Run it in production and see it"): with a recorder installed, throughput
//! ≥ 0.97× of the same run without one.
//!
//! A recorder cannot be uninstalled, so the process installs one that forwards to
//! `metrics-exporter-prometheus`'s while switched on and hands out no-op handles while off:
//! off, every call takes the path it takes with no recorder (the labels are built, the no-op
//! handle records nothing). Besides criterion's figures (one variant after the other), the two
//! take turns batch by batch for [`ROUNDS`] rounds, and the median of the paired ratios is
//! printed: on a shared machine the load changes between criterion's variants.

// The printed ratios are this bench's output.
#![allow(clippy::print_stdout)]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bulletins_http::{Bulletin, Client, DynamicEvent};
use criterion::{Criterion, Throughput};
use futures_util::StreamExt as _;
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use tokio::runtime::Runtime;

/// Bulletins per timed batch.
const BATCH: usize = 2_000;
/// The client's cap: CleverTap's limit per account.
const CONCURRENCY: usize = 3;
/// Interleaved rounds for the paired ratio.
const ROUNDS: usize = 21;

/// The Prometheus recorder while `on`, no recorder at all while off.
#[derive(Debug)]
struct Switch {
    on: Arc<AtomicBool>,
    inner: PrometheusRecorder,
}

impl Recorder for Switch {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_counter(key, unit, description);
    }
    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_gauge(key, unit, description);
    }
    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_histogram(key, unit, description);
    }
    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        if self.on.load(Ordering::Relaxed) {
            self.inner.register_counter(key, metadata)
        } else {
            Counter::noop()
        }
    }
    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        if self.on.load(Ordering::Relaxed) {
            self.inner.register_gauge(key, metadata)
        } else {
            Gauge::noop()
        }
    }
    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        if self.on.load(Ordering::Relaxed) {
            self.inner.register_histogram(key, metadata)
        } else {
            Histogram::noop()
        }
    }
}

/// The static responder, killed when dropped.
struct Responder(Child, String);

impl Responder {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_static_responder"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the static responder");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("its address");
        let url = line
            .trim()
            .strip_prefix("static responder listening on ")
            .expect("the banner")
            .to_owned();
        Responder(child, url)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn bulletins() -> Vec<Bulletin<'static, DynamicEvent>> {
    let event = DynamicEvent::new("Program Released")
        .and_then(|e| e.property("program_id", "234567"))
        .and_then(|e| e.property("language", "Hindi"))
        .and_then(|e| e.property("prev_program_id", "123457"))
        .expect("valid");
    (0..BATCH)
        .map(|_| Bulletin::new(event.clone(), "Sa Re Ga Ma episode 12", "[email protected]"))
        .collect()
}

/// Sends one batch through `trigger_stream`, from a spawned task (see BENCHMARKS.md §2), and
/// returns how long it took.
fn batch(runtime: &Runtime, client: &Client) -> Duration {
    let client = client.clone();
    let bulletins = bulletins();
    runtime.block_on(async move {
        tokio::spawn(async move {
            let started = Instant::now();
            let delivered = client
                .trigger_stream(bulletins)
                .filter(|(_, result)| std::future::ready(result.is_ok()))
                .count()
                .await;
            assert_eq!(delivered, BATCH);
            started.elapsed()
        })
        .await
        .expect("the batch")
    })
}

/// The CPU time this process's threads have run, from `/proc/self/task/*/schedstat`
/// (nanoseconds; Linux), or `None` elsewhere. The responder is another process, so this is the
/// client's cost alone, and less swayed than the wall clock by the machine's other load.
fn cpu_time() -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// One side of the comparison: a runtime and a client of its own. The client keeps the
/// handles of its hot metrics per thread and per recorder, so each side runs on its own
/// threads, which registered their handles with the recorder switched as that side wants.
struct Side {
    runtime: Runtime,
    client: Client,
    recording: bool,
}

impl Side {
    fn new(base_url: &str, recording: bool) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let client = runtime.block_on(async {
            Client::builder()
                .base_url(base_url)
                .account_id("ABCD-RSTU-1234")
                .passcode("XXXXXX")
                .max_concurrency(CONCURRENCY)
                .build()
                .expect("client")
        });
        Self {
            runtime,
            client,
            recording,
        }
    }
}

/// Runs one batch of `side`, draining what it recorded (a scrape) after; returns its
/// wall-clock and CPU time.
fn measured(
    side: &Side,
    switch: &AtomicBool,
    prometheus: &PrometheusHandle,
) -> (Duration, Option<Duration>) {
    switch.store(side.recording, Ordering::Relaxed);
    let cpu = cpu_time();
    let took = batch(&side.runtime, &side.client);
    let cpu = cpu
        .zip(cpu_time())
        .map(|(before, after)| after.saturating_sub(before));
    std::hint::black_box(prometheus.render());
    (took, cpu)
}

/// The median of `values`, sorted here.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let on = Arc::new(AtomicBool::new(false));
    let inner = PrometheusBuilder::new()
        .set_buckets(bulletins_http::metrics::DURATION_BUCKETS)
        .expect("buckets")
        .build_recorder();
    let prometheus = inner.handle();
    metrics::set_global_recorder(Switch {
        on: Arc::clone(&on),
        inner,
    })
    .expect("the only recorder");

    let responder = Responder::start();
    let sides = [
        Side::new(&responder.1, false),
        Side::new(&responder.1, true),
    ];
    // Warm the connections and the recorder's series.
    for side in &sides {
        measured(side, &on, &prometheus);
    }

    let rounds: usize = std::env::var("BULLETINS_BENCH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ROUNDS);
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    let mut cpu_us = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        // Each round runs both, the first alternating.
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        let mut took = [(Duration::ZERO, None); 2];
        for side in order {
            took[side] = measured(&sides[side], &on, &prometheus);
        }
        // Throughput with ÷ without = time without ÷ time with.
        wall.push(took[0].0.as_secs_f64() / took[1].0.as_secs_f64());
        if let (Some(without), Some(with)) = (took[0].1, took[1].1) {
            cpu.push(without.as_secs_f64() / with.as_secs_f64());
            cpu_us[0].push(without.as_secs_f64() * 1e6 / BATCH as f64);
            cpu_us[1].push(with.as_secs_f64() * 1e6 / BATCH as f64);
        }
    }
    // Only the recording side's bulletins were counted: the other ran as with no recorder.
    let counted = prometheus
        .render()
        .lines()
        .find_map(|line| {
            line.strip_prefix(
                r#"bulletins_triggers_total{event="Program Released",outcome="delivered"} "#,
            )
        })
        .and_then(|n| n.parse::<usize>().ok());
    assert_eq!(counted, Some(BATCH * (rounds + 1)), "what was recorded");
    println!(
        "trigger_stream at C = {CONCURRENCY}, {BATCH} bulletins a batch, {rounds} interleaved rounds: throughput with the Prometheus recorder ÷ without, median of the paired ratios: wall clock {:.3}",
        median(&mut wall)
    );
    if !cpu.is_empty() {
        println!(
            "  CPU-bound (the client process's CPU per bulletin, without ÷ with): {:.3}; µs per bulletin: {:.2} without, {:.2} with",
            median(&mut cpu),
            median(&mut cpu_us[0]),
            median(&mut cpu_us[1])
        );
    }

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("trigger_stream metrics");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    for (name, side) in ["no recorder", "prometheus recorder"].iter().zip(&sides) {
        group.bench_function(*name, |b| {
            b.iter_custom(|iterations| {
                (0..iterations)
                    .map(|_| measured(side, &on, &prometheus).0)
                    .sum()
            });
        });
    }
    group.finish();
    criterion.final_summary();
}
