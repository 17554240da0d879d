//! Every kind of failure against RELIABILITY.md's fault matrix and "answers whose body
//! contradicts their status": what each one means for the bulletin.

use super::*;
use crate::response::parse_parts;
use http::HeaderMap;

use NotDelivered::*;

fn answer(status: u16, body: &str) -> Outcome {
    let status = StatusCode::from_u16(status).expect("status");
    match parse_parts(status, &HeaderMap::new(), body.as_bytes()) {
        Ok(triggered) => Outcome::from(triggered),
        Err(error) => {
            let failure = Failure::Response(error);
            // The per-attempt rule and the outcome are one rule.
            assert_eq!(
                failure.may_have_been_delivered(),
                failure.outcome().may_have_been_delivered(),
                "{status} {body}"
            );
            failure.outcome()
        }
    }
}

const MAYBE: Outcome = Outcome::MayHaveBeenDelivered;

#[test]
fn transport_failures() {
    assert_eq!(
        Failure::NotConnected.outcome(),
        Outcome::NotDelivered(NoConnection)
    );
    assert_eq!(Failure::TimedOut.outcome(), MAYBE);
    assert_eq!(Failure::ConnectionLost.outcome(), MAYBE);
}

/// CleverTap's failure body.
fn fail(error: &str, code: i64) -> String {
    format!(r#"{{"status":"fail","error":"{error}","code":{code}}}"#)
}

#[track_caller]
fn expect(rows: &[(u16, String, Outcome)]) {
    for (status, body, expected) in rows {
        assert_eq!(answer(*status, body), *expected, "{status} {body}");
    }
}

#[test]
fn success_and_server_errors() {
    expect(&[
        (
            200,
            r#"{"status":"success","targets":2}"#.to_owned(),
            Outcome::Delivered(Triggered { targets: 2 }),
        ),
        // 5xx, in CleverTap's shape, a proxy's page or none: perhaps processed.
        (500, fail("Internal error", 500), MAYBE),
        (502, "<html>bad gateway</html>".to_owned(), MAYBE),
        (
            503,
            fail("The system is unavailable. Try again later.", 503),
            MAYBE,
        ),
    ]);
}

#[test]
fn concurrency_and_credentials_refusals_in_any_shape() {
    let too_many = Outcome::NotDelivered(TooManyRequests);
    let credentials = Outcome::NotDelivered(Credentials);
    expect(&[
        // Concurrency: certainly not processed, in any shape but a 5xx.
        (429, fail("Too many concurrent requests", 429), too_many),
        (429, String::new(), too_many),
        (200, fail("Too many concurrent requests", 429), too_many),
        // Credentials, whatever the shape.
        (401, fail("Account ID is not valid", 401), credentials),
        (401, "<html>".to_owned(), credentials),
        (403, fail("Not allowed", 403), credentials),
        (200, fail("Account ID is not valid", 401), credentials),
    ]);
}

#[test]
fn refusals_of_the_bulletin_itself() {
    let refused = Outcome::NotDelivered(Refused);
    expect(&[
        (400, fail("Business Event Not Found", 400), refused),
        (400, fail("Property product_category missing", 400), refused),
        (
            400,
            fail(r#"\"when\" has an incorrect value - null"#, 400),
            refused,
        ),
        (400, fail("Something", 9), refused),
        (404, "not found".to_owned(), refused),
        (413, fail("Request body is too large", 413), refused),
        (200, fail("Something", 9), refused),
    ]);
}

#[test]
fn a_2xx_that_is_neither_success_nor_failure_may_have_been_delivered() {
    expect(&[
        (200, "not json".to_owned(), MAYBE),
        (200, r#"{"status":"partial","targets":1}"#.to_owned(), MAYBE),
        (200, r#"{"status":"Success","targets":1}"#.to_owned(), MAYBE),
        (
            200,
            r#"{"error":"Something","targets":1}"#.to_owned(),
            MAYBE,
        ),
        (200, r#"{"status":"success"}"#.to_owned(), MAYBE),
    ]);
}

#[test]
fn a_5xx_may_have_been_delivered_whatever_its_body() {
    for (status, body) in [
        (503, r#"{"status":"fail","error":"busy","code":429}"#),
        (
            500,
            r#"{"status":"fail","error":"Too many concurrent requests"}"#,
        ),
        (502, r#"{"status":"fail","error":"x","code":401}"#),
    ] {
        assert_eq!(answer(status, body), MAYBE, "{status} {body}");
    }
}

#[test]
fn an_oversized_answer_may_have_been_delivered() {
    let error = crate::oversized_body(StatusCode::OK, &HeaderMap::new(), b"{", "too large");
    assert_eq!(error.outcome(), MAYBE);
    let error = crate::oversized_body(
        StatusCode::BAD_REQUEST,
        &HeaderMap::new(),
        b"{",
        "too large",
    );
    assert_eq!(error.outcome(), Outcome::NotDelivered(Refused));
}

#[test]
fn who_must_look_and_what_is_retried() {
    let policy = RetryPolicy::never().backoff(Duration::from_secs(1), Duration::from_secs(300));
    for (cause, on_its_own, worth_retrying) in [
        (NoConnection, true, true),
        (TooManyRequests, true, true),
        (NotSent, true, true),
        (NoSlot, false, true),
        (Credentials, false, true),
        (Invalid, false, false),
        (Refused, false, false),
    ] {
        let outcome = Outcome::NotDelivered(cause);
        assert_eq!(cause.passes_on_its_own(), on_its_own, "{cause:?}");
        assert_eq!(outcome.needs_person(), !on_its_own, "{cause:?}");
        assert_eq!(cause.is_worth_retrying(), worth_retrying, "{cause:?}");
        assert_eq!(
            outcome.retry_later(&policy, 1, 1.0),
            worth_retrying.then_some(Duration::from_secs(1)),
            "{cause:?}"
        );
        assert_eq!(outcome.not_delivered(), Some(cause));
        assert_eq!(outcome.as_str(), "not_delivered");
        assert!(!cause.reason().is_empty() && !cause.hint().is_empty());
    }
    assert!(MAYBE.needs_person() && MAYBE.may_have_been_delivered());
    assert_eq!(MAYBE.retry_later(&policy, 1, 1.0), None);
    assert_eq!(MAYBE.as_str(), "uncertain");
    let delivered = Outcome::Delivered(Triggered { targets: 1 });
    assert!(delivered.is_delivered() && !delivered.needs_person());
    assert_eq!(delivered.retry_later(&policy, 1, 1.0), None);
    assert_eq!(delivered.as_str(), "delivered");
}

#[test]
fn the_suggested_backoff_doubles_up_to_its_cap() {
    let policy = RetryPolicy::never().backoff(Duration::from_secs(1), Duration::from_secs(300));
    let later = |attempts| Outcome::NotDelivered(NoConnection).retry_later(&policy, attempts, 1.0);
    assert_eq!(later(0), Some(Duration::from_secs(1)));
    assert_eq!(later(1), Some(Duration::from_secs(1)));
    assert_eq!(later(4), Some(Duration::from_secs(8)));
    assert_eq!(later(9), Some(Duration::from_secs(256)));
    assert_eq!(later(10), Some(Duration::from_secs(300)));
    assert_eq!(later(u32::MAX), Some(Duration::from_secs(300)));
}
