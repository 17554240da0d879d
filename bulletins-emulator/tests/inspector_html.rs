//! The inspector's pages and event stream, read with a plain HTTP client: escaping, paging,
//! filters in the URL, the live stream, export, and state changes only by same-origin POST.

mod common;

use std::time::Duration;

use bulletins_emulator::Fault;
use common::*;
use futures_util::StreamExt as _;
use reqwest::Method;

const HOSTILE_IMG: &str = "<img src=x onerror=alert(1)>";
const HOSTILE_SCRIPT: &str = "<script>alert(2)</script>";

fn hostile_payload() -> String {
    program_released(
        &format!(r#","note":"{HOSTILE_IMG}","quote":"{HOSTILE_SCRIPT}""#),
        r#""now""#,
    )
}

async fn page(emulator: &bulletins_emulator::Emulator, path: &str) -> Answer {
    http(Method::GET, format!("{}{path}", emulator.base_url()), None).await
}

fn rows(html: &str) -> usize {
    html.matches(r#"<tr class="entry""#).count()
}

#[tokio::test]
async fn the_timeline_is_served_at_the_root_and_at_ui() {
    let emulator = start().await;
    trigger(&emulator, EXAMPLE).await;
    for path in ["/", "/_emulator/ui"] {
        let answer = page(&emulator, path).await;
        assert_eq!(answer.status, 200, "{path}");
        let content_type = answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        assert_eq!(content_type, Some("text/html; charset=utf-8"));
        assert!(answer.body.contains("Program Released"), "{path}");
        assert!(answer.body.contains("Sa Re Ga Ma episode 12"), "{path}");
        assert_eq!(rows(&answer.body), 1);
    }
    // Assets are compiled in and served by the emulator: nothing comes from outside.
    for asset in ["/_emulator/ui/app.js", "/_emulator/ui/app.css"] {
        assert_eq!(page(&emulator, asset).await.status, 200, "{asset}");
    }
    let html = page(&emulator, "/").await.body;
    assert!(
        !html.contains("https://") && !html.contains("http://"),
        "{html}"
    );
}

#[tokio::test]
async fn values_from_requests_are_escaped_everywhere() {
    let emulator = start().await;
    trigger(&emulator, hostile_payload()).await;
    // A rejected request whose event name is hostile shows in the timeline too.
    trigger(&emulator, format!(r#"{{"event":"{HOSTILE_SCRIPT}"}}"#)).await;
    let id = emulator.bulletins()[0].id;

    for path in [
        "/_emulator/ui".to_owned(),
        format!("/_emulator/ui/entries/{id}"),
        "/_emulator/ui/entries/2".to_owned(),
        "/_emulator/ui/rows".to_owned(),
        "/_emulator/ui/dashboard".to_owned(),
        format!("/_emulator/ui?q={}", urlencode(HOSTILE_IMG)),
    ] {
        let html = page(&emulator, &path).await.body;
        assert!(!html.contains("<img"), "{path}: unescaped <img> in {html}");
        assert!(
            !html.contains("<script>alert"),
            "{path}: unescaped <script> in {html}"
        );
    }
    let detail = page(&emulator, &format!("/_emulator/ui/entries/{id}"))
        .await
        .body;
    assert!(
        detail.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{detail}"
    );
}

#[tokio::test]
async fn the_timeline_is_paginated_newest_first() {
    let emulator = start().await;
    for _ in 0..120 {
        trigger(&emulator, EXAMPLE).await;
    }
    let first = page(&emulator, "/_emulator/ui").await.body;
    assert_eq!(rows(&first), 50);
    assert!(first.contains(r#"data-id="120""#) && first.contains(r#"data-id="71""#));
    assert!(!first.contains(r#"data-id="70""#));
    assert!(
        first.contains(r#"href="/_emulator/ui?before=71""#),
        "{first}"
    );

    let second = page(&emulator, "/_emulator/ui?before=71").await.body;
    assert_eq!(rows(&second), 50);
    assert!(second.contains(r#"data-id="70""#) && second.contains(r#"data-id="21""#));
    let last = page(&emulator, "/_emulator/ui?before=21").await.body;
    assert_eq!(rows(&last), 20);
    assert!(!last.contains("?before="), "no older page after the last");
}

#[tokio::test]
async fn filters_live_in_the_url() {
    let emulator = start().await;
    trigger(&emulator, EXAMPLE).await;
    trigger(
        &emulator,
        program_released(r#","mood":"jubilant""#, r#""now""#),
    )
    .await;
    trigger(&emulator, "{}").await;

    let rejected = page(&emulator, "/_emulator/ui?status=rejected").await.body;
    assert_eq!(rows(&rejected), 1);
    assert!(rejected.contains("Business Event Not Found"));
    assert!(
        rejected.contains(r#"<option value="rejected" selected>"#),
        "{rejected}"
    );

    let searched = page(&emulator, "/_emulator/ui?q=JUBILANT").await.body;
    assert_eq!(rows(&searched), 1);
    assert!(searched.contains(r#"data-id="2""#));
    assert!(searched.contains(r#"value="JUBILANT""#));

    let by_event = page(
        &emulator,
        "/_emulator/ui?event=Program+Released&status=accepted",
    )
    .await
    .body;
    assert_eq!(rows(&by_event), 2);
    // The live refresh and the export keep the same filter.
    assert!(
        by_event.contains(
            r#"data-source="/_emulator/ui/rows?event=Program%20Released&amp;status=accepted""#
        ),
        "{by_event}"
    );
    assert!(
        by_event.contains("/_emulator/export.jsonl?event=Program%20Released&amp;status=accepted")
    );
}

#[tokio::test]
async fn a_rejection_shows_its_error_and_rule() {
    let emulator = start().await;
    let long_value = "v".repeat(513);
    trigger(
        &emulator,
        program_released(&format!(r#","big":"{long_value}""#), r#""now""#),
    )
    .await;
    let detail = page(&emulator, "/_emulator/ui/entries/1").await.body;
    assert!(
        detail.contains("Property big is 513 bytes; the limit is 512"),
        "{detail}"
    );
    // The rule in a sentence, numbered as CleverTap checks.
    assert!(
        detail.contains(
            r#"<p id="rule">Rule 6 (property values): a value may be at most 512 bytes.</p>"#
        ),
        "{detail}"
    );
    // The answer sent, what a client concludes from it, and the request's headers with the
    // passcode redacted.
    assert!(detail.contains("HTTP 400"));
    assert!(
        detail.contains("certainly not delivered: CleverTap refused the bulletin"),
        "{detail}"
    );
    assert!(
        detail.contains("x-clevertap-passcode: [redacted]"),
        "{detail}"
    );
    assert!(
        !detail.contains(PASSCODE),
        "the passcode leaked into {detail}"
    );
    // Copy as curl takes the passcode from the shell.
    assert!(detail.contains("X-CleverTap-Passcode: $CLEVERTAP_PASSCODE"));

    assert_eq!(
        page(&emulator, "/_emulator/ui/entries/99").await.status,
        404
    );
    assert_eq!(page(&emulator, "/_emulator/ui/entries/x").await.status, 404);
}

/// The entry page says what a client makes of each answer, by the SDK's classification.
#[tokio::test]
async fn each_answer_says_what_a_client_concludes() {
    let emulator = start().await;
    let valid = program_released("", r#""now""#);
    for (fault, conclusion) in [
        (None, "delivered to 1 target<"),
        (
            Some(Fault::too_many_requests()),
            "certainly not delivered: CleverTap answered 429",
        ),
        (Some(Fault::status(503)), "may have been delivered"),
        (Some(Fault::MalformedBody), "may have been delivered"),
        (Some(Fault::CloseAfterBody), "may have been delivered"),
    ] {
        if let Some(fault) = fault {
            emulator.inject(fault, 1);
        }
        // A closed connection is no answer: an error here, recorded all the same.
        let _ = post_with(&emulator, HEADERS, valid.clone()).await;
        let id = emulator.rejections().len() + emulator.bulletins().len();
        let detail = page(&emulator, &format!("/_emulator/ui/entries/{id}"))
            .await
            .body;
        assert!(detail.contains(conclusion), "{conclusion}: {detail}");
    }
}

#[tokio::test]
async fn the_event_stream_reports_new_entries_to_a_plain_client() {
    let emulator = start().await;
    let response = client()
        .get(format!("{}/_emulator/events", emulator.base_url()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("no stream: {e}"));
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    let mut stream = Box::pin(response.bytes_stream());
    let mut text = String::new();
    read_until(&mut stream, "event: ready", &mut text).await;
    trigger(&emulator, EXAMPLE).await;
    read_until(&mut stream, "event: entry", &mut text).await;
    read_until(&mut stream, "\n\n", &mut text).await;
    let data = text
        .split("event: entry")
        .nth(1)
        .and_then(|rest| rest.lines().find_map(|l| l.strip_prefix("data: ")))
        .unwrap_or_default()
        .to_owned();
    let notice: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
    assert_eq!(notice["id"], 1, "{data}");
    assert_eq!(notice["status"], "accepted");
    assert_eq!(notice["business_event"], "Program Released");
    // Without `details=true`, the notice stays small.
    assert_eq!(notice.get("properties"), None, "{data}");
    emulator.shutdown().await;
}

/// The stream takes the inspector's filters, and says all a row shows when asked: what
/// `bulletins emulator tail` reads.
#[tokio::test]
async fn the_event_stream_filters_and_details_entries_on_request() {
    let emulator = start().await;
    let url = format!(
        "{}/_emulator/events?status=rejected&q=episode&details=true",
        emulator.base_url()
    );
    let response = client()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("no stream: {e}"));
    assert_eq!(response.status().as_u16(), 200);
    let mut stream = Box::pin(response.bytes_stream());
    let mut text = String::new();
    read_until(&mut stream, "event: ready", &mut text).await;
    trigger(&emulator, EXAMPLE).await; // #1: accepted, left out
    trigger(
        &emulator,
        r#"{"business_event":"Program Released","name":"Other"}"#,
    )
    .await; // #2: no match
    trigger(
        &emulator,
        r#"{"business_event":"Program Released","name":"Lost episode","properties":{"zeta":"1","alpha":"2"}}"#,
    )
    .await; // #3
    read_until(&mut stream, "event: entry", &mut text).await;
    read_until(&mut stream, "}\n\n", &mut text).await;
    let entries: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter_map(|data| serde_json::from_str(data).ok())
        .filter(|notice: &serde_json::Value| notice["type"] == "entry")
        .collect();
    assert_eq!(entries.len(), 1, "{text}");
    let notice = &entries[0];
    assert_eq!(notice["id"], 3, "{text}");
    assert_eq!(notice["status"], "rejected");
    assert_eq!(notice["http_status"], 400);
    assert_eq!(notice["account"], ACCOUNT);
    assert_eq!(notice["name"], "Lost episode");
    assert_eq!(notice["error"], "\"when\" has an incorrect value - null");
    // Properties in the order sent.
    let data = text
        .lines()
        .find(|l| l.contains(r#""id":3"#))
        .unwrap_or_default();
    assert!(
        data.contains(r#""properties":{"zeta":"1","alpha":"2"}"#),
        "{data}"
    );

    // An unknown parameter is refused, naming the known ones.
    let plain = http(
        Method::GET,
        format!("{}/_emulator/events?detail=1", emulator.base_url()),
        None,
    )
    .await;
    assert_eq!(plain.status, 400);
    assert!(plain.body.contains("details=true"), "{}", plain.body);
    emulator.shutdown().await;
}

#[tokio::test]
async fn export_is_one_trigger_payload_per_line() {
    let emulator = start().await;
    trigger(&emulator, EXAMPLE).await;
    trigger(&emulator, program_released(r#","mood":"calm""#, r#""now""#)).await;
    let answer = page(&emulator, "/_emulator/export.jsonl?status=accepted").await;
    assert_eq!(answer.status, 200);
    let lines: Vec<serde_json::Value> = answer
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_default())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        serde_json::from_str::<serde_json::Value>(EXAMPLE).unwrap_or_default()
    );
    assert_eq!(lines[1]["properties"]["mood"], "calm");
    let filtered = page(&emulator, "/_emulator/export.jsonl?q=calm").await;
    assert_eq!(filtered.body.lines().count(), 1);
}

#[tokio::test]
async fn state_changes_are_same_origin_posts_only() {
    let emulator = start().await;
    trigger(&emulator, EXAMPLE).await;
    let base = emulator.base_url();

    // Never a GET.
    for path in [
        "/_emulator/ui/clear",
        "/_emulator/ui/entries/1/delete",
        "/_emulator/ui/faults/clear",
    ] {
        assert_eq!(page(&emulator, path).await.status, 405, "{path}");
    }
    // Another site's form is refused, and nothing changes.
    let foreign = client()
        .post(format!("{base}/_emulator/ui/clear"))
        .header("Origin", "http://attacker.example")
        .send()
        .await
        .map(|r| {
            (
                r.status().as_u16(),
                r.headers().contains_key("access-control-allow-origin"),
            )
        });
    assert_eq!(foreign.ok(), Some((403, false)));
    for (name, value) in [("Origin", "null"), ("Sec-Fetch-Site", "cross-site")] {
        let refused = client()
            .post(format!("{base}/_emulator/ui/clear"))
            .header(name, value)
            .send()
            .await
            .map(|r| r.status().as_u16());
        assert_eq!(refused.ok(), Some(403), "{name}: {value}");
    }
    assert_eq!(emulator.bulletins().len(), 1);

    // The page's own forms work (a redirect back, then the change shows).
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let own = no_redirects
        .post(format!("{base}/_emulator/ui/faults"))
        .header("Origin", base.clone())
        .form(&[("kind", "status"), ("status", "503"), ("times", "2")])
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(own.ok(), Some(303));
    assert_eq!(emulator.pending_faults().len(), 2);
    let faults_page = page(&emulator, "/_emulator/ui/faults").await.body;
    assert!(
        faults_page.contains(
            r#"{&quot;kind&quot;:&quot;status&quot;,&quot;status&quot;:503,&quot;body&quot;:null}"#
        ),
        "{faults_page}"
    );

    let bad = no_redirects
        .post(format!("{base}/_emulator/ui/faults"))
        .form(&[("kind", "status"), ("status", "x")])
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(bad.ok(), Some(400));

    let deleted = no_redirects
        .post(format!("{base}/_emulator/ui/entries/1/delete"))
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(deleted.ok(), Some(303));
    assert!(emulator.bulletins().is_empty());

    // No CORS headers anywhere.
    let answer = client()
        .get(format!("{base}/_emulator/bulletins"))
        .header("Origin", "http://attacker.example")
        .send()
        .await
        .map(|r| r.headers().contains_key("access-control-allow-origin"));
    assert_eq!(answer.ok(), Some(false));
}

/// Reads the stream into `text` until it holds `needle` (10 s at most: a hang is a failure).
async fn read_until(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    needle: &str,
    text: &mut String,
) {
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while !text.contains(needle) {
            match stream.next().await {
                Some(Ok(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return false,
            }
        }
        true
    })
    .await;
    assert_eq!(found.ok(), Some(true), "{needle:?} never came; got {text}");
}

fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}
