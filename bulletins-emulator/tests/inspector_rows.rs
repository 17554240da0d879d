//! What a row of the inspector's timeline shows, and what its search finds: the bulletin's
//! name (beside the error when refused), its first properties, counts with thousands
//! separators, and a labelled delete button. Read as HTML; the browser test looks at it too.

mod common;

use bulletins_emulator::Emulator;
use common::*;
use reqwest::Method;

async fn page(emulator: &Emulator, path: &str) -> String {
    let answer = http(Method::GET, format!("{}{path}", emulator.base_url()), None).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    answer.body
}

/// The ids of the rows shown, newest first, as `#N`.
fn ids(html: &str) -> Vec<String> {
    html.split(r#"<tr class="entry" data-id=""#)
        .skip(1)
        .map(|row| format!("#{}", &row[..row.find('"').unwrap_or(0)]))
        .collect()
}

/// The text of one cell of class `class` in each row.
fn cells(html: &str, class: &str) -> Vec<String> {
    let open = format!(r#"<td class="{class}">"#);
    html.split(open.as_str())
        .skip(1)
        .map(|cell| text(&cell[..cell.find("</td>").unwrap_or(cell.len())]))
        .collect()
}

/// HTML to its text: tags removed, entities the pages use decoded, whitespace collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn a_row_shows_the_first_properties_in_the_order_sent() {
    let emulator = start().await;
    // Four properties, written in an order that is not alphabetical.
    trigger(&emulator, program_released(r#","mood":"calm""#, r#""now""#)).await;
    let long = "x".repeat(41);
    trigger(
        &emulator,
        r#"{"business_event":"order_placed","name":"Order 7","properties":{"product_category":"LONG","order_id":"7"},"c-by":"a@b.c","when":"now"}"#
            .replace("LONG", &long),
    )
    .await;
    // A name of the wrong type is refused; the row still shows the properties.
    trigger(
        &emulator,
        r#"{"business_event":"ping","name":7,"properties":{"k":"v"},"c-by":"a@b.c","when":"now"}"#,
    )
    .await;
    let html = page(&emulator, "/_emulator/ui").await;
    assert_eq!(
        cells(&html, "properties"),
        [
            "k=v".to_owned(),
            // Exactly 40 characters are kept; the 41st becomes "…".
            format!("product_category={}… order_id=7", &long[..40]),
            "program_id=234567 language=Hindi prev_program_id=123457 +1 more".to_owned(),
        ]
    );
    assert!(html.contains("<th>Properties</th>"), "{html}");
}

#[tokio::test]
async fn a_refused_row_shows_the_name_beside_the_error() {
    let emulator = start().await;
    trigger(
        &emulator,
        r#"{"business_event":"Program Released","name":"Episode 13","properties":{},"c-by":"a@b.c","when":"now"}"#,
    )
    .await;
    // Refused before the body is read: no name to show, the error alone.
    post_with(&emulator, &HEADERS[..1], "{}")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let html = page(&emulator, "/_emulator/ui").await;
    assert_eq!(
        cells(&html, "name"),
        ["Invalid passcode", "Episode 13 Property program_id missing",]
    );
    assert!(
        html.contains(
            r#"<span class="bulletin-name">Episode 13</span> <span class="error">Property program_id missing</span>"#
        ),
        "{html}"
    );
}

#[tokio::test]
async fn the_search_finds_whatever_a_row_shows() {
    let emulator = start().await;
    trigger(&emulator, EXAMPLE).await; // #1: "Sa Re Ga Ma episode 12", Hindi
    trigger(
        &emulator,
        r#"{"business_event":"order_placed","name":"Order 7","properties":{"order_id":"7","product_category":"books"},"c-by":"a@b.c","when":"now"}"#,
    )
    .await; // #2
    trigger(&emulator, r#"{"business_event":"nope","name":"Lost"}"#).await; // #3: refused
    for (query, expected) in [
        // The name as the list shows it, in any case.
        ("sa%20re%20ga%20MA", vec!["#1"]),
        // The event.
        ("ORDER_PLACED", vec!["#2"]),
        // The error, and a refused bulletin's name.
        ("not%20found", vec!["#3"]),
        ("lost", vec!["#3"]),
        // A property's key and a property's value.
        ("product_category", vec!["#2"]),
        ("hindi", vec!["#1"]),
        // Text that only sits elsewhere in the body (c-by) is not shown, so not found.
        ("a%40b.c", vec![]),
    ] {
        let html = page(&emulator, &format!("/_emulator/ui?q={query}")).await;
        assert_eq!(ids(&html), expected, "q={query}");
    }
    // A name written with JSON escapes is found as it reads.
    trigger(
        &emulator,
        program_released("", r#""now""#)
            .replace("Sa Re Ga Ma episode 12", r"Caf\u00e9 \u2014 live"),
    )
    .await; // #4
    let html = page(&emulator, "/_emulator/ui?q=caf%C3%A9%20%E2%80%94").await;
    assert_eq!(ids(&html), ["#4"]);
    // The JSON listing and the export share the search.
    let listed = http(
        Method::GET,
        format!("{}/_emulator/bulletins?q=order%207", emulator.base_url()),
        None,
    )
    .await
    .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
}

#[tokio::test]
async fn counts_have_thousands_separators_and_the_search_says_what_it_searches() {
    let emulator = start().await;
    let html = page(&emulator, "/_emulator/ui").await;
    assert!(html.contains("0 kept of at most 100,000."), "{html}");
    assert!(
        html.contains(r#"placeholder="name, event, error, property""#),
        "{html}"
    );
    let faults = page(&emulator, "/_emulator/ui/faults").await;
    assert!(faults.contains("100,000 more fit in the queue"), "{faults}");
}

#[tokio::test]
async fn the_delete_button_says_what_it_deletes() {
    let emulator = start().await;
    trigger(&emulator, EXAMPLE).await;
    let html = page(&emulator, "/_emulator/ui/entries/1").await;
    assert!(
        html.contains(
            r#"<button class="danger" id="delete" type="submit" aria-label="Delete entry #1">Delete</button>"#
        ),
        "{html}"
    );
}

#[tokio::test]
async fn a_missing_property_reads_as_a_sentence() {
    let emulator = start().await;
    trigger(
        &emulator,
        r#"{"business_event":"order_placed","name":"Order 7","properties":{"order_id":"7"},"c-by":"a@b.c","when":"now"}"#,
    )
    .await;
    let html = page(&emulator, "/_emulator/ui/entries/1").await;
    assert!(
        html.contains(
            r#"<p id="rule">Rule 5 (required properties): order_placed requires product_category, which the request did not send.</p>"#
        ),
        "{html}"
    );
}
