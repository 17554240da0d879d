//! The sending loop: at most `concurrency` requests in flight, each line's start on disk before
//! its request leaves, the journal's syncs grouped.
//!
//! # How "started is durable before the request" holds with grouped syncs
//! Lines move through three stages: *admitted* (their start records are written and the file
//! is being synced), *ready* (that sync returned: their starts are on disk) and *in flight*.
//! Only ready lines are handed to the client, and a group's lines become ready only after its
//! `fdatasync` returned without error. One sync runs at a time, on a blocking thread through a
//! second handle on the file, while the requests of earlier groups proceed. Outcomes are
//! recorded as they come and written with the next group's starts (so a killed process loses
//! at most those of one group's wait, and those lines read as uncertain, never as unsent), and
//! made durable by the next sync.
//!
//! A sync costs more than a request on loopback, so a group waits until half the lookahead is
//! free. How many lines are started ahead adapts to what limits the rate: when the ready lines
//! ran low during a sync (below a quarter of the lookahead) — the disk's sync rate was the
//! limit — the lookahead doubles, up to [`MAX_AHEAD`]; when hardly any answer came during it
//! (the server is the limit) it shrinks by a quarter, down to twice the concurrency. Against a
//! slow server (say 50 ms an answer) a crash thus leaves at most three times the concurrency of
//! lines uncertain; against a fast one the groups grow until the disk no longer limits the send
//! rate, and at most `concurrency + MAX_AHEAD` lines are uncertain. On Ctrl-C,
//! lines started but not sent are recorded as not delivered, so only requests actually in
//! flight can end up uncertain.

use std::collections::HashSet;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bulletins_http::{Client, Payload};
use tokio::task::{JoinHandle, JoinSet};

use super::interrupts::Interrupts;
use super::queue::{work, Done, Queue, Results, Started};
use super::report::{Outcome, Report};
use crate::dashboard::Dashboard;
use crate::input::Lines;
use crate::journal::{Journal, Records, Replay, State};
use crate::payload;

/// The most lines started ahead of those in flight.
pub(super) const MAX_AHEAD: usize = 256;

/// The most bytes of outcome records held back from the journal, waiting for the next group.
const OUTCOMES_HELD: usize = 16 * 1024;

/// Recorded for lines whose start was synced but that were never sent.
const NOT_SENT: &str = "not sent: interrupted before its request left";

/// The lines to send, in order, skipping (and reporting) those that need no request.
#[derive(Debug)]
pub(super) struct Source {
    pub(super) lines: Lines,
    pub(super) replay: Option<Replay>,
    pub(super) resend_uncertain: bool,
    pub(super) dashboard: Option<Dashboard>,
}

impl Source {
    /// The next line to send with its bulletin, reporting those it passes over.
    pub(super) fn next(&mut self, report: &mut Report) -> io::Result<Option<(u64, Payload)>> {
        while let Some(line) = self.lines.next_line()? {
            if line.is_blank() {
                continue;
            }
            let state = self
                .replay
                .as_ref()
                .map_or(State::Unsent, |r| r.state(line.number));
            if state == State::Delivered {
                report.delivered_earlier(line.number);
                continue;
            }
            if state.is_uncertain() && !self.resend_uncertain {
                report.uncertain_earlier(line.number);
                continue;
            }
            match payload::parse_checked(line.bytes, self.dashboard.as_ref()) {
                Ok(payload) => return Ok(Some((line.number, payload))),
                Err(problems) => report.skipped(line.number, &problems),
            }
        }
        Ok(None)
    }
}

/// How the loop ended.
#[derive(Debug)]
pub(super) struct Ended {
    pub(super) report: Report,
    pub(super) interrupted: bool,
    /// Why the journal could not be written or the input read, if so.
    pub(super) failure: Option<String>,
}

type Synced = Result<io::Result<()>, tokio::task::JoinError>;

/// Sends every line of `source`.
pub(super) async fn send(
    source: Source,
    client: Client,
    journal: Option<Journal>,
    report: Report,
    concurrency: usize,
) -> Ended {
    let mut p = Pipeline::new(source, &client, journal, report, concurrency);
    let mut interrupts = Interrupts::new();
    loop {
        // Without a journal, lines go straight to the workers.
        if !p.journaling {
            p.fill_queue();
        }
        let group_started = p.admit_group();
        let group_started = p.write_records(group_started);
        if group_started {
            p.start_sync();
        }
        if p.stopping {
            // Workers hand back the queued lines unsent, then end.
            p.stop.store(true, Ordering::SeqCst);
            p.queue.close(concurrency);
        }
        if p.outstanding.is_empty() && p.syncing.is_none() && (p.exhausted || p.stopping) {
            break;
        }
        // Woken by the workers once the ready lines are down to half of what the window
        // queues (every answer, once fewer are left): the window is refilled, and the records
        // written, for several lines at a time.
        let queued = if p.journaling { p.ahead } else { p.min_ahead };
        p.results.wake_at.store(queued / 2, Ordering::SeqCst);
        tokio::select! {
            () = p.results.notify.notified() => p.take_results(),
            synced = wait(&mut p.syncing) => p.synced(synced),
            Some(Err(ended)) = p.workers.join_next() => {
                // A worker panicked: its line stays started, so it reads as uncertain.
                p.failure = Some(format!("a sending task failed: {ended}; unfinished lines are left uncertain"));
                break;
            }
            () = interrupts.recv() => {
                if p.interrupt().await {
                    break;
                }
            }
        }
    }
    p.end().await
}

/// The sending loop's state: the lines in each stage, the journal and its sync, the workers.
struct Pipeline {
    source: Source,
    journal: Option<Journal>,
    /// Whether the send began with a journal (it stays so when the journal fails).
    journaling: bool,
    /// A second handle on the journal, synced from a blocking thread while the loop writes.
    syncer: Option<Arc<std::fs::File>>,
    report: Report,
    concurrency: usize,
    min_ahead: usize,
    max_ahead: usize,
    /// How many lines are started ahead of those in flight.
    ahead: usize,
    queue: Arc<Queue>,
    results: Arc<Results>,
    stop: Arc<AtomicBool>,
    /// The lines whose request may have left: only they can be uncertain after a hard stop.
    started: Started,
    workers: JoinSet<()>,
    /// Lines handed to the workers and not yet finished: queued or in flight.
    outstanding: HashSet<u64>,
    /// The group being synced: started, not yet ready.
    admitted: Vec<(u64, Payload)>,
    records: Records,
    syncing: Option<JoinHandle<io::Result<()>>>,
    /// The fewest lines outstanding at any moment of the current sync: fewer than
    /// `concurrency` means a worker had nothing to send while it ran.
    fewest_during_sync: usize,
    exhausted: bool,
    stopping: bool,
    interrupted: bool,
    /// Why the journal could not be written or the input read, if so.
    failure: Option<String>,
}

impl Pipeline {
    /// Starts `concurrency` workers, each sending one line at a time from the queue of ready
    /// lines.
    fn new(
        source: Source,
        client: &Client,
        mut journal: Option<Journal>,
        report: Report,
        concurrency: usize,
    ) -> Self {
        let mut failure = None;
        let syncer = match journal.as_ref().map(Journal::syncer).transpose() {
            Ok(syncer) => syncer.map(Arc::new),
            Err(e) => {
                failure = Some(format!("cannot open the journal again to sync it: {e}"));
                journal = None;
                None
            }
        };
        let queue = Arc::new(Queue::new());
        let results = Arc::new(Results::new());
        let stop = Arc::new(AtomicBool::new(false));
        let started: Started = Arc::default();
        let mut workers = JoinSet::new();
        for _ in 0..concurrency {
            workers.spawn(work(
                client.clone(),
                Arc::clone(&queue),
                Arc::clone(&results),
                Arc::clone(&stop),
                Arc::clone(&started),
            ));
        }
        let min_ahead = 2 * concurrency;
        Self {
            source,
            journaling: journal.is_some(),
            journal,
            syncer,
            report,
            concurrency,
            min_ahead,
            max_ahead: MAX_AHEAD.max(min_ahead),
            ahead: min_ahead,
            queue,
            results,
            stop,
            started,
            workers,
            outstanding: HashSet::new(),
            admitted: Vec::new(),
            records: Records::default(),
            syncing: None,
            fewest_during_sync: usize::MAX,
            exhausted: false,
            stopping: failure.is_some(),
            interrupted: false,
            failure,
        }
    }

    /// The next line to send, or `None` at the end of the input or when it cannot be read.
    fn next_line(&mut self) -> Option<(u64, Payload)> {
        match self.source.next(&mut self.report) {
            Ok(Some(next)) => Some(next),
            Ok(None) => {
                self.exhausted = true;
                None
            }
            Err(e) => {
                self.failure = Some(format!("cannot read the input: {e}"));
                self.stopping = true;
                None
            }
        }
    }

    /// Without a journal: queues lines up to the window.
    fn fill_queue(&mut self) {
        while !self.stopping
            && !self.exhausted
            && self.outstanding.len() < self.concurrency + self.min_ahead
        {
            if let Some((line, payload)) = self.next_line() {
                self.outstanding.insert(line);
                self.queue.push((line, payload));
            }
        }
    }

    /// With a journal and no sync running: starts the next group, recording its starts.
    /// Returns whether a group started.
    fn admit_group(&mut self) -> bool {
        if !self.journaling || self.syncing.is_some() || self.stopping || self.exhausted {
            return false;
        }
        let want = (self.concurrency + self.ahead).saturating_sub(self.outstanding.len());
        // A sync costs more than a request: one for every line or two would be the limit.
        // So a group waits until half the lookahead is free.
        let want = if want >= (self.ahead / 2).max(1) {
            want
        } else {
            0
        };
        for _ in 0..want {
            let Some((line, payload)) = self.next_line() else {
                break;
            };
            self.records.started(line);
            self.admitted.push((line, payload));
        }
        !self.admitted.is_empty()
    }

    /// Everything recorded so far, in one write: the new starts and the outcomes. Outcomes
    /// wait for the next group's starts (or the end of the input, or a stop): a write on its
    /// own per answer would queue behind the running sync on the file's lock and slow every
    /// line down. Returns whether the group (if one started) may be synced.
    fn write_records(&mut self, group_started: bool) -> bool {
        let due =
            group_started || self.exhausted || self.stopping || self.records.len() >= OUTCOMES_HELD;
        let mut group_started = group_started;
        if let (true, Some(open)) = (due, self.journal.as_mut()) {
            if let Err(e) = open.write(&self.records) {
                // Not knowing what reached the file, send nothing more.
                self.failure = Some(format!("cannot write the journal: {e}"));
                self.stopping = true;
                self.admitted.clear();
                group_started = false;
                self.journal = None;
            }
            self.records.clear();
        }
        group_started
    }

    /// Syncs the group just written, on a blocking thread.
    fn start_sync(&mut self) {
        if let Some(syncer) = self.syncer.as_ref() {
            self.fewest_during_sync = self.outstanding.len();
            let syncer = Arc::clone(syncer);
            self.syncing = Some(tokio::task::spawn_blocking(move || syncer.sync_data()));
        }
    }

    /// The workers' results so far, recorded and reported.
    fn take_results(&mut self) {
        for done in self.results.take() {
            finish(
                done,
                &mut self.outstanding,
                &mut self.records,
                &mut self.report,
            );
        }
        self.fewest_during_sync = self.fewest_during_sync.min(self.outstanding.len());
    }

    /// A sync ended: its group's lines are ready (or, when stopping, never sent), and the
    /// lookahead adapts to what limited the rate.
    fn synced(&mut self, synced: Synced) {
        match synced {
            Ok(Ok(())) => {
                // The ready lines ran low while this sync ran: the disk was the limit. Hardly
                // any answer came: the server is.
                let fewest_ready = self.fewest_during_sync.saturating_sub(self.concurrency);
                if fewest_ready < self.ahead / 4 {
                    self.ahead = (self.ahead * 2).min(self.max_ahead);
                } else if fewest_ready >= self.ahead - self.ahead / 4 {
                    self.ahead = (self.ahead - self.ahead / 4).max(self.min_ahead);
                }
                if self.stopping {
                    for (line, _) in self.admitted.drain(..) {
                        self.records.not_delivered(line, NOT_SENT);
                    }
                } else {
                    for (line, payload) in self.admitted.drain(..) {
                        self.outstanding.insert(line);
                        self.queue.push((line, payload));
                    }
                }
            }
            Ok(Err(e)) => self.sync_failed(format!("cannot sync the journal: {e}")),
            Err(e) => self.sync_failed(format!("the journal's sync failed: {e}")),
        }
    }

    fn sync_failed(&mut self, failure: String) {
        self.failure = Some(failure);
        self.stopping = true;
        self.admitted.clear();
    }

    /// Ctrl-C or SIGTERM: the first stops admitting lines and waits for those in flight; the
    /// second stops at once. Returns whether the loop ends now.
    async fn interrupt(&mut self) -> bool {
        if self.stopping {
            self.report
                .note("interrupted again: stopping now; the requests in flight are left uncertain");
            self.interrupted = true;
            self.workers.abort_all();
            // Once every worker has ended, no request leaves: what started is settled.
            while self.workers.join_next().await.is_some() {}
            self.take_results();
            abandon(
                &mut self.outstanding,
                &self.started,
                &mut self.records,
                &mut self.report,
            );
            return true;
        }
        self.stopping = true;
        self.interrupted = true;
        self.report.note(
            "interrupted: waiting for the requests in flight (Ctrl-C again to stop now; they would be left uncertain)",
        );
        false
    }

    /// Lines of a group still syncing were never sent; then everything is written and synced.
    async fn end(mut self) -> Ended {
        self.queue.close(self.concurrency);
        self.workers.abort_all();
        for (line, _) in self.admitted.drain(..) {
            self.records.not_delivered(line, NOT_SENT);
        }
        if let Some(mut open) = self.journal {
            if self.failure.is_none() {
                let records = self.records;
                let flushed = tokio::task::spawn_blocking(move || open.append(&records)).await;
                match flushed {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => self.failure = Some(format!("cannot write the journal: {e}")),
                    Err(e) => self.failure = Some(format!("the journal's writer failed: {e}")),
                }
            }
        }
        Ended {
            report: self.report,
            interrupted: self.interrupted,
            failure: self.failure,
        }
    }
}

/// Records and reports a line's result.
fn finish(
    (line, result): Done,
    outstanding: &mut HashSet<u64>,
    records: &mut Records,
    report: &mut Report,
) {
    outstanding.remove(&line);
    let Some(result) = result else {
        records.not_delivered(line, NOT_SENT);
        return;
    };
    let outcome = Outcome::of(result);
    match &outcome {
        Outcome::Delivered { targets } => records.delivered(line, *targets),
        Outcome::NotDelivered { reason, .. } => records.not_delivered(line, reason),
        Outcome::Uncertain { reason } => records.uncertain(line, reason),
    }
    report.outcome(line, &outcome);
}

/// After a second interrupt, with every worker ended: the lines whose request may have left
/// are uncertain (their start is in the journal); those still queued were never sent.
fn abandon(
    outstanding: &mut HashSet<u64>,
    started: &Started,
    records: &mut Records,
    report: &mut Report,
) {
    let started = started
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut lines: Vec<u64> = outstanding.drain().collect();
    lines.sort_unstable();
    for line in lines {
        if started.contains(&line) {
            let reason = "interrupted while its request was in flight".to_owned();
            report.outcome(line, &Outcome::Uncertain { reason });
        } else {
            records.not_delivered(line, NOT_SENT);
        }
    }
}

/// The sync being written, once it is done; never, if none is.
async fn wait(syncing: &mut Option<JoinHandle<io::Result<()>>>) -> Synced {
    match syncing.as_mut() {
        Some(handle) => {
            let synced = handle.await;
            *syncing = None;
            synced
        }
        None => std::future::pending().await,
    }
}
