//! The relay's delivery loop: rows flow from claims through `sending` to their outcomes, with
//! many rows per commit and the client's concurrency cap kept full.
//!
//! A row is only sent once a commit that marked it `sending` has returned, as before; what
//! changed is that one transaction records the answers that came in and marks the next rows
//! `sending` together, so a commit serves about the client's concurrency in rows, not one.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bulletins_http::{Error as SendError, Triggered};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Relay, Report};
use crate::error::Error;
use crate::payload;
use crate::rows::{ClaimedRow, Outcome, Record};

/// The longest an answer waits to be recorded while too few slots are free to send more.
const RECORD_WITHIN: Duration = Duration::from_millis(20);

/// A request's answer, with what is needed to record it.
struct Answer {
    id: i64,
    token: Arc<str>,
    attempts: i64,
    result: Result<Triggered, SendError>,
}

impl Relay {
    /// Claims and delivers rows until none is due, or after one claim's rows if `one_claim`.
    ///
    /// A window of rows are `sending` at once, from twice the client's cap up to
    /// [`Relay::max_sending`]: the client sends as many as its cap allows and the rest wait
    /// for a slot, so the cap does not idle while the database commits. Once half of them have
    /// finished, one transaction records their outcomes and marks as many new rows `sending`;
    /// only then do those leave. A crash leaves at most the window's rows `sending` (later
    /// uncertain), the rest of the claim pending again after its lease.
    pub(super) async fn flow(
        &self,
        one_claim: bool,
        last_sweep: &mut Option<Instant>,
    ) -> Result<Report, Error> {
        let cap = self.client.max_concurrency().max(1);
        let max_window = self.max_sending.max(1);
        // How many rows may be `sending` now: it starts at twice the cap (clamped to the
        // setting), doubles whenever the client's cap had free slots by the end of a commit
        // (answers came faster than commits), and shrinks back a row a step while rows still
        // wait for a slot after one. Slow answers so keep few rows exposed to a crash; fast
        // ones share commits.
        let min_window = cap.saturating_mul(2).min(max_window);
        let mut window = min_window;
        let mut sent_any = false;
        let mut queue: VecDeque<(Arc<str>, ClaimedRow)> = VecDeque::new();
        let mut in_flight: JoinSet<Answer> = JoinSet::new();
        let mut records: Vec<Record> = Vec::new();
        let mut oldest_answer: Option<Instant> = None;
        let mut report = Report::default();
        let mut first_error: Option<Error> = None;
        let mut claims_done = false;
        loop {
            if !claims_done && queue.len() < window {
                match self.claim_more(last_sweep).await {
                    Ok((token, rows)) => {
                        claims_done = rows.is_empty() || one_claim;
                        queue.extend(rows.into_iter().map(|row| (token.clone(), row)));
                    }
                    Err(error) => {
                        first_error.get_or_insert(error);
                        claims_done = true;
                    }
                }
            }
            if first_error.is_some() {
                // Never sent: their claims expire and they are pending again.
                queue.clear();
            }

            let free = window.saturating_sub(in_flight.len());
            // Half the window free: enough answers to record and rows to mark for one commit.
            let step_at = window.div_ceil(2);
            let answers_waited = oldest_answer.is_some_and(|at| at.elapsed() >= RECORD_WITHIN);
            if (free >= step_at && !queue.is_empty())
                || (!records.is_empty()
                    && (free >= step_at || answers_waited || in_flight.is_empty()))
            {
                let chunk: Vec<_> = queue.drain(..free.min(queue.len())).collect();
                match self.step(&mut records, chunk, &mut report).await {
                    Ok(ready) => {
                        oldest_answer = None;
                        // Answers that came in during the commit: if they left the client's cap
                        // with free slots, the window was too small for the commits' pace.
                        while let Some(joined) = in_flight.try_join_next() {
                            collect(&mut records, joined, |answer| self.record_of(answer));
                            oldest_answer.get_or_insert_with(Instant::now);
                        }
                        if sent_any && in_flight.len() < cap && !queue.is_empty() {
                            window = window.saturating_mul(2).min(max_window);
                        } else if in_flight.len() > cap {
                            window = window.saturating_sub(1).max(min_window);
                        }
                        sent_any |= !ready.is_empty();
                        for (token, row, bulletin) in ready {
                            let client = self.client.clone();
                            in_flight.spawn(async move {
                                let result = client.trigger(&bulletin).await;
                                Answer {
                                    id: row.id,
                                    token,
                                    attempts: row.attempts,
                                    result,
                                }
                            });
                        }
                    }
                    Err(error) => {
                        // The answers stay to be recorded with the next step; rows of the
                        // chunk were not marked, so were not sent.
                        tracing::warn!(%error, "outbox relay: could not record answers or mark rows sending");
                        first_error.get_or_insert(error);
                        queue.clear();
                    }
                }
            }

            if in_flight.is_empty() && queue.is_empty() {
                if claims_done && records.is_empty() {
                    break;
                }
                if first_error.is_some() {
                    // Answers that could not be recorded leave their rows `sending`: the
                    // sweeper makes them uncertain, never sends them again.
                    report.lost += records.len() as u64;
                    break;
                }
                continue;
            }
            if in_flight.is_empty() {
                continue;
            }
            let record_by = oldest_answer.map(|at| at + RECORD_WITHIN);
            tokio::select! {
                joined = in_flight.join_next() => {
                    let mut next = joined;
                    while let Some(joined) = next {
                        collect(&mut records, joined, |answer| self.record_of(answer));
                        next = in_flight.try_join_next();
                    }
                    oldest_answer.get_or_insert_with(Instant::now);
                }
                () = sleep_until(record_by), if record_by.is_some() => {}
            }
        }
        first_error.map_or(Ok(report), Err)
    }

    /// Sweeps if it is time, then claims a batch (and pauses, for tests that ask it to).
    async fn claim_more(
        &self,
        last_sweep: &mut Option<Instant>,
    ) -> Result<(Arc<str>, Vec<ClaimedRow>), Error> {
        if last_sweep.is_none_or(|at| at.elapsed() >= self.sweep_interval) {
            self.housekeeping().await?;
            *last_sweep = Some(Instant::now());
        }
        let claim = self
            .store
            .claim(self.client.account_id(), self.batch_size, self.claim_lease)
            .await?;
        if !claim.rows.is_empty() {
            tracing::debug!(rows = claim.rows.len(), "outbox relay: claimed");
            if !self.hold_claims.is_zero() {
                tokio::time::sleep(self.hold_claims).await;
            }
        }
        Ok((claim.token, claim.rows))
    }

    /// One transaction: records `records` (emptied on success) and marks `chunk` `sending`.
    /// Returns the rows that may now be sent; an unreadable body is refused instead.
    async fn step(
        &self,
        records: &mut Vec<Record>,
        chunk: Vec<(Arc<str>, ClaimedRow)>,
        report: &mut Report,
    ) -> Result<
        Vec<(
            Arc<str>,
            ClaimedRow,
            bulletins_http::Bulletin<'static, bulletins_http::DynamicEvent>,
        )>,
        Error,
    > {
        let answered = records.len();
        let mut sendable = Vec::with_capacity(chunk.len());
        for (token, row) in chunk {
            match payload::parse(&row.body) {
                Ok(bulletin) => sendable.push((token, row, bulletin)),
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
        let marked: HashMap<i64, ()> = stepped.sending.into_iter().map(|id| (id, ())).collect();
        let before = sendable.len();
        sendable.retain(|(_, row, _)| marked.contains_key(&row.id));
        if sendable.len() < before {
            tracing::debug!(
                lost = before - sendable.len(),
                "outbox relay: leases lost before sending"
            );
            report.lost += (before - sendable.len()) as u64;
        }
        Ok(sendable)
    }

    fn record_of(&self, answer: Answer) -> Record {
        Record {
            id: answer.id,
            token: answer.token,
            outcome: self.outcome(answer.result, answer.attempts),
        }
    }
}

/// Adds a finished request's outcome to those to record.
fn collect(
    records: &mut Vec<Record>,
    joined: Result<Answer, tokio::task::JoinError>,
    record_of: impl FnOnce(Answer) -> Record,
) {
    match joined {
        Ok(answer) => records.push(record_of(answer)),
        // The row stays `sending`; the sweeper makes it uncertain.
        Err(error) => tracing::error!(%error, "outbox relay: a request task failed"),
    }
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at).await;
    }
}
