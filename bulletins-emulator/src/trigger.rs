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

use crate::fault::{self, Fault};
use crate::record::{DeliveryStatus, Recorded, Rejection};
use crate::server::{Connection, Shared};
use crate::validate::{self, Failure, MAX_BODY_BYTES};

/// How much of an oversized body is read (and discarded) so the client sees the 413 instead of
/// a connection reset; past this the connection is closed.
const DRAIN_LIMIT: usize = 16 * MAX_BODY_BYTES;

/// What happened to one request, for the log line.
struct Outcome {
    /// The business event, when the log line is wanted (see [`trigger`]).
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
    // Whether the per-request line below will be taken: if not, the event name is not copied
    // out of the payload for it.
    let logged = tracing::enabled!(tracing::Level::INFO);
    let account = validate::account_header(&parts.headers);
    let outcome = match shared.faults.pop() {
        Some(Fault::Delay(delay)) => {
            normal(&shared, &parts.headers, body, Some(delay), logged).await
        }
        Some(fault) => play(&shared, fault, account.map(str::to_owned), body).await,
        None => normal(&shared, &parts.headers, body, None, logged).await,
    };
    tracing::info!(
        account = %account.unwrap_or("-"),
        event = %outcome.event.as_deref().unwrap_or("-"),
        outcome = %outcome.summary,
        latency_ms = started.elapsed().as_millis(),
        "trigger"
    );
    match outcome.response {
        Some(response) => response,
        None => match connection.abort().await {},
    }
}

/// The documented behaviour, with an optional delay before answering.
/// `logged`: whether the request's log line is taken, and so needs the event's name.
async fn normal(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    body: Body,
    delay: Option<Duration>,
    logged: bool,
) -> Outcome {
    let reject = |failure: Failure, event: Option<String>| {
        let account = validate::account_header(headers).map(str::to_owned);
        shared
            .log
            .rejection(rejection(account, event.clone(), Some(&failure), false));
        let response = Some(failure_response(&failure));
        Outcome {
            event,
            summary: Summary::Refused {
                status: failure.status,
                message: failure.message,
            },
            response,
        }
    };

    // 1. Credentials.
    let verified = match validate::check_credentials(&shared.dashboard, headers) {
        Ok(account) => account.id().to_owned(),
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
            let event = invalid.payload.as_ref().and_then(event_name);
            return delayed(delay, reject(invalid.failure, event)).await;
        }
    };
    // 7. Success. Recorded as not acknowledged until the (possibly delayed) answer goes out, so
    // a request abandoned during a delay stays "received but not acknowledged".
    let event = if logged {
        event_name(&valid.payload)
    } else {
        None
    };
    let recorded = Recorded::new(
        DeliveryStatus::ReceivedNotAcknowledged,
        verified,
        valid.payload,
    );
    let id = shared.log.bulletin(recorded);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    shared.log.acknowledge(id);
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

async fn delayed(delay: Option<Duration>, outcome: Outcome) -> Outcome {
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    outcome
}

/// Plays a fault other than [`Fault::Delay`].
async fn play(shared: &Shared, fault: Fault, account: Option<String>, body: Body) -> Outcome {
    let summary = Summary::Fault(fault_kind(&fault));
    let received = if fault.reads_body() {
        let bytes = read_body(&HeaderMap::new(), body).await;
        let payload = match bytes {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
            Err(failure) => Value::String(failure.message),
        };
        let event = event_name(&payload);
        shared.log.bulletin(Recorded::new(
            DeliveryStatus::ReceivedNotAcknowledged,
            account.clone().unwrap_or_default(),
            payload,
        ));
        event
    } else {
        None
    };
    let fault_rejection = |status: Option<u16>, code: Option<i64>, error: String| {
        shared.log.rejection(Rejection {
            status,
            code,
            error,
            ..rejection(account.clone(), None, None, true)
        });
    };
    let response = match fault {
        Fault::Status { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = body.is_none().then(|| i64::from(status.as_u16()));
            let body = body.unwrap_or_else(|| fault::status_body(status.as_u16()));
            fault_rejection(
                Some(status.as_u16()),
                code,
                format!("injected HTTP {}", status.as_u16()),
            );
            Some(json_response(status, body))
        }
        Fault::TooManyRequests { retry_after } => {
            let failure = Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many concurrent requests",
            );
            fault_rejection(Some(429), Some(429), failure.message.clone());
            let mut response = failure_response(&failure);
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            Some(response)
        }
        Fault::CloseBeforeBody => {
            fault_rejection(
                None,
                None,
                "injected: connection closed before reading the body".to_owned(),
            );
            None
        }
        Fault::FailBody200 { error, code } => {
            fault_rejection(Some(200), Some(code), error.clone());
            Some(json_response(
                StatusCode::OK,
                validate::fail_body(&error, code),
            ))
        }
        Fault::CloseAfterBody => None,
        Fault::MalformedBody => Some(json_response(StatusCode::OK, fault::MALFORMED_BODY)),
        Fault::OversizedBody => Some(json_response(StatusCode::OK, fault::oversized_body())),
        // Handled by `normal`; kept total for future variants.
        Fault::Delay(_) => Some(json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            fault::status_body(500),
        )),
    };
    Outcome {
        event: received,
        summary,
        response,
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

fn event_name(payload: &Value) -> Option<String> {
    payload
        .get("business_event")
        .or_else(|| payload.get("event"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn rejection(
    account: Option<String>,
    business_event: Option<String>,
    failure: Option<&Failure>,
    fault: bool,
) -> Rejection {
    Rejection {
        id: 0,
        account,
        business_event,
        status: failure.map(|f| f.status.as_u16()),
        code: failure.map(|f| f.code),
        error: failure.map(|f| f.message.clone()).unwrap_or_default(),
        fault,
        received_at: std::time::SystemTime::now(),
    }
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
