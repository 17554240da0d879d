//! `GET /_emulator/events`: the live stream the inspector's page and `bulletins emulator tail`
//! follow, as server-sent events.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt as _};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::derive;
use crate::entry::Entry;
use crate::log::{Filter, Notice};
use crate::server::Shared;
use crate::trigger::failure_response;
use crate::validate::Failure;

/// Most bytes of notices sent in one write.
const STREAM_BATCH_BYTES: usize = 64 * 1024;

/// How often an idle stream sends a comment line, so proxies and browsers keep it open.
const STREAM_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The stream's query: the inspector's filters, and whether to say all a row shows.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamQuery {
    event: Option<String>,
    status: Option<String>,
    q: Option<String>,
    #[serde(default)]
    details: bool,
}

/// What one reader asked for.
#[derive(Debug, Clone)]
struct Reader {
    filter: Filter,
    details: bool,
}

/// `GET /_emulator/events`: server-sent events, one per change: `entry` (a new entry),
/// `updated` (a delayed bulletin acknowledged), `deleted`, `cleared`, and `lagged` when this
/// reader fell more than 1,024 notices behind; `ready` first. The data is JSON, e.g.
/// `{"type":"entry","id":3,"status":"accepted","business_event":"…","received_at_ms":…,"http_status":200}`.
///
/// `?event=…&status=…&q=…` keep only the entries the inspector's same filters show (deletions
/// and clearing always come); `?details=true` adds `account`, `name`, `error` and
/// `properties` to each entry.
///
/// Notices that are already waiting go out in one write, so a burst of requests costs the
/// stream a few writes rather than one per request.
pub(crate) async fn events(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<StreamQuery>, QueryRejection>,
) -> Response {
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => {
            let message = format!(
                "Invalid query: {} (known: event, status, q, details=true)",
                rejection.body_text()
            );
            return failure_response(&Failure::new(StatusCode::BAD_REQUEST, message));
        }
    };
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let reader = Reader {
        filter: Filter {
            bulletins: None,
            event: given(query.event),
            status: given(query.status),
            text: given(query.q),
        },
        details: query.details,
    };
    let notices = shared.log.subscribe();
    let mut stopping = shared.stopping.clone();
    let stopped = async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let hello = stream::once(async { Bytes::from_static(b"event: ready\ndata: {}\n\n") });
    let changes = stream::unfold((notices, reader), |(mut notices, reader)| async move {
        let mut text = String::new();
        // Waits for the first notice this reader wants, then takes what else is waiting.
        while text.is_empty() {
            match notices.recv().await {
                Ok(notice) => write_notice(&mut text, &notice, &reader),
                Err(RecvError::Lagged(missed)) => write_lagged(&mut text, missed),
                Err(RecvError::Closed) => return None,
            }
        }
        while text.len() < STREAM_BATCH_BYTES {
            match notices.try_recv() {
                Ok(notice) => write_notice(&mut text, &notice, &reader),
                Err(TryRecvError::Lagged(missed)) => write_lagged(&mut text, missed),
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        Some((Bytes::from(text), (notices, reader)))
    });
    let keep_alive = stream::unfold(
        tokio::time::interval_at(
            tokio::time::Instant::now() + STREAM_KEEP_ALIVE,
            STREAM_KEEP_ALIVE,
        ),
        |mut interval| async move {
            interval.tick().await;
            Some((Bytes::from_static(b":\n\n"), interval))
        },
    );
    // Ends with the server, so an open page does not hold shutdown for its grace period.
    let body = hello
        .chain(stream::select(changes, keep_alive))
        .take_until(stopped)
        .map(Ok::<_, Infallible>);
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// An entry as the stream says it.
#[derive(Serialize)]
struct Said<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u64,
    status: &'static str,
    business_event: Option<&'a str>,
    received_at_ms: u64,
    http_status: Option<u16>,
    #[serde(flatten)]
    details: Option<Details<'a>>,
}

/// What `?details=true` adds: all a row of the inspector shows.
#[derive(Serialize)]
struct Details<'a> {
    account: Option<&'a str>,
    name: Option<String>,
    error: Option<&'a str>,
    properties: derive::AllMembers,
}

impl<'a> Said<'a> {
    fn of(kind: &'static str, entry: &'a Entry, details: bool) -> Self {
        Self {
            kind,
            id: entry.id,
            status: entry.kind.word(),
            business_event: entry.event.as_deref(),
            received_at_ms: entry.received_at_ms,
            http_status: entry.status,
            details: details.then(|| Details {
                account: entry.account.as_deref(),
                name: derive::name(entry),
                error: entry.error.as_deref(),
                properties: derive::property_members(entry),
            }),
        }
    }
}

/// One notice in the event-stream format, unless the reader's filter leaves it out.
fn write_notice(text: &mut String, notice: &Notice, reader: &Reader) {
    let (name, id, data) = match notice {
        Notice::Entry(entry) | Notice::Updated(entry) => {
            if !reader.filter.matches(entry) {
                return;
            }
            let name = if matches!(notice, Notice::Entry(_)) {
                "entry"
            } else {
                "updated"
            };
            let said = Said::of(name, entry, reader.details);
            (name, Some(entry.id), serde_json::to_string(&said))
        }
        Notice::Deleted { id } => (
            "deleted",
            Some(*id),
            Ok(format!(r#"{{"type":"deleted","id":{id}}}"#)),
        ),
        Notice::Cleared => ("cleared", None, Ok(r#"{"type":"cleared"}"#.to_owned())),
    };
    text.push_str("event: ");
    text.push_str(name);
    if let Some(id) = id {
        text.push_str("\nid: ");
        text.push_str(&id.to_string());
    }
    text.push_str("\ndata: ");
    // Compact JSON has no newline, so it is one data line.
    text.push_str(&data.unwrap_or_default());
    text.push_str("\n\n");
}

fn write_lagged(text: &mut String, missed: u64) {
    text.push_str(&format!("event: lagged\ndata: {{\"missed\":{missed}}}\n\n"));
}
