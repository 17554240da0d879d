//! The client: serialize once, then attempt, and sleep and resend while the core's retry
//! decision says so.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bulletins_core::{
    BaseUrl, Bulletin, BusinessEvent, Credentials, Failure, RetryDecision, RetryPolicy, Triggered,
};
use bytes::Bytes;
use tokio::time::Instant;
use tracing::{field, Instrument as _, Span};

use crate::builder::ClientBuilder;
use crate::error::Error;
use crate::limiter::{self, Limiter, Slot};
use crate::send;

/// A CleverTap Bulletins client: raises business events, with retries that never send a
/// bulletin twice unless you opt in, and at most [`max_concurrency`](Self::max_concurrency)
/// requests in flight.
///
/// Cheap to clone: clones share the connection pool and the concurrency cap, so share one
/// client among everything that uses the same account.
///
/// ```no_run
/// use bulletins_http::{Bulletin, Client, DynamicEvent};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::from_env()?;
/// let event = DynamicEvent::new("order_placed")?.property("order_id", "12345")?;
/// let triggered = client
///     .trigger(&Bulletin::new(event, "Order 12345", "[email protected]"))
///     .await?;
/// println!("{} bulletins sent", triggered.targets);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: BaseUrl,
    pub(crate) url: reqwest::Url,
    pub(crate) credentials: Credentials,
    pub(crate) timeout: Duration,
    pub(crate) max_concurrency: usize,
    pub(crate) retry: RetryPolicy,
    /// Hands out one permit per request in flight; shared by every clone (and, for a shared
    /// limiter, by other processes).
    pub(crate) limiter: Arc<dyn Limiter>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &inner.base_url.as_str())
            .field("credentials", &inner.credentials)
            .field("timeout", &inner.timeout)
            .field("max_concurrency", &inner.max_concurrency)
            .field("retry", &inner.retry)
            .field("limiter", &inner.limiter)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from `CLEVERTAP_ACCOUNT_ID`, `CLEVERTAP_PASSCODE`, and
    /// `CLEVERTAP_REGION` (a region code) or `CLEVERTAP_BASE_URL`, with every other setting at
    /// its default; with the `redis` feature, `CLEVERTAP_REDIS_URL` (if set) shares the cap
    /// through that Redis. See [`ClientBuilder::from_env`] to adjust them.
    ///
    /// # Errors
    /// [`BuildClientError`](crate::BuildClientError) naming the missing or malformed variable.
    pub fn from_env() -> Result<Self, crate::BuildClientError> {
        ClientBuilder::from_env()?.build()
    }

    /// Where requests go.
    pub fn base_url(&self) -> &BaseUrl {
        &self.inner.base_url
    }

    /// The account id requests are sent as.
    pub fn account_id(&self) -> &str {
        self.inner.credentials.account_id()
    }

    /// The most requests in flight at once, across this client and its clones, and with a
    /// shared [`Limiter`] across every process sharing it.
    pub fn max_concurrency(&self) -> usize {
        self.inner.max_concurrency
    }

    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// When failed attempts are retried.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// Raises the bulletin's business event.
    ///
    /// The bulletin is validated and serialized once; each attempt sends the same bytes. A
    /// failed attempt is retried only as the [`RetryPolicy`] allows: by default only when the
    /// request certainly was not processed (no connection, 429), so the bulletin is never sent
    /// twice. Waiting for a concurrency slot does not count against the timeout.
    ///
    /// Runs in a `bulletins.trigger` span recording the event's name, the attempts, the last
    /// HTTP status, the targets and the latency.
    ///
    /// # Errors
    /// [`Error`], which says whether the bulletin [may have been
    /// delivered](Error::may_have_been_delivered).
    pub async fn trigger<E: BusinessEvent>(
        &self,
        bulletin: &Bulletin<E>,
    ) -> Result<Triggered, Error> {
        let span = tracing::info_span!(
            "bulletins.trigger",
            event = bulletin.event().event_name(),
            attempt = field::Empty,
            status = field::Empty,
            targets = field::Empty,
            latency_ms = field::Empty,
        );
        self.run(bulletin, span.clone()).instrument(span).await
    }

    async fn run<E: BusinessEvent>(
        &self,
        bulletin: &Bulletin<E>,
        span: Span,
    ) -> Result<Triggered, Error> {
        let inner = &*self.inner;
        let request = bulletin
            .to_request(&inner.base_url, &inner.credentials)
            .map_err(|e| {
                tracing::debug!(error = %e, "bulletin is invalid; not sent");
                Error::Invalid(e)
            })?;
        let (parts, body) = request.into_parts();
        let body = Bytes::from(body);

        let started = Instant::now();
        let mut attempts: u32 = 0;
        let mut maybe_delivered = false;
        loop {
            // Held for the whole attempt, body read included; released before any backoff.
            let permit = limiter::permit_for_attempt(&*inner.limiter, self.slot())
                .await
                .map_err(|source| {
                    let error = Error::Limiter {
                        source,
                        attempts,
                        may_have_been_delivered: maybe_delivered,
                    };
                    tracing::debug!(error = %error, "no slot; bulletin not sent");
                    error
                })?;
            attempts = attempts.saturating_add(1);
            span.record("attempt", attempts);
            let attempt = send::once(inner, &parts.headers, &body).await;
            permit.release().await;
            span.record("latency_ms", millis(started.elapsed()));
            if let Some(status) = attempt.status {
                span.record("status", status.as_u16());
            }
            let failure = match attempt.outcome {
                Ok(triggered) => {
                    span.record("targets", triggered.targets);
                    tracing::debug!(targets = triggered.targets, "bulletin triggered");
                    return Ok(triggered);
                }
                Err(failure) => failure,
            };
            let decision = inner.retry.decide(
                &failure.failure,
                attempts,
                started.elapsed(),
                rand::random::<f64>(),
            );
            match decision {
                RetryDecision::RetryAfter(delay) => {
                    maybe_delivered |= failure.failure.may_have_been_delivered();
                    tracing::debug!(
                        failure = describe(&failure.failure),
                        delay_ms = millis(delay),
                        "attempt failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
                RetryDecision::GiveUp => {
                    let error =
                        Error::from_failure(failure, attempts, maybe_delivered, inner.timeout);
                    tracing::debug!(
                        error = %error,
                        may_have_been_delivered = error.may_have_been_delivered(),
                        "bulletin not triggered"
                    );
                    return Err(error);
                }
            }
        }
    }
}

impl Client {
    fn slot(&self) -> Slot<'_> {
        Slot {
            account_id: self.inner.credentials.account_id(),
            max_concurrency: self.inner.max_concurrency,
            attempt_timeout: self.inner.timeout,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn describe(failure: &Failure) -> &'static str {
    match failure {
        Failure::NotConnected => "not connected",
        Failure::TimedOut => "timed out",
        Failure::ConnectionLost => "connection lost",
        Failure::Response(e) if e.is_too_many_requests() => "too many requests",
        Failure::Response(_) => "failure response",
        _ => "other",
    }
}
