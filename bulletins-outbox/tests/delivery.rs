//! The outbox's guarantees, on both stores, with the emulator as CleverTap over loopback and the
//! `bulletins-outbox` binary as real relay processes.

#[macro_use]
mod common;

use std::process::Output;
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::{Bulletin, DynamicEvent, RetryPolicy};
use bulletins_outbox::{Error, Outcome, Relay, State};
use common::{bulletin, client, emulator, received, Db, ACCOUNT, EVENT};

on_both_stores!(
    rolled_back_sends_nothing_and_committed_is_delivered_once,
    an_invalid_bulletin_is_refused_at_enqueue,
    a_relay_killed_between_claim_and_send_delivers_once_after_the_lease,
    a_relay_killed_after_its_request_left_leaves_the_row_uncertain,
    an_outcome_lost_after_sending_is_uncertain_until_resolved,
    a_relay_that_lost_its_lease_changes_nothing,
    two_relays_racing_one_killed_send_no_bulletin_twice,
    certainly_undelivered_rows_are_retried_and_refusals_are_final,
    delivered_rows_are_purged_after_their_retention,
    migrate_is_idempotent_and_leaves_sqlx_migrations_alone,
    operators_see_status_and_backfill_atomically,
);

/// Runs a command to its end, off the async workers.
async fn finish(mut command: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("run bulletins-outbox")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

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

async fn an_outcome_lost_after_sending_is_uncertain_until_resolved(db: Db) {
    let emulator = emulator().await;
    let base = emulator.base_url();
    emulator.inject(Fault::CloseAfterBody, 1);
    db.enqueue(1, 1).await;
    let relay =
        Relay::new(db.store.clone(), client(&base)).sweep_interval(Duration::from_millis(50));
    assert_eq!(relay.run_until_empty().await.expect("relay").uncertain, 1);
    assert_eq!(received(&emulator).get("Order 1"), Some(&1));
    // Never resent by a relay.
    relay.run_until_empty().await.expect("relay");
    assert_eq!(emulator.bulletins().len(), 1);

    let uncertain = db.store.uncertain(10).await.expect("list");
    assert_eq!(uncertain.len(), 1);
    let id = uncertain[0].id.to_string();
    assert!(
        uncertain[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("may have been delivered"),
        "{uncertain:?}"
    );

    let listed = finish(db.command(&base, "uncertain", &[])).await;
    assert!(
        stdout(&listed).starts_with(&format!("{id}\t{ACCOUNT}\t{EVENT}")),
        "{listed:?}"
    );

    let output = finish(db.command(&base, "resolve", &[&id, "--resend"])).await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(relay.run_until_empty().await.expect("relay").delivered, 1);
    assert_eq!(
        received(&emulator).get("Order 1"),
        Some(&2),
        "resend sends exactly once more"
    );
    assert_eq!(db.count(State::Delivered).await, 1);

    let again = finish(db.command(&base, "resolve", &[&id, "--delivered"])).await;
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("is `delivered`, not uncertain"), "{stderr}");
    assert!(stderr.contains("hint: run `uncertain`"), "{stderr}");
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

async fn operators_see_status_and_backfill_atomically(db: Db) {
    let emulator = emulator().await;
    let base = emulator.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let good = r#"{"business_event":"order_placed","name":"Backfill 1","properties":{"order_id":"1"},"c-by":"ops","when":1700000000}"#;
    let file = dir.path().join("backfill.jsonl");
    std::fs::write(
        &file,
        format!("{good}\n\n{}\n", good.replace("Backfill 1", "")),
    )
    .expect("write");
    let output = finish(db.command(&base, "enqueue", &[file.to_str().expect("utf8")])).await;
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("backfill.jsonl:3: "), "{stderr}");
    assert!(stderr.contains("hint: nothing was enqueued"), "{stderr}");
    assert!(db.states().await.is_empty());

    std::fs::write(
        &file,
        format!("{good}\n{}\n", good.replace("Backfill 1", "Backfill 2")),
    )
    .expect("write");
    let output = finish(db.command(&base, "enqueue", &[file.to_str().expect("utf8")])).await;
    assert!(output.status.success(), "{output:?}");
    assert_eq!(stdout(&output), "enqueued 2 bulletins\n");

    let output = finish(db.command(&base, "status", &["--json"])).await;
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(status["counts"]["pending"], 2, "{status}");
    assert!(status["oldest_pending_ms"].as_u64().is_some(), "{status}");

    let output = finish(db.command(&base, "relay", &["--until-empty"])).await;
    assert!(stdout(&output).starts_with("delivered 2,"), "{output:?}");
    let output = finish(db.command(&base, "status", &[])).await;
    assert!(stdout(&output).contains("delivered  2\n"), "{output:?}");
    assert_eq!(
        emulator.accepted()[0].when,
        Some(serde_json::json!(1_700_000_000))
    );
}
