//! The client: serialize once, then attempt, and sleep and resend while the core's retry
//! decision says so.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bulletins_core::{
    BaseUrl, Bulletin, BusinessEvent, Failure, Payload, RetryDecision, RetryPolicy, Triggered,
};
use bytes::Bytes;
use tokio::time::Instant;
use tracing::{field, Dispatch, Instrument as _, Span};

use crate::attempt;
use crate::cap::Held;
use crate::error::Error;
use crate::limiter::{Permit, Slot};
use crate::metrics;
use crate::shared::Shared;

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
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.shared;
        f.debug_struct("Client")
            .field("base_url", &shared.base_url.as_str())
            .field("credentials", &shared.credentials)
            .field("timeout", &shared.timeout)
            .field("max_concurrency", &shared.max_concurrency)
            .field("retry", &shared.retry)
            .field("proxy", &shared.proxy.describe())
            .field("limiter", &shared.cap)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Where requests go.
    pub fn base_url(&self) -> &BaseUrl {
        &self.shared.base_url
    }

    /// The account id requests are sent as.
    pub fn account_id(&self) -> &str {
        self.shared.credentials.account_id()
    }

    /// The most requests in flight at once, across this client and its clones, and with a
    /// shared [`Limiter`](crate::Limiter) across every process sharing it.
    pub fn max_concurrency(&self) -> usize {
        self.shared.max_concurrency
    }

    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.shared.timeout
    }

    /// When failed attempts are retried.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.shared.retry
    }

    /// Raises the bulletin's business event.
    ///
    /// The bulletin is validated and serialized once; each attempt sends the same bytes. A
    /// failed attempt is retried only as the [`RetryPolicy`] allows: by default only when the
    /// request certainly was not processed (no connection, 429), so the bulletin is never sent
    /// twice. Waiting for a concurrency slot does not count against the timeout, nor (for the
    /// first attempt) against the policy's [`max_elapsed`](RetryPolicy::max_elapsed).
    ///
    /// Runs in a `bulletins.trigger` span recording the event's name, the attempts, the last
    /// HTTP status, the targets and the latency.
    ///
    /// # Cancellation
    ///
    /// Cancelling (dropping the future, or a `select!`/timeout around it that drops it) may leave
    /// a bulletin delivered with no result: the request may already have reached CleverTap. The
    /// concurrency slot is released. If the future is dropped with a request in flight (or after
    /// an attempt that may have been delivered), a WARN event naming the business event is
    /// logged in the `bulletins.trigger` span. Dropping it before its first attempt starts (while
    /// it waits for a slot) sends nothing. To bound the time, prefer [`ClientBuilder::timeout`](crate::ClientBuilder::timeout)
    /// and the [`RetryPolicy`], which report what happened.
    ///
    /// # Errors
    /// [`Error`], which says whether the bulletin [may have been
    /// delivered](Error::may_have_been_delivered).
    pub async fn trigger<E: BusinessEvent>(
        &self,
        bulletin: &Bulletin<'_, E>,
    ) -> Result<Triggered, Error> {
        self.trigger_carrying(bulletin, &mut Carried::default())
            .await
    }

    /// [`Self::trigger`], calling `on_attempt` with the attempt's number (1 for the first)
    /// each time a concurrency slot has been granted and that attempt's request is about to
    /// leave: the moment from which CleverTap may have the bulletin.
    ///
    /// A caller that must not count the wait for a slot as sending time (a lease, a deadline
    /// on the request itself) starts its clock there. `on_attempt` runs inside the trigger's
    /// own poll, just before the attempt starts, so a caller that sees no call yet and drops
    /// the future knows that nothing was sent. Keep it short: it runs on every attempt.
    ///
    /// # Errors
    /// As [`Self::trigger`].
    pub async fn trigger_observed<E: BusinessEvent>(
        &self,
        bulletin: &Bulletin<'_, E>,
        on_attempt: impl Fn(u32) + Send + Sync + 'static,
    ) -> Result<Triggered, Error> {
        let mut carried = Carried::telling(on_attempt);
        self.trigger_carrying(bulletin, &mut carried).await
    }

    /// Sends a [`Payload`] as it is, byte for byte: a payload read from a file or a database
    /// row with [`Payload::parse`], or made by [`Bulletin::to_payload`].
    ///
    /// Everything [`Self::trigger`] promises holds: the same retry decision, concurrency cap
    /// and limiter, `bulletins.trigger` span, and cancellation warning; `trigger` sends its
    /// bulletin's payload through this same path.
    ///
    /// # Errors
    /// As [`Self::trigger`], except that a payload is never [`Error::Invalid`]: it was checked
    /// when it was made.
    pub async fn send(&self, payload: &Payload) -> Result<Triggered, Error> {
        self.send_carrying(payload, &mut Carried::default()).await
    }

    /// [`Self::send`], calling `on_attempt` as [`Self::trigger_observed`] does.
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn send_observed(
        &self,
        payload: &Payload,
        on_attempt: impl Fn(u32) + Send + Sync + 'static,
    ) -> Result<Triggered, Error> {
        let mut carried = Carried::telling(on_attempt);
        self.send_carrying(payload, &mut carried).await
    }

    async fn send_carrying(
        &self,
        payload: &Payload,
        carried: &mut Carried,
    ) -> Result<Triggered, Error> {
        self.deliver_one(payload, carried).await
    }

    /// [`Self::trigger`], for a caller that carries `carried` from one bulletin to the next.
    pub(crate) async fn trigger_carrying<E: BusinessEvent>(
        &self,
        bulletin: &Bulletin<'_, E>,
        carried: &mut Carried,
    ) -> Result<Triggered, Error> {
        self.deliver_one(bulletin, carried).await
    }

    /// Prepares and delivers one bulletin or payload, in its `bulletins.trigger` span: the one
    /// path of `trigger`, `send` and the inline batch.
    pub(crate) async fn deliver_one<T: Sendable + ?Sized>(
        &self,
        item: &T,
        carried: &mut Carried,
    ) -> Result<Triggered, Error> {
        let event = item.event_name();
        let span = trigger_span(event);
        async {
            let prepared = item.prepare_for(self);
            if prepared.is_err() {
                // Never sent, and so never counted by `deliver`.
                metrics::triggered(event, &prepared);
            }
            self.deliver(prepared?, event, None, &span, carried).await
        }
        .instrument(span.clone())
        .await
    }

    /// Validates and serializes the bulletin into its [`Payload`]: what every attempt sends.
    pub(crate) fn prepare<E: BusinessEvent>(
        &self,
        bulletin: &Bulletin<'_, E>,
    ) -> Result<Prepared, Error> {
        let payload = bulletin.to_payload().map_err(|e| {
            tracing::debug!(error = %e, "bulletin is invalid; not sent");
            Error::Invalid(Box::new(e))
        })?;
        Ok(self.prepared(payload.into_bytes()))
    }

    /// A payload's bytes, owned.
    fn prepared(&self, body: Vec<u8>) -> Prepared {
        Prepared {
            body: Bytes::from(body),
        }
    }

    /// Sends a prepared bulletin: attempts, and sleeps and resends while the retry policy says
    /// so. `dispatch` is the subscriber to warn through when dropped on another thread than
    /// the caller's (a spawned delivery); `None` uses the thread's own.
    pub(crate) async fn deliver(
        &self,
        prepared: Prepared,
        event: &str,
        dispatch: Option<&Dispatch>,
        span: &Span,
        carried: &mut Carried,
    ) -> Result<Triggered, Error> {
        let result = self
            .attempts(prepared, event, dispatch, span, carried)
            .await;
        metrics::triggered(event, &result);
        result
    }

    /// The permit for the next attempt: the one a batch kept from its previous bulletin, if
    /// the limiter lets it run this one too, else one from the cap.
    async fn permit(
        &self,
        carried: &mut Carried,
        attempts: u32,
        maybe_delivered: bool,
    ) -> Result<(Held<'_>, metrics::Waited), Error> {
        match carried.permit.take() {
            Some(kept) if kept.keep_for(self.shared.timeout) => {
                Ok((Held::Shared(kept), metrics::Waited::kept()))
            }
            kept => {
                if let Some(kept) = kept {
                    kept.release().await;
                }
                let slot = if carried.keeps {
                    self.slot().for_batch()
                } else {
                    self.slot()
                };
                self.shared.cap.permit(slot).await.map_err(|source| {
                    let error = Error::Limiter {
                        source,
                        attempts,
                        may_have_been_delivered: maybe_delivered,
                    };
                    tracing::debug!(error = %error, "no slot; bulletin not sent");
                    error
                })
            }
        }
    }

    /// [`Self::deliver`]'s attempts, until one succeeds or the retry policy gives up.
    async fn attempts(
        &self,
        prepared: Prepared,
        event: &str,
        dispatch: Option<&Dispatch>,
        span: &Span,
        carried: &mut Carried,
    ) -> Result<Triggered, Error> {
        let shared = &*self.shared;
        let called = Instant::now();
        // The retry budget runs from the start of the first attempt: the wait for the first
        // concurrency slot is not counted, or a burst would leave no time to retry a 429.
        let mut first_attempt: Option<Instant> = None;
        let mut attempts: u32 = 0;
        let mut maybe_delivered = false;
        let Prepared { body } = prepared;
        let mut unreported = Unreported {
            event,
            dispatch,
            armed: false,
        };
        loop {
            // Held for the whole attempt, body read included; released before any backoff.
            let (permit, waited) = self.permit(carried, attempts, maybe_delivered).await?;
            attempts = attempts.saturating_add(1);
            if let Some(on_attempt) = &carried.on_attempt {
                if !on_attempt(attempts) {
                    // The batch this delivery belongs to is gone: nothing more is sent.
                    permit.release().await;
                    return Err(Error::Abandoned {
                        may_have_been_delivered: maybe_delivered,
                    });
                }
            }
            span.record("attempt", attempts);
            first_attempt.get_or_insert_with(Instant::now);
            unreported.armed = true;
            let measured = metrics::Attempt::start(waited);
            let attempt = attempt::once(shared, &body).await;
            measured.end(&shared.labels, attempt.status, &attempt.outcome);
            // Still armed while the slot is released: the result is not returned yet.
            give_back(permit, carried, attempt.outcome.is_ok()).await;
            unreported.armed = false;
            let failure = match recorded(span, called, attempt) {
                Ok(triggered) => return Ok(triggered),
                Err(failure) => failure,
            };
            let decision = shared.retry.decide(
                &failure.failure,
                attempts,
                first_attempt.map_or(Duration::ZERO, |at| at.elapsed()),
                // The wall clock, against which a `Retry-After` date is measured.
                SystemTime::now(),
                rand::random::<f64>(),
            );
            match decision {
                RetryDecision::RetryAfter(delay) => {
                    metrics::retried();
                    maybe_delivered |= failure.failure.may_have_been_delivered();
                    // Dropped while sleeping, a result that may have been delivered is lost too.
                    unreported.armed = maybe_delivered;
                    tracing::debug!(
                        failure = describe(&failure.failure),
                        delay_ms = millis(delay),
                        "attempt failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
                RetryDecision::GiveUp => {
                    return Err(given_up(failure, attempts, maybe_delivered, shared.timeout));
                }
            }
        }
    }
}

/// Warns when a trigger is dropped while its outcome is unknown: with a request in flight, or
/// after an attempt that may have been delivered. Nothing else would report it.
struct Unreported<'a> {
    event: &'a str,
    dispatch: Option<&'a Dispatch>,
    armed: bool,
}

impl Drop for Unreported<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let warn = || {
            tracing::warn!(
                event = self.event,
                "trigger cancelled before its result was known: the bulletin may have been delivered, and no result will say so"
            );
        };
        match self.dispatch {
            Some(dispatch) => tracing::dispatcher::with_default(dispatch, warn),
            None => warn(),
        }
    }
}

/// Told an attempt's number just before it leaves; `false` stops the delivery there.
pub(crate) type OnAttempt = dyn Fn(u32) -> bool + Send + Sync;

/// What a caller delivering one bulletin after another carries from each to the next: the
/// permit a shared limiter let it keep.
#[derive(Default)]
pub(crate) struct Carried {
    /// Whether a permit may be kept: only by a caller that releases it when it ends.
    keeps: bool,
    permit: Option<Permit>,
    /// Told each time a slot is granted and an attempt is about to leave; the attempt is not
    /// sent if it returns `false`.
    on_attempt: Option<Arc<OnAttempt>>,
}

impl Carried {
    /// Tells `on_attempt` of each attempt about to leave, and never stops one.
    fn telling(on_attempt: impl Fn(u32) + Send + Sync + 'static) -> Self {
        Carried {
            on_attempt: Some(Arc::new(move |attempt| {
                on_attempt(attempt);
                true
            })),
            ..Carried::default()
        }
    }

    /// For a caller that keeps permits: a batch, which releases them when it ends.
    pub(crate) fn keeping() -> Self {
        Self {
            // Off only to measure kept permits against their absence.
            keeps: cfg!(not(bulletins_without = "kept_permits")),
            ..Self::default()
        }
    }

    /// Has `on_attempt` told of each attempt about to leave, and asked whether it may.
    pub(crate) fn observed(mut self, on_attempt: Arc<OnAttempt>) -> Self {
        self.on_attempt = Some(on_attempt);
        self
    }

    /// Whether a permit is kept.
    pub(crate) fn holds_permit(&self) -> bool {
        self.permit.is_some()
    }

    /// Frees the kept permit, if any, and waits until the limiter has recorded it.
    pub(crate) async fn release(&mut self) {
        if let Some(permit) = self.permit.take() {
            permit.release().await;
        }
    }
}

/// What `trigger`, `send` and a batch send: a bulletin, validated and serialized where it is
/// prepared, or a payload, already both.
pub(crate) trait Sendable {
    /// The business event's name, for the span and the cancellation warning.
    fn event_name(&self) -> &str;
    /// The request's headers and body.
    fn prepare_for(&self, client: &Client) -> Result<Prepared, Error>;
}

impl<E: BusinessEvent> Sendable for Bulletin<'_, E> {
    fn event_name(&self) -> &str {
        self.event().event_name()
    }
    fn prepare_for(&self, client: &Client) -> Result<Prepared, Error> {
        client.prepare(self)
    }
}

impl Sendable for Payload {
    fn event_name(&self) -> &str {
        self.event()
    }
    fn prepare_for(&self, client: &Client) -> Result<Prepared, Error> {
        Ok(client.prepared(self.as_bytes().to_vec()))
    }
}

/// A bulletin validated and serialized: what each attempt sends, owned, so that its delivery
/// can run on a task of its own.
pub(crate) struct Prepared {
    body: Bytes,
}

/// Records an attempt's end in the trigger's span: its latency, status and, on success,
/// targets.
fn recorded(
    span: &Span,
    called: Instant,
    attempt: attempt::Attempt,
) -> Result<Triggered, crate::error::AttemptFailure> {
    span.record("latency_ms", millis(called.elapsed()));
    if let Some(status) = attempt.status {
        span.record("status", status.as_u16());
    }
    let triggered = attempt.outcome?;
    span.record("targets", triggered.targets);
    tracing::debug!(targets = triggered.targets, "bulletin triggered");
    Ok(triggered)
}

/// The error a trigger ends with when the retry policy gives up.
fn given_up(
    failure: crate::error::AttemptFailure,
    attempts: u32,
    maybe_delivered: bool,
    timeout: Duration,
) -> Error {
    let error = Error::from_failure(failure, attempts, maybe_delivered, timeout);
    tracing::debug!(
        error = %error,
        may_have_been_delivered = error.may_have_been_delivered(),
        "bulletin not triggered"
    );
    error
}

/// Gives an attempt's permit back, unless a batch may keep it for its next bulletin: a shared
/// limiter's, after a success, which spares a round trip to its store and a wake-up of whoever
/// would take it next.
async fn give_back(permit: Held<'_>, carried: &mut Carried, succeeded: bool) {
    match permit {
        Held::Shared(permit) if carried.keeps && succeeded && permit.is_keepable() => {
            carried.permit = Some(permit);
        }
        permit => permit.release().await,
    }
}

/// The span every trigger runs in.
pub(crate) fn trigger_span(event: &str) -> Span {
    tracing::info_span!(
        "bulletins.trigger",
        event,
        attempt = field::Empty,
        status = field::Empty,
        targets = field::Empty,
        latency_ms = field::Empty,
    )
}

impl Client {
    fn slot(&self) -> Slot<'_> {
        Slot::new(
            self.shared.credentials.account_id(),
            self.shared.max_concurrency,
            self.shared.timeout,
        )
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
