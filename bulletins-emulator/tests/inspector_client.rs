//! The inspector's "Client" panel and its data, `GET /_emulator/traffic`: requests in flight
//! while a delay fault holds them, refusals over the cap, answers per second.

mod common;

use std::time::{Duration, Instant};

use bulletins_emulator::{Emulator, Fault};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

/// Longer than any test: the held requests end when their tasks are aborted.
const HOLD: Duration = Duration::from_secs(600);

async fn traffic(emulator: &Emulator) -> Value {
    let answer = http(
        Method::GET,
        format!("{}/_emulator/traffic", emulator.base_url()),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    answer.json()
}

/// Waits (10 s at most: a hang is a failure) until the traffic says `in_flight` is `count`.
async fn wait_in_flight(emulator: &Emulator, count: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = traffic(emulator).await;
        if now["in_flight"] == count {
            return now;
        }
        assert!(Instant::now() < deadline, "never {count} in flight: {now}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `n` requests held in flight by a delay fault.
fn hold(emulator: &Emulator, n: usize) -> Vec<JoinHandle<()>> {
    emulator.inject(Fault::Delay(HOLD), n);
    (0..n)
        .map(|_| {
            let url = emulator.trigger_url();
            tokio::spawn(async move {
                let _ = post_to(url, HEADERS, EXAMPLE).await;
            })
        })
        .collect()
}

fn sum(seconds: &Value, field: &str) -> u64 {
    seconds
        .as_array()
        .map_or(0, |s| s.iter().filter_map(|s| s[field].as_u64()).sum())
}

#[tokio::test]
async fn the_traffic_counts_requests_held_in_flight_and_refusals_over_the_cap() {
    let emulator = start().await; // CleverTap's cap: 3.
    let quiet = traffic(&emulator).await;
    assert_eq!(
        (
            &quiet["in_flight"],
            &quiet["limit"],
            &quiet["answered"],
            &quiet["accounts"]
        ),
        (&json!(0), &json!(3), &json!(0), &json!([]))
    );
    assert_eq!(quiet["seconds"].as_array().map(Vec::len), Some(60));

    let held = hold(&emulator, 3);
    let full = wait_in_flight(&emulator, 3).await;
    assert_eq!(
        full["accounts"],
        json!([{ "account": ACCOUNT, "in_flight": 3 }])
    );
    // The cap at work: the fourth is refused at once, and counted.
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 429);
    let capped = traffic(&emulator).await;
    assert_eq!(capped["in_flight"], 3);
    assert_eq!(
        (&capped["over_limit"], &capped["answered"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(sum(&capped["seconds"], "over_limit"), 1);
    assert_eq!(sum(&capped["seconds"], "answered"), 1);
    let peak = capped["seconds"]
        .as_array()
        .and_then(|s| s.iter().filter_map(|s| s["peak_in_flight"].as_u64()).max());
    assert_eq!(peak, Some(3));

    // The panel on the timeline shows the same numbers when the page is served.
    let html = http(Method::GET, format!("{}/", emulator.base_url()), None)
        .await
        .body;
    assert!(
        html.contains(r#"<strong id="in-flight">3</strong>"#),
        "{html}"
    );
    assert!(html.contains("(cap 3 per account)"), "{html}");
    assert!(
        html.contains(r#"<strong id="over-limit">1</strong>"#),
        "{html}"
    );
    assert!(html.contains(r#"src="/_emulator/ui/client.js""#), "{html}");

    // Clients that give up free their slots: nothing is in flight, and nothing was answered.
    for task in held {
        task.abort();
    }
    let after = wait_in_flight(&emulator, 0).await;
    assert_eq!(after["accounts"], json!([]));
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 200);
    let done = traffic(&emulator).await;
    assert_eq!(
        (&done["answered"], &done["over_limit"]),
        (&json!(2), &json!(1))
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_unlimited_emulator_reports_no_cap() {
    let emulator = dashboard()
        .concurrency_limit(0)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let held = hold(&emulator, 5);
    wait_in_flight(&emulator, 5).await;
    let html = http(Method::GET, format!("{}/", emulator.base_url()), None)
        .await
        .body;
    assert!(
        html.contains(r#"<strong id="in-flight">5</strong>"#),
        "{html}"
    );
    assert!(html.contains("(no cap)"), "{html}");
    assert_eq!(traffic(&emulator).await["limit"], 0);
    for task in held {
        task.abort();
    }
    wait_in_flight(&emulator, 0).await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_panel_script_is_served_by_the_emulator() {
    let emulator = start().await;
    let script = http(
        Method::GET,
        format!("{}/_emulator/ui/client.js", emulator.base_url()),
        None,
    )
    .await;
    assert_eq!(script.status, 200);
    assert!(script.body.contains("/_emulator/traffic"));
    // Drawn by our own code: nothing is loaded from elsewhere (the one URL names SVG's
    // namespace).
    let rest = script.body.replace("\"http://www.w3.org/2000/svg\"", "");
    assert!(
        !rest.contains("https://") && !rest.contains("http://"),
        "{rest}"
    );
}
