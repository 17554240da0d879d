//! The test assertions: `assert_received` and `assert_received_bulletin` pass on a match and
//! panic with a diff of the closest bulletin otherwise (each message checked whole), and
//! `wait_for_bulletins` returns once enough bulletins arrived, or times out saying what did.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use bulletins_core::{BuildError, Bulletin, BusinessEvent, DynamicEvent, PropertyWriter, When};
use bulletins_emulator::{DeliveryStatus, Emulator, Fault};
use common::*;

/// Long enough never to end a passing test on a loaded machine; the wait returns as soon as
/// the bulletins are there.
const PATIENCE: Duration = Duration::from_secs(30);

fn order(properties: &[(&str, &str)]) -> DynamicEvent {
    let mut event = DynamicEvent::new("order_placed").unwrap_or_else(|e| panic!("{e}"));
    for (key, value) in properties {
        event.insert(*key, *value).unwrap_or_else(|e| panic!("{e}"));
    }
    event
}

fn new_order(event: DynamicEvent) -> Bulletin<'static, DynamicEvent> {
    Bulletin::new(event, "New order", "[email protected]")
}

async fn send(emulator: &Emulator, bulletin: &Bulletin<'_, DynamicEvent>) -> Answer {
    let body = bulletin.to_json_vec().unwrap_or_else(|e| panic!("{e}"));
    trigger(emulator, body).await
}

/// The message `f` panics with.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => panic!("the assertion passed"),
        Err(payload) => payload,
    };
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map_or_else(|| "(not a string)".to_owned(), |s| (*s).to_owned()),
    }
}

#[tokio::test]
async fn a_matching_bulletin_passes_and_is_returned() {
    let emulator = start().await;
    let other = order(&[("order_id", "1"), ("product_category", "toys")]);
    let expected = order(&[("order_id", "2"), ("product_category", "books")]);
    assert_eq!(send(&emulator, &new_order(other)).await.status, 200);
    assert_eq!(
        send(&emulator, &new_order(expected.clone())).await.status,
        200
    );

    let received = emulator.assert_received(&expected);
    assert_eq!(received.id, 2);
    assert_eq!(received.property("order_id"), Some("2"));
    // Properties are compared as a set: the order they were written in does not matter.
    let reordered = order(&[("product_category", "books"), ("order_id", "2")]);
    assert_eq!(emulator.assert_received(&reordered).id, 2);
}

#[tokio::test]
async fn a_property_more_or_less_is_a_mismatch() {
    let emulator = start().await;
    let sent = order(&[
        ("order_id", "1"),
        ("product_category", "toys"),
        ("quantity", "2"),
    ]);
    assert_eq!(send(&emulator, &new_order(sent)).await.status, 200);

    let fewer = order(&[("order_id", "1"), ("product_category", "toys")]);
    let message = panic_message(|| {
        emulator.assert_received(&fewer);
    });
    assert!(
        message.contains("\nclosest: #1 (accepted): property `quantity` is extra\n"),
        "{message}"
    );
    let more = order(&[
        ("order_id", "1"),
        ("product_category", "toys"),
        ("quantity", "2"),
        ("coupon_code", "X"),
    ]);
    let message = panic_message(|| {
        emulator.assert_received(&more);
    });
    assert!(
        message.contains("\nclosest: #1 (accepted): property `coupon_code` is missing\n"),
        "{message}"
    );
}

#[tokio::test]
async fn a_bulletin_received_but_not_acknowledged_counts_as_received() {
    let emulator = start().await;
    let event = order(&[("order_id", "1"), ("product_category", "toys")]);
    emulator.inject(Fault::CloseAfterBody, 1);
    let body = new_order(event.clone())
        .to_json_vec()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(post_with(&emulator, HEADERS, body).await.is_err());

    let received = emulator.assert_received(&event);
    assert_eq!(received.status, DeliveryStatus::ReceivedNotAcknowledged);
}

#[tokio::test]
async fn a_mismatch_diffs_the_closest_bulletin_and_lists_what_was_received() {
    let emulator = start().await;
    let far = order(&[("order_id", "99"), ("product_category", "toys")]);
    let near = order(&[
        ("order_id", "12345"),
        ("product_category", "books"),
        ("quantity", "2"),
        ("coupon_code", "SAVE10"),
    ]);
    assert_eq!(send(&emulator, &new_order(far)).await.status, 200);
    assert_eq!(send(&emulator, &new_order(near)).await.status, 200);
    let refused = send(&emulator, &new_order(order(&[("order_id", "7")]))).await;
    assert_eq!(refused.status, 400);

    let expected = order(&[
        ("order_id", "12345"),
        ("product_category", "books"),
        ("quantity", "3"),
        ("gift_wrap", "yes"),
    ]);
    let message = panic_message(|| {
        emulator.assert_received(&expected);
    });
    assert_eq!(
        message,
        r#"assertion failed: no bulletin received matches the expected `order_placed`
closest: #2 (accepted): property `quantity` differs, property `gift_wrap` is missing, property `coupon_code` is extra
- expected
+ received
  business_event: "order_placed"
  properties:
    order_id: "12345"
    product_category: "books"
-   quantity: "3"
+   quantity: "2"
-   gift_wrap: "yes"
+   coupon_code: "SAVE10"
2 bulletins received, oldest first:
  #1 accepted `order_placed` "New order" {order_id: "99", product_category: "toys"}
  #2 accepted `order_placed` "New order" {coupon_code: "SAVE10", order_id: "12345", product_category: "books", quantity: "2"}
1 request refused, oldest first:
  #3 400 `order_placed`: Property product_category missing"#
    );
}

#[tokio::test]
async fn with_nothing_received_the_message_shows_the_expected_event_and_the_refusals() {
    let emulator = start().await;
    let expected = order(&[("order_id", "7")]);
    let message = panic_message(|| {
        emulator.assert_received(&expected);
    });
    assert_eq!(
        message,
        r#"assertion failed: no bulletin received matches the expected `order_placed`
no bulletin was received; expected:
  business_event: "order_placed"
  properties:
    order_id: "7""#
    );

    assert_eq!(
        send(&emulator, &new_order(expected.clone())).await.status,
        400
    );
    let message = panic_message(|| {
        emulator.assert_received(&expected);
    });
    assert!(
        message.ends_with(
            "\n1 request refused, oldest first:\n  #1 400 `order_placed`: Property product_category missing"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn with_only_other_events_received_the_message_says_so() {
    let emulator = start().await;
    let ping = DynamicEvent::new("ping").unwrap_or_else(|e| panic!("{e}"));
    let answer = trigger(
        &emulator,
        Bulletin::new(ping, "Ping", "[email protected]")
            .to_json_vec()
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(answer.status, 200);

    let message = panic_message(|| {
        emulator.assert_received(&order(&[]));
    });
    assert_eq!(
        message,
        r#"assertion failed: no bulletin received matches the expected `order_placed`
no `order_placed` was received, only other events; expected:
  business_event: "order_placed"
  properties: {}
1 bulletin received, oldest first:
  #1 accepted `ping` "Ping" {}"#
    );
}

#[tokio::test]
async fn the_listing_shows_the_newest_ten_of_each() {
    let emulator = start().await;
    for id in 1..=10 {
        let event = order(&[("order_id", &id.to_string()), ("product_category", "toys")]);
        assert_eq!(send(&emulator, &new_order(event)).await.status, 200);
    }
    let expected = order(&[("order_id", "0"), ("product_category", "toys")]);
    // Exactly ten: all listed.
    let message = panic_message(|| {
        emulator.assert_received(&expected);
    });
    assert!(
        message.contains("\n10 bulletins received, oldest first:\n  #1 accepted"),
        "{message}"
    );
    // Eleven: the newest ten, and the count of all.
    let event = order(&[("order_id", "11"), ("product_category", "toys")]);
    assert_eq!(send(&emulator, &new_order(event)).await.status, 200);
    let message = panic_message(|| {
        emulator.assert_received(&expected);
    });
    assert!(
        message.contains("\n11 bulletins received; the newest 10, oldest first:\n  #2 accepted"),
        "{message}"
    );
    assert!(!message.contains("#1 accepted"), "{message}");
}

#[tokio::test]
async fn a_whole_bulletin_compares_name_creator_and_a_set_when() {
    let emulator = start().await;
    let event = order(&[("order_id", "1"), ("product_category", "toys")]);
    let sent = new_order(event.clone()).when(When::Unix(1_724_123_456));
    assert_eq!(send(&emulator, &sent).await.status, 200);

    assert_eq!(emulator.assert_received_bulletin(&sent).id, 1);
    // `When::Now`, the default, matches any `when`.
    assert_eq!(
        emulator
            .assert_received_bulletin(&new_order(event.clone()))
            .id,
        1
    );

    let expected =
        Bulletin::new(event, "Order 1", "[email protected]").when(When::Unix(1_724_123_457));
    let message = panic_message(|| {
        emulator.assert_received_bulletin(&expected);
    });
    assert_eq!(
        message,
        r#"assertion failed: no bulletin received matches the expected `order_placed`
closest: #1 (accepted): `name` differs, `when` differs
- expected
+ received
  business_event: "order_placed"
- name: "Order 1"
+ name: "New order"
  c-by: "[email protected]"
- when: 1724123457
+ when: 1724123456
  properties:
    order_id: "1"
    product_category: "toys"
1 bulletin received, oldest first:
  #1 accepted `order_placed` "New order" {order_id: "1", product_category: "toys"}"#
    );
}

/// An event `bulletins-core` refuses to send: its name breaks the key rules.
struct Unsendable;

impl BusinessEvent for Unsendable {
    fn event_name(&self) -> &str {
        ""
    }

    fn write_properties(&self, _: &mut PropertyWriter<'_>) -> Result<(), BuildError> {
        Ok(())
    }
}

#[tokio::test]
async fn an_expected_event_that_cannot_be_sent_is_reported() {
    let emulator = start().await;
    let message = panic_message(|| {
        emulator.assert_received(&Unsendable);
    });
    assert!(
        message.starts_with("the expected event cannot be sent: "),
        "{message}"
    );
}

#[tokio::test]
async fn waiting_returns_once_the_count_is_reached() {
    let emulator = start().await;
    // Zero: at once.
    let none = emulator.wait_for_bulletins(0, Duration::ZERO).await;
    assert_eq!(none.map(|b| b.len()), Ok(0));

    // Sent from another task after the wait began.
    let url = emulator.base_url();
    let sender = tokio::spawn(async move {
        for id in ["1", "2"] {
            let event = order(&[("order_id", id), ("product_category", "toys")]);
            let body = new_order(event)
                .to_json_vec()
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(trigger_at(&url, body).await.status, 200);
        }
    });
    let received = emulator
        .wait_for_bulletins(2, PATIENCE)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].property("order_id"), Some("2"));
    sender.await.unwrap_or_else(|e| panic!("{e}"));

    // Exactly the count kept: returns even with no time left.
    let received = emulator.wait_for_bulletins(2, Duration::ZERO).await;
    assert_eq!(received.map(|b| b.len()), Ok(2));
}

#[tokio::test]
async fn a_wait_that_times_out_says_what_was_received() {
    let emulator = start().await;
    let event = order(&[("order_id", "1"), ("product_category", "toys")]);
    assert_eq!(send(&emulator, &new_order(event)).await.status, 200);
    assert_eq!(
        send(&emulator, &new_order(order(&[("order_id", "2")])))
            .await
            .status,
        400
    );

    // One more than received.
    let error = emulator
        .wait_for_bulletins(2, Duration::from_millis(20))
        .await
        .expect_err("only one bulletin was sent");
    assert_eq!((error.awaited, error.received.len()), (2, 1));
    assert_eq!(
        format!("{error:?}"),
        r#"timed out after 20ms waiting for 2 bulletins; 1 received
1 bulletin received, oldest first:
  #1 accepted `order_placed` "New order" {order_id: "1", product_category: "toys"}
1 request refused, oldest first:
  #2 400 `order_placed`: Property product_category missing"#
    );
    assert_eq!(error.to_string(), format!("{error:?}"));
}

#[tokio::test]
async fn clearing_lowers_the_count_a_wait_sees() {
    let emulator = start().await;
    let event = order(&[("order_id", "1"), ("product_category", "toys")]);
    assert_eq!(send(&emulator, &new_order(event)).await.status, 200);
    emulator.clear();
    let waited = emulator
        .wait_for_bulletins(1, Duration::from_millis(20))
        .await;
    assert!(waited.is_err(), "{waited:?}");
}
