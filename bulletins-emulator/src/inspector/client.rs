//! The timeline's "Client" panel: requests in flight and answers per second, as the emulator
//! sees them, so the concurrency cap can be watched at work. The page carries the numbers of
//! the moment it was served; `assets/client.js` polls `GET /_emulator/traffic` and draws the
//! last minute.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

use super::page::thousands;
use crate::server::Shared;
use crate::traffic::Snapshot;

/// `GET /_emulator/traffic`: requests in flight now (in total and per account), the
/// concurrency limit, answers and refusals over the limit since the start, and the last 60
/// seconds, oldest first: `{"in_flight":2,"limit":3,"accounts":[{"account":"…","in_flight":2}],
/// "answered":17,"over_limit":1,"seconds":[{"at_ms":…,"answered":5,"over_limit":1,
/// "peak_in_flight":3},…]}`.
pub(crate) async fn traffic(State(shared): State<Arc<Shared>>) -> Response {
    let snapshot = shared
        .traffic
        .snapshot(shared.dashboard.concurrency_limit());
    match serde_json::to_string(&snapshot) {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// Answers in the last complete second (the current one is still counting).
fn answer_rate(snapshot: &Snapshot) -> u64 {
    let seconds = &snapshot.seconds;
    seconds
        .len()
        .checked_sub(2)
        .map_or(0, |previous| seconds[previous].answered)
}

/// The panel, with the numbers of this moment; the script draws the charts and keeps both
/// current.
pub(crate) fn panel(snapshot: &Snapshot) -> Markup {
    let over_limit: u64 = snapshot.seconds.iter().map(|s| s.over_limit).sum();
    let cap = match snapshot.limit {
        0 => "no cap".to_owned(),
        limit => format!("cap {} per account", thousands(limit as u64)),
    };
    html! {
        section #client aria-labelledby="client-title" data-limit=(snapshot.limit) {
            h2 #client-title { "Client" }
            div.charts {
                figure {
                    figcaption {
                        "In flight: " strong #in-flight { (thousands(snapshot.in_flight as u64)) }
                        " " span.meta #cap { "(" (cap) ")" }
                    }
                    svg #in-flight-chart viewBox="0 0 300 80" preserveAspectRatio="none" role="img"
                        aria-label="Requests in flight, the most at once in each second of the last minute" {}
                }
                figure {
                    figcaption {
                        "Answers: " strong #answer-rate { (thousands(answer_rate(snapshot))) } " per second; "
                        strong #over-limit { (thousands(over_limit)) } " refused over the cap in the last minute"
                    }
                    svg #answers-chart viewBox="0 0 300 80" preserveAspectRatio="none" role="img"
                        aria-label="Answers in each second of the last minute, refusals over the cap in red" {}
                }
            }
            p.meta { "As the emulator sees its clients: a request is in flight while it holds one of its account's concurrency slots." }
            script src="/_emulator/ui/client.js" defer {}
        }
    }
}
