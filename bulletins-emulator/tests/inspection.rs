//! The Rust and HTTP inspection APIs: read and clear what was recorded, queue faults.

mod common;

use bulletins_emulator::{DeliveryStatus, Fault};
use common::*;
use reqwest::Method;

#[tokio::test]
async fn bulletins_over_http_then_deleted() {
    let emulator = start().await;
    trigger(&emulator, EXAMPLE).await;
    let url = format!("{}/_emulator/bulletins", emulator.base_url());

    let answer = http(Method::GET, url.clone(), None).await;
    assert_eq!(answer.status, 200);
    let list = answer.json();
    let list = list.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1);
    let b = &list[0];
    assert_eq!(b["status"], "accepted");
    assert_eq!(b["account"], ACCOUNT);
    assert_eq!(b["business_event"], "Program Released");
    assert_eq!(b["name"], "Sa Re Ga Ma episode 12");
    assert_eq!(b["c_by"], "[email protected]");
    assert_eq!(b["when"], "now");
    assert_eq!(b["properties"]["language"], "Hindi");
    assert_eq!(b["payload"]["c-by"], "[email protected]");
    assert!(b["received_at_ms"]
        .as_u64()
        .is_some_and(|ms| ms > 1_700_000_000_000));

    let answer = http(Method::DELETE, url.clone(), None).await;
    assert_eq!(answer.status, 204);
    assert_eq!(http(Method::GET, url, None).await.body, "[]");
    assert!(emulator.bulletins().is_empty());
}

#[tokio::test]
async fn rejections_over_http_then_deleted() {
    let emulator = start().await;
    trigger(&emulator, r#"{"event":"order_failed"}"#).await;
    let url = format!("{}/_emulator/rejections", emulator.base_url());
    let list = http(Method::GET, url.clone(), None).await.json();
    assert_eq!(list[0]["error"], "Business Event Not Found");
    assert_eq!(list[0]["status"], 400);
    assert_eq!(list[0]["business_event"], "order_failed");
    assert_eq!(list[0]["fault"], false);
    assert_eq!(http(Method::DELETE, url.clone(), None).await.status, 204);
    assert_eq!(http(Method::GET, url, None).await.body, "[]");
}

#[tokio::test]
async fn faults_over_http() {
    let emulator = start().await;
    let url = format!("{}/_emulator/faults", emulator.base_url());
    let body = r#"{"fault":{"kind":"status","status":500},"times":2}"#;
    let answer = http(Method::POST, url.clone(), Some(body.into())).await;
    assert_eq!(answer.body, r#"{"pending":2,"status":"success"}"#);
    let body = r#"{"fault":{"kind":"too_many_requests","retry_after":3}}"#;
    let answer = http(Method::POST, url.clone(), Some(body.into())).await;
    assert_eq!(answer.json()["pending"], 3);
    assert_eq!(
        emulator.pending_faults()[2],
        Fault::TooManyRequests {
            retry_after: Some(3)
        }
    );
    let listed = http(Method::GET, url.clone(), None).await.json();
    assert_eq!(listed[0]["kind"], "status");

    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 500);
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 500);
    let third = trigger(&emulator, EXAMPLE).await;
    assert_eq!(
        third.headers.get("retry-after").map(|v| v.as_bytes()),
        Some(&b"3"[..])
    );
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 200);

    let body = r#"{"fault":{"kind":"close_after_body"},"times":5}"#;
    http(Method::POST, url.clone(), Some(body.into())).await;
    assert_eq!(http(Method::DELETE, url.clone(), None).await.status, 204);
    assert!(emulator.pending_faults().is_empty());
}

#[tokio::test]
async fn invalid_fault_requests_are_refused() {
    let emulator = start().await;
    let url = format!("{}/_emulator/faults", emulator.base_url());
    for body in [
        r#"{"fault":{"kind":"explode"}}"#,
        r#"{"fault":{"kind":"delay"}}"#,
        r#"{"fault":{"kind":"close_before_body"},"times":-1}"#,
        r#"{"fault":{"kind":"close_before_body"},"tims":2}"#,
        r#"{"fault":{"kind":"close_before_body"},"times":1000000}"#,
        "[",
    ] {
        let answer = http(Method::POST, url.clone(), Some(body.into())).await;
        assert_eq!(answer.status, 400, "{body}");
        assert!(!answer.error().is_empty());
    }
    assert!(emulator.pending_faults().is_empty());
}

#[tokio::test]
async fn clear_forgets_bulletins_and_rejections() {
    let emulator = start().await;
    trigger(&emulator, EXAMPLE).await;
    trigger(&emulator, "{}").await;
    emulator.inject(Fault::CloseAfterBody, 1);
    let _ = post_with(&emulator, HEADERS, EXAMPLE).await;
    let statuses: Vec<_> = emulator.bulletins().iter().map(|b| b.status).collect();
    assert_eq!(
        statuses,
        [
            DeliveryStatus::Accepted,
            DeliveryStatus::ReceivedNotAcknowledged
        ]
    );
    assert_eq!(emulator.accepted().len(), 1);
    assert_eq!(emulator.rejections().len(), 1);
    emulator.clear();
    assert!(emulator.bulletins().is_empty() && emulator.rejections().is_empty());
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let emulator = start().await;
    let addr = emulator.addr();
    emulator.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let emulator = start().await;
    let addr = emulator.addr();
    drop(emulator);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "still listening after drop"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let emulator = start().await;
    emulator.inject(Fault::Delay(std::time::Duration::from_millis(300)), 1);
    let url = emulator.trigger_url();
    let request = tokio::spawn(async move {
        let mut request = client().post(url).body(EXAMPLE);
        for (name, value) in HEADERS {
            request = request.header(*name, *value);
        }
        request.send().await.map(|r| r.status().as_u16()).ok()
    });
    while emulator.bulletins().is_empty() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    emulator.shutdown().await;
    assert_eq!(request.await.ok().flatten(), Some(200));
}
