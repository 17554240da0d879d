//! Every emulator fault under each delivery mode, counting what the emulator recorded: at most
//! once never delivers twice, attempts are bounded, and `may_have_been_delivered` is right.

mod common;

use std::time::Duration;

use bulletins_emulator::{DeliveryStatus, Emulator, Fault};
use bulletins_http::{ApiErrorKind, Client, Error, RetryPolicy, TransportKind};
use common::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    AtMostOnce,
    AtLeastOnce,
}

const MODES: [Mode; 2] = [Mode::AtMostOnce, Mode::AtLeastOnce];

fn client_for(emulator: &Emulator, mode: Mode) -> Client {
    let policy = match mode {
        Mode::AtMostOnce => RetryPolicy::at_most_once(),
        Mode::AtLeastOnce => RetryPolicy::at_least_once(),
    };
    builder(&emulator.base_url())
        .timeout(Duration::from_millis(300))
        .retry(fast(policy))
        .build()
        .expect("client")
}

/// What the emulator saw.
#[derive(Debug, PartialEq)]
struct Seen {
    /// Requests whose bulletin reached the server (accepted or not acknowledged).
    received: usize,
    accepted: usize,
    /// Requests refused or faulted without reading the bulletin.
    rejected: usize,
}

fn seen(emulator: &Emulator) -> Seen {
    let bulletins = emulator.bulletins();
    Seen {
        received: bulletins.len(),
        accepted: bulletins
            .iter()
            .filter(|b| b.status == DeliveryStatus::Accepted)
            .count(),
        rejected: emulator.rejections().len(),
    }
}

/// Plays `fault` once before the emulator's normal answer, in each mode.
async fn once(fault: Fault, mode: Mode) -> (Result<u64, Error>, Seen) {
    let emulator = start().await;
    emulator.inject(fault, 1);
    let result = client_for(&emulator, mode)
        .trigger(&program("1"))
        .await
        .map(|t| t.targets);
    let seen = seen(&emulator);
    if mode == Mode::AtMostOnce {
        assert!(seen.received <= 1, "at most once delivered twice: {seen:?}");
    }
    emulator.shutdown().await;
    (result, seen)
}

#[tokio::test]
async fn close_before_body() {
    for mode in MODES {
        let (result, seen) = once(Fault::CloseBeforeBody, mode).await;
        match mode {
            // The request was sent and the connection dropped: from the client's side it may
            // have been processed, so at most once reports it rather than retrying.
            Mode::AtMostOnce => {
                let e = result.expect_err("lost");
                assert!(
                    matches!(
                        e,
                        Error::Transport {
                            kind: TransportKind::ConnectionLost,
                            ..
                        }
                    ),
                    "{e:?}"
                );
                assert_eq!(e.attempts(), 1);
                assert!(e.may_have_been_delivered());
                assert_eq!(
                    seen,
                    Seen {
                        received: 0,
                        accepted: 0,
                        rejected: 1
                    }
                );
            }
            Mode::AtLeastOnce => {
                assert_eq!(result.expect("retried"), 1);
                assert_eq!(
                    seen,
                    Seen {
                        received: 1,
                        accepted: 1,
                        rejected: 1
                    }
                );
            }
        }
    }
}

#[tokio::test]
async fn close_after_body() {
    for mode in MODES {
        let (result, seen) = once(Fault::CloseAfterBody, mode).await;
        match mode {
            Mode::AtMostOnce => {
                let e = result.expect_err("lost");
                assert!(
                    matches!(
                        e,
                        Error::Transport {
                            kind: TransportKind::ConnectionLost,
                            ..
                        }
                    ),
                    "{e:?}"
                );
                assert_eq!(e.attempts(), 1);
                assert!(e.may_have_been_delivered());
                assert_eq!(
                    seen,
                    Seen {
                        received: 1,
                        accepted: 0,
                        rejected: 0
                    }
                );
            }
            // The promised duplicate: received once unacknowledged, then accepted.
            Mode::AtLeastOnce => {
                assert_eq!(result.expect("retried"), 1);
                assert_eq!(
                    seen,
                    Seen {
                        received: 2,
                        accepted: 1,
                        rejected: 0
                    }
                );
            }
        }
    }
}

#[tokio::test]
async fn no_answer_within_the_timeout() {
    for mode in MODES {
        let (result, seen) = once(Fault::Delay(Duration::from_secs(2)), mode).await;
        match mode {
            Mode::AtMostOnce => {
                let e = result.expect_err("timed out");
                assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
                assert_eq!(e.attempts(), 1);
                assert!(e.may_have_been_delivered());
                assert_eq!(seen.received, 1);
            }
            Mode::AtLeastOnce => {
                assert_eq!(result.expect("retried"), 1);
                assert_eq!(seen.received, 2);
            }
        }
    }
}

#[tokio::test]
async fn a_delay_within_the_timeout_is_just_slow() {
    for mode in MODES {
        let (result, seen) = once(Fault::Delay(Duration::from_millis(50)), mode).await;
        assert_eq!(result.expect("success"), 1);
        assert_eq!(
            seen,
            Seen {
                received: 1,
                accepted: 1,
                rejected: 0
            }
        );
    }
}

#[tokio::test]
async fn service_unavailable() {
    for mode in MODES {
        let (result, seen) = once(Fault::status(503), mode).await;
        match mode {
            Mode::AtMostOnce => {
                let e = result.expect_err("503");
                assert_eq!(
                    e.api_error().map(|a| a.kind.clone()),
                    Some(ApiErrorKind::ServerUnavailable)
                );
                assert_eq!(e.attempts(), 1);
                assert!(e.may_have_been_delivered());
                assert_eq!(
                    seen,
                    Seen {
                        received: 0,
                        accepted: 0,
                        rejected: 1
                    }
                );
            }
            Mode::AtLeastOnce => {
                assert_eq!(result.expect("retried"), 1);
                assert_eq!(
                    seen,
                    Seen {
                        received: 1,
                        accepted: 1,
                        rejected: 1
                    }
                );
            }
        }
    }
}

#[tokio::test]
async fn a_proxy_error_page() {
    for mode in MODES {
        let fault = Fault::Status {
            status: 502,
            body: Some("<html>Bad Gateway</html>".into()),
        };
        let (result, seen) = once(fault, mode).await;
        match mode {
            Mode::AtMostOnce => {
                let e = result.expect_err("502");
                assert!(matches!(e, Error::Undecodable { .. }), "{e:?}");
                assert_eq!(e.status().map(|s| s.as_u16()), Some(502));
                assert!(e.may_have_been_delivered());
                assert_eq!(e.attempts(), 1);
            }
            Mode::AtLeastOnce => {
                assert_eq!(result.expect("retried"), 1);
                assert_eq!(seen.accepted, 1);
            }
        }
    }
}

#[tokio::test]
async fn too_many_requests_is_retried_in_both_modes() {
    for mode in MODES {
        for fault in [
            Fault::too_many_requests(),
            Fault::TooManyRequests {
                retry_after: Some(1), // cut to 20 ms by the policy
            },
        ] {
            let (result, seen) = once(fault, mode).await;
            assert_eq!(result.expect("retried"), 1);
            assert_eq!(
                seen,
                Seen {
                    received: 1,
                    accepted: 1,
                    rejected: 1
                }
            );
        }
    }
}

#[tokio::test]
async fn too_many_requests_gives_up_after_the_attempts_allowed() {
    for mode in MODES {
        let emulator = start().await;
        emulator.inject(Fault::too_many_requests(), 10);
        let e = client_for(&emulator, mode)
            .trigger(&program("1"))
            .await
            .expect_err("429");
        assert_eq!(
            e.api_error().map(|a| a.kind.clone()),
            Some(ApiErrorKind::TooManyRequests)
        );
        assert_eq!(e.attempts(), 3);
        assert!(!e.may_have_been_delivered());
        assert_eq!(
            seen(&emulator),
            Seen {
                received: 0,
                accepted: 0,
                rejected: 3
            }
        );
    }
}

#[tokio::test]
async fn failure_in_a_200() {
    for mode in MODES {
        let fault = Fault::FailBody200 {
            error: "Invalid payload".into(),
            code: 9,
        };
        let (result, seen) = once(fault, mode).await;
        let e = result.expect_err("fail");
        assert_eq!(e.attempts(), 1);
        assert!(!e.may_have_been_delivered());
        assert_eq!(
            seen,
            Seen {
                received: 0,
                accepted: 0,
                rejected: 1
            }
        );
    }
}

#[tokio::test]
async fn a_200_whose_body_is_not_json_is_never_retried() {
    for mode in MODES {
        let (result, seen) = once(Fault::MalformedBody, mode).await;
        let e = result.expect_err("undecodable");
        assert!(matches!(e, Error::Undecodable { .. }), "{e:?}");
        assert_eq!(e.attempts(), 1);
        assert!(e.may_have_been_delivered());
        assert_eq!(
            seen,
            Seen {
                received: 1,
                accepted: 0,
                rejected: 0
            }
        );
    }
}

#[tokio::test]
async fn an_oversized_answer_is_not_read_past_the_cap() {
    for mode in MODES {
        let (result, seen) = once(Fault::OversizedBody, mode).await;
        let e = result.expect_err("oversized");
        match &e {
            Error::Undecodable { reason, body, .. } => {
                assert!(reason.contains("64 KiB"), "{reason}");
                assert!(body.len() <= bulletins_http::protocol::MAX_KEPT_BODY_BYTES);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(e.attempts(), 1);
        assert!(e.may_have_been_delivered());
        assert_eq!(seen.received, 1);
    }
}

#[tokio::test]
async fn nothing_listening() {
    for mode in MODES {
        let policy = match mode {
            Mode::AtMostOnce => RetryPolicy::at_most_once(),
            Mode::AtLeastOnce => RetryPolicy::at_least_once(),
        };
        let client = builder(&dead_base_url())
            .retry(fast(policy))
            .build()
            .expect("client");
        let e = client.trigger(&program("1")).await.expect_err("refused");
        assert!(
            matches!(
                e,
                Error::Transport {
                    kind: TransportKind::NotConnected,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.attempts(),
            3,
            "a refused connection is retried, up to the limit"
        );
        assert!(!e.may_have_been_delivered());
        assert!(e.to_string().contains("safe to trigger it again"), "{e}");
    }
}

#[tokio::test]
async fn at_least_once_remembers_an_earlier_attempt_may_have_delivered() {
    let emulator = start().await;
    // A lost connection after the body, then 429s until the attempts run out.
    emulator.inject(Fault::CloseAfterBody, 1);
    emulator.inject(Fault::too_many_requests(), 2);
    let e = client_for(&emulator, Mode::AtLeastOnce)
        .trigger(&program("1"))
        .await
        .expect_err("429");
    assert_eq!(e.attempts(), 3);
    assert!(
        e.may_have_been_delivered(),
        "the first attempt reached the server: {e}"
    );
    assert_eq!(
        seen(&emulator),
        Seen {
            received: 1,
            accepted: 0,
            rejected: 2
        }
    );
}
