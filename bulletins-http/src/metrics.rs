//! The client's metrics, recorded through the [`metrics`](https://docs.rs/metrics) facade with
//! the feature `metrics`; without it every function here is empty and every type zero-sized,
//! so the client's path reads no clock and builds no label.
//!
//! Names follow OpenTelemetry's semantic conventions where one exists
//! (`http.client.request.duration`), written the Prometheus way. Labels stay bounded: the
//! business event's name (a dashboard's events, never free text), an HTTP status, a failure's
//! kind, the host requests go to; never the passcode, never a payload's value.

use bulletins_core::Triggered;
use http::StatusCode;

use crate::error::{AttemptFailure, Error};

#[cfg(feature = "metrics")]
mod handles;

/// `http_client_request_duration_seconds`: one sample per attempt.
pub const REQUEST_DURATION: &str = "http_client_request_duration_seconds";
/// `bulletins_triggers_total`: one per bulletin, by `event` and `outcome`.
pub const TRIGGERS: &str = "bulletins_triggers_total";
/// `bulletins_retries_total`: attempts sent again after a failure the retry policy retries.
pub const RETRIES: &str = "bulletins_retries_total";
/// `bulletins_slot_wait_seconds`: the wait for one of the account's slots.
pub const SLOT_WAIT: &str = "bulletins_slot_wait_seconds";
/// `bulletins_in_flight`: requests in flight from this process.
pub const IN_FLIGHT: &str = "bulletins_in_flight";

/// Buckets for the client's histograms, in seconds: OpenTelemetry's advice for
/// `http.client.request.duration`. An exporter that renders histograms as buckets (such as
/// `metrics-exporter-prometheus` with `set_buckets`) can use them.
pub const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Describes the client's metrics (HELP text and units) to the installed recorder. A client
/// describes them when it is built; call this after installing a recorder if a client was built
/// before it. Does nothing without the feature `metrics`.
pub fn describe() {
    #[cfg(feature = "metrics")]
    {
        use metrics::Unit;
        metrics::describe_histogram!(
            REQUEST_DURATION,
            Unit::Seconds,
            "Duration of each HTTP request to CleverTap (one sample per attempt)."
        );
        metrics::describe_counter!(
            TRIGGERS,
            "Bulletins triggered, by business event and outcome: delivered, refused (certainly not delivered) or uncertain (may have been delivered)."
        );
        metrics::describe_counter!(
            RETRIES,
            "Attempts sent again after a failure the retry policy retries."
        );
        metrics::describe_histogram!(
            SLOT_WAIT,
            Unit::Seconds,
            "Time waiting for one of the account's concurrency slots (in process or through a shared limiter)."
        );
        metrics::describe_gauge!(
            IN_FLIGHT,
            "Requests to CleverTap in flight from this process."
        );
    }
}

/// The moment something started, read only with the feature.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    #[cfg(feature = "metrics")]
    started: tokio::time::Instant,
}

impl Clock {
    #[inline]
    pub(crate) fn start() -> Self {
        Self {
            #[cfg(feature = "metrics")]
            started: tokio::time::Instant::now(),
        }
    }

    #[cfg(feature = "metrics")]
    fn seconds(self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// The labels every sample of a client shares: the host its requests go to.
#[derive(Debug, Clone)]
pub(crate) struct ClientLabels {
    #[cfg(feature = "metrics")]
    server_address: metrics::SharedString,
}

impl ClientLabels {
    pub(crate) fn new(url: &reqwest::Url) -> Self {
        #[cfg(not(feature = "metrics"))]
        let _ = url;
        Self {
            #[cfg(feature = "metrics")]
            server_address: metrics::SharedString::from(std::sync::Arc::<str>::from(
                url.host_str().unwrap_or(""),
            )),
        }
    }
}

/// How long an attempt waited for its slot: measured only with the feature, and not at all for
/// a slot kept from the caller's previous bulletin.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Waited {
    #[cfg(feature = "metrics")]
    seconds: Option<f64>,
}

impl Waited {
    /// A slot kept from the previous bulletin: nothing was asked, no sample.
    pub(crate) fn kept() -> Self {
        Self {
            #[cfg(feature = "metrics")]
            seconds: None,
        }
    }

    /// A slot granted at once, without waiting (and without reading the clock).
    pub(crate) fn none() -> Self {
        Self {
            #[cfg(feature = "metrics")]
            seconds: Some(0.0),
        }
    }

    /// A slot granted after waiting since `since`.
    pub(crate) fn since(since: Clock) -> Self {
        #[cfg(not(feature = "metrics"))]
        let _ = since;
        Self {
            #[cfg(feature = "metrics")]
            seconds: Some(since.seconds()),
        }
    }
}

/// One attempt in flight: counted in `bulletins_in_flight` until [ended](Attempt::end) or
/// dropped (a cancelled attempt).
#[must_use]
pub(crate) struct Attempt {
    #[cfg(feature = "metrics")]
    started: Clock,
    #[cfg(feature = "metrics")]
    in_flight: bool,
}

impl Attempt {
    /// The attempt is about to leave, its slot granted after `waited`.
    #[inline]
    pub(crate) fn start(waited: Waited) -> Self {
        #[cfg(feature = "metrics")]
        handles::with(|h| {
            if let Some(seconds) = waited.seconds {
                h.slot_wait.record(seconds);
            }
            h.in_flight.increment(1.0);
        });
        #[cfg(not(feature = "metrics"))]
        let _ = waited;
        Self {
            #[cfg(feature = "metrics")]
            started: Clock::start(),
            #[cfg(feature = "metrics")]
            in_flight: true,
        }
    }

    /// The attempt ended: its answer's status if one came, and how it ended.
    #[inline]
    pub(crate) fn end(
        mut self,
        labels: &ClientLabels,
        status: Option<StatusCode>,
        outcome: &Result<Triggered, AttemptFailure>,
    ) {
        #[cfg(feature = "metrics")]
        {
            self.in_flight = false;
            let seconds = self.started.seconds();
            if outcome.is_ok() && status == Some(StatusCode::OK) {
                // Nearly every attempt: its handle is kept.
                handles::with(|h| {
                    h.in_flight.decrement(1.0);
                    h.succeeded(&labels.server_address).record(seconds);
                });
                return;
            }
            handles::with(|h| h.in_flight.decrement(1.0));
            failed(labels, seconds, status, outcome);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (&mut self, labels, status, outcome);
    }
}

impl Drop for Attempt {
    #[inline]
    fn drop(&mut self) {
        #[cfg(feature = "metrics")]
        if self.in_flight {
            handles::with(|h| h.in_flight.decrement(1.0));
        }
    }
}

/// The request duration of an attempt that did not end in a `200` success.
#[cfg(feature = "metrics")]
fn failed(
    labels: &ClientLabels,
    seconds: f64,
    status: Option<StatusCode>,
    outcome: &Result<Triggered, AttemptFailure>,
) {
    let server = labels.server_address.clone();
    let error = outcome.as_ref().err().map(|e| error_type(status, e));
    let histogram = match (status, error) {
        (Some(status), None) => metrics::histogram!(
            REQUEST_DURATION,
            "http_response_status_code" => status_label(status),
            "server_address" => server
        ),
        (Some(status), Some(error)) => metrics::histogram!(
            REQUEST_DURATION,
            "http_response_status_code" => status_label(status),
            "error_type" => error,
            "server_address" => server
        ),
        (None, error) => metrics::histogram!(
            REQUEST_DURATION,
            "error_type" => error.unwrap_or_else(|| "_OTHER".into()),
            "server_address" => server
        ),
    };
    histogram.record(seconds);
}

/// A failed attempt will be sent again.
#[inline]
pub(crate) fn retried() {
    #[cfg(feature = "metrics")]
    metrics::counter!(RETRIES).increment(1);
}

/// A bulletin of `event` ended in `result`: counted once, whatever its attempts.
#[inline]
pub(crate) fn triggered<T>(event: &str, result: &Result<T, Error>) {
    #[cfg(feature = "metrics")]
    match outcome(result) {
        // Nearly every bulletin: its handle is kept.
        "delivered" => handles::with(|h| h.delivered(event)),
        outcome => {
            metrics::counter!(TRIGGERS, "event" => event.to_owned(), "outcome" => outcome)
                .increment(1);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (event, result);
}

/// `delivered`, `refused` (certainly not delivered) or `uncertain`, by the core's one
/// classification.
#[cfg(feature = "metrics")]
fn outcome<T>(result: &Result<T, Error>) -> &'static str {
    match result {
        Ok(_) => "delivered",
        Err(error) => {
            let outcome = error.outcome();
            if outcome.not_delivered().is_some() {
                "refused"
            } else {
                // May have been delivered; and anything a newer core adds is not called
                // certain here.
                "uncertain"
            }
        }
    }
}

/// The status as a label value: a static string for those CleverTap and proxies answer.
#[cfg(feature = "metrics")]
fn status_label(status: StatusCode) -> metrics::SharedString {
    let known = match status.as_u16() {
        200 => "200",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        413 => "413",
        429 => "429",
        500 => "500",
        502 => "502",
        503 => "503",
        504 => "504",
        _ => return status.as_str().to_owned().into(),
    };
    known.into()
}

/// OpenTelemetry's `error.type` for a failed attempt: the status code of a 4xx or 5xx answer;
/// otherwise the kind of failure, from a fixed set.
#[cfg(feature = "metrics")]
fn error_type(status: Option<StatusCode>, failure: &AttemptFailure) -> metrics::SharedString {
    use bulletins_core::{Failure, ResponseError};
    match (&failure.failure, status) {
        (Failure::Response(_), Some(status)) if status.as_u16() >= 400 => status_label(status),
        (Failure::Response(ResponseError::Api(_)), _) => "api_error".into(),
        (Failure::Response(_), _) => "undecodable".into(),
        (Failure::NotConnected, _) => "not_connected".into(),
        (Failure::TimedOut, _) => "timeout".into(),
        (Failure::ConnectionLost, _) => "connection_lost".into(),
        _ => "_OTHER".into(),
    }
}
