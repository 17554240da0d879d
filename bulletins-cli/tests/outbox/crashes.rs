//! A relay killed mid-flight (SIGKILL, as a crash): no bulletin is sent twice; rows whose
//! request may have left become uncertain, the others are delivered once after their lease.

use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_outbox::State;

use super::process::{finish, Processes as _};
use crate::common::{emulator, received, Db};

on_both_stores!(
    a_relay_killed_mid_batch_leaves_rows_pending_or_uncertain_never_resent,
    a_relay_killed_between_claim_and_send_delivers_once_after_the_lease,
    a_relay_killed_after_its_request_left_leaves_the_row_uncertain,
    two_relays_racing_one_killed_send_no_bulletin_twice,
);

/// The bulletin's name stored in a row's body.
fn name_of(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).expect("stored JSON");
    value["name"].as_str().expect("a name").to_owned()
}

fn ids_in(states: &[(i64, State)], state: State) -> Vec<i64> {
    states
        .iter()
        .filter(|(_, s)| *s == state)
        .map(|(id, _)| *id)
        .collect()
}

async fn a_relay_killed_mid_batch_leaves_rows_pending_or_uncertain_never_resent(db: Db) {
    let emulator = emulator().await;
    let base = emulator.base_url();
    // The client's cap is 3: three requests reach the emulator and hang there; three more are
    // marked `sending` and wait for a slot (while answers are slow the relay keeps twice the
    // cap `sending`, whatever `max_sending` allows); the rest of the claim is `claimed`.
    emulator.inject(Fault::Delay(Duration::from_secs(600)), 3);
    let rows = 30;
    db.enqueue(0, rows).await;
    let leases = ["--claim-lease-ms", "1000", "--send-lease-ms", "1000"];
    let mut relay = db.relay_process(&base, &[&leases[..], &["--batch-size", "12"]].concat());
    db.wait_for("requests hanging and a batch sending", async |db: &Db| {
        emulator.bulletins().len() == 3 && db.count(State::Sending).await >= 6
    })
    .await;
    relay.kill();
    let before = db.states().await;
    let sending: Vec<i64> = ids_in(&before, State::Sending);
    let claimed = ids_in(&before, State::Claimed);
    assert_eq!((sending.len(), claimed.len()), (6, 6), "{before:?}");
    let sent_before_kill = received(&emulator);

    let output = finish(
        db.command(
            &base,
            "relay",
            &[
                &leases[..],
                &["--until-empty", "--sweep-interval-ms", "100"],
            ]
            .concat(),
        ),
    )
    .await;
    // Rows ended uncertain: the relay says so with its exit code.
    assert_eq!(output.status.code(), Some(6), "{output:?}");

    let after = db.states().await;
    assert_eq!(
        ids_in(&after, State::Uncertain),
        sending,
        "every row that was sending, and only those, is uncertain: {after:?}"
    );
    assert_eq!(ids_in(&after, State::Delivered).len(), rows - sending.len());
    let uncertain_names: Vec<String> = db
        .store
        .uncertain(100)
        .await
        .expect("list")
        .iter()
        .map(|row| name_of(&row.body))
        .collect();
    let seen = received(&emulator);
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    for name in &uncertain_names {
        assert_eq!(
            seen.get(name),
            sent_before_kill.get(name),
            "{name} was sending when the relay died and was sent again"
        );
    }
    for name in sent_before_kill.keys() {
        assert!(
            uncertain_names.contains(name),
            "{name} left but is not uncertain"
        );
    }
    assert_eq!(seen.len(), rows - sending.len() + sent_before_kill.len());
}

async fn a_relay_killed_between_claim_and_send_delivers_once_after_the_lease(db: Db) {
    let emulator = emulator().await;
    let base = emulator.base_url();
    db.enqueue(1, 1).await;
    let mut relay = db.relay_process(
        &base,
        &["--hold-claims-ms", "600000", "--claim-lease-ms", "1000"],
    );
    db.wait_for("the relay's claim", async |db: &Db| {
        db.count(State::Claimed).await == 1
    })
    .await;
    relay.kill();
    assert!(emulator.bulletins().is_empty());

    let output = finish(db.command(
        &base,
        "relay",
        &["--until-empty", "--sweep-interval-ms", "100"],
    ))
    .await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(received(&emulator).get("Order 1"), Some(&1));
    assert_eq!(emulator.bulletins().len(), 1);
    assert_eq!(db.count(State::Delivered).await, 1);
}

async fn a_relay_killed_after_its_request_left_leaves_the_row_uncertain(db: Db) {
    let emulator = emulator().await;
    let base = emulator.base_url();
    // The request reaches the emulator and waits there for an answer that does not come in time.
    emulator.inject(Fault::Delay(Duration::from_secs(600)), 1);
    db.enqueue(1, 1).await;
    let mut relay = db.relay_process(&base, &["--send-lease-ms", "1000"]);
    db.wait_for("the row to be sending", async |db: &Db| {
        db.count(State::Sending).await == 1
    })
    .await;
    relay.kill();

    let output = finish(db.command(
        &base,
        "relay",
        &["--until-empty", "--sweep-interval-ms", "100"],
    ))
    .await;
    // The row ended uncertain: the relay says so with its exit code.
    assert_eq!(output.status.code(), Some(6), "{output:?}");
    assert_eq!(
        db.count(State::Uncertain).await,
        1,
        "{:?}",
        db.states().await
    );
    assert!(
        emulator.accepted().is_empty(),
        "the bulletin was sent again"
    );
}

/// 2,000 rows by default, to keep the suite quick on a small machine; set
/// BULLETINS_OUTBOX_RACE_ROWS=10000 for the full run.
async fn two_relays_racing_one_killed_send_no_bulletin_twice(db: Db) {
    let rows: usize = std::env::var("BULLETINS_OUTBOX_RACE_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let emulator = emulator().await;
    let base = emulator.base_url();
    db.enqueue(0, rows).await;
    let args = [
        "--until-empty",
        "--claim-lease-ms",
        "2000",
        "--send-lease-ms",
        "2000",
        "--sweep-interval-ms",
        "200",
    ];
    let mut doomed = db.relay_process(&base, &args);
    let survivor = db.relay_process(&base, &args);
    db.wait_for("a quarter of the rows", async |db: &Db| {
        db.count(State::Delivered).await >= rows / 4
    })
    .await;
    doomed.kill();
    let restarted = db.relay_process(&base, &args);
    for relay in [survivor, restarted] {
        let status = relay.wait().await;
        // 6 for a relay that found the killed relay's rows uncertain.
        assert!(matches!(status.code(), Some(0 | 6)), "{status:?}");
    }

    let states = db.states().await;
    assert_eq!(states.len(), rows);
    let seen = received(&emulator);
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    let (mut delivered, mut uncertain) = (0, 0);
    for (_, state) in &states {
        match state {
            State::Delivered => delivered += 1,
            State::Uncertain => uncertain += 1,
            other => panic!("a row ended {other}"),
        }
    }
    // Every delivered row reached the emulator; an uncertain one may or may not have.
    let accepted = emulator.accepted().len();
    assert!(
        delivered <= accepted && accepted <= delivered + uncertain,
        "{accepted} accepted"
    );
    assert!(
        delivered + uncertain == rows && delivered > 0,
        "{delivered} + {uncertain}"
    );
    eprintln!("{rows} rows: {delivered} delivered, {uncertain} uncertain (the killed relay's requests in flight)");
}
