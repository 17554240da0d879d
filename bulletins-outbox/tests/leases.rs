//! The relay's own leases: a claim that outlives its lease while the relay waits for answers, and
//! a sending lease that must not run out while the request still waits for a concurrency slot.

#[macro_use]
mod common;

use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::Client;
use bulletins_outbox::{Relay, Resolution, State};
use common::{emulator, received, Db, ACCOUNT, PASSCODE};

on_both_stores!(
    a_claim_that_outlives_its_lease_sends_each_row_once,
    a_row_waiting_for_a_slot_is_not_made_uncertain,
);

fn client_with_cap(base_url: &str, cap: usize) -> Client {
    Client::builder()
        .base_url(base_url)
        .account_id(ACCOUNT)
        .passcode(PASSCODE)
        .max_concurrency(cap)
        .build()
        .expect("client")
}

/// The tail of each 5-row claim waits for answers longer than the claim lease; the relay's own
/// sweep hands those rows back and the relay claims them again. The stale entries must be
/// dropped, and the report must count each row once.
async fn a_claim_that_outlives_its_lease_sends_each_row_once(db: Db) {
    let emulator = emulator().await;
    let rows = 10;
    emulator.inject(Fault::Delay(Duration::from_millis(600)), rows);
    db.enqueue(0, rows).await;
    let relay = Relay::new(db.store.clone(), client_with_cap(&emulator.base_url(), 2))
        .batch_size(5)
        .claim_lease(Duration::from_millis(300))
        .sweep_interval(Duration::from_millis(100));
    let report = relay.run_until_empty().await.expect("relay");

    let seen = received(&emulator);
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}; report {report:?}");
    assert_eq!(seen.len(), rows, "{seen:?}");
    assert_eq!(db.count(State::Delivered).await, rows);
    // Each row delivered once, counted once; `lost` counts claims that expired before their
    // rows were marked (those rows were claimed again and are among the delivered).
    assert_eq!(
        (report.delivered, report.refused, report.uncertain),
        (rows as u64, 0, 0),
        "the report does not say what happened: {report:?}"
    );
}

/// Cap 1, a 3 s answer ahead of the second row, a 500 ms sending lease: the second row waits
/// for its slot far longer than its lease. An operator who sees an uncertain row whose request
/// CleverTap never received resends it (as the sweeper's message tells them to); that must
/// never happen to a row whose request has not left, or it is sent twice.
async fn a_row_waiting_for_a_slot_is_not_made_uncertain(db: Db) {
    let emulator = emulator().await;
    emulator.inject(Fault::Delay(Duration::from_secs(3)), 1);
    db.enqueue(0, 2).await;
    let relay = Relay::new(db.store.clone(), client_with_cap(&emulator.base_url(), 1))
        .send_lease(Duration::from_millis(500))
        .sweep_interval(Duration::from_millis(50));
    let relaying = tokio::spawn(async move { relay.run_until_empty().await });

    let mut resent = Vec::new();
    while !relaying.is_finished() {
        // Another relay on the table sweeps expired leases meanwhile.
        db.store.sweep().await.expect("sweep");
        // What the emulator received before the states were read: a row uncertain now whose
        // name is not in it had certainly not left when it was called uncertain.
        let seen = received(&emulator);
        for row in db.store.uncertain(10).await.expect("list") {
            let name = serde_json::from_str::<serde_json::Value>(&row.body).expect("json")["name"]
                .as_str()
                .expect("name")
                .to_owned();
            if !seen.contains_key(&name) {
                resent.push(name);
                db.store
                    .resolve(row.id, Resolution::Resend)
                    .await
                    .expect("resolve");
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    relaying.await.expect("join").expect("relay");

    assert!(
        resent.is_empty(),
        "rows called uncertain while their request waited for a slot: {resent:?}"
    );
    let seen = received(&emulator);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.values().all(|n| *n == 1), "sent twice: {seen:?}");
}
