//! The relay: claims committed rows, marks each `sending` before its request leaves, and records
//! what came of it.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use bulletins_http::{Client, Error as SendError, NotDelivered, RetryPolicy, Triggered};
use futures_util::StreamExt as _;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::error::Error;
use crate::rows::Outcome;
use crate::store::{Notices, Store};

mod flow;
mod health;

pub use health::Health;

/// Delivers an outbox's rows through a [`Client`], at most once each.
///
/// Any number of relays, threads or processes, may run on one table: each row is claimed by one
/// of them under a lease. A row is marked `sending` (committed) before its request leaves, so a
/// relay that dies mid-request leaves it `sending`, and the sweeper later makes it `uncertain`
/// — never sent again without a person's decision. The client's concurrency cap applies to
/// every request.
///
/// Rows are claimed in batches, and up to [`Relay::max_sending`] are `sending` at once (the
/// client sends as many as its cap allows, the rest wait for a slot): one transaction
/// records the answers that came in and marks the next rows `sending`, so a commit serves
/// many rows. A relay that dies therefore leaves up to that many rows uncertain, some of which
/// may never have left; unsent claimed rows go back to pending after the claim lease.
///
/// ```no_run
/// # #[cfg(feature = "sqlite")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use bulletins_outbox::{Relay, Store};
///
/// let store = Store::connect("sqlite:shop.db").await?;
/// store.migrate().await?;
/// let relay = Relay::new(store, bulletins_http::Client::from_env()?);
/// tokio::spawn(relay.run());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Relay {
    store: Store,
    client: Client,
    claim_lease: Duration,
    send_lease: Duration,
    batch_size: u32,
    max_sending: usize,
    poll_interval: Duration,
    sweep_interval: Duration,
    retention: Duration,
    /// Only its backoff is used: a row is retried until it is delivered, refused or uncertain.
    retry: RetryPolicy,
    hold_claims: Duration,
    gauge_interval: Duration,
    last_count: health::LastCount,
    health: Health,
}

/// What a relay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Rows delivered.
    pub delivered: u64,
    /// Rows refused.
    pub refused: u64,
    /// Rows that may have been delivered: left for a person (those whose sending lease ran
    /// out, found by this relay's sweeps, included).
    pub uncertain: u64,
    /// Rows certainly not delivered, pending again after a backoff (or at once, when the
    /// relay was stopping before their requests could leave).
    pub retried: u64,
    /// Rows whose lease this relay lost before it could send or record them: pending again
    /// (or, after sending, uncertain), so such a row may be delivered later, by this relay
    /// too, and then also counted there.
    pub lost: u64,
}

impl Report {
    fn add(&mut self, other: Report) {
        self.delivered += other.delivered;
        self.refused += other.refused;
        self.uncertain += other.uncertain;
        self.retried += other.retried;
        self.lost += other.lost;
    }

    fn rows(&self) -> u64 {
        self.delivered + self.refused + self.uncertain + self.retried + self.lost
    }
}

impl Relay {
    /// A relay delivering `store`'s rows for `client`'s account, with the defaults: a 30 s claim
    /// lease, a 5 min sending lease, twice the client's concurrency rows `sending` at once (up
    /// to [`Relay::max_sending`], by default the larger of that and 64, while answers outrun
    /// commits), claims of twice `max_sending` (or four times the concurrency), a 500 ms
    /// polling interval on SQLite (30 s on PostgreSQL, where `NOTIFY` wakes it), delivered rows
    /// kept 7 days, backoff from 1 s to 5 min.
    pub fn new(store: Store, client: Client) -> Self {
        crate::metrics::describe();
        let cap = client.max_concurrency().max(1);
        let max_sending = cap.saturating_mul(2).max(64);
        let batch_size = u32::try_from(cap.saturating_mul(4).max(max_sending * 2))
            .unwrap_or(u32::MAX)
            .clamp(8, 1000);
        let poll_interval = store.poll_interval();
        Self {
            store,
            client,
            claim_lease: Duration::from_secs(30),
            send_lease: Duration::from_secs(300),
            batch_size,
            max_sending,
            poll_interval,
            sweep_interval: Duration::from_secs(5),
            retention: Duration::from_secs(7 * 24 * 3600),
            retry: RetryPolicy::never().backoff(Duration::from_secs(1), Duration::from_secs(300)),
            hold_claims: Duration::ZERO,
            gauge_interval: Duration::from_secs(15),
            last_count: health::LastCount::default(),
            health: Health::default(),
        }
    }

    /// How long a claim lasts before its row goes back to pending if it was not marked
    /// `sending`. Must cover delivering about one batch (claimed rows wait their turn).
    #[must_use]
    pub fn claim_lease(mut self, lease: Duration) -> Self {
        self.claim_lease = lease;
        self
    }

    /// How long a `sending` row may take (every retry of the client included) before the
    /// sweeper turns it uncertain, counted from when its request leaves: while the request
    /// waits for a client slot, the relay keeps renewing it (a quarter of it at a time, at
    /// most a minute), so only a row whose request could have reached CleverTap is called
    /// uncertain (or one whose relay died). Keep it above the client's timeout times its
    /// attempts.
    #[must_use]
    pub fn send_lease(mut self, lease: Duration) -> Self {
        self.send_lease = lease;
        self
    }

    /// Rows claimed at once (at least 1).
    #[must_use]
    pub fn batch_size(mut self, rows: u32) -> Self {
        self.batch_size = rows.max(1);
        self
    }

    /// The most rows `sending` at once (at least 1): the client's cap plus rows waiting for a
    /// slot, so that the cap stays full while the database commits. The relay uses twice the
    /// client's concurrency, and more, up to this, only while answers come faster than its
    /// commits (there more means fewer commits per row). A relay that dies leaves up to this
    /// many rows uncertain, some never sent, for a person to decide. Keep it at least twice
    /// the client's concurrency.
    #[must_use]
    pub fn max_sending(mut self, rows: usize) -> Self {
        self.max_sending = rows.max(1);
        self
    }

    /// The longest wait for new rows before looking again (on PostgreSQL a `NOTIFY` ends it
    /// early).
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How often expired leases are swept and old delivered rows purged.
    #[must_use]
    pub fn sweep_interval(mut self, interval: Duration) -> Self {
        self.sweep_interval = interval;
        self
    }

    /// How long delivered rows are kept before they are deleted.
    #[must_use]
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// The backoff before a row that certainly was not delivered is tried again: `base` doubled
    /// at each attempt, at most `max`.
    #[must_use]
    pub fn retry_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.retry = self.retry.backoff(base, max);
        self
    }

    /// How often the outbox's rows are counted for the [row gauges](crate::metrics) (default
    /// 15 s), with the sweeps: each count reads every row's index entry, an operator's query
    /// (about 0.1 s at a million rows). Only with the feature `metrics`.
    #[must_use]
    pub fn gauge_interval(mut self, interval: Duration) -> Self {
        self.gauge_interval = interval;
        self
    }

    /// What this relay has learnt about CleverTap's side, for a readiness check: a handle that
    /// follows the relay (and its clones) as it runs.
    pub fn health(&self) -> Health {
        self.health.clone()
    }

    /// Waits this long after each claim before delivering: only for tests that stop a relay
    /// between claim and send.
    #[doc(hidden)]
    #[must_use]
    pub fn hold_claims(mut self, pause: Duration) -> Self {
        self.hold_claims = pause;
        self
    }

    /// Relays until the future is dropped: claims due rows, delivers them, and waits for more
    /// (a `NOTIFY` on PostgreSQL, the polling interval on SQLite). Database errors are logged
    /// and retried after the polling interval. Spawn it: `tokio::spawn(relay.run())`.
    ///
    /// Dropping it drops the requests in flight: their rows stay `sending` and become
    /// uncertain. To stop without leaving work for a person, use [`Relay::run_until`].
    pub async fn run(self) {
        self.relay(&Stop::never()).await;
    }

    /// Relays as [`Relay::run`] until `shutdown` completes, then stops gracefully: it claims no
    /// more rows, hands back the claimed rows it had not marked `sending` (pending again at
    /// once), lets the requests that left finish (each bounded by the client's
    /// [timeout](Client::timeout); after that and a second more, the rest are dropped and
    /// their rows become uncertain after their sending lease), records their outcomes, makes
    /// the rows whose requests had not left pending again, and returns what it did.
    ///
    /// ```no_run
    /// # #[cfg(feature = "sqlite")]
    /// # async fn run(relay: bulletins_outbox::Relay) {
    /// let report = relay
    ///     .run_until(async {
    ///         let _ = tokio::signal::ctrl_c().await;
    ///     })
    ///     .await;
    /// println!("{report:?}");
    /// # }
    /// ```
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Report {
        let (stop, stopping) = Stop::new();
        let mut relaying = pin!(self.relay(&stopping));
        tokio::select! {
            report = &mut relaying => return report,
            () = shutdown => {}
        }
        stop.send_replace(true);
        relaying.await
    }

    /// The loop of [`Relay::run`] and [`Relay::run_until`].
    async fn relay(&self, stop: &Stop) -> Report {
        let mut waiter = Waiter::new(&self.store).await;
        let mut last_sweep: Option<Instant> = None;
        let mut total = Report::default();
        loop {
            let step = async {
                let report = self.flow(false, &mut last_sweep, stop).await?;
                total.add(report);
                if report.rows() > 0 {
                    return Ok::<_, Error>(Duration::ZERO);
                }
                let due = self.store.next_due(self.client.account_id()).await?;
                Ok(due
                    .unwrap_or(self.poll_interval)
                    .min(self.poll_interval)
                    .min(self.sweep_interval))
            };
            let wait = match step.await {
                Ok(wait) => wait,
                Err(error) => {
                    tracing::warn!(%error, "outbox relay: database error; retrying");
                    self.poll_interval.max(Duration::from_millis(100))
                }
            };
            if stop.is_stopping() {
                return total;
            }
            if !wait.is_zero() {
                tokio::select! {
                    () = waiter.wait(wait) => {}
                    () = stop.stopped() => return total,
                }
            }
        }
    }

    /// Relays until none of the account's rows is pending, claimed or sending — every one
    /// delivered, refused or uncertain — waiting out backoffs and other relays' leases.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn run_until_empty(&self) -> Result<Report, Error> {
        self.until_empty(&Stop::never()).await
    }

    /// [`Relay::run_until_empty`], stopping gracefully as [`Relay::run_until`] does if
    /// `shutdown` completes first; the report says what it did until then.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn run_until_empty_or(
        &self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<Report, Error> {
        let (stop, stopping) = Stop::new();
        let mut relaying = pin!(self.until_empty(&stopping));
        tokio::select! {
            report = &mut relaying => return report,
            () = shutdown => {}
        }
        stop.send_replace(true);
        relaying.await
    }

    async fn until_empty(&self, stop: &Stop) -> Result<Report, Error> {
        let mut report = Report::default();
        let mut last_sweep: Option<Instant> = None;
        loop {
            if last_sweep.is_none_or(|at| at.elapsed() >= self.sweep_interval) {
                report.uncertain += self.housekeeping().await?;
                last_sweep = Some(Instant::now());
            }
            let batch = self.flow(false, &mut last_sweep, stop).await?;
            report.add(batch);
            if stop.is_stopping() {
                return Ok(report);
            }
            if batch.rows() > 0 {
                continue;
            }
            if !self.store.has_active(self.client.account_id()).await? {
                return Ok(report);
            }
            let due = self.store.next_due(self.client.account_id()).await?;
            let wait = due
                .unwrap_or(self.sweep_interval)
                .min(self.sweep_interval)
                .min(self.poll_interval)
                .max(Duration::from_millis(10));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stop.stopped() => return Ok(report),
            }
        }
    }

    /// Claims one batch of due rows and delivers it (with the same batched commits as
    /// [`Relay::run`]).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn run_batch(&self) -> Result<Report, Error> {
        self.flow(true, &mut Some(Instant::now()), &Stop::never())
            .await
    }

    /// Sweeps expired leases and purges delivered rows past their retention. Returns how many
    /// rows the sweep made uncertain.
    async fn housekeeping(&self) -> Result<u64, Error> {
        let swept = self.store.sweep().await?;
        if swept.released > 0 || swept.uncertain > 0 {
            tracing::info!(
                released = swept.released,
                uncertain = swept.uncertain,
                "outbox relay: swept expired leases"
            );
        }
        self.store.purge_delivered(self.retention, 1000).await?;
        if cfg!(feature = "metrics") && self.last_count.due(self.gauge_interval) {
            // The gauges keep their last values if the count fails.
            match self.store.status().await {
                Ok(status) => crate::metrics::status(&status),
                Err(error) => {
                    tracing::warn!(%error, "outbox relay: could not count the rows for the metrics")
                }
            }
        }
        Ok(swept.uncertain)
    }

    /// What a row's request ended in, by the client's one classification
    /// ([`SendError::outcome`]): a row that certainly was not delivered for a cause that is not
    /// the bulletin's own (no connection, a 429, no limiter slot, credentials refused) stays
    /// pending after the backoff of `attempts`, the row's attempts so far.
    fn outcome(&self, result: Result<Triggered, SendError>, attempts: i64) -> Outcome {
        self.health.answered(result.as_ref().map(|_| ()));
        let error = match result {
            Ok(triggered) => {
                return Outcome::Delivered {
                    targets: triggered.targets,
                }
            }
            Err(error) => error,
        };
        let outcome = error.outcome();
        let attempts = u32::try_from(attempts.max(0)).unwrap_or(u32::MAX);
        // No jitter: the backoff's ceiling, `base × 2^(attempts−1)` up to its cap.
        let (Some(cause), Some(after)) = (
            outcome.not_delivered(),
            outcome.retry_later(&self.retry, attempts, 1.0),
        ) else {
            return if outcome.may_have_been_delivered() {
                Outcome::Uncertain(error.to_string())
            } else {
                Outcome::Refused(error.to_string())
            };
        };
        let account = self.client.account_id();
        let retry_in_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
        let reason = format!("{}{}", cause.reason(), set_up_hint(cause));
        if cause.passes_on_its_own() {
            tracing::warn!(
                %error, account, retry_in_ms,
                "outbox relay: not sent, {reason}; the row stays pending"
            );
        } else {
            // Nothing will change on its own: someone must fix the set-up.
            tracing::error!(
                %error, account, retry_in_ms,
                "outbox relay: not sent, {reason}; the row stays pending"
            );
        }
        Outcome::Retry {
            error: format!("{reason}: {error}"),
            after,
        }
    }
}

/// Where an operator looks, for a cause that does not pass on its own (the limiter's reason
/// already says).
fn set_up_hint(cause: NotDelivered) -> &'static str {
    match cause {
        NotDelivered::Credentials => " (check CLEVERTAP_ACCOUNT_ID and CLEVERTAP_PASSCODE)",
        _ => "",
    }
}

/// Whether the relay was told to stop: the receiving side of [`Relay::run_until`]'s signal.
#[derive(Debug, Clone)]
pub(crate) struct Stop(watch::Receiver<bool>);

impl Stop {
    /// The sender that stops the relay, and the relay's side.
    fn new() -> (watch::Sender<bool>, Self) {
        let (stop, stopping) = watch::channel(false);
        (stop, Self(stopping))
    }

    /// For the loops that run until dropped: never says stop.
    fn never() -> Self {
        Self(watch::channel(false).1)
    }

    pub(crate) fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once the relay is told to stop; never if it cannot be.
    pub(crate) async fn stopped(&self) {
        let mut stopping = self.0.clone();
        if stopping.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Waits for new rows: the database's notices (PostgreSQL's `LISTEN`), or a plain sleep.
struct Waiter(Option<Notices>);

impl Waiter {
    async fn new(store: &Store) -> Self {
        Self(store.listen().await.unwrap_or_else(|error| {
            tracing::warn!(%error, "outbox relay: LISTEN failed; polling instead");
            None
        }))
    }

    async fn wait(&mut self, at_most: Duration) {
        let Some(notices) = &mut self.0 else {
            return tokio::time::sleep(at_most).await;
        };
        if let Ok(Some(Err(error))) = tokio::time::timeout(at_most, notices.next()).await {
            tracing::warn!(%error, "outbox relay: LISTEN connection failed; reconnecting");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
