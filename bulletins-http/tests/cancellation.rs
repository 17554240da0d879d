//! Dropping a trigger while its request is in flight: the request may already have reached
//! CleverTap and no result will say so, so the client logs a `tracing` warning naming the
//! event. Dropping one that has not started an attempt, or has finished, warns nothing.
//! A batch delivered on worker threads logs (and warns) in the caller's subscriber.

mod common;

use std::time::Duration;

use bulletins_emulator::{Emulator, Fault};
use common::*;
use futures_util::StreamExt as _;

/// A subscriber for this thread only (each test runs on its own current-thread runtime).
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    capture_at(tracing::Level::INFO)
}

/// Captures what this thread's subscriber records at `level` and above.
fn capture_at(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// Polls `future` until the emulator has taken every injected fault (so each request is in
/// flight, held by a long delay), and returns it unfinished.
async fn until_in_flight<F: std::future::Future + Unpin>(emulator: &Emulator, future: &mut F)
where
    F::Output: std::fmt::Debug,
{
    while !emulator.pending_faults().is_empty() {
        tokio::select! {
            output = &mut *future => panic!("finished before being dropped: {output:?}"),
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    }
}

const HELD: Duration = Duration::from_secs(30);

#[tokio::test]
async fn dropping_a_trigger_in_flight_warns_with_the_event_name() {
    let (captured, _guard) = capture();
    let emulator = start().await;
    emulator.inject(Fault::Delay(HELD), 1);
    let client = client(&emulator);
    let bulletin = program("1");
    let mut trigger = Box::pin(client.trigger(&bulletin));
    until_in_flight(&emulator, &mut trigger).await;
    assert_eq!(captured.warnings(), Vec::<String>::new());
    drop(trigger);
    let warnings = captured.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("Program Released"), "{warnings:?}");
    assert!(
        warnings[0].contains("may have been delivered"),
        "{warnings:?}"
    );
    // Inside the trigger's span, as the docs say.
    assert!(warnings[0].contains("bulletins.trigger{"), "{warnings:?}");
}

#[tokio::test]
async fn dropping_a_stream_warns_once_per_bulletin_in_flight() {
    dropping_a_stream_warns_in_the_callers_subscriber(2).await;
}

/// A cap above 3 on a multi-threaded runtime: the deliveries run on worker tasks, on the
/// runtime's threads, where the test's thread-local subscriber is not the default. The
/// warnings must still reach it, each in its trigger's span.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_stream_on_workers_warns_in_the_callers_subscriber() {
    dropping_a_stream_warns_in_the_callers_subscriber(4).await;
}

/// Holds `cap` requests in flight (the emulator's limit raised to match), drops the stream,
/// and expects one WARN per held request.
async fn dropping_a_stream_warns_in_the_callers_subscriber(cap: usize) {
    let (captured, _guard) = capture();
    let emulator = start_with(cap).await;
    emulator.inject(Fault::Delay(HELD), cap);
    let client = builder(&emulator.base_url())
        .max_concurrency(cap)
        .build()
        .expect("client");
    let mut stream = Box::pin(client.trigger_stream((1..=5).map(|i| program(&i.to_string()))));
    let mut next = stream.next();
    until_in_flight(&emulator, &mut next).await;
    drop(next);
    drop(stream);
    // On workers, each bulletin in flight is on a task the runtime drops right after the
    // stream: give it the chance to.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while captured.warnings().len() < cap && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let warnings = captured.warnings();
    assert_eq!(warnings.len(), cap, "{warnings:?}");
    // In each trigger's span, as from an inline trigger.
    assert!(
        warnings.iter().all(|w| w.contains("bulletins.trigger{")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().all(|w| w.contains("Program Released")),
        "{warnings:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_on_workers_logs_in_the_callers_subscriber() {
    let (captured, _guard) = capture_at(tracing::Level::DEBUG);
    let emulator = start_with(4).await;
    let client = builder(&emulator.base_url())
        .max_concurrency(4)
        .build()
        .expect("client");
    let results = client
        .trigger_all((1..=8).map(|i| program(&i.to_string())))
        .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // Delivered on the workers' threads, logged where the batch was called.
    let text = captured.text();
    assert_eq!(text.matches("bulletin triggered").count(), 8, "{text}");
}

#[tokio::test]
async fn a_finished_or_unstarted_trigger_warns_nothing() {
    let (captured, _guard) = capture();
    let emulator = start().await;
    let client = client(&emulator);
    let bulletin = program("1");
    assert_eq!(
        client.trigger(&bulletin).await.map(|t| t.targets).ok(),
        Some(1)
    );
    // Never polled: nothing was sent.
    drop(client.trigger(&bulletin));
    // Waiting for a slot (the only one is taken): nothing was sent either.
    let busy = builder(&emulator.base_url())
        .max_concurrency(1)
        .build()
        .expect("client");
    emulator.inject(Fault::Delay(HELD), 1);
    let mut holder = Box::pin(busy.trigger(&bulletin));
    until_in_flight(&emulator, &mut holder).await;
    let mut waiting = Box::pin(busy.trigger(&bulletin));
    tokio::select! {
        output = &mut waiting => panic!("got a slot: {output:?}"),
        () = tokio::time::sleep(Duration::from_millis(20)) => {}
    }
    drop(waiting);
    assert_eq!(captured.warnings(), Vec::<String>::new());
    drop(holder);
    assert_eq!(captured.warnings().len(), 1);
}
