//! The relay's delivery loop: rows flow from claims through `sending` to their outcomes, with
//! many rows per commit and the client's concurrency cap kept full.
//!
//! A row is only sent once a commit that marked it `sending` has returned, as before; what
//! changed is that one transaction records the answers that came in and marks the next rows
//! `sending` together, so a commit serves about the client's concurrency in rows, not one.
//!
//! A queued row is identified by its id *and* the token of the claim that took it: a claim
//! that outlived its lease may have been swept and the row claimed again, and only the newest
//! claim may send it. A `sending` row's lease is renewed while its request waits for a
//! concurrency slot, and runs from the moment the request leaves, so it is only called
//! uncertain once its request could have reached CleverTap.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::Duration;

use bulletins_http::{Error as SendError, Triggered};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Relay, Report, Stop};
use crate::error::Error;
use crate::rows::{ClaimedRow, Outcome, Record};

/// The longest an answer waits to be recorded while too few slots are free to send more.
const RECORD_WITHIN: Duration = Duration::from_millis(20);

/// A row's request, sent or not, with what is needed to record what came of it.
struct Answer {
    id: i64,
    token: Arc<str>,
    attempts: i64,
    /// `None`: the relay was stopping before the request could leave; nothing was sent.
    result: Option<Result<Triggered, SendError>>,
}

/// A row marked `sending` whose outcome is not recorded yet.
struct Sending {
    token: Arc<str>,
    /// When its first attempt was about to leave, once it was.
    left_at: Arc<OnceLock<Instant>>,
    /// Whether its lease was set to run from `left_at`.
    lease_from_start: bool,
}

type Sendable = (Arc<str>, ClaimedRow, bulletins_http::Payload);

/// One run of the loop's state.
struct Flow<'r> {
    relay: &'r Relay,
    stop: Stop,
    cap: usize,
    min_window: usize,
    max_window: usize,
    /// How many rows may be `sending` now: it starts at twice the cap (clamped to the
    /// setting), doubles whenever the client's cap had free slots by the end of a commit
    /// (answers came faster than commits), and shrinks back a row a step while rows still
    /// wait for a slot after one. Slow answers so keep few rows exposed to a crash; fast
    /// ones share commits.
    window: usize,
    sent_any: bool,
    queue: VecDeque<(Arc<str>, ClaimedRow)>,
    in_flight: JoinSet<Answer>,
    sending: HashMap<i64, Sending>,
    records: Vec<Record>,
    oldest_answer: Option<Instant>,
    report: Report,
    first_error: Option<Error>,
    claims_done: bool,
    renew_at: Instant,
    /// Set once the relay is told to stop: requests in flight get until then to finish.
    drain_by: Option<Instant>,
}

impl Relay {
    /// Claims and delivers rows until none is due, or after one claim's rows if `one_claim`,
    /// or until `stop` says to stop.
    ///
    /// A window of rows are `sending` at once, from twice the client's cap up to
    /// [`Relay::max_sending`]: the client sends as many as its cap allows and the rest wait
    /// for a slot, so the cap does not idle while the database commits. Once half of them have
    /// finished, one transaction records their outcomes and marks as many new rows `sending`;
    /// only then do those leave. A crash leaves at most the window's rows `sending` (later
    /// uncertain), the rest of the claim pending again after its lease.
    ///
    /// Told to stop, it claims no more, hands its queued claims back, lets the requests that
    /// left finish (for at most the client's timeout and a second), records their outcomes,
    /// and makes the rows whose requests had not left pending again.
    pub(super) async fn flow(
        &self,
        one_claim: bool,
        last_sweep: &mut Option<Instant>,
        stop: &Stop,
    ) -> Result<Report, Error> {
        let mut flow = Flow::new(self, stop.clone());
        let mut stopped = pin!(stop.stopped());
        loop {
            if flow.drain_by.is_none() && stop.is_stopping() {
                flow.stop_claiming().await;
            }
            if !flow.claims_done && flow.queue.len() < flow.window {
                flow.claim(one_claim, last_sweep).await;
            }
            flow.step_if_due().await;
            if flow.in_flight.is_empty() && flow.queue.is_empty() {
                if flow.claims_done && flow.records.is_empty() {
                    break;
                }
                if flow.first_error.is_some() {
                    // Answers that could not be recorded leave their rows `sending`: the
                    // sweeper makes them uncertain, never sends them again.
                    flow.report.lost += flow.records.len() as u64;
                    break;
                }
                continue;
            }
            if flow.in_flight.is_empty() {
                continue;
            }
            let record_by = flow.oldest_answer.map(|at| at + RECORD_WITHIN);
            let stopping = flow.drain_by.is_some();
            tokio::select! {
                joined = flow.in_flight.join_next() => flow.collect_ready(joined),
                () = sleep_until(record_by), if record_by.is_some() => {}
                () = tokio::time::sleep_until(flow.renew_at) => flow.renew_leases().await,
                () = &mut stopped, if !stopping => {}
                () = sleep_until(flow.drain_by), if stopping => flow.abandon_in_flight().await,
            }
        }
        flow.first_error.map_or(Ok(flow.report), Err)
    }

    /// Sweeps if it is time, then claims a batch (and pauses, for tests that ask it to).
    /// Returns the claim and how many rows the sweep made uncertain.
    async fn claim_more(
        &self,
        last_sweep: &mut Option<Instant>,
    ) -> Result<(Arc<str>, Vec<ClaimedRow>, u64), Error> {
        let mut swept = 0;
        if last_sweep.is_none_or(|at| at.elapsed() >= self.sweep_interval) {
            swept = self.housekeeping().await?;
            *last_sweep = Some(Instant::now());
        }
        let claiming = Instant::now();
        let claim = self
            .store
            .claim(self.client.account_id(), self.batch_size, self.claim_lease)
            .await?;
        crate::metrics::claimed(claiming.elapsed());
        if !claim.rows.is_empty() {
            tracing::debug!(rows = claim.rows.len(), "outbox relay: claimed");
            if !self.hold_claims.is_zero() {
                tokio::time::sleep(self.hold_claims).await;
            }
        }
        Ok((claim.token, claim.rows, swept))
    }

    fn record_of(&self, answer: Answer) -> Record {
        let outcome = match answer.result {
            Some(result) => self.outcome(result, answer.attempts),
            None => Outcome::Retry {
                error: "the relay stopped before sending it".to_owned(),
                after: Duration::ZERO,
            },
        };
        Record {
            id: answer.id,
            token: answer.token,
            outcome,
        }
    }

    /// How often the leases of rows in flight are renewed: often enough that a lease renewed
    /// just before a request left still covers it until the next renewal restarts it there;
    /// at least once a minute, so that a huge lease cannot overflow the timer.
    fn renew_every(&self) -> Duration {
        (self.send_lease / 4).clamp(Duration::from_millis(10), Duration::from_secs(60))
    }
}

impl<'r> Flow<'r> {
    fn new(relay: &'r Relay, stop: Stop) -> Self {
        let cap = relay.client.max_concurrency().max(1);
        let max_window = relay.max_sending.max(1);
        let min_window = cap.saturating_mul(2).min(max_window);
        Self {
            relay,
            stop,
            cap,
            min_window,
            max_window,
            window: min_window,
            sent_any: false,
            queue: VecDeque::new(),
            in_flight: JoinSet::new(),
            sending: HashMap::new(),
            records: Vec::new(),
            oldest_answer: None,
            report: Report::default(),
            first_error: None,
            claims_done: false,
            renew_at: Instant::now() + relay.renew_every(),
            drain_by: None,
        }
    }

    async fn claim(&mut self, one_claim: bool, last_sweep: &mut Option<Instant>) {
        match self.relay.claim_more(last_sweep).await {
            Ok((token, rows, swept)) => {
                self.report.uncertain += swept;
                self.claims_done = rows.is_empty() || one_claim;
                // A row this claim took was handed back by a sweep since an earlier claim
                // queued it: that claim is gone, so its entry is dropped, never sent.
                let fresh: HashSet<i64> = rows.iter().map(|row| row.id).collect();
                self.queue.retain(|(_, row)| !fresh.contains(&row.id));
                self.queue
                    .extend(rows.into_iter().map(|row| (token.clone(), row)));
            }
            Err(error) => {
                self.first_error.get_or_insert(error);
                self.claims_done = true;
            }
        }
        if self.first_error.is_some() {
            // Never sent: their claims expire and they are pending again.
            self.queue.clear();
        }
    }

    /// Stops claiming and hands the queued claims back at once, instead of after their lease.
    async fn stop_claiming(&mut self) {
        // The client's timeout bounds each attempt; a second more lets the answers be read.
        let bound = self
            .relay
            .client
            .timeout()
            .saturating_add(Duration::from_secs(1));
        let now = Instant::now();
        self.drain_by = Some(
            now.checked_add(bound)
                .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600)),
        );
        self.claims_done = true;
        let queued = std::mem::take(&mut self.queue);
        let mut handed_back = 0u64;
        for (token, row) in &queued {
            match self.relay.store.release(row.id, token).await {
                Ok(released) => handed_back += u64::from(released),
                Err(error) => {
                    tracing::warn!(%error, "outbox relay: could not hand a claim back; it is pending again after its lease");
                }
            }
        }
        tracing::info!(
            handed_back,
            in_flight = self.in_flight.len(),
            "outbox relay: stopping; waiting for the requests in flight"
        );
    }

    /// Records the answers and marks the next rows `sending`, in one transaction, when enough
    /// of either is waiting; then sends the rows marked.
    async fn step_if_due(&mut self) {
        let free = self.window.saturating_sub(self.in_flight.len());
        // Half the window free: enough answers to record and rows to mark for one commit.
        let step_at = self.window.div_ceil(2);
        let answers_waited = self
            .oldest_answer
            .is_some_and(|at| at.elapsed() >= RECORD_WITHIN);
        let due = (free >= step_at && !self.queue.is_empty())
            || (!self.records.is_empty()
                && (free >= step_at || answers_waited || self.in_flight.is_empty()));
        if !due {
            return;
        }
        let chunk: Vec<_> = self.queue.drain(..free.min(self.queue.len())).collect();
        let mut records = std::mem::take(&mut self.records);
        let stepped = self.relay.step(&mut records, chunk, &mut self.report).await;
        self.records = records;
        match stepped {
            Ok(ready) => {
                self.oldest_answer = None;
                // Answers that came in during the commit: if they left the client's cap
                // with free slots, the window was too small for the commits' pace.
                while let Some(joined) = self.in_flight.try_join_next() {
                    self.collect(joined);
                }
                if self.sent_any && self.in_flight.len() < self.cap && !self.queue.is_empty() {
                    self.window = self.window.saturating_mul(2).min(self.max_window);
                } else if self.in_flight.len() > self.cap {
                    self.window = self.window.saturating_sub(1).max(self.min_window);
                }
                self.sent_any |= !ready.is_empty();
                for sendable in ready {
                    self.send(sendable);
                }
            }
            Err(error) => {
                // The answers stay to be recorded with the next step; rows of the chunk were
                // not marked, so were not sent.
                tracing::warn!(%error, "outbox relay: could not record answers or mark rows sending");
                self.first_error.get_or_insert(error);
                self.queue.clear();
            }
        }
    }

    /// Sends a row marked `sending` on a task of its own. Until its request is about to leave,
    /// the task gives up when the relay stops: then nothing was sent.
    fn send(&mut self, (token, row, payload): Sendable) {
        let left_at = Arc::new(OnceLock::new());
        self.sending.insert(
            row.id,
            Sending {
                token: token.clone(),
                left_at: left_at.clone(),
                lease_from_start: false,
            },
        );
        let client = self.relay.client.clone();
        let stop = self.stop.clone();
        self.in_flight.spawn(async move {
            let started = left_at.clone();
            // The stored bytes, sent as they are.
            let trigger = client.send_observed(&payload, move |_attempt| {
                let _ = started.get_or_init(Instant::now);
            });
            let result = unless_stopped_before_leaving(trigger, &left_at, stop.stopped()).await;
            Answer {
                id: row.id,
                token,
                attempts: row.attempts,
                result,
            }
        });
    }

    fn collect_ready(&mut self, joined: Option<Result<Answer, tokio::task::JoinError>>) {
        let mut next = joined;
        while let Some(joined) = next {
            self.collect(joined);
            next = self.in_flight.try_join_next();
        }
    }

    /// Adds a finished request's outcome to those to record.
    fn collect(&mut self, joined: Result<Answer, tokio::task::JoinError>) {
        match joined {
            Ok(answer) => {
                if self
                    .sending
                    .get(&answer.id)
                    .is_some_and(|s| Arc::ptr_eq(&s.token, &answer.token))
                {
                    self.sending.remove(&answer.id);
                }
                self.records.push(self.relay.record_of(answer));
                self.oldest_answer.get_or_insert_with(Instant::now);
            }
            // The row stays `sending`; the sweeper makes it uncertain.
            Err(error) => tracing::error!(%error, "outbox relay: a request task failed"),
        }
    }

    /// Renews the leases of the rows in flight: those still waiting for a slot get a whole
    /// sending lease again; one whose request left gets, once, a lease running from then.
    async fn renew_leases(&mut self) {
        let send_lease = self.relay.send_lease;
        let mut leases = Vec::new();
        for (id, sending) in &mut self.sending {
            match sending.left_at.get() {
                None => leases.push((*id, sending.token.clone(), send_lease)),
                Some(left) if !sending.lease_from_start => {
                    sending.lease_from_start = true;
                    let rest = send_lease.saturating_sub(left.elapsed());
                    if !rest.is_zero() {
                        leases.push((*id, sending.token.clone(), rest));
                    }
                }
                Some(_) => {}
            }
        }
        if let Err(error) = self.relay.store.extend_sending(&leases).await {
            tracing::warn!(%error, "outbox relay: could not renew the leases of rows waiting to be sent");
        }
        self.renew_at = Instant::now() + self.relay.renew_every();
    }

    /// The requests still in flight when the time to stop ran out: their rows stay `sending`,
    /// and the sweeper makes them uncertain after their lease.
    async fn abandon_in_flight(&mut self) {
        let left = self.in_flight.len();
        tracing::warn!(
            rows = left,
            "outbox relay: stopped with requests in flight; their rows become uncertain after their sending lease"
        );
        self.in_flight.abort_all();
        while let Some(joined) = self.in_flight.join_next().await {
            // One may have finished before it could be aborted: its answer is recorded.
            if let Ok(answer) = joined {
                self.collect(Ok(answer));
            }
        }
        self.sending.clear();
    }
}

impl Relay {
    /// One transaction: records `records` (emptied on success) and marks `chunk` `sending`.
    /// Returns the rows that may now be sent; an unreadable body is refused instead.
    ///
    /// The chunk's ids are distinct (a row claimed again replaces its stale entry in the
    /// queue), so the ids the mark returns name the entries to send without ambiguity.
    async fn step(
        &self,
        records: &mut Vec<Record>,
        chunk: Vec<(Arc<str>, ClaimedRow)>,
        report: &mut Report,
    ) -> Result<Vec<Sendable>, Error> {
        let answered = records.len();
        let mut sendable = Vec::with_capacity(chunk.len());
        for (token, row) in chunk {
            match bulletins_http::Payload::parse(row.body.as_bytes()) {
                Ok(payload) => sendable.push((token, row, payload)),
                Err(error) => records.push(Record {
                    id: row.id,
                    token,
                    outcome: Outcome::Refused(format!("the stored body cannot be sent: {error}")),
                }),
            }
        }
        let mut sends: Vec<(Arc<str>, Vec<i64>)> = Vec::new();
        for (token, row, _) in &sendable {
            match sends.last_mut() {
                Some((last, ids)) if Arc::ptr_eq(last, token) => ids.push(row.id),
                _ => sends.push((token.clone(), vec![row.id])),
            }
        }
        let stepped = match self
            .store
            .commit_step(records, &sends, self.send_lease)
            .await
        {
            Ok(stepped) => stepped,
            Err(error) => {
                // Refusals added for this chunk go with it: its rows stay claimed.
                records.truncate(answered);
                return Err(error);
            }
        };
        for (record, recorded) in records.drain(..).zip(stepped.recorded) {
            match (recorded, record.outcome) {
                (false, _) => report.lost += 1,
                (true, Outcome::Delivered { .. }) => report.delivered += 1,
                (true, Outcome::Refused(_)) => report.refused += 1,
                (true, Outcome::Uncertain(_)) => report.uncertain += 1,
                (true, Outcome::Retry { .. }) => report.retried += 1,
            }
        }
        let marked: HashSet<i64> = stepped.sending.into_iter().collect();
        let before = sendable.len();
        sendable.retain(|(_, row, _)| marked.contains(&row.id));
        if sendable.len() < before {
            tracing::debug!(
                lost = before - sendable.len(),
                "outbox relay: leases lost before sending"
            );
            report.lost += (before - sendable.len()) as u64;
        }
        Ok(sendable)
    }
}

/// Runs `trigger` to its end, unless `stopped` completes while its request has not been about
/// to leave yet (`left_at` unset): then it is dropped, having sent nothing, and `None` says so.
/// `trigger` is polled first, so a request that leaves in this poll is always awaited.
async fn unless_stopped_before_leaving<T>(
    trigger: impl Future<Output = T>,
    left_at: &OnceLock<Instant>,
    stopped: impl Future<Output = ()>,
) -> Option<T> {
    let mut trigger = pin!(trigger);
    let mut stopped = pin!(stopped);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(result) = trigger.as_mut().poll(cx) {
            return Poll::Ready(Some(result));
        }
        if left_at.get().is_none() && stopped.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}
