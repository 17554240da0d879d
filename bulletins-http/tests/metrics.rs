//! Every metric the client records, read back after a known sequence of events through
//! `metrics-util`'s `DebuggingRecorder`, installed for the test's own thread: each test runs
//! on a current-thread runtime, so the client's tasks (a batch's workers too) record there.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::metrics::{IN_FLIGHT, REQUEST_DURATION, RETRIES, SLOT_WAIT, TRIGGERS};
use bulletins_http::{BoxError, Bulletin, Client, DynamicEvent, Limiter, Permit, Slot};
use common::*;
use futures_util::future::BoxFuture;
use futures_util::StreamExt as _;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tokio::sync::Semaphore;

/// A metric's name and its labels, sorted.
type Series = (String, Vec<(String, String)>);

/// What was recorded, summed over every snapshot taken (a snapshot resets what it reads).
struct Recorded {
    snapshotter: Snapshotter,
    counters: HashMap<Series, u64>,
    gauges: HashMap<Series, f64>,
    histograms: HashMap<Series, Vec<f64>>,
}

impl Recorded {
    fn new(snapshotter: Snapshotter) -> Self {
        Self {
            snapshotter,
            counters: HashMap::new(),
            gauges: HashMap::new(),
            histograms: HashMap::new(),
        }
    }

    /// Takes what was recorded since the last read. Gauges here only go up and down, so their
    /// changes add up to their value.
    fn read(&mut self) {
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            let key = key.key();
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            let series = (key.name().to_owned(), labels);
            match value {
                DebugValue::Counter(n) => *self.counters.entry(series).or_default() += n,
                DebugValue::Gauge(v) => *self.gauges.entry(series).or_default() += v.into_inner(),
                DebugValue::Histogram(samples) => self
                    .histograms
                    .entry(series)
                    .or_default()
                    .extend(samples.into_iter().map(|s| s.into_inner())),
            }
        }
    }

    fn counter(&mut self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.read();
        self.counters
            .get(&series(name, labels))
            .copied()
            .unwrap_or(0)
    }

    fn gauge(&mut self, name: &str) -> f64 {
        self.read();
        self.gauges.get(&series(name, &[])).copied().unwrap_or(0.0)
    }

    fn samples(&mut self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        self.read();
        self.histograms
            .get(&series(name, labels))
            .cloned()
            .unwrap_or_default()
    }

    /// Every series of `name`, with its count of samples or its counter.
    fn counts(&mut self, name: &str) -> HashMap<Vec<(String, String)>, u64> {
        self.read();
        let counters = self.counters.iter().map(|(s, n)| (s, *n));
        let histograms = self.histograms.iter().map(|(s, v)| (s, v.len() as u64));
        counters
            .chain(histograms)
            .filter(|((n, _), _)| n == name)
            .map(|((_, labels), n)| (labels.clone(), n))
            .collect()
    }
}

fn series(name: &str, labels: &[(&str, &str)]) -> Series {
    let mut labels: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    labels.sort();
    (name.to_owned(), labels)
}

/// A recorder for this thread, for as long as the guard lives.
macro_rules! recording {
    ($recorded:ident) => {
        let recorder = DebuggingRecorder::new();
        let mut $recorded = Recorded::new(recorder.snapshotter());
        let _guard = metrics::set_default_local_recorder(&recorder);
    };
}

const EVENT: &str = "Program Released";

fn labels_of(outcome: &str) -> [(&'static str, &str); 2] {
    [("event", EVENT), ("outcome", outcome)]
}

#[tokio::test]
async fn three_delivered_one_refused_one_uncertain_are_counted_once_each() {
    recording!(recorded);
    let emulator = start().await;
    let client = client(&emulator);
    client.trigger(&program("1")).await.expect("delivered");
    client.trigger(&program("2")).await.expect("delivered");
    // A 429, retried: two attempts, one bulletin.
    emulator.inject(Fault::too_many_requests(), 1);
    client.trigger(&program("3")).await.expect("delivered");
    // Refused: a 400 is final.
    emulator.inject(Fault::status(400), 1);
    client.trigger(&program("4")).await.expect_err("refused");
    // Uncertain: a 503 may have been delivered and is not retried at most once.
    emulator.inject(Fault::status(503), 1);
    client.trigger(&program("5")).await.expect_err("uncertain");

    assert_eq!(recorded.counter(TRIGGERS, &labels_of("delivered")), 3);
    assert_eq!(recorded.counter(TRIGGERS, &labels_of("refused")), 1);
    assert_eq!(recorded.counter(TRIGGERS, &labels_of("uncertain")), 1);
    assert_eq!(recorded.counts(TRIGGERS).len(), 3, "no other series");
    assert_eq!(recorded.counter(RETRIES, &[]), 1);

    // One sample per attempt: six attempts for five bulletins.
    let server = ("server_address", "127.0.0.1");
    let ok = [("http_response_status_code", "200"), server];
    assert_eq!(recorded.samples(REQUEST_DURATION, &ok).len(), 3);
    for status in ["429", "400", "503"] {
        let failed = [
            ("http_response_status_code", status),
            ("error_type", status),
            server,
        ];
        assert_eq!(
            recorded.samples(REQUEST_DURATION, &failed).len(),
            1,
            "{status}"
        );
    }
    assert_eq!(recorded.counts(REQUEST_DURATION).values().sum::<u64>(), 6);
    assert!(recorded
        .samples(REQUEST_DURATION, &ok)
        .iter()
        .all(|s| *s > 0.0));
    // A slot for each attempt, none held at the end.
    assert_eq!(recorded.samples(SLOT_WAIT, &[]).len(), 6);
    assert_eq!(recorded.gauge(IN_FLIGHT), 0.0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_invalid_bulletin_is_refused_with_no_request() {
    recording!(recorded);
    let emulator = start().await;
    let client = client(&emulator);
    let event = DynamicEvent::new(EVENT)
        .and_then(|e| e.property("program_id", "1"))
        .and_then(|e| e.property("language", "Hindi"))
        .expect("valid");
    // A bulletin needs a name: checked when it is sent.
    client
        .trigger(&Bulletin::new(event.clone(), "", "c"))
        .await
        .expect_err("invalid");
    // In a batch too.
    let results: Vec<_> = client
        .trigger_stream([
            Bulletin::new(event.clone(), "", "c"),
            Bulletin::new(event, "n", "c"),
        ])
        .collect()
        .await;
    assert_eq!(results.len(), 2);

    assert_eq!(recorded.counter(TRIGGERS, &labels_of("refused")), 2);
    assert_eq!(recorded.counter(TRIGGERS, &labels_of("delivered")), 1);
    assert_eq!(recorded.counts(REQUEST_DURATION).values().sum::<u64>(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_failure_without_an_answer_has_an_error_type_and_no_status() {
    recording!(recorded);
    let client = builder(&dead_base_url()).build().expect("client");
    let error = client.trigger(&program("1")).await.expect_err("no server");
    assert!(!error.may_have_been_delivered());
    // Not connected: retried by the policy (three attempts), refused once.
    let failed = [
        ("error_type", "not_connected"),
        ("server_address", "127.0.0.1"),
    ];
    assert_eq!(recorded.samples(REQUEST_DURATION, &failed).len(), 3);
    assert_eq!(recorded.counter(RETRIES, &[]), 2);
    assert_eq!(recorded.counter(TRIGGERS, &labels_of("refused")), 1);
}

/// The account's one slot is held by a request the emulator keeps; a second trigger waits for
/// it until the first is cancelled at least `held` later.
async fn wait_for_the_slot(client: Client, emulator: &bulletins_emulator::Emulator) -> f64 {
    recording!(recorded);
    emulator.inject(Fault::Delay(Duration::from_secs(300)), 1);
    let first = tokio::spawn({
        let client = client.clone();
        async move { client.trigger(&program("1")).await }
    });
    while !emulator.pending_faults().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(recorded.gauge(IN_FLIGHT), 1.0, "the first request is out");
    let second = tokio::spawn({
        let client = client.clone();
        async move { client.trigger(&program("2")).await }
    });
    let held = Duration::from_millis(100);
    tokio::time::sleep(held).await;
    assert_eq!(
        recorded.gauge(IN_FLIGHT),
        1.0,
        "the second waits for a slot"
    );
    // Cancelled: its slot goes to the second, and it is no longer in flight.
    first.abort();
    let _ = first.await;
    second.await.expect("joined").expect("delivered");
    assert_eq!(recorded.gauge(IN_FLIGHT), 0.0);
    let waits = recorded.samples(SLOT_WAIT, &[]);
    assert_eq!(waits.len(), 2, "{waits:?}");
    let longest = waits.iter().copied().fold(0.0, f64::max);
    assert!(longest >= held.as_secs_f64(), "{waits:?}");
    // The cancelled bulletin has no outcome; the second has one.
    assert_eq!(recorded.counts(TRIGGERS).values().sum::<u64>(), 1);
    longest
}

#[tokio::test]
async fn the_wait_for_an_in_process_slot_is_measured() {
    let emulator = start().await;
    let client = builder(&emulator.base_url())
        .max_concurrency(1)
        .build()
        .expect("client");
    wait_for_the_slot(client, &emulator).await;
    emulator.shutdown().await;
}

/// A shared limiter of one slot, standing for one in Redis.
#[derive(Debug)]
struct OneSlot(Arc<Semaphore>);

impl Limiter for OneSlot {
    fn acquire<'a>(&'a self, _slot: Slot<'a>) -> BoxFuture<'a, Result<Permit, BoxError>> {
        Box::pin(async move {
            let held = Arc::clone(&self.0).acquire_owned().await?;
            Ok(Permit::new(held))
        })
    }
}

#[tokio::test]
async fn the_wait_for_a_shared_limiters_slot_is_measured() {
    let emulator = start().await;
    let client = builder(&emulator.base_url())
        .limiter(OneSlot(Arc::new(Semaphore::new(1))))
        .build()
        .expect("client");
    wait_for_the_slot(client, &emulator).await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_batch_counts_each_bulletin_once() {
    recording!(recorded);
    let emulator = start().await;
    let client = client(&emulator);
    emulator.inject(Fault::status(400), 1);
    let results: Vec<_> = client
        .trigger_stream((0..10).map(|i| program(&i.to_string())))
        .collect()
        .await;
    assert_eq!(results.len(), 10);
    assert_eq!(recorded.counter(TRIGGERS, &labels_of("delivered")), 9);
    assert_eq!(recorded.counter(TRIGGERS, &labels_of("refused")), 1);
    assert_eq!(recorded.counts(REQUEST_DURATION).values().sum::<u64>(), 10);
    assert_eq!(recorded.gauge(IN_FLIGHT), 0.0);
    emulator.shutdown().await;
}
