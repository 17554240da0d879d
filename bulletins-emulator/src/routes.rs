//! The HTTP routes: the trigger endpoint and the `/_emulator` inspection API.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bulletins_core::TRIGGER_PATH;
use serde::Deserialize;

use crate::fault::Fault;
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

async fn list_bulletins(State(shared): State<Arc<Shared>>) -> Response {
    to_json(&shared.log.bulletins())
}

async fn clear_bulletins(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.log.clear_bulletins();
    StatusCode::NO_CONTENT
}

async fn list_rejections(State(shared): State<Arc<Shared>>) -> Response {
    to_json(&shared.log.rejections())
}

async fn clear_rejections(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.log.clear_rejections();
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

/// Refuses to queue more than this many faults in one request.
const MAX_TIMES: usize = 100_000;

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
    if request.times > MAX_TIMES {
        return bad(format!("\"times\" is at most {MAX_TIMES}"));
    }
    shared.faults.push(request.fault, request.times);
    let pending = shared.faults.pending().len();
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
