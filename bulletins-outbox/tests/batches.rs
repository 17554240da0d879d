//! The guarantees where the relay works on many rows per commit: a batch of outcomes from a
//! relay whose lease is gone, and a claim's limit. A relay killed mid-batch is in
//! `bulletins-cli/tests/outbox/crashes.rs`.

#[macro_use]
mod common;

use std::collections::HashMap;
use std::time::Duration;

use bulletins_outbox::{Outcome, State};
use common::{Db, ACCOUNT};

on_both_stores!(
    an_outcome_batch_from_a_relay_that_lost_its_lease_changes_nothing,
    a_claim_takes_at_most_its_limit,
);

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
