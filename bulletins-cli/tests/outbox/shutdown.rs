//! The relay binary on SIGTERM and SIGINT, and its exit codes: a deploy stops it without leaving
//! work for a person, and a script can tell a run that left rows refused or uncertain.

use std::time::{Duration, Instant};

use super::process::Processes as _;
use crate::common::{emulator, received, Db};
use bulletins_emulator::Fault;
use bulletins_outbox::State;

on_both_stores!(
    sigterm_mid_flight_finishes_the_requests_that_left_and_hands_back_the_rest,
    a_second_signal_stops_at_once,
    until_empty_exits_6_when_rows_end_refused_and_resolve_misuse_is_a_usage_error,
);

/// 30 rows, every answer 1.5 s, cap 3: SIGTERM while three requests wait for their answers,
/// three more rows are `sending` waiting for a slot, and the rest are claimed.
async fn sigterm_mid_flight_finishes_the_requests_that_left_and_hands_back_the_rest(db: Db) {
    let emulator = emulator().await;
    let rows = 30;
    emulator.inject(Fault::Delay(Duration::from_millis(1500)), rows);
    db.enqueue(0, rows).await;
    let relay = db.relay_process(&emulator.base_url(), &[]);
    db.wait_for("three requests in flight", async |db: &Db| {
        emulator.bulletins().len() == 3 && db.count(State::Sending).await == 6
    })
    .await;
    relay.signal("TERM");
    let status = relay.wait().await;
    assert_eq!(status.code(), Some(0), "{status:?}");

    let states = db.states().await;
    let left: Vec<_> = states
        .iter()
        .filter(|(_, s)| !matches!(s, State::Delivered | State::Pending))
        .collect();
    assert!(
        left.is_empty(),
        "rows left for a person or a lease: {left:?}"
    );
    let seen = received(&emulator);
    assert_eq!(db.count(State::Delivered).await, seen.len(), "{seen:?}");
    assert_eq!(emulator.accepted().len(), seen.len());
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    assert_eq!(db.count(State::Pending).await, rows - seen.len());
}

async fn a_second_signal_stops_at_once(db: Db) {
    let emulator = emulator().await;
    emulator.inject(Fault::Delay(Duration::from_secs(600)), 3);
    db.enqueue(0, 6).await;
    let relay = db.relay_process(&emulator.base_url(), &[]);
    db.wait_for("three requests in flight", async |db: &Db| {
        emulator.bulletins().len() == 3 && db.count(State::Sending).await == 6
    })
    .await;
    relay.signal("TERM");
    // The first signal's rows handed back: the relay is stopping, waiting for the three.
    db.wait_for("the unsent rows handed back", async |db: &Db| {
        db.count(State::Pending).await == 3
    })
    .await;
    let signalled = Instant::now();
    relay.signal("INT");
    let status = relay.wait().await;
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "{:?}",
        signalled.elapsed()
    );
    // The requests that left stay `sending`: the sweeper makes them uncertain.
    assert_eq!(db.count(State::Sending).await, 3, "{:?}", db.states().await);
}

async fn until_empty_exits_6_when_rows_end_refused_and_resolve_misuse_is_a_usage_error(db: Db) {
    let emulator = emulator().await;
    let base = emulator.base_url();
    emulator.inject(Fault::status(400), 1);
    db.enqueue(0, 2).await;
    let output = db
        .command(&base, "relay", &["--until-empty"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("delivered 1, refused 1,"), "{stdout}");

    let delivered = db
        .states()
        .await
        .into_iter()
        .find(|(_, s)| *s == State::Delivered)
        .expect("a delivered row")
        .0
        .to_string();
    let output = db
        .command(&base, "resolve", &[&delivered, "--resend"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2), "{output:?}");

    // Nothing left to do, and nothing refused or uncertain in this run: 0.
    let output = db
        .command(&base, "relay", &["--until-empty"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}
