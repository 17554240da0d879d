//! The relay's metrics, recorded through the [`metrics`](https://docs.rs/metrics) facade with
//! the feature `metrics` (which also turns on `bulletins-http`'s, for the client's own); without
//! it nothing here records anything.
//!
//! The row gauges are refreshed by a relay from [`Store::status`](crate::Store::status) at most
//! every [`Relay::gauge_interval`](crate::Relay::gauge_interval), with its sweeps: counting
//! every row is an operator's query, not one for every loop. Labels stay bounded: a row's state.

use std::time::Duration;

use crate::rows::Status;

/// `bulletins_outbox_rows`: rows by `state`.
pub const ROWS: &str = "bulletins_outbox_rows";
/// `bulletins_outbox_oldest_pending_age_seconds`: the age of the oldest pending row (0 when
/// none is pending).
pub const OLDEST_PENDING_AGE: &str = "bulletins_outbox_oldest_pending_age_seconds";
/// `bulletins_outbox_uncertain_rows`: rows that may have been delivered, waiting for a person.
pub const UNCERTAIN_ROWS: &str = "bulletins_outbox_uncertain_rows";
/// `bulletins_outbox_claim_duration_seconds`: how long each claim of due rows took.
pub const CLAIM_DURATION: &str = "bulletins_outbox_claim_duration_seconds";

/// Buckets for [`CLAIM_DURATION`], in seconds: a claim takes about a millisecond.
pub const CLAIM_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Describes the relay's metrics and the client's (HELP text and units) to the installed
/// recorder. A relay describes them when it is made; call this after installing a recorder if
/// a relay was made before it. Does nothing without the feature `metrics`.
pub fn describe() {
    #[cfg(feature = "metrics")]
    {
        use metrics::Unit;
        bulletins_http::metrics::describe();
        metrics::describe_gauge!(ROWS, "Outbox rows by state.");
        metrics::describe_gauge!(
            OLDEST_PENDING_AGE,
            Unit::Seconds,
            "Age of the oldest pending outbox row (0 when none is pending)."
        );
        metrics::describe_gauge!(
            UNCERTAIN_ROWS,
            "Outbox rows that may have been delivered, waiting for a person's decision."
        );
        metrics::describe_histogram!(
            CLAIM_DURATION,
            Unit::Seconds,
            "Duration of each claim of due outbox rows."
        );
    }
}

/// Sets the row gauges from a count of the outbox.
pub(crate) fn status(status: &Status) {
    #[cfg(feature = "metrics")]
    {
        for (state, rows) in &status.counts {
            metrics::gauge!(ROWS, "state" => state.as_str()).set(*rows as f64);
        }
        let uncertain = status
            .counts
            .get(&crate::State::Uncertain)
            .copied()
            .unwrap_or(0);
        metrics::gauge!(UNCERTAIN_ROWS).set(uncertain as f64);
        let oldest = status.oldest_pending_ms.unwrap_or(0) as f64 / 1000.0;
        metrics::gauge!(OLDEST_PENDING_AGE).set(oldest);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = status;
}

/// A claim took `took`.
pub(crate) fn claimed(took: Duration) {
    #[cfg(feature = "metrics")]
    metrics::histogram!(CLAIM_DURATION).record(took.as_secs_f64());
    #[cfg(not(feature = "metrics"))]
    let _ = took;
}
