//! Property tests of `Retry-After` in the retry decision: the seconds form and the HTTP-date
//! form (measured from the `now` the caller passes) give the same delay for the same moment,
//! dates already past mean "retry now", and absurd values in either form are capped alike.

use std::time::{Duration, SystemTime};

use bulletins_core::{parse_parts, Failure, RetryAfter, RetryDecision, RetryPolicy};
use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;

/// The last second HTTP dates can name: 9999-12-31T23:59:59Z.
const LAST_HTTP_DATE: u64 = 253_402_300_799;

fn too_many_requests(retry_after: &str) -> Failure {
    let mut headers = HeaderMap::new();
    headers.insert(
        RETRY_AFTER,
        HeaderValue::from_str(retry_after).expect("a header value"),
    );
    let refused = parse_parts(StatusCode::TOO_MANY_REQUESTS, &headers, b"busy");
    Failure::Response(refused.expect_err("a 429 is a failure"))
}

/// A policy whose only limit on the delay is `cap`: no time budget in the way.
fn policy(cap: Duration) -> RetryPolicy {
    RetryPolicy::at_most_once()
        .max_retry_after(cap)
        .max_elapsed(Duration::MAX)
}

fn delay(policy: &RetryPolicy, failure: &Failure, now: SystemTime) -> Duration {
    match policy.decide(failure, 1, Duration::ZERO, now, 0.5) {
        RetryDecision::RetryAfter(delay) => delay,
        RetryDecision::GiveUp => panic!("a 429 within every limit is retried"),
    }
}

fn at(unix_seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(unix_seconds)
}

fn imf_fixdate(unix_seconds: u64) -> String {
    httpdate::fmt_http_date(at(unix_seconds))
}

/// The same moment in asctime form: `Sun Nov  6 08:49:37 1994`.
fn asctime(unix_seconds: u64) -> String {
    let imf = imf_fixdate(unix_seconds); // "Sun, 06 Nov 1994 08:49:37 GMT"
    let parts: Vec<&str> = imf.split_whitespace().collect();
    let day: u32 = parts[1].parse().expect("a day");
    format!(
        "{} {} {day:>2} {} {}",
        &parts[0][..3],
        parts[2],
        parts[4],
        parts[3]
    )
}

/// The same moment in RFC 850 form, two-digit year: `Sunday, 06-Nov-94 08:49:37 GMT`.
fn rfc850(unix_seconds: u64) -> String {
    let imf = imf_fixdate(unix_seconds);
    let parts: Vec<&str> = imf.split_whitespace().collect();
    let weekday = match &parts[0][..3] {
        "Mon" => "Monday",
        "Tue" => "Tuesday",
        "Wed" => "Wednesday",
        "Thu" => "Thursday",
        "Fri" => "Friday",
        "Sat" => "Saturday",
        _ => "Sunday",
    };
    let year = &parts[3][2..];
    format!(
        "{weekday}, {}-{}-{year} {} GMT",
        parts[1], parts[2], parts[4]
    )
}

fn cap() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..=7_200).prop_map(Duration::from_secs),
        Just(Duration::ZERO),
        Just(Duration::MAX),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Seconds: the delay asked for, capped; `now` plays no part.
    #[test]
    fn seconds_are_the_delay_capped_whatever_the_time(
        seconds in prop_oneof![0u64..100_000, any::<u64>(), Just(u64::MAX)],
        now in 0u64..=LAST_HTTP_DATE,
        cap in cap(),
    ) {
        let failure = too_many_requests(&seconds.to_string());
        let expected = Duration::from_secs(seconds).min(cap);
        prop_assert_eq!(delay(&policy(cap), &failure, at(now)), expected);
    }

    /// A date: the time from `now` until it, capped; zero for a date already past, however
    /// far past. Sub-second parts of `now` count.
    #[test]
    fn a_date_is_the_time_until_it_capped_and_zero_once_past(
        date in 0u64..=LAST_HTTP_DATE,
        now in 0u64..=LAST_HTTP_DATE,
        now_nanos in 0u32..1_000_000_000,
        cap in cap(),
    ) {
        let failure = too_many_requests(&imf_fixdate(date));
        let now_time = at(now) + Duration::from_nanos(u64::from(now_nanos));
        let until = if date > now {
            Duration::from_secs(date - now) - Duration::from_nanos(u64::from(now_nanos))
        } else {
            Duration::ZERO
        };
        prop_assert_eq!(delay(&policy(cap), &failure, now_time), until.min(cap));
    }

    /// The same moment asked for either way gives the same decision, the absurdly distant
    /// ones included (both capped alike).
    #[test]
    fn both_forms_of_the_same_moment_decide_alike(
        now in 0u64..=LAST_HTTP_DATE / 2,
        wait in prop_oneof![0u64..3_600, 0u64..=LAST_HTTP_DATE / 2],
        cap in cap(),
    ) {
        let policy = policy(cap);
        let seconds = delay(&policy, &too_many_requests(&wait.to_string()), at(now));
        let date = delay(&policy, &too_many_requests(&imf_fixdate(now + wait)), at(now));
        prop_assert_eq!(seconds, date);
    }

    /// RFC 9110's obsolete date forms, which recipients must accept, name the same moment.
    #[test]
    fn the_obsolete_date_forms_are_read_alike(
        // RFC 850's two-digit years are read as 1970–2069.
        date in 0u64..3_155_760_000,
    ) {
        let expected = Some(RetryAfter::At(at(date)));
        prop_assert_eq!(RetryAfter::parse(imf_fixdate(date).as_bytes()), expected);
        prop_assert_eq!(RetryAfter::parse(asctime(date).as_bytes()), expected, "{}", asctime(date));
        prop_assert_eq!(RetryAfter::parse(rfc850(date).as_bytes()), expected, "{}", rfc850(date));
    }

    /// A date past the time budget ends the retries, as seconds past it do.
    #[test]
    fn a_date_past_the_time_budget_gives_up(
        now in 0u64..=LAST_HTTP_DATE / 2,
        budget in 0u64..3_600,
        beyond in 1u64..3_600,
    ) {
        let policy = RetryPolicy::at_most_once()
            .max_retry_after(Duration::MAX)
            .max_elapsed(Duration::from_secs(budget));
        let failure = too_many_requests(&imf_fixdate(now + budget + beyond));
        prop_assert_eq!(
            policy.decide(&failure, 1, Duration::ZERO, at(now), 0.5),
            RetryDecision::GiveUp
        );
    }
}

#[test]
fn the_documented_default_caps_the_farthest_date_at_30_seconds() {
    let failure = too_many_requests("Fri, 31 Dec 9999 23:59:59 GMT");
    let decision = RetryPolicy::at_most_once().decide(&failure, 1, Duration::ZERO, at(0), 0.5);
    assert_eq!(decision, RetryDecision::RetryAfter(Duration::from_secs(30)));
}
