//! A shop service: raises `order_placed` and `Price Drop` from the shared schema crate.
//!
//! ```text
//! CLEVERTAP_ACCOUNT_ID=... CLEVERTAP_PASSCODE=... CLEVERTAP_REGION=eu1 \
//!     cargo run -p bulletins-example-shop-service
//! ```

// A command-line service reports on the terminal.
#![allow(clippy::print_stdout)]

use std::borrow::Cow;

use bulletins_example_schema::commerce::{OrderPlaced, PriceDrop};
use bulletins_http::{Bulletin, Client, Error, Triggered};

/// Tells CleverTap an order was placed.
async fn order_placed(
    client: &Client,
    order_id: &str,
    category: &str,
    quantity: u32,
) -> Result<Triggered, Error> {
    let event = OrderPlaced {
        order_id,
        product_category: Cow::Borrowed(category),
        coupon: None,
        quantity,
    };
    let name = format!("Order {order_id}");
    client
        .trigger(&Bulletin::new(event, name, "[email protected]"))
        .await
}

/// Tells CleverTap a product got cheaper.
async fn price_dropped(client: &Client, drop: PriceDrop) -> Result<Triggered, Error> {
    let name = format!("{} is cheaper", drop.product_id);
    client
        .trigger(&Bulletin::new(drop, name, "[email protected]"))
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    let order = order_placed(&client, "12345", "books", 2).await?;
    let drop = PriceDrop {
        product_id: "sku-42".into(),
        old_price: 1999,
        new_price: 1499,
        store_region: None,
    };
    let price = price_dropped(&client, drop).await?;
    println!(
        "order_placed: {} bulletin(s); Price Drop: {} bulletin(s)",
        order.targets, price.targets
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulletins_emulator::{Dashboard, Emulator, DEMO_ACCOUNT_ID, DEMO_PASSCODE};

    #[tokio::test]
    async fn both_events_reach_the_dashboard_with_string_properties() {
        // The emulator serves the schema crate's bulletins.json, the file the events are
        // checked against at compile time; it lists no accounts, so the demo account is served.
        let dashboard = Dashboard::from_json(bulletins_example_schema::DASHBOARD)
            .unwrap_or_else(|e| panic!("{e}"));
        let emulator = Emulator::builder()
            .dashboard(dashboard)
            .start()
            .await
            .expect("emulator starts");
        let client = Client::builder()
            .base_url(emulator.base_url())
            .account_id(DEMO_ACCOUNT_ID)
            .passcode(DEMO_PASSCODE)
            .build()
            .expect("client");

        order_placed(&client, "12345", "books", 2)
            .await
            .expect("order accepted");
        let drop = PriceDrop {
            product_id: "sku-42".into(),
            old_price: 1999,
            new_price: 1499,
            store_region: Some("EU".into()),
        };
        price_dropped(&client, drop).await.expect("drop accepted");

        let received = emulator.accepted();
        assert_eq!(received.len(), 2);
        assert_eq!(received[0].property("quantity"), Some("2"));
        assert_eq!(received[0].property("coupon_code"), None);
        assert_eq!(received[1].property("newPrice"), Some("1499"));
        assert_eq!(received[1].property("storeRegion"), Some("EU"));
    }
}
