//! The fault matrix: every emulator fault, a server not listening, and an emulator restarted
//! mid-batch, × both delivery modes × the async and the blocking client, over real loopback
//! sockets. Each row states the error, the attempts, whether the bulletin may have been
//! delivered, and exactly what the emulator recorded; at most once never lets a bulletin reach
//! the server twice.

use std::collections::HashMap;
use std::time::Duration;

use bulletins_emulator::{Emulator, Fault};
use bulletins_http::{ApiErrorKind, Delivery, Error, TransportKind, Triggered};
use bulletins_tests::*;

const AMO: Delivery = Delivery::AtMostOnce;
const ALO: Delivery = Delivery::AtLeastOnce;

/// A delay well past the client's timeout. Long, so that the abandoned request is still
/// unacknowledged when the counts are read; the emulator is dropped, not drained, after it.
const SLOW: Duration = Duration::from_secs(20);

/// What the client should report.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Success with this many targets.
    Ok(u64),
    /// `Error::Timeout`.
    Timeout,
    /// `Error::Transport` of this kind.
    Transport(TransportKind),
    /// `Error::Api` of this kind.
    Api(ApiErrorKind),
    /// `Error::Undecodable` with this HTTP status.
    Undecodable(u16),
}

/// How the server misbehaves.
#[derive(Debug, Clone)]
enum Setup {
    /// Each `(fault, times)` in turn on the next requests, then the normal answer.
    Faults(Vec<(Fault, usize)>),
    /// Nothing listens on the port.
    NotListening,
}

/// One row: a setup, a delivery mode, and everything expected.
#[derive(Debug, Clone)]
struct Row {
    name: &'static str,
    setup: Setup,
    mode: Delivery,
    outcome: Outcome,
    /// Attempts the error reports (unchecked on success, which does not report them).
    attempts: u32,
    may_have_been_delivered: bool,
    seen: Seen,
}

fn seen(received: usize, accepted: usize, rejected: usize) -> Seen {
    Seen {
        received,
        accepted,
        rejected,
    }
}

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use Outcome::*;
    let fault = |f: Fault| Setup::Faults(vec![(f, 1)]);
    let times = |f: Fault, n: usize| Setup::Faults(vec![(f, n)]);
    let html502 = || Fault::Status { status: 502, body: Some("<html>502 Bad Gateway</html>".into()) };
    let lost_then_busy = || Setup::Faults(vec![(Fault::CloseAfterBody, 1), (Fault::too_many_requests(), 2)]);
    let row = |name, setup, mode, outcome, attempts, may_have_been_delivered, seen| Row {
        name, setup, mode, outcome, attempts, may_have_been_delivered, seen,
    };
    vec![
        // 5xx: may have been processed. At most once reports it; at least once retries.
        row("500", fault(Fault::status(500)), AMO, Api(ApiErrorKind::ServerUnavailable), 1, true, seen(0, 0, 1)),
        row("500", fault(Fault::status(500)), ALO, Ok(1), 0, false, seen(1, 1, 1)),
        row("500 x10", times(Fault::status(500), 10), ALO, Api(ApiErrorKind::ServerUnavailable), 3, true, seen(0, 0, 3)),
        row("502 CleverTap shape", fault(Fault::status(502)), AMO, Api(ApiErrorKind::ServerUnavailable), 1, true, seen(0, 0, 1)),
        row("502 CleverTap shape", fault(Fault::status(502)), ALO, Ok(1), 0, false, seen(1, 1, 1)),
        row("502 proxy page", fault(html502()), AMO, Undecodable(502), 1, true, seen(0, 0, 1)),
        row("502 proxy page", fault(html502()), ALO, Ok(1), 0, false, seen(1, 1, 1)),
        row("503", fault(Fault::status(503)), AMO, Api(ApiErrorKind::ServerUnavailable), 1, true, seen(0, 0, 1)),
        row("503", fault(Fault::status(503)), ALO, Ok(1), 0, false, seen(1, 1, 1)),
        // No answer within the timeout: received, never acknowledged.
        row("delay > timeout", fault(Fault::Delay(SLOW)), AMO, Timeout, 1, true, seen(1, 0, 0)),
        row("delay > timeout", fault(Fault::Delay(SLOW)), ALO, Ok(1), 0, false, seen(2, 1, 0)),
        // A delay within the timeout is just slow.
        row("delay < timeout", fault(Fault::Delay(Duration::from_millis(50))), AMO, Ok(1), 0, false, seen(1, 1, 0)),
        row("delay < timeout", fault(Fault::Delay(Duration::from_millis(50))), ALO, Ok(1), 0, false, seen(1, 1, 0)),
        // 429: certainly not processed, retried in both modes, with and without Retry-After.
        row("429", fault(Fault::too_many_requests()), AMO, Ok(1), 0, false, seen(1, 1, 1)),
        row("429", fault(Fault::too_many_requests()), ALO, Ok(1), 0, false, seen(1, 1, 1)),
        row("429 Retry-After", fault(Fault::TooManyRequests { retry_after: Some(1) }), AMO, Ok(1), 0, false, seen(1, 1, 1)),
        row("429 Retry-After", fault(Fault::TooManyRequests { retry_after: Some(1) }), ALO, Ok(1), 0, false, seen(1, 1, 1)),
        row("429 x10", times(Fault::too_many_requests(), 10), AMO, Api(ApiErrorKind::TooManyRequests), 3, false, seen(0, 0, 3)),
        row("429 x10", times(Fault::too_many_requests(), 10), ALO, Api(ApiErrorKind::TooManyRequests), 3, false, seen(0, 0, 3)),
        // Connection reset before the body was read: sent, from the client's side.
        row("close before body", fault(Fault::CloseBeforeBody), AMO, Transport(TransportKind::ConnectionLost), 1, true, seen(0, 0, 1)),
        row("close before body", fault(Fault::CloseBeforeBody), ALO, Ok(1), 0, false, seen(1, 1, 1)),
        // Reset after the body: the promised duplicate under at least once.
        row("close after body", fault(Fault::CloseAfterBody), AMO, Transport(TransportKind::ConnectionLost), 1, true, seen(1, 0, 0)),
        row("close after body", fault(Fault::CloseAfterBody), ALO, Ok(1), 0, false, seen(2, 1, 0)),
        // At least once remembers that an earlier attempt may have delivered, though the last
        // one (a 429) certainly did not.
        row("close after body, then 429 x2", lost_then_busy(), AMO, Transport(TransportKind::ConnectionLost), 1, true, seen(1, 0, 0)),
        row("close after body, then 429 x2", lost_then_busy(), ALO, Api(ApiErrorKind::TooManyRequests), 3, true, seen(1, 0, 2)),
        // A failure in a 200: CleverTap refused it; never retried.
        row("fail body in 200", fault(Fault::FailBody200 { error: "Invalid payload".into(), code: 9 }), AMO, Api(ApiErrorKind::Other), 1, false, seen(0, 0, 1)),
        row("fail body in 200", fault(Fault::FailBody200 { error: "Invalid payload".into(), code: 9 }), ALO, Api(ApiErrorKind::Other), 1, false, seen(0, 0, 1)),
        // A 200 that cannot be read may have been a success: reported, never retried.
        row("malformed body", fault(Fault::MalformedBody), AMO, Undecodable(200), 1, true, seen(1, 0, 0)),
        row("malformed body", fault(Fault::MalformedBody), ALO, Undecodable(200), 1, true, seen(1, 0, 0)),
        row("oversized body", fault(Fault::OversizedBody), AMO, Undecodable(200), 1, true, seen(1, 0, 0)),
        row("oversized body", fault(Fault::OversizedBody), ALO, Undecodable(200), 1, true, seen(1, 0, 0)),
        // Nothing listening: never sent, retried up to the limit in both modes.
        row("not listening", Setup::NotListening, AMO, Transport(TransportKind::NotConnected), 3, false, Seen::default()),
        row("not listening", Setup::NotListening, ALO, Transport(TransportKind::NotConnected), 3, false, Seen::default()),
    ]
}

fn outcome_of(result: &Result<Triggered, Error>) -> Outcome {
    match result {
        Ok(t) => Outcome::Ok(t.targets),
        Err(Error::Timeout { .. }) => Outcome::Timeout,
        Err(Error::Transport { kind, .. }) => Outcome::Transport(*kind),
        Err(Error::Api { error, .. }) => Outcome::Api(error.kind.clone()),
        Err(Error::Undecodable { status, .. }) => Outcome::Undecodable(status.as_u16()),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// Checks one row's result and counts.
fn check(row: &Row, client: &str, result: &Result<Triggered, Error>, seen: Seen) {
    let label = format!("{} / {:?} / {client}", row.name, row.mode);
    assert_eq!(outcome_of(result), row.outcome, "{label}: {result:?}");
    if let Err(e) = result {
        assert_eq!(e.attempts(), row.attempts, "{label}: attempts");
        assert_eq!(
            e.may_have_been_delivered(),
            row.may_have_been_delivered,
            "{label}: may_have_been_delivered"
        );
        if let Error::Undecodable { reason, body, .. } = e {
            assert!(
                body.chars().count() <= bulletins_http::protocol::MAX_KEPT_BODY_BYTES,
                "{label}: the error keeps a capped excerpt"
            );
            if row.name == "oversized body" {
                assert!(reason.contains("64 KiB"), "{label}: {reason}");
            }
        }
        if matches!(e, Error::Transport { .. }) {
            let advice = if row.may_have_been_delivered {
                "may have been delivered"
            } else {
                "safe to trigger it again"
            };
            assert!(e.to_string().contains(advice), "{label}: {e}");
        }
    }
    assert_eq!(seen, row.seen, "{label}: what the emulator recorded");
    if row.mode == AMO {
        assert!(seen.received <= 1, "{label}: at most once delivered twice");
    }
}

fn inject(emulator: &Emulator, faults: &[(Fault, usize)]) {
    for (fault, times) in faults {
        emulator.inject(fault.clone(), *times);
    }
}

#[tokio::test]
async fn every_fault_with_the_async_client() {
    for row in rows() {
        let (base_url, emulator) = match &row.setup {
            Setup::NotListening => (dead_base_url(), None),
            Setup::Faults(faults) => {
                let emulator = emulator().start().await.expect("emulator");
                inject(&emulator, faults);
                (emulator.base_url(), Some(emulator))
            }
        };
        let client = client_builder(&base_url, row.mode).build().expect("client");
        let result = client.trigger(&order(1)).await;
        let counts = emulator
            .as_ref()
            .map(bulletins_tests::seen)
            .unwrap_or_default();
        check(&row, "async", &result, counts);
        // Dropped, not drained: a delayed request would hold a graceful shutdown.
        drop(emulator);
    }
}

#[test]
fn every_fault_with_the_blocking_client() {
    // The emulator runs on its own runtime; the blocking client runs on this plain thread.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for row in rows() {
        let (base_url, emulator) = match &row.setup {
            Setup::NotListening => (dead_base_url(), None),
            Setup::Faults(faults) => {
                let emulator = runtime.block_on(emulator().start()).expect("emulator");
                inject(&emulator, faults);
                (emulator.base_url(), Some(emulator))
            }
        };
        let client = bulletins_http::blocking::Client::from_async(
            client_builder(&base_url, row.mode).build().expect("client"),
        )
        .expect("blocking client");
        let result = client.trigger(&order(1));
        let counts = emulator
            .as_ref()
            .map(bulletins_tests::seen)
            .unwrap_or_default();
        check(&row, "blocking", &result, counts);
        drop(client);
        drop(emulator);
    }
}

const BATCH: usize = 600;

/// Starts the fixture emulator on `addr`, retrying while the old listener's port is released.
async fn start_on(addr: std::net::SocketAddr) -> Emulator {
    for _ in 0..200 {
        if let Ok(emulator) = emulator().bind(addr).start().await {
            return emulator;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("could not bind {addr} again");
}

/// Waits until `emulator` has recorded at least `n` bulletins, then walls it off before it is
/// stopped: every further request gets a 429 (certainly not processed; the client retries it).
/// Once 30 more 429s have gone out, with requests taking well under a millisecond, no request
/// that got past the wall is still in flight, so the record read then is final.
async fn wait_and_wall(emulator: &Emulator, n: usize) -> HashMap<String, usize> {
    while emulator.bulletins().len() < n {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    emulator.inject(Fault::too_many_requests(), 1_000_000);
    let walled = emulator.rejections().len();
    while emulator.rejections().len() < walled + 30 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    order_counts(emulator)
}

/// Checks a batch that ran across a restart, against the two emulators' records: every
/// success reached an emulator (exactly once under at most once), every failure that says "not
/// delivered" reached neither.
fn check_restart(
    mode: Delivery,
    client: &str,
    results: &[Result<Triggered, Error>],
    before: &HashMap<String, usize>,
    after: &HashMap<String, usize>,
) {
    assert_eq!(results.len(), BATCH, "{client}: one result per bulletin");
    for (id, result) in results.iter().enumerate() {
        let key = id.to_string();
        let reached = before.get(&key).unwrap_or(&0) + after.get(&key).unwrap_or(&0);
        match result {
            Ok(_) => assert!(
                reached >= 1,
                "{client} {mode:?}: bulletin {id} succeeded unseen"
            ),
            Err(e) if !e.may_have_been_delivered() => {
                assert_eq!(reached, 0, "{client} {mode:?}: bulletin {id} was sent: {e}");
            }
            Err(_) => {}
        }
        if mode == AMO {
            assert!(
                reached <= 1,
                "{client}: at most once sent bulletin {id} {reached} times"
            );
        }
    }
    // The restart was survived: bulletins after it went to the new emulator and succeeded.
    assert!(
        !after.is_empty(),
        "{client} {mode:?}: nothing reached the new emulator"
    );
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!(
        ok > BATCH / 2,
        "{client} {mode:?}: only {ok} of {BATCH} succeeded"
    );
}

/// A policy that rides out a restart: connection refusals are retried for up to 10 seconds.
fn patient(mode: Delivery) -> bulletins_http::RetryPolicy {
    fast(mode)
        .max_attempts(1_000)
        .max_elapsed(Duration::from_secs(10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_restarted_mid_batch_async() {
    for mode in [AMO, ALO] {
        let first = emulator().start().await.expect("emulator");
        let addr = first.addr();
        let client = client_builder(&first.base_url(), mode)
            .retry(patient(mode))
            .build()
            .expect("client");
        let batch = tokio::spawn(async move { client.trigger_all((0..BATCH).map(order)).await });
        let before = wait_and_wall(&first, BATCH / 3).await;
        first.shutdown().await;
        let second = start_on(addr).await;
        let results = batch.await.expect("batch task");
        check_restart(mode, "async", &results, &before, &order_counts(&second));
        second.shutdown().await;
    }
}

#[test]
fn the_emulator_restarted_mid_batch_blocking() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for mode in [AMO, ALO] {
        let first = runtime.block_on(emulator().start()).expect("emulator");
        let addr = first.addr();
        let client = bulletins_http::blocking::Client::from_async(
            client_builder(&first.base_url(), mode)
                .retry(patient(mode))
                .build()
                .expect("client"),
        )
        .expect("blocking client");
        let batch = std::thread::spawn(move || client.trigger_all((0..BATCH).map(order)));
        let before = runtime.block_on(wait_and_wall(&first, BATCH / 3));
        runtime.block_on(first.shutdown());
        let second = runtime.block_on(start_on(addr));
        let results = batch.join().expect("batch thread");
        check_restart(mode, "blocking", &results, &before, &order_counts(&second));
        runtime.block_on(second.shutdown());
    }
}
