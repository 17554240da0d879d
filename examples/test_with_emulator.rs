//! How to test your own code against the emulator: real HTTP over loopback, a dashboard built
//! from your compiled schema, assertions that take your own event structs and show a diff of what
//! CleverTap would have received, waiting for background work without sleeps, and faults.
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
        // Your own event struct, as the code should have built it. On a mismatch the panic
        // diffs the closest bulletin received, property by property.
        emulator.assert_received(&expected_order());
        assert_eq!(emulator.accepted().len(), 1);
    }

    /// What `notify_order(.., "12345", "books")` should send.
    fn expected_order() -> OrderPlaced<'static> {
        OrderPlaced {
            order_id: "12345",
            product_category: Cow::Borrowed("books"),
            coupon: Some("WELCOME10".into()),
            quantity: 1,
        }
    }

    #[tokio::test]
    async fn a_bulletin_sent_in_the_background_is_awaited_not_slept_for() {
        let (emulator, client) = emulator_and_client().await;

        // Work your service hands to a background task.
        let work = tokio::spawn(async move { notify_order(&client, "12345", "books").await });

        // Returns as soon as the bulletin is recorded; the timeout only bounds a broken run.
        emulator
            .wait_for_bulletins(1, Duration::from_secs(10))
            .await
            .expect("the background task sends one bulletin");
        // The whole bulletin: the event, its name and its creator.
        let expected = Bulletin::new(expected_order(), "Order 12345", "[email protected]");
        emulator.assert_received_bulletin(&expected);
        work.await
            .expect("the task ran")
            .expect("the bulletin was accepted");
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
        let received = emulator.assert_received(&expected_order());
        assert_eq!(received.status, DeliveryStatus::ReceivedNotAcknowledged);
        assert_eq!(emulator.bulletins().len(), 1, "at most once: not resent");
    }

    #[tokio::test]
    async fn a_429_is_retried_because_it_certainly_was_not_processed() {
        let (emulator, client) = emulator_and_client().await;
        emulator.inject(Fault::too_many_requests(), 2);

        notify_order(&client, "12345", "books")
            .await
            .expect("accepted on the third attempt");

        assert!(emulator.assert_received(&expected_order()).is_accepted());
        assert_eq!(emulator.bulletins().len(), 1);
    }
}
