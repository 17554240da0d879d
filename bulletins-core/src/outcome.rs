//! What a delivery ended in: delivered, certainly not delivered, or perhaps delivered. One
//! classification, so that a client, an outbox, a command line and an inspector say the same.
//!
//! CleverTap documents no idempotency key: what may have been delivered must not be sent again
//! without a person's decision, and what certainly was not may be, at no risk of a duplicate.

use std::time::Duration;

use http::StatusCode;

use crate::response::{ApiError, ApiErrorKind, ResponseError, Triggered};
use crate::retry::{Failure, RetryPolicy};

/// What one bulletin's delivery ended in, from the sender's side.
///
/// ```
/// use std::time::Duration;
/// use bulletins_core::{Failure, NotDelivered, Outcome, RetryPolicy};
///
/// let outcome = Failure::NotConnected.outcome();
/// assert_eq!(outcome, Outcome::NotDelivered(NotDelivered::NoConnection));
/// assert!(!outcome.needs_person());
/// let policy = RetryPolicy::never().backoff(Duration::from_secs(1), Duration::from_secs(300));
/// assert_eq!(outcome.retry_later(&policy, 3, 1.0), Some(Duration::from_secs(4)));
///
/// let outcome = Failure::TimedOut.outcome();
/// assert!(outcome.may_have_been_delivered() && outcome.needs_person());
/// assert_eq!(outcome.retry_later(&policy, 3, 1.0), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// CleverTap accepted it.
    Delivered(Triggered),
    /// It certainly was not delivered, for the reason given: sending it again cannot notify
    /// anyone twice.
    NotDelivered(NotDelivered),
    /// It may have been delivered (a timeout or a connection lost after sending, a 5xx, a 2xx
    /// that is neither CleverTap's success nor its failure): sending it again may notify users
    /// twice, so a person should check first.
    MayHaveBeenDelivered,
}

/// Why a bulletin certainly was not delivered, and so what makes sending it again succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotDelivered {
    /// No connection could be made: the request never left. Passes on its own, or once the
    /// network, region or base URL is fixed.
    NoConnection,
    /// CleverTap refused it for the account's concurrency (HTTP 429, or a 2xx
    /// `"status":"fail"` body with code 429). Passes on its own.
    TooManyRequests,
    /// No concurrency slot could be taken (a shared limiter's store, such as Redis, is
    /// unreachable): the request never left. The set-up must be fixed; the bulletin is fine.
    NoSlot,
    /// The request never left for another reason (the workers of its batch ended first).
    NotSent,
    /// CleverTap refused the account id or passcode (HTTP 401 or 403, or code 401 in a
    /// refusal): every bulletin fails alike until the credentials are fixed; the bulletin is
    /// fine.
    Credentials,
    /// The bulletin breaks a rule and was never sent: final, fix the input.
    Invalid,
    /// CleverTap refused the bulletin itself (another 4xx, or a 2xx `"status":"fail"`): final,
    /// fix the input or the dashboard.
    Refused,
}

impl NotDelivered {
    /// Whether the same bulletin, unchanged, may be delivered later: every cause but an
    /// invalid or refused bulletin.
    pub fn is_worth_retrying(self) -> bool {
        !matches!(self, NotDelivered::Invalid | NotDelivered::Refused)
    }

    /// Whether it passes without anyone doing anything (no connection, a 429, a batch that
    /// ended). The other causes need a person: the set-up (limiter, credentials) or the input.
    pub fn passes_on_its_own(self) -> bool {
        matches!(
            self,
            NotDelivered::NoConnection | NotDelivered::TooManyRequests | NotDelivered::NotSent
        )
    }

    /// What happened, in a few words.
    pub fn reason(self) -> &'static str {
        match self {
            NotDelivered::NoConnection => "no connection to CleverTap could be made",
            NotDelivered::TooManyRequests => "CleverTap answered 429 (too many requests)",
            NotDelivered::NoSlot => {
                "no concurrency slot could be taken (is the limiter's Redis reachable?)"
            }
            NotDelivered::NotSent => "the request was never sent",
            NotDelivered::Credentials => "CleverTap refused the credentials",
            NotDelivered::Invalid => "the bulletin is invalid",
            NotDelivered::Refused => "CleverTap refused the bulletin",
        }
    }

    /// What to do about it, in one sentence.
    pub fn hint(self) -> &'static str {
        match self {
            NotDelivered::NoConnection => "check the network, the region or base URL and any proxy, then send it again",
            NotDelivered::TooManyRequests => "send it again later, or lower the concurrency",
            NotDelivered::NoSlot => "make the limiter's store reachable, then send it again",
            NotDelivered::NotSent => "send it again",
            NotDelivered::Credentials => "check the account id and passcode, and that the region matches the account, then send it again",
            NotDelivered::Invalid | NotDelivered::Refused => "fix the cause, then send it again",
        }
    }
}

impl Outcome {
    /// The outcome of an answer that is not a success: `api` is CleverTap's failure when the
    /// body was in its shape, `None` when it was not its JSON.
    ///
    /// The HTTP status decides first: a 5xx may have been delivered whatever its body says; a
    /// 429 (or CleverTap's own 429 refusal in a 2xx) certainly was not; a 2xx body that is not
    /// CleverTap's failure may have been delivered. Then 401, 403 or code 401 are the
    /// credentials, and anything else refused the bulletin itself.
    pub fn of_failed_answer(status: StatusCode, api: Option<&ApiErrorKind>) -> Outcome {
        let cause = if status.is_server_error() {
            return Outcome::MayHaveBeenDelivered;
        } else if status == StatusCode::TOO_MANY_REQUESTS
            || api == Some(&ApiErrorKind::TooManyRequests)
        {
            NotDelivered::TooManyRequests
        } else if status.is_success() && api.is_none() {
            return Outcome::MayHaveBeenDelivered;
        } else if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
            || api == Some(&ApiErrorKind::InvalidCredentials)
        {
            NotDelivered::Credentials
        } else {
            NotDelivered::Refused
        };
        Outcome::NotDelivered(cause)
    }

    /// Whether CleverTap accepted it.
    pub fn is_delivered(&self) -> bool {
        matches!(self, Outcome::Delivered(_))
    }

    /// Whether it may have been delivered, so that sending it again may notify users twice.
    pub fn may_have_been_delivered(&self) -> bool {
        matches!(self, Outcome::MayHaveBeenDelivered)
    }

    /// Why it certainly was not delivered, when it certainly was not.
    pub fn not_delivered(&self) -> Option<NotDelivered> {
        match self {
            Outcome::NotDelivered(cause) => Some(*cause),
            _ => None,
        }
    }

    /// Whether a person must look: it may have been delivered, or it was not for a cause that
    /// does not pass on its own.
    pub fn needs_person(&self) -> bool {
        match self {
            Outcome::Delivered(_) => false,
            Outcome::NotDelivered(cause) => !cause.passes_on_its_own(),
            Outcome::MayHaveBeenDelivered => true,
        }
    }

    /// When the same bulletin should be sent again, if it should: after `policy`'s backoff
    /// for `attempts_made` ([`RetryPolicy::backoff_after`]) when it certainly was not
    /// delivered and is worth retrying; `None` when it was delivered, may have been, or is
    /// final. The policy's attempt and time limits are the caller's to apply.
    pub fn retry_later(
        &self,
        policy: &RetryPolicy,
        attempts_made: u32,
        jitter: f64,
    ) -> Option<Duration> {
        match self {
            Outcome::NotDelivered(cause) if cause.is_worth_retrying() => {
                Some(policy.backoff_after(attempts_made, jitter))
            }
            _ => None,
        }
    }

    /// `delivered`, `not_delivered` or `uncertain`: the outcome's name in machine-readable
    /// output.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Delivered(_) => "delivered",
            Outcome::NotDelivered(_) => "not_delivered",
            Outcome::MayHaveBeenDelivered => "uncertain",
        }
    }
}

impl From<Triggered> for Outcome {
    fn from(triggered: Triggered) -> Self {
        Outcome::Delivered(triggered)
    }
}

impl ApiError {
    /// What this failure means for the bulletin ([`Outcome::of_failed_answer`]).
    pub fn outcome(&self) -> Outcome {
        Outcome::of_failed_answer(self.status, Some(&self.kind))
    }
}

impl ResponseError {
    /// What this answer means for the bulletin ([`Outcome::of_failed_answer`]).
    pub fn outcome(&self) -> Outcome {
        match self {
            ResponseError::Api(error) => error.outcome(),
            ResponseError::Undecodable { status, .. } => Outcome::of_failed_answer(*status, None),
        }
    }
}

impl Failure {
    /// What this attempt's failure means for the bulletin: no connection certainly delivered
    /// nothing; a timeout or a connection lost after sending may have delivered it; an answer
    /// as [`ResponseError::outcome`].
    pub fn outcome(&self) -> Outcome {
        match self {
            Failure::NotConnected => Outcome::NotDelivered(NotDelivered::NoConnection),
            Failure::TimedOut | Failure::ConnectionLost => Outcome::MayHaveBeenDelivered,
            Failure::Response(response) => response.outcome(),
        }
    }
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
