//! A batch delivered by as many tasks as the cap, fed with prepared bulletins.
//!
//! `trigger_stream` validates and serializes each bulletin where the stream is polled (the
//! bulletins may borrow, and need not be `Send`), and queues the owned request. Each worker task
//! takes the next request as soon as it finishes one, so the slots stay busy while the stream's
//! own task is elsewhere; results come back in a shared list. Polled from one task instead, every
//! request of a batch ran on one worker thread and every answer woke that task (0.86x the rate
//! of hand-written tasks at C = 16); a task spawned per bulletin spread them, but put two
//! wake-ups on each slot's path from one bulletin to the next (0.8x its old rate at C = 3).
//! Every batch runs here, whatever its cap: a worker gives back its slot as soon as it has no
//! job, whether or not the stream is polled, which no batch polled in the caller's task can.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bulletins_core::Triggered;
use futures_util::task::AtomicWaker;
use futures_util::FutureExt as _;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tracing::instrument::WithSubscriber as _;
use tracing::subscriber::NoSubscriber;
use tracing::{Dispatch, Instrument as _, Span};

use crate::client::{Carried, Client, OnAttempt, Prepared};
use crate::error::Error;
use crate::lock;

/// How long a worker with no job keeps the slot it holds, waiting for the stream to queue the
/// next: a small fraction of a `RedisLimiter` turn (100 ms by default), so a stream its caller
/// stops polling gives its slots back within a turn.
const KEEP_WHILE_IDLE: Duration = Duration::from_millis(10);

/// One bulletin, prepared, waiting for a worker.
pub(crate) struct Job {
    pub(crate) index: usize,
    pub(crate) prepared: Prepared,
    pub(crate) event: Box<str>,
    pub(crate) span: Span,
}

/// What a worker sends back: a result, or the panic of a delivery (the caller's to see, as it
/// would be from an inline trigger).
type Outcome = Result<(usize, Result<Triggered, Error>), Box<dyn Any + Send>>;

/// The jobs waiting, shared by the workers, and the results going back.
struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    /// Wakes a worker when a job is queued, or all of them when no more will be.
    ready: Notify,
    /// No more jobs will be queued.
    closed: AtomicBool,
    results: Mutex<Vec<Outcome>>,
    /// The stream's task, woken for results only when it has jobs to queue (the waiting jobs
    /// ran low) or the batch is ending: a wake-up per result cost a context switch per
    /// bulletin at C = 3.
    stream: AtomicWaker,
    /// Wake the stream once this few jobs (or fewer) are waiting.
    low_water: usize,
    /// Workers still running: when none is, the stream must hear of it.
    workers: AtomicUsize,
    /// Whether attempts may still start: `false` once the stream is dropped. Looked at under
    /// the lock just before each attempt leaves, and `on_start` is called under it, so once
    /// the stream's drop has taken it no attempt starts and `on_start` has told of every one
    /// that did.
    sending: Mutex<bool>,
    /// Told the index of each bulletin whose first attempt is about to leave.
    on_start: Option<Arc<OnStart>>,
}

/// Told a bulletin's index when its first attempt is about to leave.
pub(crate) type OnStart = dyn Fn(usize) + Send + Sync;

impl Queue {
    /// How many jobs wait for a worker.
    fn waiting(&self) -> usize {
        lock(&self.jobs).len()
    }

    fn pop(&self) -> Option<Job> {
        lock(&self.jobs).pop_front()
    }

    /// The next job, or `None` once the queue is closed and empty.
    async fn next(&self) -> Option<Job> {
        loop {
            // Looked at first without registering: a worker that finds a job at once (the
            // usual case) takes no part in the wake-ups.
            if let Some(job) = self.pop() {
                return Some(job);
            }
            // Then registered before looking again, so a job queued in between is not missed.
            let mut notified = pin!(self.ready.notified());
            notified.as_mut().enable();
            if let Some(job) = self.pop() {
                return Some(job);
            }
            if self.closed.load(Ordering::Acquire) {
                return None;
            }
            notified.await;
        }
    }
}

/// The workers of one batch. Dropping this aborts them: each delivery in progress is dropped
/// (and warns, as a dropped trigger does), and the queued jobs are never sent, not even by a
/// worker running at that moment.
pub(crate) struct Workers {
    queue: Arc<Queue>,
    /// Results taken from the queue, handed out one per poll.
    taken: VecDeque<Outcome>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Spawns `count` workers delivering through `client`, logging through the subscriber that
    /// is the default here (they may run on other threads).
    /// `on_start` is told of each bulletin whose first attempt is about to leave.
    pub(crate) fn spawn(client: &Client, count: usize, on_start: Option<Arc<OnStart>>) -> Self {
        let count = count.max(1);
        let queue = Arc::new(Queue {
            jobs: Mutex::new(VecDeque::new()),
            ready: Notify::new(),
            closed: AtomicBool::new(false),
            results: Mutex::new(Vec::new()),
            stream: AtomicWaker::new(),
            low_water: count,
            workers: AtomicUsize::new(count),
            sending: Mutex::new(true),
            on_start,
        });
        let dispatch = tracing::dispatcher::get_default(Dispatch::clone);
        // With no subscriber anywhere there is none to carry: setting the caller's (none) on
        // every poll of every worker costs about 1 % of a batch's rate.
        let carry = tracing::dispatcher::has_been_set() || !dispatch.is::<NoSubscriber>();
        let tasks = (0..count)
            .map(|_| {
                let work = work(client.clone(), Arc::clone(&queue), dispatch.clone());
                if carry {
                    tokio::spawn(work.with_subscriber(dispatch.clone()))
                } else {
                    tokio::spawn(work)
                }
            })
            .collect();
        Self {
            queue,
            taken: VecDeque::new(),
            tasks,
        }
    }

    /// Queues a job for the next free worker.
    pub(crate) fn push(&self, job: Job) {
        lock(&self.queue.jobs).push_back(job);
        self.queue.ready.notify_one();
    }

    /// Says no more jobs will come: the workers end once the queue is empty.
    pub(crate) fn close(&self) {
        self.queue.closed.store(true, Ordering::Release);
        self.queue.ready.notify_waiters();
    }

    /// The next result; `Ready(None)` only if every worker is gone (one ended early, or the
    /// runtime is shutting down), which leaves the jobs in progress without a result (see
    /// [`Workers::abandon`]).
    pub(crate) fn poll_result(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Result<Triggered, Error>)>> {
        // Counted before the results are taken: a worker pushes its last result before it
        // counts itself out, so none is gone without its results being seen here.
        let mut running = true;
        if self.taken.is_empty() {
            // Registered before looking, so a result pushed in between wakes this task.
            self.queue.stream.register(cx.waker());
            running = self.queue.workers.load(Ordering::Acquire) > 0;
            self.taken.extend(lock(&self.queue.results).drain(..));
        }
        match self.taken.pop_front() {
            Some(Ok(result)) => Poll::Ready(Some(result)),
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None if !running => Poll::Ready(None),
            None => Poll::Pending,
        }
    }

    /// Once every worker is gone: takes the jobs no worker started, and returns their indices.
    pub(crate) fn abandon(&self) -> Vec<usize> {
        self.queue.closed.store(true, Ordering::Release);
        lock(&self.queue.jobs)
            .drain(..)
            .map(|job| job.index)
            .collect()
    }

    /// Ready once every worker has ended, each having given back the permit it kept; the
    /// stream ends only then, so no slot is left held after it.
    pub(crate) fn poll_ended(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.queue.stream.register(cx.waker());
        if self.queue.workers.load(Ordering::Acquire) == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        // An abort takes effect at the task's next yield: a worker in the middle of a poll on
        // another thread would otherwise take the next queued job and send it first. Emptied
        // here, the queue has none to give.
        self.queue.closed.store(true, Ordering::Release);
        lock(&self.queue.jobs).clear();
        // Nor does a worker in the middle of a delivery start another attempt; once this
        // returns, `on_start` has told of every bulletin that may have left.
        *lock(&self.queue.sending) = false;
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// One worker: takes jobs until the queue is closed and empty.
async fn work(client: Client, queue: Arc<Queue>, dispatch: Dispatch) {
    // Counts this worker out however it ends (aborted included), waking the stream.
    let _running = Running(&queue);
    // The bulletin being delivered, for `on_start`.
    let current = Arc::new(AtomicUsize::new(0));
    // The permit kept between bulletins.
    let mut carried = Carried::keeping().observed(may_start(&queue, &current));
    loop {
        let job = match queue.pop() {
            Some(job) => job,
            None => {
                // Nothing to send. A kept slot waits a moment for the stream to queue the next
                // job (it may be late to refill on a loaded machine: giving the slot back and
                // taking another costs two round trips to a shared limiter's store), then goes
                // back, so that no slot stays idle here while the caller does not poll.
                let waited = if carried.holds_permit() {
                    tokio::time::timeout(KEEP_WHILE_IDLE, queue.next())
                        .await
                        .ok()
                        .flatten()
                } else {
                    None
                };
                match waited {
                    Some(job) => job,
                    None => {
                        carried.release().await;
                        match queue.next().await {
                            Some(job) => job,
                            None => break,
                        }
                    }
                }
            }
        };
        let Job {
            index,
            prepared,
            event,
            span,
        } = job;
        current.store(index, Ordering::Relaxed);
        let delivery = client
            .deliver(prepared, &event, Some(&dispatch), &span, &mut carried)
            .instrument(span.clone());
        let outcome = AssertUnwindSafe(delivery)
            .catch_unwind()
            .await
            .map(|result| (index, result));
        let panicked = outcome.is_err();
        lock(&queue.results).push(outcome);
        if panicked || queue.waiting() <= queue.low_water || queue.closed.load(Ordering::Acquire) {
            queue.stream.wake();
        }
        if panicked {
            // This worker's state is suspect after a panic; the stream re-raises it.
            return;
        }
    }
}

/// Whether an attempt of the bulletin `current` may leave (not once the stream is dropped),
/// telling `on_start` of its first.
fn may_start(queue: &Arc<Queue>, current: &Arc<AtomicUsize>) -> Arc<OnAttempt> {
    let (queue, current) = (Arc::clone(queue), Arc::clone(current));
    Arc::new(move |attempt| {
        let sending = lock(&queue.sending);
        if !*sending {
            return false;
        }
        if let (1, Some(on_start)) = (attempt, &queue.on_start) {
            on_start(current.load(Ordering::Relaxed));
        }
        true
    })
}

/// Counts a worker out when it ends, and tells the stream.
struct Running<'a>(&'a Queue);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.workers.fetch_sub(1, Ordering::AcqRel);
        self.0.stream.wake();
    }
}
