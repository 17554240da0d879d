//! Answers whose body says one thing and whose status another, over loopback: the client never
//! calls "certainly not delivered" what may have been, and at most once never resends it.

mod common;

use bulletins_emulator::Fault;
use bulletins_http::{ApiErrorKind, Error};
use common::*;

/// Plays `status` with `body` once, then lets the emulator answer normally, so a retry would
/// succeed and show up as a second request.
async fn answer_once(status: u16, body: &str) -> (Result<u64, Error>, usize) {
    let emulator = start().await;
    emulator.inject(
        Fault::Status {
            status,
            body: Some(body.to_owned()),
        },
        1,
    );
    let result = client(&emulator)
        .trigger(&program("1"))
        .await
        .map(|t| t.targets);
    let requests = emulator.rejections().len() + emulator.bulletins().len();
    emulator.shutdown().await;
    (result, requests)
}

#[tokio::test]
async fn a_5xx_that_looks_like_a_429_is_not_sent_again() {
    for (status, body) in [
        (503, r#"{"status":"fail","error":"busy","code":429}"#),
        (
            500,
            r#"{"status":"fail","error":"Too many concurrent requests"}"#,
        ),
        (
            502,
            r#"{"status":"fail","error":"Too many concurrent requests","code":429}"#,
        ),
    ] {
        let (result, requests) = answer_once(status, body).await;
        let e = result.expect_err("a 5xx is not retried under at most once");
        assert_eq!(requests, 1, "{status} {body}: sent again");
        assert_eq!(e.attempts(), 1, "{status} {body}");
        assert!(e.may_have_been_delivered(), "{status} {body}: {e}");
        assert_eq!(
            e.api_error().map(|a| a.kind.clone()),
            Some(ApiErrorKind::ServerUnavailable),
            "{status} {body}"
        );
    }
}

#[tokio::test]
async fn a_2xx_that_is_neither_success_nor_fail_may_have_been_delivered() {
    for body in [
        r#"{"status":"partial","targets":1}"#,
        r#"{"status":"Success","targets":1}"#,
        r#"{"error":"Something","targets":1}"#,
    ] {
        let (result, requests) = answer_once(200, body).await;
        let e = result.expect_err("not CleverTap's success");
        assert!(matches!(e, Error::Undecodable { .. }), "{body}: {e:?}");
        assert!(e.may_have_been_delivered(), "{body}: {e}");
        assert_eq!((e.attempts(), requests), (1, 1), "{body}");
    }
}

#[tokio::test]
async fn a_2xx_fail_body_is_a_refusal_and_its_429_code_is_retried() {
    let (result, requests) =
        answer_once(200, r#"{"status":"fail","error":"Something","code":9}"#).await;
    let e = result.expect_err("a refusal");
    assert!(!e.may_have_been_delivered(), "{e}");
    assert_eq!((e.attempts(), requests), (1, 1));

    let (result, requests) = answer_once(
        200,
        r#"{"status":"fail","error":"Too many concurrent requests","code":429}"#,
    )
    .await;
    assert_eq!(result.expect("retried after the 429"), 1);
    assert_eq!(requests, 2);
}
