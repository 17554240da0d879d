//! The inspector's HTML, written with maud: every string from a request goes through maud's
//! escaping, so a property holding `<script>` is shown as text.

use maud::{html, Markup, DOCTYPE};

use super::derive;
use super::TimelineQuery;
use crate::entry::{Entry, Kind};
use crate::fault::Fault;
use crate::log::Page;
use crate::traffic::Snapshot;

/// The page around every view.
pub(crate) fn layout(title: &str, current: &str, body: Markup) -> Markup {
    let nav = [
        ("/_emulator/ui", "Timeline"),
        ("/_emulator/ui/dashboard", "Dashboard"),
        ("/_emulator/ui/faults", "Faults"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · bulletins emulator" }
                link rel="stylesheet" href="/_emulator/ui/app.css";
                script src="/_emulator/ui/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/_emulator/ui" { "bulletins emulator" }
                    nav aria-label="Sections" {
                        @for (href, label) in nav {
                            a href=(href) aria-current=[(label == current).then_some("page")] { (label) }
                        }
                    }
                    span #live role="status" data-state="connecting" title="Live updates (server-sent events from /_emulator/events)" { "connecting…" }
                }
                main { (body) }
            }
        }
    }
}

/// The badge of a status word.
fn badge(kind: Kind) -> Markup {
    let (word, label) = match kind.word() {
        "accepted" => ("accepted", "accepted"),
        "received_not_acknowledged" => ("cut", "not acknowledged"),
        "rejected" => ("rejected", "rejected"),
        _ => ("fault", "fault"),
    };
    html! { span class={"badge " (word)} { (label) } }
}

/// The timeline's rows, newest first: also served alone for the live refresh.
pub(crate) fn rows(page: &Page) -> Markup {
    html! {
        @for entry in &page.entries {
            @let href = format!("/_emulator/ui/entries/{}", entry.id);
            @let row = derive::row(entry);
            tr.entry data-id=(entry.id) data-href=(href) {
                td.id { a href=(href) { "#" (entry.id) } }
                td { (badge(entry.kind)) }
                td.event { (entry.event.as_deref().unwrap_or("—")) }
                td.name {
                    @if let Some(name) = &row.name { span.bulletin-name { (name) } " " }
                    @if let Some(error) = entry.error.as_deref() { span.error { (error) } }
                }
                td.properties {
                    @for (key, value) in &row.properties {
                        span.property { span.key { (key) } "=" (value) }
                        " "
                    }
                    @if row.more > 0 { span.meta { "+" (row.more) " more" } }
                }
                td.time { time { (derive::utc(entry.received_at_ms)) } }
            }
        }
        @if page.entries.is_empty() {
            tr.empty { td colspan="6" { "Nothing recorded yet: raise a bulletin against this emulator and it appears here." } }
        }
    }
}

/// The timeline: the client panel, filters, rows, paging.
pub(crate) fn timeline(
    query: &TimelineQuery,
    events: &[String],
    page: &Page,
    (kept, max): (usize, usize),
    traffic: &Snapshot,
) -> Markup {
    let statuses = [
        ("accepted", "accepted"),
        ("received_not_acknowledged", "not acknowledged"),
        ("rejected", "rejected"),
        ("fault", "fault"),
    ];
    let event = query.event.as_deref().unwrap_or_default();
    let status = query.status.as_deref().unwrap_or_default();
    let older = match (page.more, page.entries.last()) {
        (true, Some(last)) => Some(query.link(Some(last.id))),
        _ => None,
    };
    html! {
        (super::client::panel(traffic))
        form.filters method="get" action="/_emulator/ui" role="search" {
            label { "Event "
                select name="event" {
                    option value="" { "any" }
                    @for name in events {
                        option value=(name) selected[name == event] { (name) }
                    }
                }
            }
            label { "Status "
                select name="status" {
                    option value="" { "any" }
                    @for (value, label) in statuses {
                        option value=(value) selected[value == status] { (label) }
                    }
                }
            }
            label { "Search "
                input #search type="search" name="q" value=(query.q.as_deref().unwrap_or_default())
                    placeholder="name, event, error, property"
                    title="Finds the text in a bulletin's name, event, error or properties (press / to search)";
            }
            button type="submit" { "Filter" }
            a.button href=(format!("/_emulator/export.jsonl{}", query.filter_query())) download="bulletins.jsonl" { "Export JSONL" }
        }
        p.meta #kept {
            (thousands(kept as u64)) " kept of at most " (thousands(max as u64))
            @if page.evicted > 0 { ", " (thousands(page.evicted)) " older ones forgotten" }
            ". Newest first; j/k to move, Enter to open, / to search."
        }
        table.timeline {
            thead { tr { th { "#" } th { "Status" } th { "Event" } th { "Name / error" } th { "Properties" } th { "Received" } } }
            tbody #rows data-live=[query.before.is_none().then_some("1")] data-source=(format!("/_emulator/ui/rows{}", query.filter_query())) {
                (rows(page))
            }
        }
        nav.paging {
            @if query.before.is_some() { a href=(query.link(None)) { "Newest" } }
            @if let Some(older) = older { a #older href=(older) { "Older →" } }
        }
        form.inline method="post" action="/_emulator/ui/clear" {
            button.danger type="submit" { "Clear all" }
        }
    }
}

/// One entry in full; `limit` is the account's concurrency limit.
pub(crate) fn detail(entry: &Entry, base_url: &str, limit: usize) -> Markup {
    let properties = derive::properties(entry);
    let json = derive::payload_line(entry).unwrap_or_default();
    html! {
        p { a href="/_emulator/ui" #back { "← Timeline" } " (Esc)" }
        h1 { (badge(entry.kind)) " " (entry.event.as_deref().unwrap_or("(no event)")) " " small { "#" (entry.id) } }
        dl.facts {
            dt { "Received" } dd { (derive::utc(entry.received_at_ms)) }
            dt { "Account" } dd { (entry.account.as_deref().unwrap_or("—")) }
            @if let Some(name) = derive::field(entry, "name") { dt { "Name" } dd { (name) } }
            @if let Some(by) = derive::field(entry, "c-by") { dt { "Created by" } dd { (by) } }
            @if let Some(when) = derive::field(entry, "when") { dt { "When" } dd { (when) } }
        }
        @if let Some(error) = entry.error.as_deref() {
            section.rejection aria-label="Rejection" {
                h2 { "Refused" }
                p #error { (error) }
                @if let Some(rule) = derive::rule(entry, limit) { p #rule { (rule) } }
            }
        }
        section aria-label="Properties" {
            h2 { "Properties" }
            @if properties.is_empty() { p { "none" } } @else {
                table #properties {
                    thead { tr { th { "Property" } th { "Value" } } }
                    tbody { @for (key, value) in &properties { tr { td { (key) } td { (value) } } } }
                }
            }
        }
        div.actions {
            button type="button" data-copy="curl" { "Copy as curl" }
            @if !json.is_empty() {
                button type="button" data-copy="json" { "Copy JSON" }
            }
            form.inline method="post" action=(format!("/_emulator/ui/entries/{}/delete", entry.id)) {
                // The label names the entry; it starts with the visible word, so speech control
                // finds it by what is shown.
                button.danger #delete type="submit" aria-label=(format!("Delete entry #{}", entry.id)) { "Delete" }
            }
            span #copied role="status" {}
        }
        pre #curl hidden { (derive::curl(entry, base_url)) }
        pre #json hidden { (json) }
        section aria-label="Request" {
            h2 { "Request" }
            pre.headers { (entry.headers) }
            @match derive::pretty_body(entry) {
                Some(body) => pre #body { (body) },
                None => p { "The body was not read." },
            }
        }
        section aria-label="Answer" {
            h2 { "Answer" }
            @match (entry.status, derive::answer_body(entry)) {
                (Some(status), Some(body)) => { p { "HTTP " (status) } pre #answer { (body) } },
                _ => p { "None: the connection was closed without an answer." },
            }
            p { "A client concludes: " span #conclusion { (derive::client_conclusion(entry)) } }
        }
    }
}

/// The dashboard's events with what was recorded for each.
pub(crate) fn dashboard(
    events: &[(String, Vec<String>, Vec<String>, u64)],
    counts: &[(String, u64, u64)],
) -> Markup {
    html! {
        h1 { "Dashboard" }
        table.dashboard {
            thead { tr { th { "Event" } th { "Properties" } th { "Required" } th { "Targets" } th { "Bulletins" } th { "Rejections" } } }
            tbody {
                @for (name, properties, required, targets) in events {
                    @let (bulletins, rejections) = counts.iter().find(|c| &c.0 == name).map_or((0, 0), |c| (c.1, c.2));
                    tr {
                        td { a href=(format!("/_emulator/ui?event={}", encode(name))) { (name) } }
                        td { (properties.join(", ")) }
                        td { (required.join(", ")) }
                        td { (thousands(*targets)) }
                        td { (thousands(bulletins)) }
                        td { (thousands(rejections)) }
                    }
                }
            }
        }
        @let unknown: Vec<_> = counts.iter().filter(|c| !events.iter().any(|e| e.0 == c.0)).collect();
        @if !unknown.is_empty() {
            h2 { "Not on the dashboard" }
            ul { @for (name, _, rejections) in unknown {
                li { (if name.is_empty() { "(no event)" } else { name }) ": " (thousands(*rejections)) " rejections" }
            } }
        }
    }
}

/// The fault panel: the queue and a form to add to it.
pub(crate) fn faults(pending: &[(Fault, usize)], room: usize, message: Option<&str>) -> Markup {
    html! {
        h1 { "Faults" }
        p { "Each fault answers one trigger request, in order, before any check. " (thousands(room as u64)) " more fit in the queue." }
        @if let Some(message) = message { p.notice role="alert" { (message) } }
        form.fault method="post" action="/_emulator/ui/faults" {
            label { "Fault "
                select #fault-kind name="kind" {
                    option value="status" { "status: answer an HTTP status" }
                    option value="delay" { "delay: wait, then answer normally" }
                    option value="too_many_requests" { "too_many_requests: 429" }
                    option value="close_before_body" { "close_before_body: close without reading" }
                    option value="close_after_body" selected { "close_after_body: read, then close" }
                    option value="fail_body_200" { "fail_body_200: 200 with a fail body" }
                    option value="malformed_body" { "malformed_body: 200, not JSON" }
                    option value="oversized_body" { "oversized_body: 200, 4 MiB" }
                }
            }
            label { "Status " input name="status" inputmode="numeric" placeholder="503"; }
            label { "Delay ms " input name="millis" inputmode="numeric" placeholder="500"; }
            label { "Retry-After s " input name="retry_after" inputmode="numeric"; }
            label { "Error " input name="error" placeholder="Something went wrong"; }
            label { "Code " input name="code" inputmode="numeric" placeholder="9"; }
            label { "Times " input #fault-times name="times" inputmode="numeric" value="1"; }
            button #inject type="submit" { "Inject" }
        }
        h2 { "Pending" }
        @if pending.is_empty() { p #pending-empty { "No fault pending: requests are answered normally." } } @else {
            table #pending {
                thead { tr { th { "Fault" } th { "Requests" } } }
                tbody { @for (fault, count) in pending {
                    tr { td { code { (serde_json::to_string(fault).unwrap_or_default()) } } td { (thousands(*count as u64)) } }
                } }
            }
            form.inline method="post" action="/_emulator/ui/faults/clear" {
                button.danger type="submit" { "Clear faults" }
            }
        }
    }
}

/// A short page for an error (unknown entry, bad query).
pub(crate) fn problem(message: &str) -> Markup {
    html! { h1 { "Not here" } p { (message) } p { a href="/_emulator/ui" { "Back to the timeline" } } }
}

/// A count with thousands separators: `100,000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Percent-encodes a query value.
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated_at_each_boundary() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (100_000, "100,000"),
            (999_999, "999,999"),
            (1_000_000, "1,000,000"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ] {
            assert_eq!(thousands(n), text);
        }
    }
}
