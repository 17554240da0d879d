//! Every other rule of the trigger endpoint, hit once, with its boundary where it has one.

mod common;

use bulletins_emulator::{Emulator, MAX_BODY_BYTES};
use common::*;

async fn error_of(answer: Answer, status: u16) -> String {
    assert_eq!(answer.status, status, "{}", answer.body);
    answer.error()
}

#[tokio::test]
async fn credentials_are_checked_first() {
    let emulator = start().await;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[
                ("X-CleverTap-Account-Id", "WRONG-ID"),
                ("X-CleverTap-Passcode", PASSCODE),
            ],
            "Account ID is not valid",
        ),
        (
            &[("X-CleverTap-Passcode", PASSCODE)],
            "Account ID is not valid",
        ),
        (
            &[
                ("X-CleverTap-Account-Id", ACCOUNT),
                ("X-CleverTap-Passcode", "XXXXXY"),
            ],
            "Invalid passcode",
        ),
        (&[("X-CleverTap-Account-Id", ACCOUNT)], "Invalid passcode"),
    ];
    for (headers, message) in cases {
        let mut headers = headers.to_vec();
        headers.push(("Content-Type", "application/json"));
        // The body is not even JSON: credentials come before the body.
        let answer = post_with(&emulator, &headers, "{not json").await;
        let answer = answer.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(error_of(answer, 401).await, message, "{headers:?}");
    }
    // A passcode that is a prefix of the right one is refused too.
    let headers = [
        ("X-CleverTap-Account-Id", ACCOUNT),
        ("X-CleverTap-Passcode", "XXXXX"),
        ("Content-Type", "application/json"),
    ];
    let answer = post_with(&emulator, &headers, EXAMPLE).await;
    assert_eq!(
        error_of(answer.unwrap_or_else(|e| panic!("{e}")), 401).await,
        "Invalid passcode"
    );
    assert!(emulator.bulletins().is_empty());
    assert_eq!(emulator.rejections().len(), 5);
}

#[tokio::test]
async fn header_names_are_case_insensitive() {
    let emulator = start().await;
    let headers = [
        ("x-clevertap-account-id", ACCOUNT),
        ("X-CLEVERTAP-PASSCODE", PASSCODE),
        ("content-type", "Application/JSON; charset=utf-8"),
    ];
    let answer = post_with(&emulator, &headers, EXAMPLE).await;
    assert_eq!(answer.map(|a| a.status).ok(), Some(200));
}

#[tokio::test]
async fn content_type_must_be_json() {
    let emulator = start().await;
    let auth = [
        ("X-CleverTap-Account-Id", ACCOUNT),
        ("X-CleverTap-Passcode", PASSCODE),
    ];
    let with = |content_type: Option<&'static str>| {
        let mut headers = auth.to_vec();
        if let Some(ct) = content_type {
            headers.push(("Content-Type", ct));
        }
        headers
    };
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let answer = post_with(&emulator, &with(content_type), EXAMPLE).await;
        let message = error_of(answer.unwrap_or_else(|e| panic!("{e}")), 415).await;
        assert!(message.contains("application/json"), "{message}");
    }
    let headers = with(Some("application/json; charset=utf-8"));
    let answer = post_with(&emulator, &headers, EXAMPLE).await;
    assert_eq!(answer.map(|a| a.status).ok(), Some(200));
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_refused_with_413() {
    let emulator = start().await;
    // Trailing whitespace keeps the JSON valid: exactly the limit is accepted...
    let mut body = EXAMPLE.to_owned();
    body.push_str(&" ".repeat(MAX_BODY_BYTES - body.len()));
    assert_eq!(body.len(), MAX_BODY_BYTES);
    assert_eq!(trigger(&emulator, body.clone()).await.status, 200);
    // ...one byte more is not.
    body.push(' ');
    let message = error_of(trigger(&emulator, body.clone()).await, 413).await;
    assert!(message.contains("1048577 bytes"), "{message}");
    // The same without a Content-Length (chunked).
    let chunks: Vec<Result<String, std::io::Error>> = body
        .as_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(String::from_utf8_lossy(c).into_owned()))
        .collect();
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let message = error_of(trigger(&emulator, stream).await, 413).await;
    assert!(message.contains("limit"), "{message}");
}

#[tokio::test]
async fn the_body_must_be_a_json_object() {
    let emulator = start().await;
    let message = error_of(trigger(&emulator, r#"{"business_event": "#).await, 400).await;
    assert!(
        message.starts_with("Request body is not valid JSON"),
        "{message}"
    );
    let message = error_of(trigger(&emulator, "").await, 400).await;
    assert!(
        message.starts_with("Request body is not valid JSON"),
        "{message}"
    );
    let message = error_of(trigger(&emulator, r#"["Program Released"]"#).await, 400).await;
    assert_eq!(message, "Request body must be a JSON object, got an array");
    let message = error_of(trigger(&emulator, "null").await, 400).await;
    assert_eq!(message, "Request body must be a JSON object, got null");
}

#[tokio::test]
async fn the_business_event_is_read_from_business_event_or_event() {
    let emulator = start().await;
    let body = EXAMPLE.replace("\"business_event\"", "\"event\"");
    assert_eq!(trigger(&emulator, body).await.status, 200);
    let body = EXAMPLE.replace("Program Released", "Program released");
    let message = error_of(trigger(&emulator, body).await, 400).await;
    assert_eq!(message, "Business Event Not Found");
    let body = EXAMPLE.replace("\"Program Released\"", "42");
    let message = error_of(trigger(&emulator, body).await, 400).await;
    assert_eq!(message, "Business Event Not Found");
}

#[tokio::test]
async fn when_must_be_now_a_positive_integer_or_digits() {
    let emulator = start().await;
    for ok in ["\"now\"", "1724123456", "\"1724123456\""] {
        let answer = trigger(&emulator, program_released("", ok)).await;
        assert_eq!(answer.status, 200, "when = {ok}: {}", answer.body);
    }
    for bad in [
        "-1",
        "\"soon\"",
        "1.5",
        "0",
        "\"\"",
        "\"0\"",
        "null",
        "\"17241234x6\"",
        "true",
    ] {
        let message = error_of(trigger(&emulator, program_released("", bad)).await, 400).await;
        assert_eq!(
            message,
            format!("\"when\" has an incorrect value - {bad}"),
            "when = {bad}"
        );
    }
}

#[tokio::test]
async fn the_first_missing_required_property_in_declared_order_is_named() {
    let emulator = start().await;
    let body = r#"{"business_event":"Program Released","name":"n","c-by":"c","when":"now",
        "properties":{"language":"Hindi"}}"#;
    let message = error_of(trigger(&emulator, body).await, 400).await;
    assert_eq!(message, "Property program_id missing");
    let body = r#"{"business_event":"Program Released","name":"n","c-by":"c","when":"now"}"#;
    let message = error_of(trigger(&emulator, body).await, 400).await;
    assert_eq!(message, "Property program_id missing");
}

#[tokio::test]
async fn property_values_must_be_strings() {
    let emulator = start().await;
    let body = EXAMPLE.replace(r#""234567""#, "234567");
    let message = error_of(trigger(&emulator, body).await, 400).await;
    assert_eq!(
        message,
        "Property program_id must be a string, got a number"
    );
    let answer = trigger(&emulator, program_released(r#","extra":null"#, "\"now\"")).await;
    assert_eq!(
        error_of(answer, 400).await,
        "Property extra must be a string, got null"
    );
    let body = r#"{"business_event":"ping","name":"n","c-by":"c","when":"now","properties":[]}"#;
    let message = error_of(trigger(&emulator, body).await, 400).await;
    assert_eq!(
        message,
        "\"properties\" must be an object of strings, got an array"
    );
    let body = r#"{"business_event":"ping","name":"n","c-by":"c","when":"now"}"#;
    let message = error_of(trigger(&emulator, body).await, 400).await;
    assert_eq!(
        message,
        "\"properties\" must be an object of strings, got nothing"
    );
}

#[tokio::test]
async fn keys_are_limited_to_120_characters() {
    let emulator = start().await;
    for key in ["k".repeat(120), "é".repeat(120)] {
        let extra = format!(r#","{key}":"v""#);
        let answer = trigger(&emulator, program_released(&extra, "\"now\"")).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let extra = format!(r#","{}":"v""#, "k".repeat(121));
    let answer = trigger(&emulator, program_released(&extra, "\"now\"")).await;
    let message = error_of(answer, 400).await;
    assert!(
        message.ends_with("is 121 characters; the limit is 120"),
        "{message}"
    );
}

#[tokio::test]
async fn keys_with_padding_or_control_characters_are_refused() {
    let emulator = start().await;
    for (key, message) in [
        (
            r#" padded\tkey "#,
            r#"Property key " padded\tkey " starts or ends with whitespace"#,
        ),
        (
            r#"key\u3000"#,
            r#"Property key "key\u{3000}" starts or ends with whitespace"#,
        ),
        (
            r#"a\u0000b"#,
            r#"Property key "a\0b" contains a control character"#,
        ),
        (
            r#"a\u0085b"#,
            r#"Property key "a\u{85}b" contains a control character"#,
        ),
    ] {
        let extra = format!(r#","{key}":"v""#);
        let answer = trigger(&emulator, program_released(&extra, "\"now\"")).await;
        assert_eq!(error_of(answer, 400).await, message, "{key}");
    }
    for key in ["a b", r#"a\u200bb"#] {
        let extra = format!(r#","{key}":"v""#);
        let answer = trigger(&emulator, program_released(&extra, "\"now\"")).await;
        assert_eq!(answer.status, 200, "{key}: {}", answer.body);
    }
}

#[tokio::test]
async fn values_are_limited_to_512_bytes() {
    let emulator = start().await;
    for value in ["v".repeat(512), "é".repeat(256)] {
        let extra = format!(r#","note":"{value}""#);
        let answer = trigger(&emulator, program_released(&extra, "\"now\"")).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let extra = format!(r#","note":"{}a""#, "é".repeat(256));
    let answer = trigger(&emulator, program_released(&extra, "\"now\"")).await;
    assert_eq!(
        error_of(answer, 400).await,
        "Property note is 513 bytes; the limit is 512"
    );
}

#[tokio::test]
async fn name_and_c_by_must_be_non_empty_strings() {
    let emulator = start().await;
    let cases = [
        (
            r#""name": "Sa Re Ga Ma episode 12","#,
            "",
            "\"name\" is missing",
        ),
        (
            r#""name": "Sa Re Ga Ma episode 12""#,
            r#""name": """#,
            "\"name\" is empty or only whitespace",
        ),
        (
            r#""name": "Sa Re Ga Ma episode 12""#,
            r#""name": 12"#,
            "\"name\" must be a string, got a number",
        ),
        (r#""c-by": "[email protected]","#, "", "\"c-by\" is missing"),
        (
            r#""c-by": "[email protected]""#,
            r#""c-by": " ""#,
            "\"c-by\" is empty or only whitespace",
        ),
    ];
    for (from, to, message) in cases {
        let body = EXAMPLE.replace("\n", " ").replace(from, to);
        assert_ne!(body, EXAMPLE.replace("\n", " "), "{from}");
        assert_eq!(error_of(trigger(&emulator, body).await, 400).await, message);
    }
}

#[tokio::test]
async fn undeclared_properties_are_accepted_and_recorded() {
    let emulator = start().await;
    let answer = trigger(&emulator, program_released(r#","season":"3""#, "\"now\"")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(emulator.bulletins()[0].property("season"), Some("3"));
}

#[tokio::test]
async fn targets_are_configured_per_event() {
    let emulator = start().await;
    let body =
        r#"{"business_event":"broadcast","name":"n","c-by":"c","when":"now","properties":{}}"#;
    assert_eq!(
        trigger(&emulator, body).await.body,
        r#"{"status":"success","targets":5}"#
    );
}

/// Each pair breaks two rules at once; the earlier rule in the documented order wins.
#[tokio::test]
async fn checks_run_in_the_documented_order() {
    let emulator = start().await;
    // 2 before 3: not JSON beats an unknown event (trivially) — content type before event.
    let headers = [
        ("X-CleverTap-Account-Id", ACCOUNT),
        ("X-CleverTap-Passcode", PASSCODE),
        ("Content-Type", "text/plain"),
    ];
    let body = r#"{"event":"order_failed"}"#;
    let answer = post_with(&emulator, &headers, body).await;
    assert_eq!(answer.map(|a| a.status).ok(), Some(415));
    // 3 before 4: unknown event and no `when`.
    let answer = trigger(&emulator, r#"{"event":"order_failed"}"#).await;
    assert_eq!(answer.error(), "Business Event Not Found");
    // 4 before 5: no `when` and no required property.
    let answer = trigger(&emulator, r#"{"event":"order_placed"}"#).await;
    assert_eq!(answer.error(), "\"when\" has an incorrect value - null");
    // 5 before 6: a missing required property and a non-string value, no name, no c-by.
    let body = r#"{"event":"order_placed","when":1,"properties":{"order_id":1}}"#;
    assert_eq!(
        trigger(&emulator, body).await.error(),
        "Property product_category missing"
    );
    // 6: properties before name, name before c-by.
    let body = r#"{"event":"order_placed","when":1,"properties":{"order_id":"1","product_category":"x","n":1}}"#;
    assert_eq!(
        trigger(&emulator, body).await.error(),
        "Property n must be a string, got a number"
    );
    let body =
        r#"{"event":"order_placed","when":1,"properties":{"order_id":"1","product_category":"x"}}"#;
    assert_eq!(
        trigger(&emulator, body).await.error(),
        "\"name\" is missing"
    );
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_answer_in_the_failure_shape() {
    let emulator = start().await;
    let answer = http(
        reqwest::Method::POST,
        format!("{}/1/targets/other.json", emulator.base_url()),
        None,
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.error(), "Not found: POST /1/targets/other.json");
    let answer = http(reqwest::Method::GET, emulator.trigger_url(), None).await;
    assert_eq!(answer.status, 405);
    assert_eq!(
        answer.error(),
        "Method GET is not allowed on /1/targets/trigger.json"
    );
}

#[tokio::test]
async fn an_invalid_dashboard_is_refused_at_start() {
    let result = Emulator::builder().start().await;
    assert!(matches!(
        result,
        Err(bulletins_emulator::Error::InvalidDashboard(_))
    ));
}
