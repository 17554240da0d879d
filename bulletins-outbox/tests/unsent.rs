//! Failures that certainly sent nothing, for a cause on our side (the limiter's Redis down,
//! credentials refused, no connection): the row stays pending with a backoff and the relay
//! says why, loudly; and an operator can resend a refused row.

#[macro_use]
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::{Client, ClientBuilder, RedisLimiter, RetryPolicy};
use bulletins_outbox::{Relay, Resolution, State};
use common::{emulator, received, Db, ACCOUNT, PASSCODE};

on_both_stores!(
    a_limiter_that_hands_out_no_slot_keeps_the_row_pending,
    refused_credentials_keep_the_row_pending,
    no_connection_keeps_the_row_pending,
    a_429_inside_a_200_keeps_the_row_pending,
    credentials_refused_inside_a_200_keep_the_row_pending,
    an_operator_can_resend_a_refused_row,
);

/// What the relay logs, captured on this thread (the relay's loop runs on the test's thread).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn capture() -> (Log, tracing::subscriber::DefaultGuard) {
        let log = Log::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (log, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

fn builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .account_id(ACCOUNT)
        .passcode(PASSCODE)
        .retry(RetryPolicy::at_most_once().max_attempts(1))
}

/// Runs one batch with `client`, which fails for a cause of ours, and checks that the row is
/// pending again, logged at `level` with `reason`; then a working relay delivers it once.
async fn stays_pending(db: &Db, client: Client, level: &str, reason: &str) {
    let emulator = emulator().await;
    db.enqueue(1, 1).await;
    let (log, guard) = Log::capture();
    let report = Relay::new(db.store.clone(), client)
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(10))
        .run_batch()
        .await
        .expect("relay");
    drop(guard);
    let states = db.states().await;
    assert_eq!(
        (report.retried, report.refused, states[0].1),
        (1, 0, State::Pending),
        "{report:?} {states:?}"
    );
    let log = log.text();
    assert!(
        log.lines()
            .any(|line| line.contains(level) && line.contains(reason)),
        "no {level} saying {reason:?}: {log}"
    );

    let relay = Relay::new(
        db.store.clone(),
        builder(&emulator.base_url()).build().expect("client"),
    );
    assert_eq!(relay.run_until_empty().await.expect("relay").delivered, 1);
    assert_eq!(received(&emulator).get("Order 1"), Some(&1));
}

/// The fleet set-up: a Redis-shared cap, and Redis is down.
async fn a_limiter_that_hands_out_no_slot_keeps_the_row_pending(db: Db) {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("redis://{}/", dead.local_addr().expect("addr"));
    drop(dead);
    let limiter = RedisLimiter::builder(url)
        .redis_timeout(Duration::from_millis(200))
        .build()
        .expect("limiter");
    let client = builder("http://127.0.0.1:1")
        .limiter(limiter)
        .build()
        .expect("client");
    stays_pending(&db, client, "ERROR", "no concurrency slot could be taken").await;
}

async fn refused_credentials_keep_the_row_pending(db: Db) {
    let emulator = emulator().await;
    let client = Client::builder()
        .base_url(emulator.base_url())
        .account_id(ACCOUNT)
        .passcode("WRONG-PASSCODE")
        .build()
        .expect("client");
    stays_pending(&db, client, "ERROR", "CleverTap refused the credentials").await;
    assert!(emulator.accepted().is_empty());
}

async fn no_connection_keeps_the_row_pending(db: Db) {
    let client = builder("http://127.0.0.1:1").build().expect("client");
    stays_pending(
        &db,
        client,
        "WARN",
        "no connection to CleverTap could be made",
    )
    .await;
}

/// CleverTap's concurrency refusal can come as a 200 whose body says `"status":"fail"` with
/// code 429: certainly not processed, as the core's retry decision knows, so the row waits.
async fn a_429_inside_a_200_keeps_the_row_pending(db: Db) {
    let emulator = emulator().await;
    emulator.inject(
        Fault::FailBody200 {
            error: "Too many concurrent requests".into(),
            code: 429,
        },
        1,
    );
    let client = builder(&emulator.base_url()).build().expect("client");
    stays_pending(&db, client, "WARN", "CleverTap answered 429").await;
}

/// A 200 whose body refuses the account (code 401) is a credentials problem, as a 401 is.
async fn credentials_refused_inside_a_200_keep_the_row_pending(db: Db) {
    let emulator = emulator().await;
    emulator.inject(
        Fault::FailBody200 {
            error: "Account ID is not valid".into(),
            code: 401,
        },
        1,
    );
    let client = builder(&emulator.base_url()).build().expect("client");
    stays_pending(&db, client, "ERROR", "CleverTap refused the credentials").await;
}

/// CleverTap refused a row (a 400); once the cause is fixed, `resolve ID --resend` sends it
/// again, and only it.
async fn an_operator_can_resend_a_refused_row(db: Db) {
    let emulator = emulator().await;
    let base = emulator.base_url();
    emulator.inject(Fault::status(400), 1);
    db.enqueue(1, 1).await;
    let relay = Relay::new(db.store.clone(), builder(&base).build().expect("client"));
    assert_eq!(relay.run_until_empty().await.expect("relay").refused, 1);
    let id = db.states().await[0].0;

    db.store
        .resolve(id, Resolution::Resend)
        .await
        .expect("a refused row can be resent");
    assert_eq!(db.count(State::Pending).await, 1);
    assert_eq!(relay.run_until_empty().await.expect("relay").delivered, 1);
    // The 400 was answered before reading the body, so only the resend was received.
    assert_eq!(received(&emulator).get("Order 1"), Some(&1));
    assert_eq!(emulator.accepted().len(), 1);
}
