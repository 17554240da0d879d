//! Property tests of the retry decision: whatever the sequence of failures, attempt counts,
//! elapsed times, jitter and policy settings, at most once never retries a failure that may have
//! been delivered, attempts never exceed the limit, delays stay within their caps and the time
//! budget, and nothing panics.

use std::time::{Duration, SystemTime};

use bulletins_core::{parse_parts, Delivery, Failure, RetryDecision, RetryPolicy};
use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;

/// The wall-clock time passed to the decision; only `Retry-After` dates are measured against it
/// (proptest_retry_after.rs varies it).
const NOW: SystemTime = SystemTime::UNIX_EPOCH;

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        4 => (0u64..5_000).prop_map(Duration::from_millis),
        1 => (0u64..=u64::MAX, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        1 => Just(Duration::MAX),
        1 => Just(Duration::ZERO),
    ]
}

fn jitter() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.0f64..1.0,
        1 => any::<f64>(),
        1 => prop::sample::select(vec![0.0, 1.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, f64::MIN_POSITIVE]),
    ]
}

fn response(status: u16, body: &str, retry_after: Option<u64>) -> Failure {
    let mut headers = HeaderMap::new();
    if let Some(seconds) = retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    let status = StatusCode::from_u16(status).expect("valid status");
    Failure::Response(parse_parts(status, &headers, body.as_bytes()).expect_err("a failure"))
}

fn failure() -> impl Strategy<Value = Failure> {
    let bodies = prop::sample::select(vec![
        "",
        "<html>Bad Gateway</html>",
        r#"{"status":"fail","error":"Too many concurrent requests","code":429}"#,
        r#"{"status":"fail","error":"The system is unavailable. Try again later.","code":503}"#,
        r#"{"status":"fail","error":"Business Event Not Found","code":400}"#,
        r#"{"status":"fail","error":"x","code":401}"#,
        r#"{"status":"success","targets":1}"#,
        r#"{"status":"success"}"#,
    ]);
    let retry_after = prop::option::of(prop_oneof![0u64..100, any::<u64>()]);
    prop_oneof![
        Just(Failure::NotConnected),
        Just(Failure::TimedOut),
        Just(Failure::ConnectionLost),
        (
            prop::sample::select(vec![200u16, 400, 401, 404, 429, 500, 502, 503, 504]),
            bodies,
            retry_after
        )
            .prop_filter_map("a failure", |(status, body, ra)| {
                let mut headers = HeaderMap::new();
                if let Some(seconds) = ra {
                    headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
                }
                parse_parts(
                    StatusCode::from_u16(status).ok()?,
                    &headers,
                    body.as_bytes(),
                )
                .err()
                .map(Failure::Response)
            }),
    ]
}

/// A policy anywhere in the settings space, with its time budget (which it does not expose).
fn policy() -> impl Strategy<Value = (RetryPolicy, Duration)> {
    (
        prop::bool::ANY,
        0u32..12,
        duration(),
        duration(),
        duration(),
        duration(),
    )
        .prop_map(
            |(at_least_once, attempts, initial, max, retry_after, elapsed)| {
                let delivery = if at_least_once {
                    Delivery::AtLeastOnce
                } else {
                    Delivery::AtMostOnce
                };
                let policy = RetryPolicy::at_most_once()
                    .delivery(delivery)
                    .max_attempts(attempts)
                    .backoff(initial, max)
                    .max_retry_after(retry_after)
                    .max_elapsed(elapsed);
                (policy, elapsed)
            },
        )
}

/// The ceiling a delay may reach for this failure after `attempts_made` attempts.
fn cap(
    failure: &Failure,
    initial: Duration,
    max: Duration,
    max_retry_after: Duration,
    attempts_made: u32,
) -> Duration {
    match failure {
        Failure::Response(e) if e.retry_after().is_some() => max_retry_after,
        _ => {
            let factor = 1u32
                .checked_shl(attempts_made.saturating_sub(1))
                .unwrap_or(u32::MAX);
            initial.saturating_mul(factor).min(max)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// One decision, anywhere in the input space.
    #[test]
    fn one_decision_respects_every_bound(
        at_least_once in prop::bool::ANY,
        attempts_limit in 0u32..12,
        initial in duration(),
        max in duration(),
        max_retry_after in duration(),
        max_elapsed in duration(),
        failure in failure(),
        attempts_made in prop_oneof![0u32..15, any::<u32>()],
        elapsed in duration(),
        jitter in jitter(),
    ) {
        let delivery = if at_least_once { Delivery::AtLeastOnce } else { Delivery::AtMostOnce };
        let policy = RetryPolicy::at_most_once()
            .delivery(delivery)
            .max_attempts(attempts_limit)
            .backoff(initial, max)
            .max_retry_after(max_retry_after)
            .max_elapsed(max_elapsed);
        let decision = policy.decide(&failure, attempts_made, elapsed, NOW, jitter);
        if let RetryDecision::RetryAfter(delay) = decision {
            if delivery == Delivery::AtMostOnce {
                prop_assert!(!failure.may_have_been_delivered(), "at most once retried {failure:?}");
            }
            prop_assert!(attempts_made < policy.attempts_limit());
            prop_assert!(delay <= cap(&failure, initial, max, max_retry_after, attempts_made));
            prop_assert!(elapsed.checked_add(delay).is_some_and(|end| end <= max_elapsed));
        }
        // Never retried in either mode: what CleverTap refused in its own shape (4xx, or a
        // failure body in a 200), which retrying cannot fix.
        if let Failure::Response(e) = &failure {
            if !e.is_too_many_requests() && !e.status().is_server_error() {
                prop_assert_eq!(decision, RetryDecision::GiveUp);
            }
        }
    }

    /// A whole trigger, as the client's loop runs it: each failure in the sequence is one
    /// attempt; the loop stops at the first give-up. At most once sends at most one request
    /// that may have been delivered, and only as the last attempt; attempts never exceed the
    /// limit; the time spent sleeping stays within the budget.
    #[test]
    fn a_sequence_of_attempts_stays_within_the_guarantees(
        (policy, max_elapsed) in policy(),
        failures in prop::collection::vec(failure(), 1..20),
        jitters in prop::collection::vec(jitter(), 20),
        work in prop::collection::vec(0u64..50, 20),
    ) {
        let mut elapsed = Duration::ZERO;
        let mut attempts = 0u32;
        let mut maybe_delivered = 0usize;
        for (i, failure) in failures.iter().enumerate() {
            attempts += 1;
            elapsed = elapsed.saturating_add(Duration::from_millis(work[i]));
            if failure.may_have_been_delivered() {
                maybe_delivered += 1;
            }
            match policy.decide(failure, attempts, elapsed, NOW, jitters[i]) {
                RetryDecision::RetryAfter(delay) => {
                    elapsed = elapsed.checked_add(delay).expect("a retry within the budget never overflows");
                    prop_assert!(elapsed <= max_elapsed, "slept past the time budget");
                }
                RetryDecision::GiveUp => break,
            }
        }
        prop_assert!(attempts <= policy.attempts_limit());
        if policy.delivery_mode() == Delivery::AtMostOnce {
            prop_assert!(maybe_delivered <= 1, "{maybe_delivered} attempts may have delivered");
            if maybe_delivered == 1 {
                prop_assert!(failures[attempts as usize - 1].may_have_been_delivered(), "only the last attempt may have delivered");
            }
        }
    }
}

#[test]
fn never_retry_means_one_attempt() {
    for failure in [Failure::NotConnected, response(429, "", Some(1))] {
        assert_eq!(
            RetryPolicy::never().decide(&failure, 1, Duration::ZERO, NOW, 0.5),
            RetryDecision::GiveUp
        );
    }
}
