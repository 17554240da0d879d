//! The relay's metrics (and the client's, as the relay drives it), read back after a known
//! sequence of events through `metrics-util`'s `DebuggingRecorder`, installed for the test's
//! own thread: each test runs on a current-thread runtime, so the relay's tasks record there.
//! And what the relay's health says of CleverTap's answers.

#[macro_use]
mod common;

use std::collections::HashMap;
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::metrics::{REQUEST_DURATION, TRIGGERS};
use bulletins_outbox::metrics::{CLAIM_DURATION, OLDEST_PENDING_AGE, ROWS, UNCERTAIN_ROWS};
use bulletins_outbox::Relay;
use common::{client, emulator, Db, EVENT, PASSCODE};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

/// A metric's name and its labels, sorted.
type Series = (String, Vec<(String, String)>);

/// One snapshot: what was recorded since the last (a snapshot resets what it reads). The row
/// gauges are all set at each count, so a snapshot after one holds every one of them.
struct Snapshot {
    counters: HashMap<Series, u64>,
    gauges: HashMap<Series, f64>,
    histograms: HashMap<Series, Vec<f64>>,
}

impl Snapshot {
    fn take(snapshotter: &Snapshotter) -> Self {
        let mut snapshot = Snapshot {
            counters: HashMap::new(),
            gauges: HashMap::new(),
            histograms: HashMap::new(),
        };
        for (key, _, _, value) in snapshotter.snapshot().into_vec() {
            let key = key.key();
            let mut labels: Vec<(String, String)> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            let series = (key.name().to_owned(), labels);
            match value {
                DebugValue::Counter(n) => {
                    snapshot.counters.insert(series, n);
                }
                DebugValue::Gauge(v) => {
                    snapshot.gauges.insert(series, v.into_inner());
                }
                DebugValue::Histogram(samples) => {
                    let samples = samples.into_iter().map(|s| s.into_inner()).collect();
                    snapshot.histograms.insert(series, samples);
                }
            }
        }
        snapshot
    }

    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.counters
            .get(&series(name, labels))
            .copied()
            .unwrap_or(0)
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.gauges.get(&series(name, labels)).copied()
    }

    /// Samples of every series of `name`.
    fn samples(&self, name: &str) -> Vec<f64> {
        self.histograms
            .iter()
            .filter(|((n, _), _)| n == name)
            .flat_map(|(_, samples)| samples.iter().copied())
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

macro_rules! on_both_stores_in_one_thread {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Db::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let test = concat!("postgres::", stringify!($name));
                    if let Some(db) = super::Db::postgres(test).await {
                        super::$name(db).await;
                    }
                }
            )*
        }
    };
}

on_both_stores_in_one_thread!(
    three_delivered_one_refused_one_uncertain,
    the_oldest_pending_rows_age,
    one_claim_one_sample,
    refused_credentials_until_clevertap_accepts_them,
);

async fn three_delivered_one_refused_one_uncertain(db: Db) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let emulator = emulator().await;
    let relay =
        Relay::new(db.store.clone(), client(&emulator.base_url())).gauge_interval(Duration::ZERO);
    db.enqueue(1, 5).await;
    // Whichever rows take them: a refusal is final, a 503 may have been delivered.
    emulator.inject(Fault::status(400), 1);
    emulator.inject(Fault::status(503), 1);
    let report = relay.run_until_empty().await.expect("relay");
    assert_eq!(
        (report.delivered, report.refused, report.uncertain),
        (3, 1, 1)
    );
    // Counted at the start of a run, with its first sweep.
    relay.run_until_empty().await.expect("relay");

    let snapshot = Snapshot::take(&snapshotter);
    let rows = |state: &str| snapshot.gauge(ROWS, &[("state", state)]);
    assert_eq!(rows("delivered"), Some(3.0));
    assert_eq!(rows("refused"), Some(1.0));
    assert_eq!(rows("uncertain"), Some(1.0));
    for state in ["pending", "claimed", "sending"] {
        assert_eq!(rows(state), Some(0.0), "{state}");
    }
    assert_eq!(snapshot.gauge(UNCERTAIN_ROWS, &[]), Some(1.0));
    assert_eq!(snapshot.gauge(OLDEST_PENDING_AGE, &[]), Some(0.0));
    let triggers =
        |outcome: &str| snapshot.counter(TRIGGERS, &[("event", EVENT), ("outcome", outcome)]);
    assert_eq!(
        (
            triggers("delivered"),
            triggers("refused"),
            triggers("uncertain")
        ),
        (3, 1, 1)
    );
    assert_eq!(snapshot.samples(REQUEST_DURATION).len(), 5);
    emulator.shutdown().await;
}

async fn the_oldest_pending_rows_age(db: Db) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let emulator = emulator().await;
    let relay =
        Relay::new(db.store.clone(), client(&emulator.base_url())).gauge_interval(Duration::ZERO);
    db.enqueue(1, 2).await;
    let waited = Duration::from_millis(1100);
    tokio::time::sleep(waited).await;
    // Counted before the run claims them: both pending, the oldest at least `waited` old.
    relay.run_until_empty().await.expect("relay");
    let snapshot = Snapshot::take(&snapshotter);
    assert_eq!(snapshot.gauge(ROWS, &[("state", "pending")]), Some(2.0));
    let age = snapshot.gauge(OLDEST_PENDING_AGE, &[]).expect("set");
    assert!(age >= waited.as_secs_f64(), "{age}");
    assert_eq!(snapshot.gauge(UNCERTAIN_ROWS, &[]), Some(0.0));
    emulator.shutdown().await;
}

async fn one_claim_one_sample(db: Db) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let emulator = emulator().await;
    let relay = Relay::new(db.store.clone(), client(&emulator.base_url()))
        // Not counted within this test: the count is not what is measured.
        .gauge_interval(Duration::from_secs(3600));
    db.enqueue(1, 3).await;
    let report = relay.run_batch().await.expect("one claim");
    assert_eq!(report.delivered, 3);
    let snapshot = Snapshot::take(&snapshotter);
    let claims = snapshot.samples(CLAIM_DURATION);
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert!(claims[0] > 0.0);
    assert_eq!(
        snapshot.gauge(ROWS, &[("state", "delivered")]),
        None,
        "not counted"
    );
    emulator.shutdown().await;
}

async fn refused_credentials_until_clevertap_accepts_them(db: Db) {
    let emulator = emulator().await;
    // Rows not delivered stay in backoff for the whole test: each run claims only the new row.
    let relay = Relay::new(db.store.clone(), client(&emulator.base_url()))
        .retry_backoff(Duration::from_secs(600), Duration::from_secs(600));
    let health = relay.health();
    assert_eq!(health.credentials_refused(), None);
    let mut next = 0;
    let mut one_row_answered = |fault: Option<Fault>| {
        next += 1;
        let (db, relay, emulator) = (&db, &relay, &emulator);
        async move {
            db.enqueue(next, 1).await;
            if let Some(fault) = fault {
                emulator.inject(fault, 1);
            }
            relay.run_batch().await.expect("relay")
        }
    };
    let report = one_row_answered(Some(Fault::status(401))).await;
    assert_eq!(report.retried, 1, "certainly not delivered: pending again");
    let refused = health.credentials_refused().expect("refused");
    assert!(refused.contains("401"), "{refused}");
    assert!(!refused.contains(PASSCODE), "{refused}");
    // No answer says nothing about the credentials.
    one_row_answered(Some(Fault::CloseBeforeBody)).await;
    assert!(health.credentials_refused().is_some());
    // A refusal of the bulletin itself: CleverTap knew the account.
    one_row_answered(Some(Fault::status(400))).await;
    assert_eq!(health.credentials_refused(), None);
    one_row_answered(Some(Fault::status(401))).await;
    assert!(health.credentials_refused().is_some());
    // A delivery.
    assert_eq!(one_row_answered(None).await.delivered, 1);
    assert_eq!(health.credentials_refused(), None);
    emulator.shutdown().await;
}
