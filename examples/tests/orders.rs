//! The README's testing snippet, what a service pastes as `tests/orders.rs`: after this header,
//! the README shows this file byte for byte (`readme.rs` checks it).

use bulletins_emulator::{DeliveryStatus, Emulator, Fault};
use bulletins_http::{Bulletin, BusinessEvent, Client, Error, Triggered};

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requires = ["order_id"])]
struct OrderPlaced {
    order_id: String,
}

// The code under test; in a service it lives in `src/`.
async fn place_order(client: &Client, order_id: &str) -> Result<Triggered, Error> {
    let event = OrderPlaced {
        order_id: order_id.into(),
    };
    client
        .trigger(&Bulletin::new(event, "New order", "[email protected]"))
        .await
}

#[tokio::test]
async fn place_order_raises_one_bulletin() -> Result<(), Box<dyn std::error::Error>> {
    let emulator: Emulator = Emulator::builder()
        .account("ACC", "PASS")
        .business_event::<OrderPlaced>() // the dashboard is your compiled schema
        .start()
        .await?;
    let client = Client::builder()
        .base_url(emulator.base_url())
        .account_id("ACC")
        .passcode("PASS")
        .build()?;

    place_order(&client, "12345").await?;
    // Your own struct; on a mismatch, a diff of the closest bulletin received.
    emulator.assert_received(&OrderPlaced {
        order_id: "12345".into(),
    });

    // Next request: read and recorded, then the connection closes with no answer.
    emulator.inject(Fault::CloseAfterBody, 1);
    let lost = place_order(&client, "12346")
        .await
        .expect_err("no answer came");
    assert!(lost.may_have_been_delivered());
    let unanswered = emulator.assert_received(&OrderPlaced {
        order_id: "12346".into(),
    });
    assert_eq!(unanswered.status, DeliveryStatus::ReceivedNotAcknowledged);
    Ok(())
}
