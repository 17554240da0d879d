//! The workers of the sending loop: `concurrency` tasks, each sending one ready line at a
//! time from a shared queue and handing its result back (no hop through the loop's task
//! between two requests).

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bulletins_http::{Client, Payload, Triggered};
use tokio::sync::{Notify, Semaphore};

/// A line ready to send: its start is on disk (or there is no journal).
pub(super) type Ready = (u64, Payload);

/// What a worker hands back for a line: `None` when it was not sent (after a stop).
pub(super) type Done = (u64, Option<Result<Triggered, bulletins_http::Error>>);

/// The ready lines, taken by whichever worker is free: one wake-up per line, where a channel
/// behind a mutex took two.
pub(super) struct Queue {
    lines: std::sync::Mutex<VecDeque<Ready>>,
    /// One permit per queued line, and one per worker once closed.
    permits: Semaphore,
    closed: AtomicBool,
}

impl Queue {
    pub(super) fn new() -> Self {
        Self {
            lines: std::sync::Mutex::new(VecDeque::new()),
            permits: Semaphore::new(0),
            closed: AtomicBool::new(false),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.lines.lock().map_or(0, |lines| lines.len())
    }

    pub(super) fn push(&self, ready: Ready) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.push_back(ready);
        }
        self.permits.add_permits(1);
    }

    /// No more lines: each of the `workers` ends once the queue is empty.
    pub(super) fn close(&self, workers: usize) {
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
pub(super) struct Results {
    done: std::sync::Mutex<Vec<Done>>,
    pub(super) notify: Notify,
    /// Wake the loop when this many ready lines or fewer are left.
    pub(super) wake_at: AtomicUsize,
}

impl Results {
    pub(super) fn new() -> Self {
        Self {
            done: std::sync::Mutex::new(Vec::new()),
            notify: Notify::new(),
            wake_at: AtomicUsize::new(0),
        }
    }

    pub(super) fn push(&self, done: Done, queue: &Queue) {
        if let Ok(mut results) = self.done.lock() {
            results.push(done);
        }
        // A wake-up is never lost: without a waiter, `notify_one` keeps it for the next.
        if queue.len() <= self.wake_at.load(Ordering::SeqCst) {
            self.notify.notify_one();
        }
    }

    pub(super) fn take(&self) -> Vec<Done> {
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
pub(super) type Started = Arc<std::sync::Mutex<HashSet<u64>>>;

/// One worker: sends the next ready line, hands back its result; after a stop, hands back the
/// queued lines unsent (`None`).
pub(super) async fn work(
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
