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

use std::collections::{HashSet, VecDeque};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bulletins_http::{Client, Payload, Triggered};
use tokio::sync::{Notify, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

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

/// A line ready to send: its start is on disk (or there is no journal).
type Ready = (u64, Payload);

/// What a worker hands back for a line.
type Done = (u64, Option<Result<Triggered, bulletins_http::Error>>);

/// Sends every line of `source`.
pub(super) async fn send(
    mut source: Source,
    client: Client,
    mut journal: Option<Journal>,
    mut report: Report,
    concurrency: usize,
) -> Ended {
    let mut failure: Option<String> = None;
    // A second handle on the journal, synced from a blocking thread while this task writes.
    let syncer = match journal.as_ref().map(Journal::syncer).transpose() {
        Ok(syncer) => syncer.map(Arc::new),
        Err(e) => {
            failure = Some(format!("cannot open the journal again to sync it: {e}"));
            journal = None;
            None
        }
    };
    let journaling = journal.is_some();
    let min_ahead = 2 * concurrency;
    let max_ahead = MAX_AHEAD.max(min_ahead);
    let mut ahead = min_ahead;

    // `concurrency` workers, each sending one line at a time from the queue of ready lines
    // (the hand-written loop's shape: no hop through this task between two requests).
    let queue = Arc::new(Queue::new());
    let results = Arc::new(Results::new());
    let stop = Arc::new(AtomicBool::new(false));
    // The lines whose request may have left: only they can be uncertain after a hard stop.
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

    // Lines handed to the workers and not yet finished: queued or in flight.
    let mut outstanding: HashSet<u64> = HashSet::new();
    let mut admitted: Vec<(u64, Payload)> = Vec::new();
    let mut records = Records::default();
    let mut syncing: Option<JoinHandle<io::Result<()>>> = None;
    // The fewest lines outstanding at any moment of the current sync: fewer than
    // `concurrency` means a worker had nothing to send while it ran.
    let mut fewest_during_sync = usize::MAX;
    let mut exhausted = false;
    let mut stopping = failure.is_some();
    let mut interrupted = false;
    let mut interrupts = Interrupts::new();

    loop {
        // Without a journal, lines go straight to the workers.
        if !journaling {
            while !stopping && !exhausted && outstanding.len() < concurrency + min_ahead {
                match source.next(&mut report) {
                    Ok(Some((line, payload))) => {
                        outstanding.insert(line);
                        queue.push((line, payload));
                    }
                    Ok(None) => exhausted = true,
                    Err(e) => {
                        failure = Some(format!("cannot read the input: {e}"));
                        stopping = true;
                    }
                }
            }
        }

        // Start the next group: its start records, written below, then synced.
        let mut group_started = false;
        if journaling && syncing.is_none() && !stopping && !exhausted {
            let want = (concurrency + ahead).saturating_sub(outstanding.len());
            // A sync costs more than a request: one for every line or two would be the limit.
            // So a group waits until half the lookahead is free.
            let want = if want >= (ahead / 2).max(1) { want } else { 0 };
            for _ in 0..want {
                match source.next(&mut report) {
                    Ok(Some((line, payload))) => {
                        records.started(line);
                        admitted.push((line, payload));
                    }
                    Ok(None) => {
                        exhausted = true;
                        break;
                    }
                    Err(e) => {
                        failure = Some(format!("cannot read the input: {e}"));
                        stopping = true;
                        break;
                    }
                }
            }
            group_started = !admitted.is_empty();
        }

        // Everything recorded so far, in one write: the new starts and the outcomes. Outcomes
        // wait for the next group's starts (or the end of the input, or a stop): a write on its
        // own per answer would queue behind the running sync on the file's lock and slow every
        // line down.
        let due = group_started || exhausted || stopping || records.len() >= OUTCOMES_HELD;
        if let (true, Some(open)) = (due, journal.as_mut()) {
            if let Err(e) = open.write(&records) {
                // Not knowing what reached the file, send nothing more.
                failure = Some(format!("cannot write the journal: {e}"));
                stopping = true;
                admitted.clear();
                group_started = false;
                journal = None;
            }
            records.clear();
        }
        if let (true, Some(syncer)) = (group_started, syncer.as_ref()) {
            fewest_during_sync = outstanding.len();
            let syncer = Arc::clone(syncer);
            syncing = Some(tokio::task::spawn_blocking(move || syncer.sync_data()));
        }

        if stopping {
            // Workers hand back the queued lines unsent, then end.
            stop.store(true, Ordering::SeqCst);
            queue.close(concurrency);
        }
        if outstanding.is_empty() && syncing.is_none() && (exhausted || stopping) {
            break;
        }

        // Woken by the workers once the ready lines are down to half of what the window
        // queues (every answer, once fewer are left): the window is refilled, and the records
        // written, for several lines at a time.
        let queued = if journaling { ahead } else { min_ahead };
        results.wake_at.store(queued / 2, Ordering::SeqCst);
        tokio::select! {
            () = results.notify.notified() => {
                for done in results.take() {
                    finish(done, &mut outstanding, &mut records, &mut report);
                }
                fewest_during_sync = fewest_during_sync.min(outstanding.len());
            }
            synced = wait(&mut syncing) => {
                match synced {
                    Ok(Ok(())) => {
                        // The ready lines ran low while this sync ran: the disk was the
                        // limit. Hardly any answer came: the server is.
                        let fewest_ready = fewest_during_sync.saturating_sub(concurrency);
                        if fewest_ready < ahead / 4 {
                            ahead = (ahead * 2).min(max_ahead);
                        } else if fewest_ready >= ahead - ahead / 4 {
                            ahead = (ahead - ahead / 4).max(min_ahead);
                        }
                        if stopping {
                            for (line, _) in admitted.drain(..) {
                                records.not_delivered(line, NOT_SENT);
                            }
                        } else {
                            for (line, payload) in admitted.drain(..) {
                                outstanding.insert(line);
                                queue.push((line, payload));
                            }
                        }
                    }
                    Ok(Err(e)) => {
                        failure = Some(format!("cannot sync the journal: {e}"));
                        stopping = true;
                        admitted.clear();
                    }
                    Err(e) => {
                        failure = Some(format!("the journal's sync failed: {e}"));
                        stopping = true;
                        admitted.clear();
                    }
                }
            }
            Some(Err(ended)) = workers.join_next() => {
                // A worker panicked: its line stays started, so it reads as uncertain.
                failure = Some(format!("a sending task failed: {ended}; unfinished lines are left uncertain"));
                break;
            }
            () = interrupts.recv() => {
                if stopping {
                    report.note("interrupted again: stopping now; the requests in flight are left uncertain");
                    interrupted = true;
                    workers.abort_all();
                    // Once every worker has ended, no request leaves: what started is settled.
                    while workers.join_next().await.is_some() {}
                    for done in results.take() {
                        finish(done, &mut outstanding, &mut records, &mut report);
                    }
                    abandon(&mut outstanding, &started, &mut records, &mut report);
                    break;
                }
                stopping = true;
                interrupted = true;
                report.note(
                    "interrupted: waiting for the requests in flight (Ctrl-C again to stop now; they would be left uncertain)",
                );
            }
        }
    }
    queue.close(concurrency);
    workers.abort_all();

    // Lines of a group still syncing were never sent; then everything is written and synced.
    for (line, _) in admitted.drain(..) {
        records.not_delivered(line, NOT_SENT);
    }
    if let Some(mut open) = journal {
        if failure.is_none() {
            let flushed = tokio::task::spawn_blocking(move || open.append(&records)).await;
            match flushed {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failure = Some(format!("cannot write the journal: {e}")),
                Err(e) => failure = Some(format!("the journal's writer failed: {e}")),
            }
        }
    }
    Ended {
        report,
        interrupted,
        failure,
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

/// The ready lines, taken by whichever worker is free: one wake-up per line, where a channel
/// behind a mutex took two.
struct Queue {
    lines: std::sync::Mutex<VecDeque<Ready>>,
    /// One permit per queued line, and one per worker once closed.
    permits: Semaphore,
    closed: AtomicBool,
}

impl Queue {
    fn new() -> Self {
        Self {
            lines: std::sync::Mutex::new(VecDeque::new()),
            permits: Semaphore::new(0),
            closed: AtomicBool::new(false),
        }
    }

    fn len(&self) -> usize {
        self.lines.lock().map_or(0, |lines| lines.len())
    }

    fn push(&self, ready: Ready) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.push_back(ready);
        }
        self.permits.add_permits(1);
    }

    /// No more lines: each of the `workers` ends once the queue is empty.
    fn close(&self, workers: usize) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            self.permits.add_permits(workers);
        }
    }

    /// The next line; `None` once closed and empty.
    async fn pop(&self) -> Option<Ready> {
        loop {
            self.permits.acquire().await.ok()?.forget();
            if let Some(ready) = self.lines.lock().ok()?.pop_front() {
                return Some(ready);
            }
            if self.closed.load(Ordering::SeqCst) {
                return None;
            }
        }
    }
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").finish_non_exhaustive()
    }
}

/// The workers' results, waiting for the sending loop.
struct Results {
    done: std::sync::Mutex<Vec<Done>>,
    notify: Notify,
    /// Wake the loop when this many ready lines or fewer are left.
    wake_at: AtomicUsize,
}

impl Results {
    fn new() -> Self {
        Self {
            done: std::sync::Mutex::new(Vec::new()),
            notify: Notify::new(),
            wake_at: AtomicUsize::new(0),
        }
    }

    fn push(&self, done: Done, queue: &Queue) {
        if let Ok(mut results) = self.done.lock() {
            results.push(done);
        }
        // A wake-up is never lost: without a waiter, `notify_one` keeps it for the next.
        if queue.len() <= self.wake_at.load(Ordering::SeqCst) {
            self.notify.notify_one();
        }
    }

    fn take(&self) -> Vec<Done> {
        self.done
            .lock()
            .map(|mut results| std::mem::take(&mut *results))
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for Results {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Results").finish_non_exhaustive()
    }
}

/// The lines whose first attempt was about to leave.
type Started = Arc<std::sync::Mutex<HashSet<u64>>>;

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

/// One worker: sends the next ready line, hands back its result; after a stop, hands back the
/// queued lines unsent (`None`).
async fn work(
    client: Client,
    queue: Arc<Queue>,
    results: Arc<Results>,
    stop: Arc<AtomicBool>,
    started: Started,
) {
    while let Some((line, payload)) = queue.pop().await {
        let result = if stop.load(Ordering::SeqCst) {
            None
        } else {
            let started = Arc::clone(&started);
            let on_attempt = move |_| {
                started
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(line);
            };
            Some(client.send_observed(&payload, on_attempt).await)
        };
        results.push((line, result), &queue);
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

/// Ctrl-C, and SIGTERM on Unix (what `kill` and service managers send). The handlers are
/// installed once, so a signal arriving between two waits is not lost.
pub(super) struct Interrupts {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Interrupts {
    pub(super) fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signals = signal(SignalKind::interrupt())
                .and_then(|interrupt| Ok((interrupt, signal(SignalKind::terminate())?)))
                .ok();
            Self { signals }
        }
        #[cfg(not(unix))]
        Self {}
    }

    pub(super) async fn recv(&mut self) {
        #[cfg(unix)]
        {
            match self.signals.as_mut() {
                Some((interrupt, terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                None => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
