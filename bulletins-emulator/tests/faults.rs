//! Every fault behaves as described, for exactly the next N trigger requests, first in first out.

mod common;

use std::time::{Duration, Instant};

use bulletins_emulator::{DeliveryStatus, Fault, OVERSIZED_BODY_BYTES};
use common::*;

const SUCCESS: &str = r#"{"status":"success","targets":1}"#;

#[tokio::test]
async fn status_fault_answers_for_exactly_the_next_n_requests() {
    let emulator = start().await;
    emulator.inject(Fault::status(503), 2);
    for _ in 0..2 {
        let answer = trigger(&emulator, EXAMPLE).await;
        assert_eq!(answer.status, 503);
        assert_eq!(
            answer.error(),
            "The system is unavailable. Try again later."
        );
    }
    assert_eq!(trigger(&emulator, EXAMPLE).await.body, SUCCESS);
    // Not read: only the third reached the dashboard.
    assert_eq!(emulator.bulletins().len(), 1);
    let rejections = emulator.rejections();
    assert_eq!(rejections.len(), 2);
    assert!(rejections.iter().all(|r| r.fault && r.status == Some(503)));
}

#[tokio::test]
async fn status_fault_sends_a_custom_body_as_is() {
    let emulator = start().await;
    emulator.inject(
        Fault::Status {
            status: 400,
            body: Some(r#"{"status":"fail","error":"Invalid payload","code":9}"#.into()),
        },
        1,
    );
    let answer = trigger(&emulator, EXAMPLE).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.body,
        r#"{"status":"fail","error":"Invalid payload","code":9}"#
    );
}

#[tokio::test]
async fn faults_play_first_in_first_out_before_any_validation() {
    let emulator = start().await;
    emulator.inject(Fault::status(500), 1);
    emulator.inject(Fault::too_many_requests(), 1);
    // Wrong credentials: the faults play anyway.
    let headers = [
        ("X-CleverTap-Account-Id", "nobody"),
        ("Content-Type", "application/json"),
    ];
    let first = post_with(&emulator, &headers, "{}").await.map(|a| a.status);
    let second = post_with(&emulator, &headers, "{}").await.map(|a| a.status);
    let third = post_with(&emulator, &headers, "{}").await.map(|a| a.status);
    assert_eq!(
        (first.ok(), second.ok(), third.ok()),
        (Some(500), Some(429), Some(401))
    );
    assert!(emulator.pending_faults().is_empty());
}

#[tokio::test]
async fn delay_answers_late_then_handles_normally() {
    let emulator = start().await;
    emulator.inject(Fault::Delay(Duration::from_millis(400)), 1);
    let started = Instant::now();
    let answer = trigger(&emulator, EXAMPLE).await;
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(answer.body, SUCCESS);
    assert_eq!(emulator.bulletins()[0].status, DeliveryStatus::Accepted);
    // Validation still runs after a delay.
    emulator.inject(Fault::Delay(Duration::from_millis(100)), 1);
    let answer = trigger(&emulator, r#"{"event":"order_failed"}"#).await;
    assert_eq!(answer.error(), "Business Event Not Found");
    // And the next request is not delayed.
    let started = Instant::now();
    trigger(&emulator, EXAMPLE).await;
    assert!(started.elapsed() < Duration::from_millis(400));
}

#[tokio::test]
async fn a_bulletin_abandoned_during_a_delay_is_received_not_acknowledged() {
    let emulator = start().await;
    emulator.inject(Fault::Delay(Duration::from_millis(1500)), 1);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut request = client.post(emulator.trigger_url()).body(EXAMPLE);
    for (name, value) in HEADERS {
        request = request.header(*name, *value);
    }
    let error = request.send().await.err().map(|e| e.is_timeout());
    assert_eq!(error, Some(true));
    // Still so once the delay is over: the answer never went out.
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let bulletins = emulator.bulletins();
    assert_eq!(bulletins.len(), 1);
    assert_eq!(bulletins[0].status, DeliveryStatus::ReceivedNotAcknowledged);
}

#[tokio::test]
async fn too_many_requests_with_and_without_retry_after() {
    let emulator = start().await;
    emulator.inject(
        Fault::TooManyRequests {
            retry_after: Some(7),
        },
        1,
    );
    emulator.inject(Fault::TooManyRequests { retry_after: None }, 1);
    let with = trigger(&emulator, EXAMPLE).await;
    assert_eq!(with.status, 429);
    assert_eq!(with.error(), "Too many concurrent requests");
    assert_eq!(
        with.headers.get("retry-after").map(|v| v.as_bytes()),
        Some(&b"7"[..])
    );
    let without = trigger(&emulator, EXAMPLE).await;
    assert_eq!(without.status, 429);
    assert_eq!(without.error(), "Too many concurrent requests");
    assert!(without.headers.get("retry-after").is_none());
    assert!(emulator.bulletins().is_empty());
}

/// What a raw client sees: no byte of a response before the connection ends.
async fn assert_closed_without_answer(emulator: &bulletins_emulator::Emulator) {
    match raw(emulator, &raw_trigger(EXAMPLE)).await {
        Ok(answer) => assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer)),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
}

#[tokio::test]
async fn close_before_body_closes_without_answer_and_records_nothing() {
    let emulator = start().await;
    emulator.inject(Fault::CloseBeforeBody, 2);
    let error = post_with(&emulator, HEADERS, EXAMPLE).await.err();
    assert!(error.is_some_and(|e| !e.is_timeout() && e.status().is_none()));
    assert_closed_without_answer(&emulator).await;
    assert!(emulator.bulletins().is_empty());
    let rejections = emulator.rejections();
    assert_eq!(rejections.len(), 2);
    assert!(rejections.iter().all(|r| r.fault && r.status.is_none()));
    // The server is fine afterwards.
    assert_eq!(trigger(&emulator, EXAMPLE).await.body, SUCCESS);
}

#[tokio::test]
async fn close_after_body_records_the_bulletin_as_received_not_acknowledged() {
    let emulator = start().await;
    emulator.inject(Fault::CloseAfterBody, 2);
    let error = post_with(&emulator, HEADERS, EXAMPLE).await.err();
    assert!(error.is_some_and(|e| !e.is_timeout() && e.status().is_none()));
    assert_closed_without_answer(&emulator).await;
    let bulletins = emulator.bulletins();
    assert_eq!(bulletins.len(), 2);
    for b in &bulletins {
        assert_eq!(b.status, DeliveryStatus::ReceivedNotAcknowledged);
        assert_eq!(b.account, ACCOUNT);
        assert_eq!(b.property("program_id"), Some("234567"));
    }
    assert!(emulator.accepted().is_empty());
    assert_eq!(trigger(&emulator, EXAMPLE).await.body, SUCCESS);
    assert_eq!(emulator.accepted().len(), 1);
}

#[tokio::test]
async fn fail_body_200_answers_200_with_a_failure_body() {
    let emulator = start().await;
    emulator.inject(
        Fault::FailBody200 {
            error: "Invalid Business Event".into(),
            code: 9,
        },
        1,
    );
    let answer = trigger(&emulator, EXAMPLE).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        r#"{"status":"fail","error":"Invalid Business Event","code":9}"#
    );
    assert!(emulator.bulletins().is_empty());
    assert_eq!(emulator.rejections()[0].code, Some(9));
}

#[tokio::test]
async fn malformed_body_answers_200_with_non_json_and_records_the_bulletin() {
    let emulator = start().await;
    emulator.inject(Fault::MalformedBody, 1);
    let answer = trigger(&emulator, EXAMPLE).await;
    assert_eq!(answer.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&answer.body).is_err());
    assert_eq!(
        emulator.bulletins()[0].status,
        DeliveryStatus::ReceivedNotAcknowledged
    );
}

#[tokio::test]
async fn oversized_body_answers_200_with_four_mebibytes() {
    let emulator = start().await;
    emulator.inject(Fault::OversizedBody, 1);
    let answer = trigger(&emulator, EXAMPLE).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body.len(), OVERSIZED_BODY_BYTES);
    assert_eq!(
        emulator.bulletins()[0].status,
        DeliveryStatus::ReceivedNotAcknowledged
    );
}

#[tokio::test]
async fn a_fault_reading_a_non_json_body_records_its_text() {
    let emulator = start().await;
    emulator.inject(Fault::MalformedBody, 1);
    trigger(&emulator, "not json").await;
    assert_eq!(
        emulator.bulletins()[0].payload,
        serde_json::json!("not json")
    );
}
