//! What an operator does with the commands: list and resolve uncertain rows, backfill a file
//! atomically, read the status.

use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_outbox::{Relay, State};

use super::process::{finish, stdout, Processes as _};
use crate::common::{client, emulator, received, Db, ACCOUNT, EVENT};

on_both_stores!(
    an_outcome_lost_after_sending_is_uncertain_until_resolved,
    operators_see_status_and_backfill_atomically,
);

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
