//! The guarantees where the relay works on many rows per commit: a crash in the middle of a
//! batch, and a batch of outcomes from a relay whose lease is gone.

#[macro_use]
mod common;

use std::collections::HashMap;
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_outbox::{Outcome, State};
use common::{emulator, received, Db, ACCOUNT};

on_both_stores!(
    a_relay_killed_mid_batch_leaves_rows_pending_or_uncertain_never_resent,
    an_outcome_batch_from_a_relay_that_lost_its_lease_changes_nothing,
    a_claim_takes_at_most_its_limit,
);

/// Runs a command to its end, off the async workers.
async fn finish(mut command: std::process::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("run bulletins-outbox")
}

/// The bulletin's name stored in a row's body.
fn name_of(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).expect("stored JSON");
    value["name"].as_str().expect("a name").to_owned()
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

fn ids_in(states: &[(i64, State)], state: State) -> Vec<i64> {
    states
        .iter()
        .filter(|(_, s)| *s == state)
        .map(|(id, _)| *id)
        .collect()
}

async fn an_outcome_batch_from_a_relay_that_lost_its_lease_changes_nothing(db: Db) {
    let store = &db.store;
    db.enqueue(1, 3).await;
    let stale = store
        .claim(ACCOUNT, 10, Duration::from_millis(1))
        .await
        .expect("claim");
    let ids: Vec<i64> = stale.rows.iter().map(|row| row.id).collect();
    assert_eq!(ids.len(), 3);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let lease = Duration::from_secs(60);
    // Expired but not yet swept: the lease alone stops the batch from being marked.
    let marked = store
        .mark_sending_many(&stale.token, &ids, lease)
        .await
        .expect("update");
    assert!(marked.is_empty(), "{marked:?}");
    assert_eq!(store.sweep().await.expect("sweep").released, 3);

    let fresh = store.claim(ACCOUNT, 10, lease).await.expect("claim");
    assert_eq!(fresh.rows.len(), 3);
    let marked = store
        .mark_sending_many(&stale.token, &ids, lease)
        .await
        .expect("update");
    assert!(marked.is_empty(), "the stale token marked {marked:?}");
    let marked = store
        .mark_sending_many(&fresh.token, &ids[..2], lease)
        .await
        .expect("update");
    assert_eq!(marked.len(), 2);

    // All deliveries (PostgreSQL writes these with the next marks in one statement) ...
    let stale_deliveries = [
        (ids[0], Outcome::Delivered { targets: 1 }),
        (ids[1], Outcome::Delivered { targets: 1 }),
    ];
    let recorded = store
        .record_many(&stale.token, &stale_deliveries)
        .await
        .expect("update");
    assert_eq!(recorded, vec![false; 2], "a stale delivery was recorded");
    // ... and a mix of outcomes.
    let stale_outcomes = [
        (ids[0], Outcome::Delivered { targets: 1 }),
        (ids[1], Outcome::Uncertain("stale".into())),
        (ids[2], Outcome::Refused("stale".into())),
    ];
    let recorded = store
        .record_many(&stale.token, &stale_outcomes)
        .await
        .expect("update");
    assert_eq!(recorded, vec![false; 3]);
    let unchanged: HashMap<i64, State> = db.states().await.into_iter().collect();
    assert_eq!(
        (unchanged[&ids[0]], unchanged[&ids[1]], unchanged[&ids[2]]),
        (State::Sending, State::Sending, State::Claimed),
        "a stale batch changed a row"
    );

    let fresh_outcomes = [
        (ids[0], Outcome::Delivered { targets: 1 }),
        (ids[1], Outcome::Delivered { targets: 2 }),
    ];
    let recorded = store
        .record_many(&fresh.token, &fresh_outcomes)
        .await
        .expect("update");
    assert_eq!(recorded, vec![true, true]);
    assert_eq!(db.count(State::Delivered).await, 2);
}

/// Memory stays flat with any backlog only if a claim never takes more than its batch.
async fn a_claim_takes_at_most_its_limit(db: Db) {
    db.enqueue(0, 50).await;
    let claim = db
        .store
        .claim(ACCOUNT, 7, Duration::from_secs(60))
        .await
        .expect("claim");
    assert_eq!(claim.rows.len(), 7);
    assert_eq!(db.count(State::Claimed).await, 7);
    assert_eq!(db.count(State::Pending).await, 43);
}
