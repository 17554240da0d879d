//! The emulator's memory is bounded: at most `max_recorded` entries (the oldest evicted and
//! counted), a capped fault queue, and a paged listing.

mod common;

use bulletins_emulator::{Fault, DEFAULT_MAX_RECORDED, MAX_PENDING_FAULTS};
use common::*;
use reqwest::Method;
use serde_json::Value;

async fn start_keeping(max: usize) -> bulletins_emulator::Emulator {
    dashboard()
        .max_recorded(max)
        .start()
        .await
        .unwrap_or_else(|e| panic!("emulator did not start: {e}"))
}

fn ids(list: &Value) -> Vec<u64> {
    list.as_array()
        .map(|a| a.iter().filter_map(|b| b["id"].as_u64()).collect())
        .unwrap_or_default()
}

fn header(answer: &Answer, name: &str) -> Option<String> {
    answer
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn the_default_keeps_at_least_100_000() {
    let emulator = start().await;
    // The inspector states the limit in force, with a thousands separator.
    let page = http(Method::GET, emulator.base_url(), None).await.body;
    assert!(page.contains("kept of at most 100,000."), "{page}");
    const { assert!(DEFAULT_MAX_RECORDED == 100_000) };
}

#[tokio::test]
async fn the_oldest_are_evicted_past_the_limit_and_counted() {
    let emulator = start_keeping(3).await;
    for _ in 0..4 {
        trigger(&emulator, EXAMPLE).await;
    }
    // A rejection counts toward the same limit.
    trigger(&emulator, "{}").await;

    let url = format!("{}/_emulator/bulletins", emulator.base_url());
    let answer = http(Method::GET, url, None).await;
    assert_eq!(ids(&answer.json()), [3, 4]);
    assert_eq!(header(&answer, "x-emulator-evicted").as_deref(), Some("2"));
    assert_eq!(emulator.evicted(), 2);
    assert_eq!(emulator.bulletins().len(), 2);
    assert_eq!(emulator.rejections().len(), 1);

    // Clearing forgets, but is not eviction.
    emulator.clear();
    assert_eq!(emulator.evicted(), 2);
}

#[tokio::test]
async fn the_limit_holds_at_its_boundary() {
    let emulator = start_keeping(2).await;
    trigger(&emulator, EXAMPLE).await;
    trigger(&emulator, EXAMPLE).await;
    assert_eq!((emulator.bulletins().len(), emulator.evicted()), (2, 0));
    trigger(&emulator, EXAMPLE).await;
    assert_eq!((emulator.bulletins().len(), emulator.evicted()), (2, 1));

    // Zero would keep nothing, not even the entry being looked at: one is the least.
    let emulator = start_keeping(0).await;
    trigger(&emulator, EXAMPLE).await;
    assert_eq!(emulator.bulletins().len(), 1);
}

#[tokio::test]
async fn inject_usize_max_fills_the_queue_without_panicking() {
    let emulator = start().await;
    assert_eq!(
        emulator.inject(Fault::status(503), usize::MAX),
        MAX_PENDING_FAULTS
    );
    assert_eq!(emulator.inject(Fault::CloseAfterBody, 1), 0);
    assert_eq!(emulator.pending_faults().len(), MAX_PENDING_FAULTS);
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 503);

    // Over HTTP the total is checked too, and the refusal says how much fits.
    let url = format!("{}/_emulator/faults", emulator.base_url());
    let body = r#"{"fault":{"kind":"close_after_body"},"times":2}"#;
    let answer = http(Method::POST, url.clone(), Some(body.into())).await;
    assert_eq!(answer.status, 400);
    assert!(answer.error().contains("only 1 more"), "{}", answer.body);
    let body = r#"{"fault":{"kind":"close_after_body"},"times":1}"#;
    assert_eq!(
        http(Method::POST, url.clone(), Some(body.into()))
            .await
            .status,
        200
    );
    assert_eq!(http(Method::DELETE, url, None).await.status, 204);
    assert!(emulator.pending_faults().is_empty());
}

#[tokio::test]
async fn the_listing_is_paged_with_after_and_limit() {
    let emulator = start().await;
    for _ in 0..5 {
        trigger(&emulator, EXAMPLE).await;
    }
    let base = format!("{}/_emulator/bulletins", emulator.base_url());

    let first = http(Method::GET, format!("{base}?limit=2"), None).await;
    assert_eq!(ids(&first.json()), [1, 2]);
    let link = header(&first, "link").unwrap_or_default();
    assert_eq!(
        link,
        r#"</_emulator/bulletins?after=2&limit=2>; rel="next""#
    );

    let second = http(Method::GET, format!("{base}?after=2&limit=2"), None).await;
    assert_eq!(ids(&second.json()), [3, 4]);
    assert!(header(&second, "link").is_some());
    let last = http(Method::GET, format!("{base}?after=4&limit=2"), None).await;
    assert_eq!(ids(&last.json()), [5]);
    assert_eq!(header(&last, "link"), None);
    let past = http(Method::GET, format!("{base}?after=99"), None).await;
    assert_eq!(past.body, "[]");

    for limit in ["1", "10000"] {
        let answer = http(Method::GET, format!("{base}?limit={limit}"), None).await;
        assert_eq!(answer.status, 200, "limit={limit}");
    }
    for query in ["limit=0", "limit=10001", "after=-1", "after=x", "page=2"] {
        let answer = http(Method::GET, format!("{base}?{query}"), None).await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
        assert!(!answer.error().is_empty());
    }

    // Rejections page the same way.
    trigger(&emulator, "{}").await;
    trigger(&emulator, "{}").await;
    let url = format!("{}/_emulator/rejections?limit=1", emulator.base_url());
    let answer = http(Method::GET, url, None).await;
    assert_eq!(ids(&answer.json()), [6]);
    assert_eq!(
        header(&answer, "link").as_deref(),
        Some(r#"</_emulator/rejections?after=6&limit=1>; rel="next""#)
    );
}

#[tokio::test]
async fn the_listing_filters_by_event_status_and_text() {
    let emulator = start().await;
    trigger(&emulator, EXAMPLE).await;
    trigger(
        &emulator,
        program_released(r#","mood":"Jubilant""#, r#""now""#),
    )
    .await;
    emulator.inject(Fault::CloseAfterBody, 1);
    let _ = post_with(&emulator, HEADERS, EXAMPLE).await;
    let base = format!("{}/_emulator/bulletins", emulator.base_url());
    for (query, expected) in [
        ("q=jubilant", vec![2]),
        ("status=received_not_acknowledged", vec![3]),
        ("event=Program%20Released&status=accepted", vec![1, 2]),
        ("event=order_placed", vec![]),
    ] {
        let answer = http(Method::GET, format!("{base}?{query}"), None).await;
        assert_eq!(ids(&answer.json()), expected, "{query}");
    }
}
