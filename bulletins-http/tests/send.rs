//! `Client::send` sends a payload's bytes as they are, with every guarantee `trigger` has: the
//! same retry decision, the warning when dropped in flight, and one result per payload of a
//! stream.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::{Payload, RetryPolicy};
use common::*;

/// Written by hand, as a JSONL line would be: `when` as a string of digits and a field the
/// SDK never writes, neither of which a bulletin re-serialized by the SDK would keep.
const LINE: &[u8] = br#"{"when":"1724123456","business_event":"order_placed","name":"Order 7","properties":{"order_id":"7"},"c-by":"[email protected]","campaign":{"kept":true}}"#;

fn payload() -> Payload {
    Payload::parse(LINE).expect("valid")
}

#[tokio::test]
async fn send_delivers_the_payload_as_written() {
    let emulator = start().await;
    let triggered = client(&emulator).send(&payload()).await.expect("sent");
    assert_eq!(triggered.targets, 2);
    let recorded = emulator.accepted();
    assert_eq!(recorded.len(), 1);
    let expected: serde_json::Value = serde_json::from_slice(LINE).expect("json");
    assert_eq!(recorded[0].payload, expected);
    emulator.shutdown().await;
}

#[tokio::test]
async fn send_retries_only_what_trigger_retries() {
    let emulator = start().await;
    let client = client(&emulator);
    // A 429 was certainly not processed: retried.
    emulator.inject(Fault::too_many_requests(), 1);
    let attempts = Arc::new(AtomicU32::new(0));
    let seen = Arc::clone(&attempts);
    let sent = client
        .send_observed(&payload(), move |n| seen.store(n, Ordering::SeqCst))
        .await;
    assert!(sent.is_ok(), "{sent:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    // A 500 may have been processed: not retried under the default policy.
    emulator.inject(Fault::status(500), 1);
    let err = client.send(&payload()).await.expect_err("500");
    assert!(err.may_have_been_delivered(), "{err}");
    assert_eq!(err.attempts(), 1, "{err}");
    // ... and retried when the caller opts in, as `trigger` would be.
    let retrying = builder(&emulator.base_url())
        .retry(fast(RetryPolicy::at_least_once()))
        .build()
        .expect("client");
    emulator.inject(Fault::status(500), 1);
    assert!(retrying.send(&payload()).await.is_ok());
    emulator.shutdown().await;
}

#[tokio::test]
async fn dropping_a_send_in_flight_warns_with_the_event_name() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let emulator = start().await;
    emulator.inject(Fault::Delay(Duration::from_secs(30)), 1);
    let client = client(&emulator);
    let payload = payload();
    let mut send = Box::pin(client.send(&payload));
    while !emulator.pending_faults().is_empty() {
        tokio::select! {
            output = &mut send => panic!("finished before being dropped: {output:?}"),
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    }
    assert_eq!(captured.warnings(), Vec::<String>::new());
    drop(send);
    let warnings = captured.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("order_placed"), "{warnings:?}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn send_stream_sends_every_payload_once_with_one_result_each() {
    use futures_util::StreamExt as _;
    let emulator = start().await;
    let client = client(&emulator);
    let payloads: Vec<Payload> = (0..7).map(|_| payload()).collect();
    let mut indexes: Vec<usize> = client
        .send_stream(payloads)
        .map(|(index, result)| {
            assert!(result.is_ok(), "{index}: {result:?}");
            index
        })
        .collect()
        .await;
    indexes.sort_unstable();
    assert_eq!(indexes, (0..7).collect::<Vec<_>>());
    assert_eq!(emulator.accepted().len(), 7);
    emulator.shutdown().await;
}
