//! Whether a failed attempt may be retried, and when: pure logic, so it is tested without a
//! network and every I/O driver decides the same way.
//!
//! CleverTap documents no idempotency key. A request that may have reached the server —
//! a timeout after sending, a connection lost after sending, a 5xx — can raise the bulletin a
//! second time if it is sent again. Only a connection that was never made and a 429 certainly
//! were not processed.

use std::time::{Duration, SystemTime};

use crate::response::ResponseError;

/// What one attempt to send a trigger request ended in, when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// No connection could be made (refused, DNS, TLS handshake, connect timeout): the request
    /// never left, so it certainly was not processed.
    NotConnected,
    /// No answer within the timeout after the request was sent: it may have been processed.
    TimedOut,
    /// The connection failed after the request was (perhaps partly) sent, with no answer: it may
    /// have been processed.
    ConnectionLost,
    /// CleverTap (or something in front of it) answered, but not with a success.
    Response(ResponseError),
}

impl Failure {
    /// Whether CleverTap may have processed the request, and so may have sent the bulletin.
    ///
    /// `false` means certainly not: no connection, a 429, a 4xx, or a 2xx whose body says
    /// `"status":"fail"`. `true` means perhaps: a timeout, a connection lost after sending, a 5xx
    /// (whatever its body says), or a 2xx whose body is neither CleverTap's success nor its
    /// failure.
    pub fn may_have_been_delivered(&self) -> bool {
        self.outcome().may_have_been_delivered()
    }

    /// Whether the failure is transient and the request certainly was not processed: retrying
    /// it cannot send a duplicate.
    fn is_safe_to_retry(&self) -> bool {
        match self {
            Failure::NotConnected => true,
            Failure::Response(response) => response.is_too_many_requests(),
            Failure::TimedOut | Failure::ConnectionLost => false,
        }
    }

    /// Whether retrying may succeed but may also send a duplicate.
    fn is_retryable_with_duplicates(&self) -> bool {
        match self {
            Failure::TimedOut | Failure::ConnectionLost => true,
            Failure::Response(response) => response.status().is_server_error(),
            Failure::NotConnected => false,
        }
    }
}

/// The delivery guarantee a client gives each bulletin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Delivery {
    /// Never send a bulletin twice: retry only what certainly was not processed (no connection,
    /// 429). A timeout or 5xx is reported, with "may have been delivered", instead of retried.
    #[default]
    AtMostOnce,
    /// Never give up on what might succeed: also retry timeouts, connections lost after
    /// sending, and 5xx. Users may receive a bulletin twice.
    AtLeastOnce,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Send the request again after this delay.
    RetryAfter(Duration),
    /// Report the failure.
    GiveUp,
}

/// When to retry: the delivery guarantee, and bounds on attempts and time.
///
/// Backoff is exponential with full jitter (a random delay between zero and
/// `initial_backoff × 2^(attempt−1)`, capped at `max_backoff`); a `Retry-After` — seconds, or
/// an HTTP date measured from the `now` the caller passes — takes its place, capped at
/// `max_retry_after`.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use bulletins_core::{Failure, RetryDecision, RetryPolicy};
///
/// let policy = RetryPolicy::at_most_once();
/// let now = SystemTime::now();
/// // A timeout may have been processed: at most once never retries it.
/// assert_eq!(policy.decide(&Failure::TimedOut, 1, Duration::ZERO, now, 0.5), RetryDecision::GiveUp);
/// // A refused connection certainly was not.
/// assert!(matches!(
///     policy.decide(&Failure::NotConnected, 1, Duration::ZERO, now, 0.5),
///     RetryDecision::RetryAfter(_)
/// ));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    delivery: Delivery,
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::at_most_once()
    }
}

impl RetryPolicy {
    /// The default: [`Delivery::AtMostOnce`], at most 5 attempts within 60 seconds, backoff from
    /// 250 ms to 8 s, `Retry-After` honoured up to 30 s.
    pub const fn at_most_once() -> Self {
        Self {
            delivery: Delivery::AtMostOnce,
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(60),
        }
    }

    /// As [`Self::at_most_once`], with [`Delivery::AtLeastOnce`].
    pub const fn at_least_once() -> Self {
        Self {
            delivery: Delivery::AtLeastOnce,
            ..Self::at_most_once()
        }
    }

    /// One attempt, no retries.
    pub const fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::at_most_once()
        }
    }

    /// Sets the delivery guarantee.
    #[must_use]
    pub const fn delivery(mut self, delivery: Delivery) -> Self {
        self.delivery = delivery;
        self
    }

    /// Sets the most attempts in all, the first included (at least 1).
    #[must_use]
    pub const fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = if attempts == 0 { 1 } else { attempts };
        self
    }

    /// Sets the backoff before the first retry and its cap.
    #[must_use]
    pub const fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// Sets the longest `Retry-After` honoured; longer ones are cut to it.
    #[must_use]
    pub const fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Sets the most time from the start of the first attempt after which no retry starts. The
    /// wait for the first attempt (a concurrency slot, say) is not counted; the time since then
    /// is, backoff and later waits included.
    #[must_use]
    pub const fn max_elapsed(mut self, max: Duration) -> Self {
        self.max_elapsed = max;
        self
    }

    /// The delivery guarantee.
    pub const fn delivery_mode(&self) -> Delivery {
        self.delivery
    }

    /// The most attempts in all.
    pub const fn attempts_limit(&self) -> u32 {
        self.max_attempts
    }

    /// Decides what follows a failed attempt.
    ///
    /// `attempts_made` counts the attempts so far (1 after the first); `elapsed` is the time
    /// since the first attempt started; `now` is the current wall-clock time, against which a
    /// `Retry-After` date is measured; `jitter` is a random number in `[0, 1)` — the caller
    /// supplies randomness and time, so the decision is a pure function.
    pub fn decide(
        &self,
        failure: &Failure,
        attempts_made: u32,
        elapsed: Duration,
        now: SystemTime,
        jitter: f64,
    ) -> RetryDecision {
        let retryable = failure.is_safe_to_retry()
            || (self.delivery == Delivery::AtLeastOnce && failure.is_retryable_with_duplicates());
        if !retryable || attempts_made >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let delay = match failure {
            Failure::Response(response) => response
                .retry_after()
                .map(|asked| asked.delay_from(now).min(self.max_retry_after)),
            _ => None,
        }
        .unwrap_or_else(|| self.backoff_after(attempts_made, jitter));
        match elapsed.checked_add(delay) {
            Some(end) if end <= self.max_elapsed => RetryDecision::RetryAfter(delay),
            _ => RetryDecision::GiveUp,
        }
    }

    /// The backoff after `attempts_made` failed attempts (1 after the first), before any
    /// `Retry-After` and whatever the attempt and time limits: a random part, `jitter` in
    /// `[0, 1)`, of `initial_backoff × 2^(attempts_made−1)` capped at `max_backoff`. A jitter
    /// of 1 gives the ceiling itself, for a caller that wants no randomness.
    pub fn backoff_after(&self, attempts_made: u32, jitter: f64) -> Duration {
        let factor = 1u32
            .checked_shl(attempts_made.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let ceiling = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        // NaN or out-of-range jitter from a careless caller must not panic `mul_f64`.
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            1.0
        };
        // `Duration::mul_f64` panics when the product does not fit a `Duration`, which a
        // ceiling near `Duration::MAX` reaches through f64 rounding; and rounding may also
        // lift the product a hair above the ceiling. Fall back to, and cap at, the ceiling.
        Duration::try_from_secs_f64(ceiling.as_secs_f64() * jitter)
            .unwrap_or(ceiling)
            .min(ceiling)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{parse_parts, ResponseError};
    use http::{HeaderMap, HeaderValue, StatusCode};

    /// Any fixed time: only `Retry-After` dates are measured against it.
    const NOW: SystemTime = SystemTime::UNIX_EPOCH;

    fn response(status: u16, body: &str, retry_after: Option<&'static str>) -> Failure {
        let mut headers = HeaderMap::new();
        if let Some(ra) = retry_after {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static(ra));
        }
        let err: ResponseError = parse_parts(
            StatusCode::from_u16(status).expect("status"),
            &headers,
            body.as_bytes(),
        )
        .expect_err("a failure");
        Failure::Response(err)
    }

    fn retries(policy: &RetryPolicy, failure: &Failure) -> bool {
        matches!(
            policy.decide(failure, 1, Duration::ZERO, NOW, 0.5),
            RetryDecision::RetryAfter(_)
        )
    }

    #[test]
    fn at_most_once_retries_only_what_was_certainly_not_processed() {
        let p = RetryPolicy::at_most_once();
        assert!(retries(&p, &Failure::NotConnected));
        assert!(retries(&p, &response(429, "", None)));
        assert!(retries(
            &p,
            &response(
                200,
                r#"{"status":"fail","error":"Too many concurrent requests","code":429}"#,
                None
            )
        ));
        for not in [
            Failure::TimedOut,
            Failure::ConnectionLost,
            response(500, "", None),
            response(502, "<html>", None),
            response(
                503,
                r#"{"status":"fail","error":"The system is unavailable. Try again later."}"#,
                None,
            ),
            response(
                400,
                r#"{"status":"fail","error":"Business Event Not Found"}"#,
                None,
            ),
            response(
                401,
                r#"{"status":"fail","error":"Account ID is not valid","code":401}"#,
                None,
            ),
            response(200, "not json", None),
        ] {
            assert!(!retries(&p, &not), "{not:?}");
        }
    }

    #[test]
    fn at_least_once_also_retries_what_may_have_been_processed() {
        let p = RetryPolicy::at_least_once();
        for yes in [
            Failure::NotConnected,
            Failure::TimedOut,
            Failure::ConnectionLost,
            response(429, "", None),
            response(500, "", None),
            response(503, "", None),
        ] {
            assert!(retries(&p, &yes), "{yes:?}");
        }
        for no in [
            response(
                400,
                r#"{"status":"fail","error":"Business Event Not Found"}"#,
                None,
            ),
            response(401, "", None),
            response(200, "not json", None),
        ] {
            assert!(!retries(&p, &no), "{no:?}");
        }
    }

    #[test]
    fn may_have_been_delivered() {
        assert!(!Failure::NotConnected.may_have_been_delivered());
        assert!(Failure::TimedOut.may_have_been_delivered());
        assert!(Failure::ConnectionLost.may_have_been_delivered());
        assert!(!response(429, "", None).may_have_been_delivered());
        assert!(response(500, "", None).may_have_been_delivered());
        assert!(!response(400, r#"{"status":"fail","error":"x"}"#, None).may_have_been_delivered());
        assert!(!response(200, r#"{"status":"fail","error":"x"}"#, None).may_have_been_delivered());
        assert!(response(200, "garbage", None).may_have_been_delivered());
    }

    #[test]
    fn a_2xx_other_than_success_or_fail_may_have_been_delivered() {
        let p = RetryPolicy::at_most_once();
        for body in [
            r#"{"status":"partial","targets":1}"#,
            r#"{"status":"Success","targets":1}"#,
            r#"{"error":"Something","targets":1}"#,
            r#"{"status":"success","error":"Something","targets":1}"#,
        ] {
            let failure = response(200, body, None);
            assert!(failure.may_have_been_delivered(), "{body}: {failure:?}");
            assert!(!retries(&p, &failure), "{body}");
        }
        // An explicit `"status":"fail"` in a 2xx is CleverTap's own refusal.
        assert!(!response(200, r#"{"status":"fail","error":"x"}"#, None).may_have_been_delivered());
    }

    #[test]
    fn a_5xx_is_never_a_429_whatever_its_body() {
        let p = RetryPolicy::at_most_once();
        for (status, body) in [
            (503, r#"{"status":"fail","error":"busy","code":429}"#),
            (
                500,
                r#"{"status":"fail","error":"Too many concurrent requests"}"#,
            ),
            (502, r#"{"status":"fail","error":"x","code":401}"#),
        ] {
            let failure = response(status, body, None);
            assert!(failure.may_have_been_delivered(), "{status} {body}");
            assert!(!retries(&p, &failure), "{status} {body}");
            let Failure::Response(e) = &failure else {
                unreachable!()
            };
            assert!(!e.is_too_many_requests(), "{status} {body}");
        }
    }

    #[test]
    fn attempts_and_time_are_bounded() {
        let p = RetryPolicy::at_most_once().max_attempts(3);
        assert!(matches!(
            p.decide(&Failure::NotConnected, 2, Duration::ZERO, NOW, 0.5),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(
            p.decide(&Failure::NotConnected, 3, Duration::ZERO, NOW, 0.5),
            RetryDecision::GiveUp
        );
        assert_eq!(
            p.decide(&Failure::NotConnected, 1, Duration::from_secs(60), NOW, 0.5),
            RetryDecision::GiveUp
        );
        assert_eq!(
            RetryPolicy::never().decide(&Failure::NotConnected, 1, Duration::ZERO, NOW, 0.5),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn backoff_is_exponential_with_full_jitter_and_capped() {
        let p = RetryPolicy::at_most_once()
            .max_attempts(100)
            .max_elapsed(Duration::MAX)
            .backoff(Duration::from_millis(100), Duration::from_secs(1));
        let at = |n, j| match p.decide(&Failure::NotConnected, n, Duration::ZERO, NOW, j) {
            RetryDecision::RetryAfter(d) => d,
            RetryDecision::GiveUp => panic!("gave up"),
        };
        assert_eq!(at(1, 1.0), Duration::from_millis(100));
        assert_eq!(at(2, 1.0), Duration::from_millis(200));
        assert_eq!(at(3, 0.5), Duration::from_millis(200));
        assert_eq!(at(60, 1.0), Duration::from_secs(1));
        assert_eq!(at(1, 0.0), Duration::ZERO);
        assert_eq!(at(1, f64::NAN), Duration::from_millis(100));
        assert_eq!(at(1, -3.0), Duration::ZERO);
    }

    #[test]
    fn a_backoff_near_duration_max_does_not_panic() {
        // Found by tests/proptest_retry.rs: `mul_f64` panicked on a ceiling of Duration::MAX.
        let p = RetryPolicy::at_most_once()
            .max_elapsed(Duration::MAX)
            .backoff(Duration::MAX, Duration::MAX);
        for jitter in [0.0, 0.5, 1.0, f64::NAN] {
            let decision = p.decide(&Failure::NotConnected, 1, Duration::ZERO, NOW, jitter);
            assert!(
                matches!(decision, RetryDecision::RetryAfter(d) if d <= Duration::MAX),
                "{decision:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let p = RetryPolicy::at_most_once().max_retry_after(Duration::from_secs(10));
        assert_eq!(
            p.decide(&response(429, "", Some("3")), 1, Duration::ZERO, NOW, 0.0),
            RetryDecision::RetryAfter(Duration::from_secs(3))
        );
        assert_eq!(
            p.decide(
                &response(429, "", Some("3600")),
                1,
                Duration::ZERO,
                NOW,
                0.0
            ),
            RetryDecision::RetryAfter(Duration::from_secs(10))
        );
        // A Retry-After that would run past the time budget ends the retries.
        assert_eq!(
            p.decide(
                &response(429, "", Some("5")),
                1,
                Duration::from_secs(58),
                NOW,
                0.0
            ),
            RetryDecision::GiveUp
        );
    }
}
