//! The inspector: a web page, served by the running emulator at `/` and `/_emulator/ui`, that
//! shows every recorded request live, and the stream it follows (`/_emulator/events`).
//!
//! Pages are rendered on the server (maud escapes every value); one small script
//! (`assets/app.js`) follows the event stream, copies to the clipboard and handles keys, and
//! another (`assets/client.js`) draws the timeline's "Client" panel from `/_emulator/traffic`.
//! State changes are `POST` forms answered with a redirect, refused when another origin sends
//! them.

mod client;
mod derive;
mod page;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::Markup;
use serde::Deserialize;

use crate::fault::Fault;
use crate::log::{Cursor, Filter};
use crate::server::Shared;

/// Rows on one page of the timeline.
const PAGE_ROWS: usize = 50;

/// The inspector's routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/", get(timeline))
        .route("/_emulator/ui", get(timeline))
        .route("/_emulator/ui/rows", get(rows))
        .route("/_emulator/ui/entries/{id}", get(detail))
        .route("/_emulator/ui/entries/{id}/delete", post(delete))
        .route("/_emulator/ui/clear", post(clear))
        .route("/_emulator/ui/dashboard", get(dashboard))
        .route("/_emulator/ui/faults", get(faults).post(inject))
        .route("/_emulator/ui/faults/clear", post(clear_faults))
        .route("/_emulator/ui/app.js", get(script))
        .route("/_emulator/ui/app.css", get(style))
        .route("/_emulator/events", get(stream::events))
        .route("/_emulator/traffic", get(client::traffic))
        .route("/_emulator/ui/client.js", get(client_script))
        .route("/_emulator/export.jsonl", get(export))
}

/// The timeline's query, kept in the URL: `?event=…&status=…&q=…&before=ID`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TimelineQuery {
    event: Option<String>,
    status: Option<String>,
    q: Option<String>,
    before: Option<u64>,
}

impl TimelineQuery {
    fn filter(&self) -> Filter {
        let given = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        Filter {
            bulletins: None,
            event: given(&self.event),
            status: given(&self.status),
            text: given(&self.q),
        }
    }

    /// `?event=…&status=…&q=…` (only those given), or empty.
    fn filter_query(&self) -> String {
        self.query_with(None)
    }

    /// The timeline's URL with this filter, from `before`.
    fn link(&self, before: Option<u64>) -> String {
        format!("/_emulator/ui{}", self.query_with(before))
    }

    fn query_with(&self, before: Option<u64>) -> String {
        let filter = self.filter();
        let mut parts = Vec::new();
        for (key, value) in [
            ("event", &filter.event),
            ("status", &filter.status),
            ("q", &filter.text),
        ] {
            if let Some(value) = value {
                parts.push(format!("{key}={}", page::encode(value)));
            }
        }
        if let Some(before) = before {
            parts.push(format!("before={before}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

fn html_page(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(markup.into_string()),
    )
        .into_response()
}

fn bad_query(rejection: &QueryRejection) -> Response {
    let message = format!(
        "This address's query is not understood: {}",
        rejection.body_text()
    );
    html_page(
        StatusCode::BAD_REQUEST,
        page::layout("Bad query", "", page::problem(&message)),
    )
}

async fn timeline(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<TimelineQuery>, QueryRejection>,
) -> Response {
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => return bad_query(&rejection),
    };
    let page = shared
        .log
        .page(&query.filter(), Cursor::Before(query.before), PAGE_ROWS);
    let events: Vec<String> = shared
        .dashboard
        .events()
        .iter()
        .map(|e| e.name().to_owned())
        .collect();
    let traffic = shared
        .traffic
        .snapshot(shared.dashboard.concurrency_limit());
    let kept = (shared.log.len(), shared.log.max());
    let body = page::timeline(&query, &events, &page, kept, &traffic);
    html_page(StatusCode::OK, page::layout("Timeline", "Timeline", body))
}

/// The first page's rows alone, for the live refresh.
async fn rows(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<TimelineQuery>, QueryRejection>,
) -> Response {
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => return bad_query(&rejection),
    };
    let page = shared
        .log
        .page(&query.filter(), Cursor::Before(None), PAGE_ROWS);
    html_page(StatusCode::OK, page::rows(&page))
}

async fn detail(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let entry = id.parse().ok().and_then(|id| shared.log.get(id));
    let Some(entry) = entry else {
        let message = format!("No entry #{id} is kept: it was deleted, cleared or forgotten.");
        return html_page(
            StatusCode::NOT_FOUND,
            page::layout("Not found", "", page::problem(&message)),
        );
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8787");
    let title = format!("#{}", entry.id);
    let limit = shared.dashboard.concurrency_limit();
    let body = page::detail(&entry, &format!("http://{host}"), limit);
    html_page(StatusCode::OK, page::layout(&title, "Timeline", body))
}

/// Refuses a state change another site's page sent (a form posted from elsewhere): the
/// browser says so in `Sec-Fetch-Site`, or in an `Origin` that is not this host.
fn cross_origin_refusal(headers: &HeaderMap) -> Option<Response> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let cross_site = matches!(text("sec-fetch-site"), Some("cross-site" | "same-site"));
    let foreign_origin = match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => {
            // `null` (a local file, a sandboxed frame) is not this page either.
            origin.split_once("://").map(|(_, rest)| rest) != Some(host)
        }
        (Some(_), None) => true,
        _ => false,
    };
    if cross_site || foreign_origin {
        let message = "State changes are only accepted from the inspector's own pages.";
        return Some(html_page(
            StatusCode::FORBIDDEN,
            page::layout("Refused", "", page::problem(message)),
        ));
    }
    None
}

async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = cross_origin_refusal(&headers) {
        return refused;
    }
    shared.log.remove(id);
    Redirect::to("/_emulator/ui").into_response()
}

async fn clear(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(refused) = cross_origin_refusal(&headers) {
        return refused;
    }
    shared.log.clear(&Filter::default());
    Redirect::to("/_emulator/ui").into_response()
}

async fn dashboard(State(shared): State<Arc<Shared>>) -> Response {
    let events: Vec<_> = shared
        .dashboard
        .events()
        .iter()
        .map(|e| {
            (
                e.name().to_owned(),
                e.property_keys().to_vec(),
                crate::dashboard::required_in_order(e)
                    .map(str::to_owned)
                    .collect(),
                crate::dashboard::targets(e),
            )
        })
        .collect();
    let body = page::dashboard(&events, &shared.log.counts());
    html_page(StatusCode::OK, page::layout("Dashboard", "Dashboard", body))
}

async fn faults(State(shared): State<Arc<Shared>>) -> Response {
    faults_page(&shared, StatusCode::OK, None)
}

fn faults_page(shared: &Shared, status: StatusCode, message: Option<&str>) -> Response {
    let body = page::faults(&shared.faults.runs(), shared.faults.room(), message);
    html_page(status, page::layout("Faults", "Faults", body))
}

/// The fault form: every field is text so an empty one is "not given", not an error.
#[derive(Debug, Deserialize)]
struct FaultForm {
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    millis: String,
    #[serde(default)]
    retry_after: String,
    #[serde(default)]
    error: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    times: String,
}

impl FaultForm {
    fn fault(&self) -> Result<(Fault, usize), String> {
        fn number<T: std::str::FromStr>(
            field: &str,
            text: &str,
            default: Option<T>,
        ) -> Result<T, String> {
            let text = text.trim();
            if text.is_empty() {
                return default.ok_or_else(|| format!("{field} is needed for this fault"));
            }
            text.parse()
                .map_err(|_| format!("{field} must be a whole number, got {text:?}"))
        }
        let fault = match self.kind.as_str() {
            "status" => Fault::status(number("Status", &self.status, None)?),
            "delay" => Fault::Delay(Duration::from_millis(number(
                "Delay ms",
                &self.millis,
                None,
            )?)),
            "too_many_requests" => Fault::TooManyRequests {
                retry_after: (!self.retry_after.trim().is_empty())
                    .then(|| number("Retry-After", &self.retry_after, None))
                    .transpose()?,
            },
            "close_before_body" => Fault::CloseBeforeBody,
            "close_after_body" => Fault::CloseAfterBody,
            "fail_body_200" => Fault::FailBody200 {
                error: if self.error.trim().is_empty() {
                    "Something went wrong".to_owned()
                } else {
                    self.error.clone()
                },
                code: number("Code", &self.code, Some(9))?,
            },
            "malformed_body" => Fault::MalformedBody,
            "oversized_body" => Fault::OversizedBody,
            other => return Err(format!("unknown fault {other:?}")),
        };
        if let Fault::Status { status, .. } = fault {
            if !(100..=999).contains(&status) {
                return Err(format!("Status must be 100 to 999, got {status}"));
            }
        }
        let times = number("Times", &self.times, Some(1))?;
        if times == 0 {
            return Err("Times must be at least 1".to_owned());
        }
        Ok((fault, times))
    }
}

async fn inject(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    form: Result<Form<FaultForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Some(refused) = cross_origin_refusal(&headers) {
        return refused;
    }
    let parsed = form
        .map_err(|e| e.body_text())
        .and_then(|Form(form)| form.fault());
    match parsed {
        Ok((fault, times)) if times <= shared.faults.room() => {
            shared.faults.push(fault, times);
            Redirect::to("/_emulator/ui/faults").into_response()
        }
        Ok((_, times)) => {
            let message = format!(
                "Not injected: {times} requested, {} fit (at most {} pending).",
                shared.faults.room(),
                crate::fault::MAX_PENDING_FAULTS
            );
            faults_page(&shared, StatusCode::BAD_REQUEST, Some(&message))
        }
        Err(message) => faults_page(
            &shared,
            StatusCode::BAD_REQUEST,
            Some(&format!("Not injected: {message}")),
        ),
    }
}

async fn clear_faults(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(refused) = cross_origin_refusal(&headers) {
        return refused;
    }
    shared.faults.clear();
    Redirect::to("/_emulator/ui/faults").into_response()
}

async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    )
}

async fn client_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/client.js"),
    )
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", include_str!("assets/app.css"))
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        text,
    )
        .into_response()
}

/// `GET /_emulator/export.jsonl`: the filtered entries' bodies that are JSON objects, oldest
/// first, one trigger payload per line, ready to be sent again.
async fn export(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<TimelineQuery>, QueryRejection>,
) -> Response {
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => return bad_query(&rejection),
    };
    let mut lines = String::new();
    for entry in shared.log.all(&query.filter()) {
        if let Some(line) = derive::payload_line(&entry) {
            lines.push_str(&line);
            lines.push('\n');
        }
    }
    (
        [
            (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"bulletins.jsonl\"",
            ),
        ],
        lines,
    )
        .into_response()
}
