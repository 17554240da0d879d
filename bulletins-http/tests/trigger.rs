//! The documented success and each documented error, over loopback against the emulator, as
//! typed results.

mod common;

use bulletins_emulator::{DeliveryStatus, Fault};
use bulletins_http::{
    ApiErrorKind, BuildError, Bulletin, BusinessEvent, Client, DynamicEvent, Error, When,
};
use common::*;

#[tokio::test]
async fn the_documented_example_is_delivered_once() {
    let emulator = start().await;
    let triggered = client(&emulator)
        .trigger(&program("12").when(When::Unix(1_724_123_456)))
        .await
        .expect("success");
    assert_eq!(triggered.targets, 1);
    let recorded = emulator.bulletins();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].status, DeliveryStatus::Accepted);
    assert_eq!(recorded[0].account, ACCOUNT);
    assert_eq!(
        recorded[0].business_event.as_deref(),
        Some("Program Released")
    );
    assert_eq!(recorded[0].property("language"), Some("Hindi"));
    assert_eq!(recorded[0].when, Some(serde_json::json!(1_724_123_456)));
}

async fn api_error<E: BusinessEvent>(client: &Client, bulletin: &Bulletin<'_, E>) -> Error {
    let error = client.trigger(bulletin).await.expect_err("a failure");
    assert!(error.api_error().is_some(), "{error:?}");
    assert_eq!(error.attempts(), 1, "documented errors are not retried");
    assert!(!error.may_have_been_delivered(), "{error}");
    error
}

fn kind(error: &Error) -> ApiErrorKind {
    error
        .api_error()
        .map(|e| e.kind.clone())
        .expect("api error")
}

#[tokio::test]
async fn business_event_not_found() {
    let emulator = start().await;
    let event = DynamicEvent::new("Not On The Dashboard").expect("valid");
    let error = api_error(&client(&emulator), &Bulletin::new(event, "n", "c")).await;
    assert_eq!(kind(&error), ApiErrorKind::BusinessEventNotFound);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(emulator.accepted().is_empty());
}

#[tokio::test]
async fn a_required_property_missing() {
    let emulator = start().await;
    let event = DynamicEvent::new("Program Released")
        .and_then(|e| e.property("program_id", "1"))
        .expect("valid");
    let error = api_error(&client(&emulator), &Bulletin::new(event, "n", "c")).await;
    assert_eq!(
        kind(&error),
        ApiErrorKind::MissingProperty {
            property: "language".into()
        }
    );
}

#[tokio::test]
async fn invalid_credentials() {
    let emulator = start().await;
    let client = builder(&emulator.base_url())
        .passcode("wrong")
        .build()
        .expect("client");
    let error = api_error(&client, &program("1")).await;
    assert_eq!(kind(&error), ApiErrorKind::InvalidCredentials);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert!(emulator.bulletins().is_empty());
}

#[tokio::test]
async fn invalid_when_as_clevertap_words_it() {
    // The client cannot send a bad `when`; the emulator plays CleverTap's answer to one.
    let emulator = start().await;
    emulator.inject(
        Fault::Status {
            status: 400,
            body: Some(
                r#"{"status":"fail","error":"\"when\" has an incorrect value - null","code":400}"#
                    .into(),
            ),
        },
        1,
    );
    let error = api_error(&client(&emulator), &program("1")).await;
    assert_eq!(kind(&error), ApiErrorKind::InvalidWhen);
}

#[tokio::test]
async fn a_failure_inside_http_200_is_a_failure() {
    let emulator = start().await;
    emulator.inject(
        Fault::FailBody200 {
            error: "Invalid payload".into(),
            code: 9,
        },
        1,
    );
    let error = api_error(&client(&emulator), &program("1")).await;
    let api = error.api_error().expect("api");
    assert_eq!(api.status.as_u16(), 200);
    assert_eq!(api.code, Some(9));
    assert_eq!(api.message, "Invalid payload");
    assert_eq!(api.kind, ApiErrorKind::Other);
}

#[tokio::test]
async fn an_invalid_bulletin_is_refused_before_sending() {
    let emulator = start().await;
    let client = client(&emulator);
    let error = client
        .trigger(&program("1").when(When::Unix(0)))
        .await
        .expect_err("invalid");
    assert!(matches!(
        error.build_error(),
        Some(BuildError::InvalidWhen { timestamp: 0 })
    ));
    assert_eq!(error.attempts(), 0);
    assert!(!error.may_have_been_delivered());
    let error = client
        .trigger(&Bulletin::new(
            OrderPlaced {
                order_id: "x".repeat(513),
            },
            "n",
            "c",
        ))
        .await
        .expect_err("invalid");
    assert!(
        matches!(&error, Error::Invalid(e) if matches!(**e, BuildError::ValueTooLong { .. })),
        "{error}"
    );
    assert!(emulator.bulletins().is_empty() && emulator.rejections().is_empty());
}

#[tokio::test]
async fn clones_share_one_client() {
    let emulator = start().await;
    let client = client(&emulator);
    let clone = client.clone();
    assert_eq!(clone.account_id(), ACCOUNT);
    clone.trigger(&program("1")).await.expect("success");
    client.trigger(&program("2")).await.expect("success");
    assert_eq!(emulator.accepted().len(), 2);
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn futures_can_be_spawned() {
    let client = builder("http://127.0.0.1:9").build().expect("client");
    let bulletin = program("1");
    assert_send(&client.trigger(&bulletin));
    assert_send(&client.trigger_all(vec![program("1")]));
    assert_send(&client.trigger_stream(vec![program("1")]));
    fn assert_sync_clone<T: Send + Sync + Clone>(_: &T) {}
    assert_sync_clone(&client);
}
