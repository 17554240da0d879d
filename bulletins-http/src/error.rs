//! What a trigger can end in, other than success, and whether the bulletin may have gone out.

use std::time::Duration;

use bulletins_core::{ApiError, BuildError, Failure, NotDelivered, Outcome, ResponseError};
use http::StatusCode;

/// A transport error's underlying cause (a `reqwest::Error`, boxed so that this crate's API does
/// not pin reqwest's version).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a bulletin was not (certainly) raised.
///
/// Every variant says how many attempts were made and whether the bulletin **may have been
/// delivered** ([`Error::may_have_been_delivered`]): CleverTap has no idempotency key, so when
/// it may have been, triggering it again may notify users twice.
///
/// None of these errors ever contains the passcode.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bulletin breaks one of CleverTap's rules; nothing was sent.
    #[error("the bulletin was not sent because it is invalid: {0}")]
    Invalid(#[source] Box<BuildError>),

    /// CleverTap answered with a failure in its own shape (an HTTP error status, or a 200 whose
    /// body says `"status":"fail"`).
    #[error("{error} (after {attempts} attempt{s})", s = plural(*attempts))]
    Api {
        /// CleverTap's failure: its classified kind, HTTP status, `code` and message.
        error: Box<ApiError>,
        /// Attempts made, the first included.
        attempts: u32,
        /// Whether this or an earlier attempt may have raised the bulletin.
        may_have_been_delivered: bool,
    },

    /// An answer came back that is not CleverTap's JSON (a proxy's error page, a truncated or
    /// oversized body).
    #[error("CleverTap answered HTTP {} with a body that is not its JSON ({reason}) after {attempts} attempt{s}{maybe}: {body:?}",
        status.as_u16(), s = plural(*attempts), maybe = maybe_sent(*may_have_been_delivered))]
    Undecodable {
        /// The HTTP status.
        status: StatusCode,
        /// What was wrong with the body.
        reason: &'static str,
        /// The start of the body (at most
        /// [`MAX_KEPT_BODY_BYTES`](crate::protocol::MAX_KEPT_BODY_BYTES), lossily decoded).
        body: Box<str>,
        /// Attempts made, the first included.
        attempts: u32,
        /// Whether this or an earlier attempt may have raised the bulletin.
        may_have_been_delivered: bool,
    },

    /// The connection could not be made, or was lost before an answer came.
    #[error("{} after {attempts} attempt{s}{maybe}: {source}", kind.describe(),
        s = plural(*attempts), maybe = maybe_sent(*may_have_been_delivered))]
    Transport {
        /// Which: never connected, or lost after sending.
        kind: TransportKind,
        /// The HTTP stack's error.
        #[source]
        source: BoxError,
        /// Attempts made, the first included.
        attempts: u32,
        /// Whether this or an earlier attempt may have raised the bulletin.
        may_have_been_delivered: bool,
    },

    /// The [`Limiter`](crate::Limiter) could not hand out a slot (a shared limiter's store,
    /// such as Redis, is unreachable): the attempt was not made. When no earlier attempt was,
    /// the bulletin certainly was not delivered and may be triggered again.
    #[error("could not take a concurrency slot, so the attempt was not sent (after {attempts} attempt{s} made){maybe}: {source}",
        s = plural(*attempts), maybe = maybe_sent(*may_have_been_delivered))]
    Limiter {
        /// The limiter's error.
        #[source]
        source: BoxError,
        /// Attempts made before this one, which was not.
        attempts: u32,
        /// Whether an earlier attempt may have raised the bulletin.
        may_have_been_delivered: bool,
    },

    /// A batch's worker tasks ended before this bulletin's result was known (a [`Limiter`]
    /// panicked while giving a permit back, or the runtime is shutting down).
    /// [`Client::trigger_stream`](crate::Client::trigger_stream) still yields one result per
    /// bulletin: this one, for those it could not deliver.
    ///
    /// [`Limiter`]: crate::Limiter
    #[error("the batch's workers ended before this bulletin's result was known{maybe}",
        maybe = maybe_sent(*may_have_been_delivered))]
    Abandoned {
        /// Whether its delivery had started: `false` for a bulletin that was never sent.
        may_have_been_delivered: bool,
    },

    /// No answer came within the per-attempt timeout after the request was sent.
    #[error("CleverTap did not answer within {timeout:?} after {attempts} attempt{s}; the bulletin may have been delivered, so check before triggering it again, or raise the timeout", s = plural(*attempts))]
    Timeout {
        /// The per-attempt timeout.
        timeout: Duration,
        /// Attempts made, the first included.
        attempts: u32,
    },
}

/// How a connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// No connection could be made (refused, DNS, TLS, connect timeout): nothing was sent.
    NotConnected,
    /// The connection failed after the request was (perhaps partly) sent, with no answer.
    ConnectionLost,
}

impl TransportKind {
    fn describe(self) -> &'static str {
        match self {
            TransportKind::NotConnected => "could not connect to CleverTap (check the network, the region or base URL, and any proxy)",
            TransportKind::ConnectionLost => "the connection to CleverTap was lost before it answered",
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn maybe_sent(may_have_been_delivered: bool) -> &'static str {
    if may_have_been_delivered {
        "; the bulletin may have been delivered, so check before triggering it again"
    } else {
        "; the bulletin was not delivered, so it is safe to trigger it again"
    }
}

impl Error {
    /// Whether CleverTap may have raised the bulletin despite this error: `false` means it
    /// certainly did not (invalid input, no connection, a 429, a 4xx, a 2xx whose body says
    /// `"status":"fail"`), so triggering it again cannot notify anyone twice. A 5xx may have
    /// been delivered whatever its body says, and so may a 2xx that is neither CleverTap's
    /// success nor its failure.
    ///
    /// With [`Delivery::AtLeastOnce`](bulletins_core::Delivery::AtLeastOnce) this also counts
    /// earlier attempts: a timeout followed by a refused connection may have been delivered.
    pub fn may_have_been_delivered(&self) -> bool {
        match self {
            Error::Invalid(_) => false,
            Error::Api {
                may_have_been_delivered,
                ..
            }
            | Error::Undecodable {
                may_have_been_delivered,
                ..
            }
            | Error::Transport {
                may_have_been_delivered,
                ..
            }
            | Error::Limiter {
                may_have_been_delivered,
                ..
            }
            | Error::Abandoned {
                may_have_been_delivered,
            } => *may_have_been_delivered,
            Error::Timeout { .. } => true,
        }
    }

    /// What the bulletin's delivery ended in: certainly not delivered, and why (so whether it
    /// is worth sending again, and whether a person must look), or may have been delivered.
    /// One classification for every caller: the outbox's relay, the command line.
    pub fn outcome(&self) -> Outcome {
        if self.may_have_been_delivered() {
            return Outcome::MayHaveBeenDelivered;
        }
        let cause = match self {
            Error::Invalid(_) => NotDelivered::Invalid,
            Error::Api { error, .. } => return error.outcome(),
            Error::Undecodable { status, .. } => return Outcome::of_failed_answer(*status, None),
            Error::Transport {
                kind: TransportKind::NotConnected,
                ..
            } => NotDelivered::NoConnection,
            Error::Limiter { .. } => NotDelivered::NoSlot,
            Error::Abandoned { .. } => NotDelivered::NotSent,
            // A connection lost after sending, or a timeout, always may have delivered it: not
            // reached, and "perhaps" if it were.
            Error::Transport { .. } | Error::Timeout { .. } => {
                return Outcome::MayHaveBeenDelivered
            }
        };
        Outcome::NotDelivered(cause)
    }

    /// How many attempts were made: 0 when the bulletin was invalid and never sent, or when
    /// the count is not known ([`Error::Abandoned`]).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Invalid(_) | Error::Abandoned { .. } => 0,
            Error::Api { attempts, .. }
            | Error::Undecodable { attempts, .. }
            | Error::Transport { attempts, .. }
            | Error::Limiter { attempts, .. }
            | Error::Timeout { attempts, .. } => *attempts,
        }
    }

    /// CleverTap's own failure, when it reported one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api { error, .. } => Some(&**error),
            _ => None,
        }
    }

    /// The rule the bulletin broke, when it was invalid and so never sent.
    pub fn build_error(&self) -> Option<&BuildError> {
        match self {
            Error::Invalid(error) => Some(error),
            _ => None,
        }
    }

    /// The HTTP status of the last answer, when one came.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { error, .. } => Some(error.status),
            Error::Undecodable { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error for the last attempt's `failure`; `maybe_earlier` says whether an earlier
    /// attempt may already have raised the bulletin.
    pub(crate) fn from_failure(
        failure: AttemptFailure,
        attempts: u32,
        maybe_earlier: bool,
        timeout: Duration,
    ) -> Self {
        let may_have_been_delivered = maybe_earlier || failure.failure.may_have_been_delivered();
        match (failure.failure, failure.source) {
            (Failure::Response(ResponseError::Api(error)), _) => Error::Api {
                error: Box::new(error),
                attempts,
                may_have_been_delivered,
            },
            (
                Failure::Response(ResponseError::Undecodable {
                    status,
                    reason,
                    body,
                    ..
                }),
                _,
            ) => Error::Undecodable {
                status,
                reason,
                body: body.into_boxed_str(),
                attempts,
                may_have_been_delivered,
            },
            (Failure::TimedOut, _) => Error::Timeout { timeout, attempts },
            (Failure::NotConnected, source) => Error::Transport {
                kind: TransportKind::NotConnected,
                source: source.unwrap_or_else(|| "no connection".into()),
                attempts,
                may_have_been_delivered,
            },
            // `ConnectionLost`, and any failure a later core adds: treated as "perhaps sent".
            (_, source) => Error::Transport {
                kind: TransportKind::ConnectionLost,
                source: source.unwrap_or_else(|| "connection lost".into()),
                attempts,
                may_have_been_delivered: true,
            },
        }
    }
}

/// One failed attempt: the core's classification, plus the HTTP stack's error for transport
/// failures.
#[derive(Debug)]
pub(crate) struct AttemptFailure {
    pub(crate) failure: Failure,
    pub(crate) source: Option<BoxError>,
}

impl AttemptFailure {
    pub(crate) fn response(error: ResponseError) -> Self {
        Self {
            failure: Failure::Response(error),
            source: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulletins_core::parse_parts;
    use http::HeaderMap;

    fn response(status: u16, body: &str) -> AttemptFailure {
        let status = StatusCode::from_u16(status).expect("status");
        let err = parse_parts(status, &HeaderMap::new(), body.as_bytes()).expect_err("failure");
        AttemptFailure::response(err)
    }

    fn transport(failure: Failure) -> AttemptFailure {
        AttemptFailure {
            failure,
            source: Some("boom".into()),
        }
    }

    const T: Duration = Duration::from_secs(1);

    #[test]
    fn may_have_been_delivered_follows_the_core_and_earlier_attempts() {
        let e = Error::from_failure(transport(Failure::NotConnected), 2, false, T);
        assert!(!e.may_have_been_delivered());
        assert_eq!(e.attempts(), 2);
        let e = Error::from_failure(transport(Failure::NotConnected), 2, true, T);
        assert!(e.may_have_been_delivered());
        let e = Error::from_failure(transport(Failure::ConnectionLost), 1, false, T);
        assert!(e.may_have_been_delivered());
        let e = Error::from_failure(transport(Failure::TimedOut), 1, false, T);
        assert!(matches!(e, Error::Timeout { .. }) && e.may_have_been_delivered());
        let e = Error::from_failure(response(503, ""), 1, false, T);
        assert!(matches!(e, Error::Undecodable { .. }) && e.may_have_been_delivered());
        let e = Error::from_failure(
            response(
                400,
                r#"{"status":"fail","error":"Business Event Not Found"}"#,
            ),
            1,
            false,
            T,
        );
        assert!(e.api_error().is_some() && !e.may_have_been_delivered());
        assert_eq!(e.status(), Some(StatusCode::BAD_REQUEST));
        assert!(!Error::Invalid(Box::new(BuildError::EmptyName)).may_have_been_delivered());
    }

    /// Each error's outcome, and its `may_have_been_delivered` agreeing with it.
    #[track_caller]
    fn expect_outcomes(cases: Vec<(Error, Outcome)>) {
        for (error, expected) in cases {
            assert_eq!(error.outcome(), expected, "{error:?}");
            assert_eq!(
                error.outcome().may_have_been_delivered(),
                error.may_have_been_delivered(),
                "{error:?}"
            );
        }
    }

    #[test]
    fn every_error_before_an_answer_maps_onto_one_outcome() {
        use NotDelivered::*;
        let limiter = |maybe| Error::Limiter {
            source: "redis down".into(),
            attempts: 1,
            may_have_been_delivered: maybe,
        };
        expect_outcomes(vec![
            (
                Error::Invalid(Box::new(BuildError::EmptyName)),
                Outcome::NotDelivered(Invalid),
            ),
            (
                Error::from_failure(transport(Failure::NotConnected), 3, false, T),
                Outcome::NotDelivered(NoConnection),
            ),
            // An earlier attempt may have delivered it: the last one's cause does not matter.
            (
                Error::from_failure(transport(Failure::NotConnected), 3, true, T),
                Outcome::MayHaveBeenDelivered,
            ),
            (
                Error::from_failure(transport(Failure::ConnectionLost), 1, false, T),
                Outcome::MayHaveBeenDelivered,
            ),
            (
                Error::from_failure(transport(Failure::TimedOut), 1, false, T),
                Outcome::MayHaveBeenDelivered,
            ),
            (limiter(false), Outcome::NotDelivered(NoSlot)),
            (limiter(true), Outcome::MayHaveBeenDelivered),
            (
                Error::Abandoned {
                    may_have_been_delivered: false,
                },
                Outcome::NotDelivered(NotSent),
            ),
            (
                Error::Abandoned {
                    may_have_been_delivered: true,
                },
                Outcome::MayHaveBeenDelivered,
            ),
        ]);
    }

    #[test]
    fn every_answer_maps_onto_one_outcome() {
        use NotDelivered::*;
        let fail = |status, body| Error::from_failure(response(status, body), 1, false, T);
        expect_outcomes(vec![
            (fail(429, ""), Outcome::NotDelivered(TooManyRequests)),
            (
                fail(200, r#"{"status":"fail","error":"busy","code":429}"#),
                Outcome::NotDelivered(TooManyRequests),
            ),
            (fail(401, ""), Outcome::NotDelivered(Credentials)),
            (
                fail(403, r#"{"status":"fail","error":"Not allowed"}"#),
                Outcome::NotDelivered(Credentials),
            ),
            (
                fail(
                    200,
                    r#"{"status":"fail","error":"Account ID is not valid","code":401}"#,
                ),
                Outcome::NotDelivered(Credentials),
            ),
            (
                fail(
                    400,
                    r#"{"status":"fail","error":"Business Event Not Found"}"#,
                ),
                Outcome::NotDelivered(Refused),
            ),
            (fail(400, "<html>"), Outcome::NotDelivered(Refused)),
            (fail(503, ""), Outcome::MayHaveBeenDelivered),
            (fail(200, "not json"), Outcome::MayHaveBeenDelivered),
        ]);
    }

    /// `trigger_all` keeps one `Result` per input: the rare large variants (CleverTap's
    /// failure, an invalid bulletin, a body that was not its JSON) are boxed so that every
    /// `Result` stays five words (it was 13).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_result_is_five_words() {
        let size = std::mem::size_of::<Result<bulletins_core::Triggered, Error>>();
        assert!(size <= 40, "Result<Triggered, Error> is {size} bytes");
    }

    #[test]
    fn messages_say_what_happened_and_what_to_do() {
        let e = Error::from_failure(transport(Failure::NotConnected), 1, false, T);
        let text = e.to_string();
        assert!(text.starts_with("could not connect"), "{text}");
        assert!(text.contains("after 1 attempt;"), "{text}");
        assert!(text.contains("safe to trigger it again"), "{text}");
        let e = Error::from_failure(transport(Failure::ConnectionLost), 3, false, T);
        assert!(e.to_string().contains("may have been delivered"), "{e}");
        assert!(e.to_string().contains("after 3 attempts"), "{e}");
    }
}
