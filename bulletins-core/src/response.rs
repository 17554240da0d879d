//! Turning CleverTap's answer into a typed outcome. A 200 is not success until the body says so.

use std::fmt;

use http::{HeaderMap, Response, StatusCode};
use serde_json::Value;

use crate::retry_after::RetryAfter;

/// How much of an undecodable body an error keeps, so a huge or binary answer cannot bloat
/// errors and logs.
pub const MAX_KEPT_BODY_BYTES: usize = 1024;

/// CleverTap accepted the business event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Triggered {
    /// How many bulletins the raised business event dispatched (CleverTap's `targets`).
    pub targets: u64,
}

/// CleverTap's documented failures, recognised from the HTTP status, the body's `code` and its
/// `error` message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// `Business Event Not Found`: the event is not defined on the dashboard.
    BusinessEventNotFound,
    /// `"when" has an incorrect value - ...`.
    InvalidWhen,
    /// `Property <name> missing`: the dashboard requires a property the event did not send.
    MissingProperty {
        /// The missing property, as CleverTap named it.
        property: String,
    },
    /// HTTP 401 (or `code` 401 in a refusal): the account id or passcode is not valid.
    InvalidCredentials,
    /// HTTP 429 (or `code` 429 in a 2xx `"status":"fail"` body): more concurrent requests than
    /// the account allows. Certainly not processed.
    TooManyRequests,
    /// HTTP 5xx, whatever the body says: CleverTap is unavailable. The bulletin may have been
    /// processed.
    ServerUnavailable,
    /// Any other failure CleverTap reported.
    Other,
}

impl ApiErrorKind {
    /// What to do about it, in one sentence.
    pub fn hint(&self) -> &'static str {
        match self {
            ApiErrorKind::BusinessEventNotFound => "define the business event on the CleverTap dashboard (Bulletins → Business Event), or fix the spelling of its name",
            ApiErrorKind::InvalidWhen => "send `when` as \"now\" or a positive UNIX timestamp in seconds",
            ApiErrorKind::MissingProperty { .. } => "send every property the dashboard marks required",
            ApiErrorKind::InvalidCredentials => "check the account id and passcode, and that the region matches the account",
            ApiErrorKind::TooManyRequests => "lower the client's concurrency (CleverTap allows 3 concurrent bulletin requests per account) or retry later",
            ApiErrorKind::ServerUnavailable => "retry later; the bulletin may already have been processed",
            ApiErrorKind::Other => "read CleverTap's message",
        }
    }
}

/// A failure CleverTap reported in its own shape: `{"status":"fail","error":"...","code":n}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// Which documented case it is.
    pub kind: ApiErrorKind,
    /// The HTTP status (200 for failures reported in a 200's body).
    pub status: StatusCode,
    /// CleverTap's `code`, which is not always the HTTP status.
    pub code: Option<i64>,
    /// CleverTap's `error` message.
    pub message: String,
    /// The `Retry-After` header, when present and readable.
    pub retry_after: Option<RetryAfter>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CleverTap answered HTTP {}", self.status.as_u16())?;
        if let Some(code) = self.code {
            write!(f, " (code {code})")?;
        }
        write!(f, ": {}; {}", self.message, self.kind.hint())
    }
}

impl std::error::Error for ApiError {}

/// A response that is not a success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// CleverTap reported a failure.
    #[error(transparent)]
    Api(ApiError),
    /// The body is not CleverTap's JSON (a proxy's error page, a truncated body, ...).
    #[error("CleverTap answered HTTP {} with a body that is not its JSON ({reason}): {body:?}", status.as_u16())]
    Undecodable {
        /// The HTTP status.
        status: StatusCode,
        /// What was wrong with the body.
        reason: &'static str,
        /// The start of the body (at most [`MAX_KEPT_BODY_BYTES`] bytes, lossily decoded).
        body: String,
        /// The `Retry-After` header, when present and readable.
        retry_after: Option<RetryAfter>,
    },
}

impl ResponseError {
    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        match self {
            ResponseError::Api(e) => e.status,
            ResponseError::Undecodable { status, .. } => *status,
        }
    }

    /// The `Retry-After` the server asked for.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            ResponseError::Api(e) => e.retry_after,
            ResponseError::Undecodable { retry_after, .. } => *retry_after,
        }
    }

    /// Whether CleverTap refused the request for exceeding the account's concurrency: certainly
    /// not processed, and safe to retry. Decided by the HTTP status 429 (or a 2xx
    /// `"status":"fail"` body with code 429); a 5xx is never one, whatever its body says.
    pub fn is_too_many_requests(&self) -> bool {
        self.status() == StatusCode::TOO_MANY_REQUESTS
            || matches!(self, ResponseError::Api(e) if e.kind == ApiErrorKind::TooManyRequests)
    }
}

/// Parses CleverTap's answer to a trigger request. Never panics, whatever the bytes.
///
/// ```
/// use bulletins_core::{parse_response, ApiErrorKind, ResponseError};
///
/// let ok = http::Response::new(br#"{"status":"success","targets":1}"#);
/// assert_eq!(parse_response(&ok).unwrap().targets, 1);
///
/// let fail = http::Response::builder()
///     .status(400)
///     .body(br#"{"status":"fail","error":"Property product_category missing","code":400}"#)?;
/// match parse_response(&fail) {
///     Err(ResponseError::Api(e)) => assert_eq!(
///         e.kind,
///         ApiErrorKind::MissingProperty { property: "product_category".into() }
///     ),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), http::Error>(())
/// ```
///
/// # Errors
/// [`ResponseError::Api`] for a failure in CleverTap's shape — a non-2xx answer with a `status`
/// or `error` field, or a 2xx whose body says exactly `"status":"fail"` — and
/// [`ResponseError::Undecodable`] for anything else that is not a success. On a 2xx that is
/// every body other than `{"status":"success","targets":n}` and `"status":"fail"` (a
/// `"partial"`, a `"Success"`, an `error` beside `targets`): the bulletin may have gone out.
pub fn parse_response<B: AsRef<[u8]>>(response: &Response<B>) -> Result<Triggered, ResponseError> {
    parse_parts(
        response.status(),
        response.headers(),
        response.body().as_ref(),
    )
}

/// As [`parse_response`], from the response's parts.
///
/// # Errors
/// As [`parse_response`].
pub fn parse_parts(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Triggered, ResponseError> {
    let retry_after = RetryAfter::from_headers(headers);
    let undecodable = |reason| ResponseError::Undecodable {
        status,
        reason,
        body: excerpt(body),
        retry_after,
    };
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return Err(undecodable("not a JSON object"));
    };
    let error = object.get("error").and_then(Value::as_str);
    let api_error = || {
        let code = object.get("code").and_then(Value::as_i64);
        let message = error.unwrap_or_default().to_owned();
        ResponseError::Api(ApiError {
            kind: classify(status, code, &message),
            status,
            code,
            message,
            retry_after,
        })
    };
    let body_status = object.get("status");
    if status.is_success() {
        // On a 2xx only the exact success shape is a success and only an explicit
        // `"status":"fail"` a known failure. Anything else (`"partial"`, `"Success"`, an `error`
        // beside `targets`) cannot be read, and the bulletin may have gone out.
        return match body_status.and_then(Value::as_str) {
            Some("success") if error.is_none() => {
                match object.get("targets").and_then(Value::as_u64) {
                    Some(targets) => Ok(Triggered { targets }),
                    None => Err(undecodable("a success without a numeric `targets`")),
                }
            }
            Some("success") => Err(undecodable("a success with an `error`")),
            Some("fail") => Err(api_error()),
            Some(_) => Err(undecodable(
                "a `status` that is neither \"success\" nor \"fail\"",
            )),
            None => Err(undecodable("no `status` field")),
        };
    }
    match body_status.and_then(Value::as_str) {
        Some("success") => Err(undecodable("a success body with a failure status")),
        _ if error.is_some() || body_status.is_some() => Err(api_error()),
        _ => Err(undecodable("no `status` field")),
    }
}

/// The error for an answer whose body was not read to its end because it is larger than the
/// caller reads (an I/O driver caps the read, so a huge answer cannot exhaust its memory).
/// `start` is what was read; like any undecodable body, at most [`MAX_KEPT_BODY_BYTES`] of it
/// are kept. `reason` says what the cap was, e.g. "the body is larger than 64 KiB".
pub fn oversized_body(
    status: StatusCode,
    headers: &HeaderMap,
    start: &[u8],
    reason: &'static str,
) -> ResponseError {
    ResponseError::Undecodable {
        status,
        reason,
        body: excerpt(start),
        retry_after: RetryAfter::from_headers(headers),
    }
}

/// The HTTP status decides first: a 5xx may have been processed whatever its body says, and a
/// 429 certainly was not. Then CleverTap's documented messages, then its `code`.
fn classify(status: StatusCode, code: Option<i64>, message: &str) -> ApiErrorKind {
    if status.is_server_error() {
        return ApiErrorKind::ServerUnavailable;
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return ApiErrorKind::TooManyRequests;
    }
    if status == StatusCode::UNAUTHORIZED {
        return ApiErrorKind::InvalidCredentials;
    }
    let message = message.trim();
    if message.eq_ignore_ascii_case("Business Event Not Found") {
        return ApiErrorKind::BusinessEventNotFound;
    }
    if message.starts_with("\"when\" has an incorrect value") {
        return ApiErrorKind::InvalidWhen;
    }
    if let Some(property) = message
        .strip_prefix("Property ")
        .and_then(|rest| rest.strip_suffix(" missing"))
    {
        return ApiErrorKind::MissingProperty {
            property: property.to_owned(),
        };
    }
    // `code` is not always the HTTP status. A 401 code means what it says on any refusal; a 429
    // code only inside a 2xx `"status":"fail"` body, the one place CleverTap reports a failure
    // with another HTTP status that certainly was not processed.
    match code {
        Some(401) => ApiErrorKind::InvalidCredentials,
        Some(429) if status.is_success() => ApiErrorKind::TooManyRequests,
        _ => ApiErrorKind::Other,
    }
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(MAX_KEPT_BODY_BYTES)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::RETRY_AFTER;
    use std::time::Duration;

    fn parse(status: u16, body: &[u8]) -> Result<Triggered, ResponseError> {
        parse_parts(
            StatusCode::from_u16(status).expect("status"),
            &HeaderMap::new(),
            body,
        )
    }

    fn api(status: u16, body: &str) -> ApiError {
        match parse(status, body.as_bytes()) {
            Err(ResponseError::Api(e)) => e,
            other => panic!("expected an API error, got {other:?}"),
        }
    }

    #[test]
    fn documented_success() {
        assert_eq!(
            parse(200, br#"{"status":"success","targets":1}"#),
            Ok(Triggered { targets: 1 })
        );
        assert_eq!(
            parse(200, br#"{ "status": "success", "targets": 0 }"#),
            Ok(Triggered { targets: 0 })
        );
    }

    #[test]
    fn documented_errors_are_classified() {
        let e = api(
            400,
            r#"{"status":"fail","error":"Business Event Not Found","code":400}"#,
        );
        assert_eq!(e.kind, ApiErrorKind::BusinessEventNotFound);
        assert_eq!(e.code, Some(400));
        let e = api(
            400,
            r#"{"status":"fail","error":"\"when\" has an incorrect value - null","code":400}"#,
        );
        assert_eq!(e.kind, ApiErrorKind::InvalidWhen);
        let e = api(
            400,
            r#"{"status":"fail","error":"Property product_category missing","code":400}"#,
        );
        assert_eq!(
            e.kind,
            ApiErrorKind::MissingProperty {
                property: "product_category".into()
            }
        );
        let e = api(
            401,
            r#"{"status":"fail","error":"Account ID is not valid","code":401}"#,
        );
        assert_eq!(e.kind, ApiErrorKind::InvalidCredentials);
        let e = api(
            429,
            r#"{"status":"fail","error":"Too many concurrent requests","code":429}"#,
        );
        assert_eq!(e.kind, ApiErrorKind::TooManyRequests);
        let e = api(
            503,
            r#"{"status":"fail","error":"The system is unavailable. Try again later."}"#,
        );
        assert_eq!(e.kind, ApiErrorKind::ServerUnavailable);
        let e = api(
            400,
            r#"{"status":"fail","error":"Something else","code":9}"#,
        );
        assert_eq!((e.kind, e.code), (ApiErrorKind::Other, Some(9)));
    }

    #[test]
    fn a_200_is_not_success_until_the_body_says_so() {
        let e = api(
            200,
            r#"{"status":"fail","error":"Account ID is not valid","code":401}"#,
        );
        assert_eq!(e.kind, ApiErrorKind::InvalidCredentials);
        assert_eq!(e.status, StatusCode::OK);
        assert!(parse(200, br#"{"status":"success"}"#).is_err());
        assert!(parse(200, br#"{"status":"success","targets":"1"}"#).is_err());
        assert!(parse(500, br#"{"status":"success","targets":1}"#).is_err());
    }

    #[test]
    fn garbage_is_undecodable_and_keeps_a_capped_body() {
        for body in [
            &b""[..],
            b"<html>502 Bad Gateway</html>",
            b"[1,2]",
            b"{\"targets\":1}",
            b"\xff\xfe\x00",
            b"{\"status\":",
        ] {
            assert!(
                matches!(parse(200, body), Err(ResponseError::Undecodable { .. })),
                "{body:?}"
            );
        }
        let huge = vec![b'x'; 100_000];
        match parse(502, &huge) {
            Err(ResponseError::Undecodable { body, status, .. }) => {
                assert_eq!(body.len(), MAX_KEPT_BODY_BYTES);
                assert_eq!(status, StatusCode::BAD_GATEWAY);
            }
            other => panic!("{other:?}"),
        }
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, http::HeaderValue::from_static("2"));
        match oversized_body(StatusCode::OK, &headers, &huge, "too large") {
            ResponseError::Undecodable {
                body, retry_after, ..
            } => {
                assert_eq!(body.len(), MAX_KEPT_BODY_BYTES);
                assert_eq!(retry_after, Some(RetryAfter::Delay(Duration::from_secs(2))));
            }
            other => panic!("{other:?}"),
        }
        let deep = "[".repeat(100_000);
        assert!(parse(200, deep.as_bytes()).is_err());
    }

    #[test]
    fn retry_after_is_read_in_both_forms() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, http::HeaderValue::from_static("7"));
        let err = parse_parts(StatusCode::TOO_MANY_REQUESTS, &headers, b"busy").unwrap_err();
        assert_eq!(
            err.retry_after(),
            Some(RetryAfter::Delay(Duration::from_secs(7)))
        );
        assert!(err.is_too_many_requests());
        headers.insert(
            RETRY_AFTER,
            http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        let err = parse_parts(StatusCode::TOO_MANY_REQUESTS, &headers, b"busy").unwrap_err();
        let date = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(err.retry_after(), Some(RetryAfter::At(date)));
    }
}
