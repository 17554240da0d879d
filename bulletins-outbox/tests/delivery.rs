//! The outbox's guarantees, on both stores, with the emulator as CleverTap over loopback. The
//! relay killed mid-flight, as a real process, is in `bulletins-cli/tests/outbox/crashes.rs`.

#[macro_use]
mod common;

use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::{Bulletin, DynamicEvent, RetryPolicy};
use bulletins_outbox::{Error, Outcome, Relay, State};
use common::{bulletin, client, emulator, received, Db, ACCOUNT, EVENT};

on_both_stores!(
    rolled_back_sends_nothing_and_committed_is_delivered_once,
    an_invalid_bulletin_is_refused_at_enqueue,
    a_relay_that_lost_its_lease_changes_nothing,
    certainly_undelivered_rows_are_retried_and_refusals_are_final,
    delivered_rows_are_purged_after_their_retention,
    migrate_is_idempotent_and_leaves_sqlx_migrations_alone,
);

async fn rolled_back_sends_nothing_and_committed_is_delivered_once(db: Db) {
    let emulator = emulator().await;
    let outbox = db.outbox();
    with_tx!(db, tx => {
        outbox.enqueue(&mut *tx, &bulletin(1)).await.expect("enqueue");
        tx.rollback().await.expect("rollback");
    });
    let relay = Relay::new(db.store.clone(), client(&emulator.base_url()));
    let report = relay.run_until_empty().await.expect("relay");
    assert_eq!(report.delivered + report.uncertain + report.refused, 0);
    assert!(
        db.states().await.is_empty(),
        "a rolled-back bulletin left a row"
    );
    assert!(
        emulator.bulletins().is_empty(),
        "a rolled-back bulletin was sent"
    );

    db.enqueue(2, 1).await;
    assert_eq!(relay.run_until_empty().await.expect("relay").delivered, 1);
    assert_eq!(relay.run_until_empty().await.expect("relay").delivered, 0);
    assert_eq!(received(&emulator).get("Order 2"), Some(&1));
    assert_eq!(emulator.accepted().len(), 1);
    assert_eq!(db.count(State::Delivered).await, 1);
}

async fn an_invalid_bulletin_is_refused_at_enqueue(db: Db) {
    let outbox = db.outbox();
    let nameless = Bulletin::new(DynamicEvent::new(EVENT).expect("valid"), "", "shop");
    with_tx!(db, tx => {
        let error = outbox.enqueue(&mut *tx, &nameless).await.expect_err("invalid");
        assert!(matches!(error, Error::Invalid(_)), "{error:?}");
        assert!(error.to_string().contains("not enqueued because it is invalid"), "{error}");
        // The transaction is unharmed: the caller decides whether to go on.
        outbox.enqueue(&mut *tx, &bulletin(1)).await.expect("valid one");
        tx.commit().await.expect("commit");
    });
    assert_eq!(
        db.states().await.len(),
        1,
        "the invalid bulletin was stored"
    );
}

async fn a_relay_that_lost_its_lease_changes_nothing(db: Db) {
    let store = &db.store;
    db.enqueue(1, 1).await;
    let stale = store
        .claim(ACCOUNT, 10, Duration::from_millis(1))
        .await
        .expect("claim");
    assert_eq!(stale.rows.len(), 1);
    let id = stale.rows[0].id;
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Expired but not yet swept: the lease alone stops it from sending.
    let lease = Duration::from_secs(60);
    assert!(!store
        .mark_sending(id, &stale.token, lease)
        .await
        .expect("update"));
    assert_eq!(store.sweep().await.expect("sweep").released, 1);

    let fresh = store.claim(ACCOUNT, 10, lease).await.expect("claim");
    assert_eq!(fresh.rows.len(), 1);
    assert_ne!(fresh.token, stale.token);
    let delivered = Outcome::Delivered { targets: 1 };
    assert!(!store
        .mark_sending(id, &stale.token, lease)
        .await
        .expect("update"));
    assert!(!store.release(id, &stale.token).await.expect("update"));
    assert!(store
        .mark_sending(id, &fresh.token, lease)
        .await
        .expect("update"));
    assert!(!store
        .record(id, &stale.token, &delivered)
        .await
        .expect("update"));
    let refused = Outcome::Refused("stale".into());
    assert!(!store
        .record(id, &stale.token, &refused)
        .await
        .expect("update"));
    assert_eq!(db.states().await, vec![(id, State::Sending)]);
    assert!(store
        .record(id, &fresh.token, &delivered)
        .await
        .expect("update"));
    assert_eq!(db.states().await, vec![(id, State::Delivered)]);
}

async fn certainly_undelivered_rows_are_retried_and_refusals_are_final(db: Db) {
    let emulator = emulator().await;
    let once = RetryPolicy::at_most_once().max_attempts(1);
    let unreachable = bulletins_http::Client::builder()
        .base_url("http://127.0.0.1:1")
        .account_id(ACCOUNT)
        .passcode(common::PASSCODE)
        .retry(once)
        .build()
        .expect("client");
    let reachable = bulletins_http::Client::builder()
        .base_url(emulator.base_url())
        .account_id(ACCOUNT)
        .passcode(common::PASSCODE)
        .retry(once)
        .build()
        .expect("client");
    let backoff =
        |relay: Relay| relay.retry_backoff(Duration::from_millis(10), Duration::from_millis(10));

    // No connection: pending again, then delivered by a relay that can connect.
    db.enqueue(1, 1).await;
    let report = backoff(Relay::new(db.store.clone(), unreachable))
        .run_batch()
        .await
        .expect("relay");
    assert_eq!(report.retried, 1);
    assert_eq!(db.count(State::Pending).await, 1);
    let relay = backoff(Relay::new(db.store.clone(), reachable));
    assert_eq!(relay.run_until_empty().await.expect("relay").delivered, 1);

    // 429: pending again, then delivered.
    emulator.inject(Fault::TooManyRequests { retry_after: None }, 1);
    db.enqueue(2, 1).await;
    let report = relay.run_until_empty().await.expect("relay");
    assert_eq!((report.retried, report.delivered), (1, 1), "{report:?}");

    // CleverTap's own refusal: final.
    let unknown = Bulletin::new(
        DynamicEvent::new("no_such_event").expect("valid"),
        "Ghost",
        "shop",
    );
    let outbox = db.outbox();
    with_tx!(db, tx => {
        outbox.enqueue(&mut *tx, &unknown).await.expect("enqueue");
        tx.commit().await.expect("commit");
    });
    assert_eq!(relay.run_until_empty().await.expect("relay").refused, 1);
    assert_eq!(db.count(State::Refused).await, 1);
    assert_eq!(received(&emulator).get("Order 1"), Some(&1));
    assert_eq!(received(&emulator).get("Order 2"), Some(&1));
}

async fn delivered_rows_are_purged_after_their_retention(db: Db) {
    let emulator = emulator().await;
    db.enqueue(1, 2).await;
    let relay = Relay::new(db.store.clone(), client(&emulator.base_url()));
    relay.run_until_empty().await.expect("relay");
    assert_eq!(
        db.store
            .purge_delivered(Duration::from_secs(3600), 100)
            .await
            .expect("purge"),
        0
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        db.store
            .purge_delivered(Duration::ZERO, 1)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(
        db.store
            .purge_delivered(Duration::ZERO, 100)
            .await
            .expect("purge"),
        1
    );
    assert!(db.states().await.is_empty());
}

async fn migrate_is_idempotent_and_leaves_sqlx_migrations_alone(db: Db) {
    db.store.migrate().await.expect("again");
    let sqlite = db.url.starts_with("sqlite:");
    let probe = if sqlite {
        "SELECT COUNT(*) FROM sqlite_master WHERE name = '_sqlx_migrations'"
    } else {
        "SELECT COUNT(*) FROM pg_tables WHERE tablename = '_sqlx_migrations'"
    };
    let n: i64 = on_db!(db, pool => {
        use sqlx::Row as _;
        sqlx::query(probe).fetch_one(&pool).await.expect("probe").get(0)
    });
    assert_eq!(n, 0);
    let status = db.store.status().await.expect("status");
    assert!(status.counts.values().all(|n| *n == 0));
    assert_eq!(status.oldest_pending_ms, None);
}
