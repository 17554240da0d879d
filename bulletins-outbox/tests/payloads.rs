//! A payload stored by the outbox is sent as it was stored, byte for byte: the relay neither
//! rebuilds a bulletin from the row nor serializes it again.

#[macro_use]
mod common;

use bulletins_http::Payload;
use bulletins_outbox::Relay;
use common::{client, emulator, Db, EVENT};

on_both_stores!(a_stored_payload_is_sent_as_written);

async fn a_stored_payload_is_sent_as_written(db: Db) {
    let emulator = emulator().await;
    // `when` as a string of digits and a field the SDK never writes: a bulletin rebuilt from
    // the row and serialized again would send neither.
    let line = format!(
        r#"{{"when":"1724123456","business_event":"{EVENT}","name":"Order 1","properties":{{"order_id":"1"}},"c-by":"shop","campaign":{{"kept":true}}}}"#
    );
    let payload = Payload::parse(line.as_bytes()).expect("valid");
    let outbox = db.outbox();
    with_tx!(db, tx => {
        outbox.enqueue_payload(&mut *tx, &payload).await.expect("enqueue");
        tx.commit().await.expect("commit");
    });
    let relay = Relay::new(db.store.clone(), client(&emulator.base_url()));
    let report = relay.run_until_empty().await.expect("relay");
    assert_eq!(report.delivered, 1, "{report:?}");
    let recorded = emulator.accepted();
    assert_eq!(recorded.len(), 1);
    let sent: serde_json::Value = serde_json::from_str(&line).expect("json");
    assert_eq!(recorded[0].payload, sent);
}
