//! Property tests of the response parser: on any status, any `Retry-After` and any bytes it
//! never panics, calls only a 2xx success body a success, keeps errors small, and never calls
//! "certainly not delivered" what may have been: a 5xx, or a 2xx other than an explicit
//! `"status":"fail"`.

use std::time::Duration;

use bulletins_core::{
    parse_parts, ApiErrorKind, Failure, ResponseError, RetryAfter, RetryDecision, RetryPolicy,
    Triggered, MAX_KEPT_BODY_BYTES,
};
use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use serde_json::Value;

fn status() -> impl Strategy<Value = StatusCode> {
    prop_oneof![
        prop::sample::select(vec![
            200u16, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503
        ]),
        100u16..=999,
    ]
    .prop_map(|code| StatusCode::from_u16(code).expect("100..=999 is a valid status"))
}

fn retry_after() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::of(prop_oneof![
        any::<u64>().prop_map(|n| n.to_string().into_bytes()),
        "[0-9 ]{0,25}".prop_map(String::into_bytes),
        Just(b"Wed, 21 Oct 2015 07:28:00 GMT".to_vec()),
        prop::collection::vec(any::<u8>(), 0..20),
    ])
}

/// Bodies near CleverTap's shape (so the interesting branches are reached), and raw bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let json_value = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![401i64, 429, 503]).prop_map(Value::from),
        prop::sample::select(vec![
            "success",
            "fail",
            "Success",
            "partial",
            "FAIL",
            "Something",
            "Business Event Not Found",
            "Property x missing",
            "Too many concurrent requests",
            "\"when\" has an incorrect value - null",
        ])
        .prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
    ];
    let object = prop::collection::vec(
        (
            prop::sample::select(vec!["status", "targets", "error", "code", "other"]),
            json_value,
        ),
        0..5,
    )
    .prop_map(|fields| {
        Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            .to_string()
            .into_bytes()
    });
    prop_oneof![
        3 => object,
        2 => prop::collection::vec(any::<u8>(), 0..64),
        1 => (1usize..4, any::<u8>()).prop_map(|(k, b)| vec![b; k * MAX_KEPT_BODY_BYTES]),
        1 => ".{0,200}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn never_panics_and_only_a_2xx_success_body_is_a_success(
        status in status(),
        retry_after in retry_after(),
        body in body(),
    ) {
        let mut headers = HeaderMap::new();
        if let Some(value) = retry_after.as_ref().and_then(|v| HeaderValue::from_bytes(v).ok()) {
            headers.insert(RETRY_AFTER, value);
        }
        let result = parse_parts(status, &headers, &body);
        let parsed: Option<Value> = serde_json::from_slice(&body).ok();
        match &result {
            Ok(Triggered { targets, .. }) => {
                prop_assert!(status.is_success());
                let object = parsed.as_ref().and_then(Value::as_object).expect("an object");
                prop_assert_eq!(object.get("status").and_then(Value::as_str), Some("success"));
                prop_assert_eq!(object.get("targets").and_then(Value::as_u64), Some(*targets));
                prop_assert!(object.get("error").and_then(Value::as_str).is_none());
            }
            Err(e) => {
                prop_assert_eq!(e.status(), status);
                if let ResponseError::Undecodable { body: kept, .. } = e {
                    // At most MAX_KEPT_BODY_BYTES of input bytes, each at most one character.
                    prop_assert!(kept.chars().count() <= MAX_KEPT_BODY_BYTES);
                }
                // Retry-After in seconds or as an HTTP date is read; anything else is ignored.
                let text = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::trim);
                // Digits beyond u64 are the longest delay, which the policy caps anyway.
                let expected = text.and_then(|v| {
                    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                        let seconds = v.parse::<u64>().unwrap_or(u64::MAX);
                        Some(RetryAfter::Delay(Duration::from_secs(seconds)))
                    } else {
                        httpdate::parse_http_date(v).ok().map(RetryAfter::At)
                    }
                });
                prop_assert_eq!(e.retry_after(), expected);
                // The delivery verdict never panics, and a 429 is never "maybe delivered".
                let failure = Failure::Response(e.clone());
                if e.is_too_many_requests() {
                    prop_assert!(!failure.may_have_been_delivered());
                }
                // On a 2xx only an explicit `"status":"fail"` is a known failure; anything else
                // that is not the success shape may have been delivered.
                if status.is_success() {
                    let says_fail = parsed
                        .as_ref()
                        .and_then(|v| v.get("status"))
                        .and_then(Value::as_str)
                        == Some("fail");
                    prop_assert_eq!(matches!(e, ResponseError::Api(_)), says_fail, "{:?}", e);
                    prop_assert_eq!(failure.may_have_been_delivered(), !says_fail, "{:?}", e);
                }
                // At most once never resends what may have been delivered.
                if failure.may_have_been_delivered() {
                    prop_assert_eq!(
                        RetryPolicy::at_most_once().decide(&failure, 1, Duration::ZERO, std::time::SystemTime::UNIX_EPOCH, 0.5),
                        RetryDecision::GiveUp
                    );
                }
            }
        }
        // Pure: the same input gives the same answer.
        prop_assert_eq!(parse_parts(status, &headers, &body), result);
    }

    /// RELIABILITY.md: a 5xx is never sent again under at most once, even when its body looks
    /// like CleverTap's 429 (`{"status":"fail","code":429}` or "Too many concurrent requests").
    #[test]
    fn a_5xx_may_have_been_delivered_whatever_its_body(
        status in (500u16..=599).prop_map(|s| StatusCode::from_u16(s).expect("a 5xx")),
        body in body(),
    ) {
        let e = parse_parts(status, &HeaderMap::new(), &body).expect_err("a 5xx is a failure");
        prop_assert!(!e.is_too_many_requests(), "{:?}", e);
        if let ResponseError::Api(api) = &e {
            prop_assert_eq!(&api.kind, &ApiErrorKind::ServerUnavailable);
        }
        let failure = Failure::Response(e);
        prop_assert!(failure.may_have_been_delivered());
        prop_assert_eq!(
            RetryPolicy::at_most_once().decide(&failure, 1, Duration::ZERO, std::time::SystemTime::UNIX_EPOCH, 0.5),
            RetryDecision::GiveUp
        );
    }
}
