//! The HTTP routes: the trigger endpoint and the `/_emulator` inspection API.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bulletins_core::TRIGGER_PATH;
use serde::Deserialize;

use crate::entry::Entry;
use crate::fault::{Fault, MAX_PENDING_FAULTS};
use crate::log::{Cursor, Filter};
use crate::record::{Recorded, Rejection};
use crate::server::Shared;
use crate::trigger::{self, failure_response, json_response};
use crate::validate::Failure;

/// The router of every route, with its state.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(TRIGGER_PATH, post(trigger::trigger))
        .route(
            "/_emulator/bulletins",
            get(list_bulletins).delete(clear_bulletins),
        )
        .route(
            "/_emulator/rejections",
            get(list_rejections).delete(clear_rejections),
        )
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .merge(crate::inspector::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

fn to_json<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => failure_response(&Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot serialize: {e}"),
        )),
    }
}

/// The most entries one page of a listing holds.
pub(crate) const MAX_PAGE: usize = 10_000;

/// The entries a page holds when `limit` is not given.
pub(crate) const DEFAULT_PAGE: usize = 1_000;

/// The query of `GET /_emulator/bulletins` and `/_emulator/rejections`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    after: Option<u64>,
    limit: Option<usize>,
    event: Option<String>,
    status: Option<String>,
    q: Option<String>,
}

async fn list_bulletins(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<ListQuery>, QueryRejection>,
    uri: Uri,
) -> Response {
    list(&shared, query, &uri, true, Recorded::from_entry)
}

async fn list_rejections(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<ListQuery>, QueryRejection>,
    uri: Uri,
) -> Response {
    list(&shared, query, &uri, false, Rejection::from_entry)
}

/// One page, oldest first, of the entries after `after`; a `Link: <…>; rel="next"` header
/// when more remain, and `X-Emulator-Evicted` counting what the limit made the emulator forget.
fn list<T: serde::Serialize>(
    shared: &Shared,
    query: Result<Query<ListQuery>, QueryRejection>,
    uri: &Uri,
    bulletins: bool,
    convert: fn(&Entry) -> T,
) -> Response {
    let bad = |message: String| failure_response(&Failure::new(StatusCode::BAD_REQUEST, message));
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => {
            return bad(format!(
                "Invalid query: {} (known: after=ID, limit=1..={MAX_PAGE}, event, status, q)",
                rejection.body_text()
            ))
        }
    };
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return bad(format!("\"limit\" is {limit}; it must be 1 to {MAX_PAGE}"));
    }
    let filter = Filter {
        bulletins: Some(bulletins),
        event: query.event.filter(|e| !e.is_empty()),
        status: query.status.filter(|s| !s.is_empty()),
        text: query.q.filter(|q| !q.is_empty()),
    };
    let page = shared
        .log
        .page(&filter, Cursor::After(query.after.unwrap_or(0)), limit);
    let items: Vec<T> = page.entries.iter().map(convert).collect();
    let mut response = to_json(&items);
    let headers = response.headers_mut();
    headers.insert("x-emulator-evicted", HeaderValue::from(page.evicted));
    if let (true, Some(last)) = (page.more, page.entries.last()) {
        let link = format!(
            "<{}?after={}&limit={limit}>; rel=\"next\"",
            uri.path(),
            last.id
        );
        if let Ok(value) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, value);
        }
    }
    response
}

async fn clear_bulletins(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.log.clear(&Filter {
        bulletins: Some(true),
        ..Filter::default()
    });
    StatusCode::NO_CONTENT
}

async fn clear_rejections(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.log.clear(&Filter {
        bulletins: Some(false),
        ..Filter::default()
    });
    StatusCode::NO_CONTENT
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    to_json(&shared.faults.pending())
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.clear();
    StatusCode::NO_CONTENT
}

/// `POST /_emulator/faults` body: `{"fault": {"kind": ...}, "times": 1}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    fault: Fault,
    #[serde(default = "one")]
    times: usize,
}

fn one() -> usize {
    1
}

async fn add_faults(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let bad = |message: String| failure_response(&Failure::new(StatusCode::BAD_REQUEST, message));
    let (parts, body) = request.into_parts();
    let bytes = match trigger::read_body(&parts.headers, body).await {
        Ok(bytes) => bytes,
        Err(failure) => return failure_response(&failure),
    };
    let request: FaultRequest = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(e) => return bad(format!("Invalid fault request: {e}")),
    };
    let room = shared.faults.room();
    if request.times > room {
        return bad(format!(
            "\"times\" is {}, but only {room} more faults fit: at most {MAX_PENDING_FAULTS} may be \
             pending (DELETE /_emulator/faults empties the queue)",
            request.times
        ));
    }
    shared.faults.push(request.fault, request.times);
    let pending = shared.faults.len();
    to_json(&serde_json::json!({ "status": "success", "pending": pending }))
}

async fn not_found(request: Request) -> Response {
    let message = format!("Not found: {} {}", request.method(), request.uri().path());
    failure_response(&Failure::new(StatusCode::NOT_FOUND, message))
}

async fn method_not_allowed(request: Request) -> Response {
    let message = format!(
        "Method {} is not allowed on {}",
        request.method(),
        request.uri().path()
    );
    failure_response(&Failure::new(StatusCode::METHOD_NOT_ALLOWED, message))
}
