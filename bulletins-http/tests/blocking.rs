//! The blocking client passes the core cases: success, a documented error, at most once under
//! a lost connection, a refused connection retried, 429 retried, and a batch within the cap.
//! Run with `--features blocking` (or `--all-features`).

#![cfg(feature = "blocking")]

mod common;

use bulletins_emulator::{Emulator, Fault};
use bulletins_http::{blocking, ApiErrorKind, DynamicEvent, Error, RetryPolicy, TransportKind};
use common::*;

/// The emulator runs on its own runtime; the test thread has none, as a blocking program.
struct Setup {
    emulator: Emulator,
    // Dropped last: dropping it stops the emulator's tasks.
    _runtime: tokio::runtime::Runtime,
}

fn setup() -> Setup {
    setup_with(3)
}

/// An emulator allowing `limit` requests in flight.
fn setup_with(limit: usize) -> Setup {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let emulator = runtime.block_on(start_with(limit));
    Setup {
        emulator,
        _runtime: runtime,
    }
}

impl Setup {
    fn client(&self) -> blocking::Client {
        blocking::Client::builder()
            .base_url(self.emulator.base_url())
            .account_id(ACCOUNT)
            .passcode(PASSCODE)
            .retry(fast(RetryPolicy::at_most_once()))
            .build()
            .expect("client")
    }
}

#[test]
fn success_and_a_documented_error() {
    let s = setup();
    let client = s.client();
    assert_eq!(client.trigger(&program("1")).expect("success").targets, 1);
    let event = DynamicEvent::new("Not Defined").expect("valid");
    let e = client
        .trigger(&bulletins_http::Bulletin::new(event, "n", "c"))
        .expect_err("not found");
    assert_eq!(
        e.api_error().map(|a| a.kind.clone()),
        Some(ApiErrorKind::BusinessEventNotFound)
    );
    assert_eq!(s.emulator.accepted().len(), 1);
}

#[test]
fn at_most_once_under_a_lost_connection() {
    let s = setup();
    s.emulator.inject(Fault::CloseAfterBody, 1);
    let e = s.client().trigger(&program("1")).expect_err("lost");
    assert!(matches!(
        e,
        Error::Transport {
            kind: TransportKind::ConnectionLost,
            ..
        }
    ));
    assert_eq!(e.attempts(), 1);
    assert!(e.may_have_been_delivered());
    assert_eq!(s.emulator.bulletins().len(), 1);
}

#[test]
fn too_many_requests_is_retried() {
    let s = setup();
    s.emulator.inject(Fault::too_many_requests(), 2);
    assert_eq!(
        s.client().trigger(&program("1")).expect("retried").targets,
        1
    );
    assert_eq!(s.emulator.accepted().len(), 1);
    assert_eq!(s.emulator.rejections().len(), 2);
}

#[test]
fn a_refused_connection_is_retried_then_reported() {
    let client = blocking::Client::builder()
        .base_url(dead_base_url())
        .account_id(ACCOUNT)
        .passcode(PASSCODE)
        .retry(fast(RetryPolicy::at_least_once()))
        .build()
        .expect("client");
    let e = client.trigger(&program("1")).expect_err("refused");
    assert!(matches!(
        e,
        Error::Transport {
            kind: TransportKind::NotConnected,
            ..
        }
    ));
    assert_eq!(e.attempts(), 3);
    assert!(!e.may_have_been_delivered());
}

#[test]
fn a_batch_within_the_concurrency_limit_from_several_threads() {
    let s = setup();
    let client = s.client();
    std::thread::scope(|scope| {
        for t in 0..3 {
            let client = client.clone();
            scope.spawn(move || {
                let results = client.trigger_all((0..100).map(|i| program(&format!("{t}-{i}"))));
                assert_eq!(results.len(), 100);
                assert!(results.iter().all(Result::is_ok));
            });
        }
    });
    assert_eq!(s.emulator.accepted().len(), 300);
    assert_eq!(s.emulator.rejections(), vec![]);
}

/// Above a cap of 3 a batch runs on worker tasks, spawned on the blocking client's own runtime:
/// every bulletin once, results in input order, never more than the cap in flight.
#[test]
fn a_batch_on_worker_tasks_from_the_blocking_client() {
    let s = setup_with(8);
    let client = blocking::Client::builder()
        .base_url(s.emulator.base_url())
        .account_id(ACCOUNT)
        .passcode(PASSCODE)
        .retry(fast(RetryPolicy::at_most_once()))
        .max_concurrency(8)
        .build()
        .expect("client");
    let results = client.trigger_all((0..200).map(|i| program(&i.to_string())));
    assert_eq!(results.len(), 200);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(s.emulator.rejections(), vec![]);
    let mut ids: Vec<usize> = s
        .emulator
        .accepted()
        .iter()
        .filter_map(|b| b.properties.get("program_id")?.as_str()?.parse().ok())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..200).collect::<Vec<_>>());
}

#[test]
fn builder_errors_are_the_async_clients() {
    let e = blocking::Client::builder()
        .base_url("http://example.com")
        .account_id(ACCOUNT)
        .passcode(PASSCODE)
        .build()
        .expect_err("insecure");
    assert!(matches!(
        e,
        bulletins_http::BuildClientError::InsecureBaseUrl { .. }
    ));
}
