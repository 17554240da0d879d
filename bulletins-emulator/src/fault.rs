//! Scripted failures for the next trigger requests.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::lock;

/// How many bytes [`Fault::OversizedBody`] answers: 4 MiB.
pub const OVERSIZED_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A failure the emulator plays instead of (or before) its normal answer to one trigger request.
///
/// Faults are queued with [`Emulator::inject`](crate::Emulator::inject) or
/// `POST /_emulator/faults` and consumed first in, first out, one per request to
/// `/1/targets/trigger.json`, before any validation (they stand for the network or the service
/// failing, whatever the request). "Reads the body" says whether the bulletin reached the
/// server: those faults record it as
/// [`ReceivedNotAcknowledged`](crate::DeliveryStatus::ReceivedNotAcknowledged) in
/// [`bulletins`](crate::Emulator::bulletins); the others record a
/// [`Rejection`](crate::Rejection) marked `fault`.
///
/// Over HTTP a fault is a JSON object tagged by `kind`, in snake case:
/// `{"kind":"status","status":503}`, `{"kind":"delay","millis":500}`,
/// `{"kind":"too_many_requests","retry_after":2}`, `{"kind":"close_before_body"}`,
/// `{"kind":"close_after_body"}`, `{"kind":"fail_body_200","error":"...","code":9}`,
/// `{"kind":"malformed_body"}`, `{"kind":"oversized_body"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Fault {
    /// Answers this HTTP status with this body (`Content-Type: application/json`). Does not read
    /// the body. Over HTTP `body` may be left out: it defaults to CleverTap's failure shape
    /// (see [`Fault::status`]).
    Status {
        /// The HTTP status.
        status: u16,
        /// The response body, sent as is.
        #[serde(default)]
        body: Option<String>,
    },
    /// Waits this long before answering, then handles the request normally (the request holds
    /// its concurrency slot while it waits). Reads the body.
    Delay(#[serde(with = "millis")] Duration),
    /// Answers 429 `Too many concurrent requests`, with `Retry-After: <seconds>` when given.
    /// Does not read the body.
    TooManyRequests {
        /// The `Retry-After` header's seconds; `None` sends no header (CleverTap documents none).
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Closes the connection without reading the body and without answering.
    CloseBeforeBody,
    /// Reads the body, records the bulletin as received but not acknowledged, then closes the
    /// connection without answering.
    CloseAfterBody,
    /// Answers HTTP 200 with `{"status":"fail","error":<error>,"code":<code>}`, as CleverTap
    /// sometimes does. Does not read the body.
    #[serde(rename = "fail_body_200")]
    FailBody200 {
        /// The `error` message.
        error: String,
        /// The `code` number.
        code: i64,
    },
    /// Reads the body, records it as received but not acknowledged, and answers HTTP 200 with a
    /// body that is not JSON.
    MalformedBody,
    /// Reads the body, records it as received but not acknowledged, and answers HTTP 200 with a
    /// 4 MiB body ([`OVERSIZED_BODY_BYTES`]): a JSON success object padded with a long string.
    OversizedBody,
}

impl Fault {
    /// Answers `status` with CleverTap's failure shape,
    /// `{"status":"fail","error":"<reason>","code":<status>}`; for 503 the reason is CleverTap's
    /// documented "The system is unavailable. Try again later.".
    pub fn status(status: u16) -> Self {
        Fault::Status { status, body: None }
    }

    /// 429 without `Retry-After`.
    pub fn too_many_requests() -> Self {
        Fault::TooManyRequests { retry_after: None }
    }

    /// Whether the fault reads the request body (and so records the bulletin as received).
    pub fn reads_body(&self) -> bool {
        matches!(
            self,
            Fault::Delay(_) | Fault::CloseAfterBody | Fault::MalformedBody | Fault::OversizedBody
        )
    }
}

/// The default body of [`Fault::Status`]: CleverTap's failure shape.
pub(crate) fn status_body(status: u16) -> String {
    let reason = match status {
        503 => "The system is unavailable. Try again later.",
        429 => "Too many concurrent requests",
        _ => http_reason(status),
    };
    crate::validate::fail_body(reason, i64::from(status))
}

fn http_reason(status: u16) -> &'static str {
    axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// The body of [`Fault::OversizedBody`].
pub(crate) fn oversized_body() -> Vec<u8> {
    let head = br#"{"status":"success","targets":1,"padding":""#;
    let tail = br#""}"#;
    let mut body = Vec::with_capacity(OVERSIZED_BODY_BYTES);
    body.extend_from_slice(head);
    body.resize(OVERSIZED_BODY_BYTES - tail.len(), b'a');
    body.extend_from_slice(tail);
    body
}

/// The body of [`Fault::MalformedBody`]: a truncated, non-JSON text.
pub(crate) const MALFORMED_BODY: &str = "<html><body>502 Bad Gateway</body>{\"status\":\"succ";

/// The most faults that may be pending at once, in total: more is refused (over HTTP) or cut
/// to fit (from Rust), so a queue can never exhaust memory.
pub const MAX_PENDING_FAULTS: usize = 100_000;

/// The queue of faults still to play, as runs of one fault repeated.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    queue: Mutex<Runs>,
}

#[derive(Debug, Default)]
struct Runs {
    runs: VecDeque<(Fault, usize)>,
    total: usize,
}

impl FaultQueue {
    /// Queues `fault` `times` times, or as many as fit under [`MAX_PENDING_FAULTS`]; returns
    /// how many were queued.
    pub(crate) fn push(&self, fault: Fault, times: usize) -> usize {
        let mut queue = lock(&self.queue);
        let queued = times.min(MAX_PENDING_FAULTS - queue.total);
        if queued > 0 {
            queue.total += queued;
            match queue.runs.back_mut() {
                Some((last, count)) if *last == fault => *count += queued,
                _ => queue.runs.push_back((fault, queued)),
            }
        }
        queued
    }

    /// How many more faults fit.
    pub(crate) fn room(&self) -> usize {
        MAX_PENDING_FAULTS - lock(&self.queue).total
    }

    pub(crate) fn pop(&self) -> Option<Fault> {
        let mut queue = lock(&self.queue);
        let (fault, count) = queue.runs.front_mut()?;
        let fault = if *count > 1 {
            *count -= 1;
            fault.clone()
        } else {
            let (fault, _) = queue.runs.pop_front()?;
            fault
        };
        queue.total -= 1;
        Some(fault)
    }

    /// The pending faults, next first, one per request.
    pub(crate) fn pending(&self) -> Vec<Fault> {
        let queue = lock(&self.queue);
        queue
            .runs
            .iter()
            .flat_map(|(fault, count)| std::iter::repeat_n(fault.clone(), *count))
            .collect()
    }

    /// The pending faults as runs: each fault with how many requests it will answer.
    pub(crate) fn runs(&self) -> Vec<(Fault, usize)> {
        lock(&self.queue).runs.iter().cloned().collect()
    }

    /// How many faults are pending.
    pub(crate) fn len(&self) -> usize {
        lock(&self.queue).total
    }

    pub(crate) fn clear(&self) {
        let mut queue = lock(&self.queue);
        queue.runs.clear();
        queue.total = 0;
    }
}

/// `Delay` over JSON: `{"kind":"delay","millis":500}`.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Millis {
        millis: u64,
    }

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        let millis = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Millis { millis }.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Millis::deserialize(d).map(|m| Duration::from_millis(m.millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_round_trip_through_their_json_form() {
        let cases = [
            (r#"{"kind":"status","status":503}"#, Fault::status(503)),
            (
                r#"{"kind":"delay","millis":250}"#,
                Fault::Delay(Duration::from_millis(250)),
            ),
            (
                r#"{"kind":"too_many_requests","retry_after":2}"#,
                Fault::TooManyRequests {
                    retry_after: Some(2),
                },
            ),
            (r#"{"kind":"close_before_body"}"#, Fault::CloseBeforeBody),
            (r#"{"kind":"close_after_body"}"#, Fault::CloseAfterBody),
            (
                r#"{"kind":"fail_body_200","error":"x","code":9}"#,
                Fault::FailBody200 {
                    error: "x".into(),
                    code: 9,
                },
            ),
            (r#"{"kind":"malformed_body"}"#, Fault::MalformedBody),
            (r#"{"kind":"oversized_body"}"#, Fault::OversizedBody),
        ];
        for (json, fault) in cases {
            let parsed: Result<Fault, _> = serde_json::from_str(json);
            assert_eq!(parsed.ok(), Some(fault.clone()), "{json}");
            let back = serde_json::to_value(&fault).ok();
            let parsed_again = back.and_then(|v| serde_json::from_value::<Fault>(v).ok());
            assert_eq!(parsed_again, Some(fault), "{json}");
        }
    }

    #[test]
    fn the_queue_is_capped_in_total_and_plays_in_order() {
        let queue = FaultQueue::default();
        assert_eq!(queue.push(Fault::CloseAfterBody, 2), 2);
        assert_eq!(
            queue.push(Fault::status(503), usize::MAX),
            MAX_PENDING_FAULTS - 2
        );
        assert_eq!(queue.push(Fault::MalformedBody, 1), 0);
        assert_eq!(queue.len(), MAX_PENDING_FAULTS);
        assert_eq!(queue.pop(), Some(Fault::CloseAfterBody));
        assert_eq!(queue.pop(), Some(Fault::CloseAfterBody));
        assert_eq!(queue.pop(), Some(Fault::status(503)));
        assert_eq!(queue.room(), 3);
        queue.clear();
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn oversized_body_is_four_mebibytes_of_json() {
        let body = oversized_body();
        assert_eq!(body.len(), OVERSIZED_BODY_BYTES);
        assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
    }

    #[test]
    fn status_body_is_the_failure_shape() {
        assert_eq!(
            status_body(503),
            r#"{"status":"fail","error":"The system is unavailable. Try again later.","code":503}"#
        );
    }
}
