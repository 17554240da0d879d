//! `POST /1/targets/trigger.json`: faults first, then CleverTap's checks in documented order.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures_util::StreamExt as _;
use serde_json::Value;

use crate::entry::{AnswerBody, DeliveryStatus, Entry, Kind};
use crate::fault::{self, Fault};
use crate::server::{Connection, Shared};
use crate::validate::{self, Failure, MAX_BODY_BYTES};

/// How much of an oversized body is read (and discarded) so the client sees the 413 instead of
/// a connection reset; past this the connection is closed.
const DRAIN_LIMIT: usize = 16 * MAX_BODY_BYTES;

/// What happened to one request, for the log line.
struct Outcome {
    event: Option<String>,
    summary: Summary,
    /// `None`: close the connection without answering.
    response: Option<Response>,
}

/// The log line's `outcome` field. Kept as data and formatted only if a subscriber takes the
/// line, so a request costs no formatting when nothing listens.
enum Summary {
    Accepted { targets: u64 },
    Refused { status: StatusCode, message: String },
    Fault(String),
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Summary::Accepted { targets } => write!(f, "200 accepted, {targets} targets"),
            Summary::Refused { status, message } => write!(f, "{} {message}", status.as_u16()),
            Summary::Fault(kind) => write!(f, "fault {kind}"),
        }
    }
}

pub(crate) async fn trigger(
    State(shared): State<Arc<Shared>>,
    Extension(connection): Extension<Connection>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let outcome = match shared.faults.pop() {
        Some(Fault::Delay(delay)) => normal(&shared, &parts.headers, body, Some(delay)).await,
        Some(fault) => play(&shared, fault, &parts.headers, body).await,
        None => normal(&shared, &parts.headers, body, None).await,
    };
    tracing::info!(
        account = %validate::account_header(&parts.headers).unwrap_or("-"),
        event = %outcome.event.as_deref().unwrap_or("-"),
        outcome = %outcome.summary,
        latency_ms = started.elapsed().as_millis(),
        "trigger"
    );
    match outcome.response {
        Some(response) => {
            shared.traffic.answered();
            response
        }
        None => match connection.abort().await {},
    }
}

/// A request refused by one of CleverTap's rules: recorded, and answered with its failure.
fn refuse(
    shared: &Shared,
    headers: &HeaderMap,
    failure: Failure,
    body: Option<(Vec<u8>, Option<Value>)>,
) -> Outcome {
    let mut entry = Entry::new(Kind::Rejection { fault: false }, headers);
    match body {
        Some((body, Some(payload))) => entry = entry.with_parsed_body(body, &payload),
        Some((body, None)) => entry = entry.with_body(body),
        None => {}
    }
    let event = entry.event.as_deref().map(str::to_owned);
    shared.log.record(
        entry
            .answered(
                Some(failure.status.as_u16()),
                Some(failure.code),
                AnswerBody::Fail,
            )
            .error(failure.message.as_str()),
    );
    let response = Some(failure_response(&failure));
    Outcome {
        event,
        summary: Summary::Refused {
            status: failure.status,
            message: failure.message,
        },
        response,
    }
}

/// A valid bulletin: recorded and answered with CleverTap's success. With a delay, recorded as
/// not acknowledged until the answer goes out, so a request abandoned during the delay stays
/// "received but not acknowledged".
async fn accept(
    shared: &Shared,
    headers: &HeaderMap,
    bytes: Vec<u8>,
    valid: &validate::Valid,
    delay: Option<Duration>,
) -> Outcome {
    let status = match delay {
        Some(_) => DeliveryStatus::ReceivedNotAcknowledged,
        None => DeliveryStatus::Accepted,
    };
    let entry = Entry::new(Kind::Bulletin(status), headers)
        .with_parsed_body(bytes, &valid.payload)
        .answered(
            Some(200),
            None,
            AnswerBody::Success {
                targets: valid.targets,
            },
        );
    let event = entry.event.as_deref().map(str::to_owned);
    let id = shared.log.record(entry);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
        shared.log.acknowledge(id);
    }
    // CleverTap's success shape, written directly rather than through a `Value`.
    let body = format!(r#"{{"status":"success","targets":{}}}"#, valid.targets);
    Outcome {
        event,
        summary: Summary::Accepted {
            targets: valid.targets,
        },
        response: Some(json_response(StatusCode::OK, body)),
    }
}

/// The documented behaviour, with an optional delay before answering.
async fn normal(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    body: Body,
    delay: Option<Duration>,
) -> Outcome {
    let reject = |failure, body| refuse(shared, headers, failure, body);

    // 1. Credentials.
    let verified = match validate::check_credentials(&shared.dashboard, headers) {
        Ok(account) => account.account_id().to_owned(),
        Err(failure) => return delayed(delay, reject(failure, None)).await,
    };
    // CleverTap's concurrency limit: the request over it is refused at once.
    let Some(_slot) = shared.acquire(&verified) else {
        let failure = Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many concurrent requests",
        );
        return reject(failure, None);
    };
    // 2. Body: content type, size, JSON object.
    if let Err(failure) = validate::check_content_type(headers) {
        return delayed(delay, reject(failure, None)).await;
    }
    let bytes = match read_body(headers, body).await {
        Ok(bytes) => bytes,
        Err(failure) => return delayed(delay, reject(failure, None)).await,
    };
    // 2c to 6: the payload.
    let valid = match validate::check_payload(&shared.dashboard, &bytes) {
        Ok(valid) => valid,
        Err(invalid) => {
            let body = Some((bytes, invalid.payload));
            return delayed(delay, reject(invalid.failure, body)).await;
        }
    };
    accept(shared, headers, bytes, &valid, delay).await
}

async fn delayed(delay: Option<Duration>, outcome: Outcome) -> Outcome {
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    outcome
}

/// Plays a fault other than [`Fault::Delay`].
async fn play(shared: &Shared, fault: Fault, headers: &HeaderMap, body: Body) -> Outcome {
    let summary = Summary::Fault(fault_kind(&fault));
    let entry = if fault.reads_body() {
        let bytes = match read_body(&HeaderMap::new(), body).await {
            Ok(bytes) => bytes,
            Err(failure) => failure.message.into_bytes(),
        };
        Entry::new(
            Kind::Bulletin(DeliveryStatus::ReceivedNotAcknowledged),
            headers,
        )
        .with_body(bytes)
    } else {
        Entry::new(Kind::Rejection { fault: true }, headers)
    };
    let event = entry.event.as_deref().map(str::to_owned);
    let (entry, response) = fault_answer(entry, fault);
    shared.log.record(entry);
    Outcome {
        event,
        summary,
        response,
    }
}

/// The answer a fault gives (none: the connection is closed), and the entry recording it.
fn fault_answer(entry: Entry, fault: Fault) -> (Entry, Option<Response>) {
    match fault {
        Fault::Status { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = body.is_none().then(|| i64::from(status.as_u16()));
            let answer = body
                .as_deref()
                .map_or(AnswerBody::StatusDefault, |b| AnswerBody::Custom(b.into()));
            let body = body.unwrap_or_else(|| fault::status_body(status.as_u16()));
            let entry = entry
                .answered(Some(status.as_u16()), code, answer)
                .error(format!("injected HTTP {}", status.as_u16()));
            (entry, Some(json_response(status, body)))
        }
        Fault::TooManyRequests { retry_after } => {
            let failure = Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many concurrent requests",
            );
            let mut response = failure_response(&failure);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            let entry = entry
                .answered(Some(429), Some(429), AnswerBody::Fail)
                .error(failure.message);
            (entry, Some(response))
        }
        Fault::CloseBeforeBody => (
            entry.error("injected: connection closed before reading the body"),
            None,
        ),
        Fault::FailBody200 { error, code } => {
            let response = json_response(StatusCode::OK, validate::fail_body(&error, code));
            let entry = entry
                .answered(Some(200), Some(code), AnswerBody::Fail)
                .error(error);
            (entry, Some(response))
        }
        Fault::CloseAfterBody => (entry, None),
        Fault::MalformedBody => (
            entry.answered(Some(200), None, AnswerBody::Malformed),
            Some(json_response(StatusCode::OK, fault::MALFORMED_BODY)),
        ),
        Fault::OversizedBody => (
            entry.answered(Some(200), None, AnswerBody::Oversized),
            Some(json_response(StatusCode::OK, fault::oversized_body())),
        ),
        // Handled by `normal`; kept total for future variants.
        Fault::Delay(_) => (
            entry.answered(Some(500), Some(500), AnswerBody::StatusDefault),
            Some(json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                fault::status_body(500),
            )),
        ),
    }
}

fn fault_kind(fault: &Fault) -> String {
    serde_json::to_value(fault)
        .ok()
        .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// Reads at most [`MAX_BODY_BYTES`]; a larger body is drained (up to [`DRAIN_LIMIT`]) and
/// refused with 413.
pub(crate) async fn read_body(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Failure> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let mut total: usize = 0;
    let limit_exceeded = |total| validate::too_large(declared.or(Some(total as u64)));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                format!("Could not read the request body: {e}"),
            )
        })?;
        total = total.saturating_add(chunk.len());
        if total > DRAIN_LIMIT {
            return Err(limit_exceeded(total));
        }
        if total <= MAX_BODY_BYTES {
            bytes.extend_from_slice(&chunk);
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(limit_exceeded(total));
    }
    Ok(bytes)
}

pub(crate) fn failure_response(failure: &Failure) -> Response {
    json_response(failure.status, failure.body())
}

pub(crate) fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.into(),
    )
        .into_response()
}
