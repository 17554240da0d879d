//! The retry time budget (`max_elapsed`) starts when the first attempt starts: waiting for a
//! concurrency slot behind a burst does not use it up, so a 429 or a refused connection (both
//! safe to retry) is still retried afterwards.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::{Error, RetryPolicy, TransportKind};
use common::*;

/// Longer than the budget below, so a clock started before the slot was taken has run out by
/// the time the waiting trigger's first attempt fails.
const SLOT_HELD: Duration = Duration::from_millis(1500);
const BUDGET: Duration = Duration::from_millis(1000);

fn policy() -> RetryPolicy {
    fast(RetryPolicy::at_most_once()).max_elapsed(BUDGET)
}

#[tokio::test]
async fn a_429_after_waiting_for_a_slot_is_still_retried() {
    let emulator = start().await;
    // Whichever trigger takes the client's only slot first is held for SLOT_HELD; the other
    // then draws a 429.
    emulator.inject(Fault::Delay(SLOT_HELD), 1);
    emulator.inject(Fault::too_many_requests(), 1);
    let client = builder(&emulator.base_url())
        .max_concurrency(1)
        .retry(policy())
        .build()
        .expect("client");
    let (one, two) = (program("1"), program("2"));
    let (first, second) = tokio::join!(client.trigger(&one), client.trigger(&two));
    assert_eq!(first.map(|t| t.targets).ok(), Some(1));
    assert_eq!(
        second.map(|t| t.targets).ok(),
        Some(1),
        "the 429 was not retried"
    );
    assert_eq!(emulator.accepted().len(), 2);
    assert_eq!(emulator.rejections().len(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_refused_connection_after_waiting_for_a_slot_is_still_retried() {
    // A server that takes one connection, holds it without answering until the client's
    // timeout, and stops listening: the trigger waiting for the slot then finds the port
    // refused on every attempt.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let holder = std::thread::spawn(move || {
        let held = listener.accept().map(|(stream, _)| stream);
        drop(listener);
        std::thread::sleep(SLOT_HELD + Duration::from_millis(500));
        drop(held);
    });
    let client = builder(&base_url)
        .max_concurrency(1)
        .timeout(SLOT_HELD)
        .retry(policy())
        .build()
        .expect("client");
    let (one, two) = (program("1"), program("2"));
    let (first, second) = tokio::join!(client.trigger(&one), client.trigger(&two));
    let first = first.expect_err("held until the timeout");
    assert!(matches!(first, Error::Timeout { .. }), "{first:?}");
    let second = second.expect_err("refused");
    assert!(
        matches!(
            second,
            Error::Transport {
                kind: TransportKind::NotConnected,
                ..
            }
        ),
        "{second:?}"
    );
    assert_eq!(
        second.attempts(),
        policy().attempts_limit(),
        "gave up early: {second}"
    );
    holder.join().expect("holder thread");
}
