//! The documentation's example request and error samples get the documented answers.

mod common;

use std::time::SystemTime;

use bulletins_emulator::DeliveryStatus;
use common::*;

#[tokio::test]
async fn the_documented_example_request_gets_the_documented_success() {
    let emulator = start().await;
    let before = SystemTime::now();
    let answer = trigger(&emulator, EXAMPLE).await;
    let after = SystemTime::now();

    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, r#"{"status":"success","targets":1}"#);
    assert_eq!(
        answer.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );

    let bulletins = emulator.bulletins();
    assert_eq!(bulletins.len(), 1);
    let b = &bulletins[0];
    assert_eq!(b.status, DeliveryStatus::Accepted);
    assert_eq!(b.account, ACCOUNT);
    assert_eq!(b.business_event.as_deref(), Some("Program Released"));
    assert_eq!(b.name.as_deref(), Some("Sa Re Ga Ma episode 12"));
    assert_eq!(b.c_by.as_deref(), Some("[email protected]"));
    assert_eq!(b.when, Some(serde_json::json!("now")));
    assert_eq!(b.property("program_id"), Some("234567"));
    assert_eq!(b.property("language"), Some("Hindi"));
    assert_eq!(b.property("prev_program_id"), Some("123457"));
    assert_eq!(
        b.payload,
        serde_json::from_str::<serde_json::Value>(EXAMPLE).unwrap_or_default()
    );
    assert!(before <= b.received_at && b.received_at <= after);
    assert!(emulator.rejections().is_empty());
}

/// Ruby's `JSON.dump` sends compact JSON and Python's `json.dumps` spaces after separators;
/// PHP's `json_encode` and Node's `JSON.stringify` send the compact form too.
#[tokio::test]
async fn every_language_example_serialization_is_accepted() {
    let emulator = start().await;
    let compact = r#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"[email protected]","when":"now"}"#;
    let python = r#"{"business_event": "Program Released", "name": "Sa Re Ga Ma episode 12", "properties": {"program_id": "234567", "language": "Hindi", "prev_program_id": "123457"}, "c-by": "[email protected]", "when": "now"}"#;
    for body in [compact, python] {
        let answer = trigger(&emulator, body).await;
        assert_eq!(answer.body, r#"{"status":"success","targets":1}"#, "{body}");
    }
    assert_eq!(emulator.accepted().len(), 2);
}

#[tokio::test]
async fn the_documented_error_samples_get_their_documented_messages() {
    let emulator = start().await;
    let samples = [
        (
            r#"{ "when": 1724123456, "event": "order_failed", "properties": { "order_id": "12345" } }"#,
            "Business Event Not Found",
        ),
        (
            r#"{ "event": "order_placed", "properties": { "order_id": "12345" } }"#,
            r#""when" has an incorrect value - null"#,
        ),
        (
            r#"{ "when": 1724123456, "event": "order_placed", "properties": { "order_id": "12345" } }"#,
            "Property product_category missing",
        ),
    ];
    for (body, message) in samples {
        let answer = trigger(&emulator, body).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(
            answer.body,
            format!(
                r#"{{"status":"fail","error":{},"code":400}}"#,
                serde_json::Value::from(message)
            ),
            "{body}"
        );
    }
    assert!(emulator.bulletins().is_empty());
    let rejections = emulator.rejections();
    assert_eq!(rejections.len(), 3);
    assert_eq!(
        rejections[1].business_event.as_deref(),
        Some("order_placed")
    );
    assert_eq!(rejections[2].error, "Property product_category missing");
    assert_eq!(rejections[2].status, Some(400));
    assert_eq!(rejections[2].account.as_deref(), Some(ACCOUNT));
    assert!(!rejections[2].fault);
}

/// `docs/emulator.md`'s table of faults: every kind the emulator plays is there, and each
/// example in it is accepted by `POST /_emulator/faults` as written.
#[tokio::test]
async fn every_fault_kind_is_documented_with_an_example_the_emulator_accepts() {
    use bulletins_emulator::Fault;
    use std::time::Duration;

    const PAGE: &str = include_str!("../../docs/emulator.md");
    let examples: Vec<&str> = PAGE
        .lines()
        .filter(|line| line.starts_with("| `{\"kind\""))
        .filter_map(|line| line.split('`').nth(1))
        .collect();
    let every_kind = [
        Fault::status(503),
        Fault::Delay(Duration::from_millis(1)),
        Fault::too_many_requests(),
        Fault::CloseBeforeBody,
        Fault::CloseAfterBody,
        Fault::FailBody200 {
            error: "Something".into(),
            code: 9,
        },
        Fault::MalformedBody,
        Fault::OversizedBody,
    ];
    for fault in every_kind {
        let kind = serde_json::to_value(&fault).expect("serializes")["kind"].clone();
        let documented = examples.iter().any(|example| {
            serde_json::from_str::<serde_json::Value>(example).expect("JSON")["kind"] == kind
        });
        assert!(documented, "{kind} is not in docs/emulator.md's table");
    }

    let emulator = start().await;
    let url = format!("{}/_emulator/faults", emulator.base_url());
    for example in &examples {
        let body = format!(r#"{{"fault":{example},"times":1}}"#);
        let answer = post_to(&url, &[("content-type", "application/json")], body)
            .await
            .expect("an answer");
        assert!(
            (200..300).contains(&answer.status),
            "{example}: {} {}",
            answer.status,
            answer.body
        );
    }
    assert_eq!(emulator.pending_faults().len(), examples.len());
}
