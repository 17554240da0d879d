//! How to test your own code against the emulator: real HTTP over loopback, a dashboard built
//! from your compiled schema, assertions on what CleverTap would have received, and faults.
//!
//! ```text
//! cargo test -p bulletins-examples --example test_with_emulator
//! ```
//!
//! Copy the pattern into your service's tests: no mock agrees with whatever your code sends —
//! the emulator checks it the way CleverTap does.

use std::borrow::Cow;

use bulletins_example_schema::commerce::OrderPlaced;
use bulletins_http::{Bulletin, Client, Error, Triggered};

/// The code under test: what your service does when an order is placed.
pub async fn notify_order(
    client: &Client,
    order_id: &str,
    category: &str,
) -> Result<Triggered, Error> {
    let event = OrderPlaced {
        order_id,
        product_category: Cow::Borrowed(category),
        coupon: Some("WELCOME10".into()),
        quantity: 1,
    };
    let bulletin = Bulletin::new(event, format!("Order {order_id}"), "[email protected]");
    client.trigger(&bulletin).await
}

// An example's job is to show what happens, on the terminal.
#[allow(clippy::print_stdout)]
fn main() {
    println!("this example is a test suite: cargo test -p bulletins-examples --example test_with_emulator");
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulletins_emulator::{DeliveryStatus, Emulator, Fault};
    use bulletins_http::RetryPolicy;
    use std::time::Duration;

    async fn emulator_and_client() -> (Emulator, Client) {
        let emulator = Emulator::builder()
            .account("TEST-ACCOUNT", "TEST-PASSCODE")
            .business_event::<OrderPlaced<'static>>()
            .start()
            .await
            .expect("emulator starts");
        let client = Client::builder()
            .base_url(emulator.base_url())
            .account_id("TEST-ACCOUNT")
            .passcode("TEST-PASSCODE")
            // Tests need not wait out production backoffs.
            .retry(
                RetryPolicy::at_most_once()
                    .backoff(Duration::from_millis(1), Duration::from_millis(5)),
            )
            .build()
            .expect("client");
        (emulator, client)
    }

    #[tokio::test]
    async fn an_order_raises_one_bulletin_with_its_properties() {
        let (emulator, client) = emulator_and_client().await;

        let triggered = notify_order(&client, "12345", "books")
            .await
            .expect("accepted");

        assert_eq!(triggered.targets, 1);
        let received = emulator.accepted();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].property("order_id"), Some("12345"));
        assert_eq!(received[0].property("coupon_code"), Some("WELCOME10"));
        assert_eq!(received[0].property("quantity"), Some("1"));
    }

    #[tokio::test]
    async fn a_lost_answer_is_reported_as_possibly_delivered_and_not_resent() {
        let (emulator, client) = emulator_and_client().await;
        // The next request is read and recorded, then the connection closes with no answer.
        emulator.inject(Fault::CloseAfterBody, 1);

        let error = notify_order(&client, "12345", "books")
            .await
            .expect_err("no answer");

        assert!(error.may_have_been_delivered());
        let received = emulator.bulletins();
        assert_eq!(received.len(), 1, "at most once: not resent");
        assert_eq!(received[0].status, DeliveryStatus::ReceivedNotAcknowledged);
    }

    #[tokio::test]
    async fn a_429_is_retried_because_it_certainly_was_not_processed() {
        let (emulator, client) = emulator_and_client().await;
        emulator.inject(Fault::too_many_requests(), 2);

        notify_order(&client, "12345", "books")
            .await
            .expect("accepted on the third attempt");

        assert_eq!(emulator.accepted().len(), 1);
    }
}
