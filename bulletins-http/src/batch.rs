//! Many bulletins: bounded concurrency, bounded memory, one result per input.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use bulletins_core::{Bulletin, BusinessEvent, Payload, Triggered};
use futures_util::future::Either;
use futures_util::stream::{self, FuturesUnordered, Stream, StreamExt as _};
use tokio::runtime::RuntimeFlavor;

use crate::client::{trigger_span, Carried, Client, Sendable};
use crate::error::Error;
use crate::inner::Cap;
use crate::limiter::Permit;
use crate::lock;
use crate::slots::Slots;
use crate::workers::{Job, Workers};

/// The largest cap whose batch is polled in the stream's own task, with the client's own cap
/// (with a shared limiter every batch runs on workers: see [`use_workers`]). Above it, on a
/// multi-threaded runtime, the batch runs on worker tasks ([`Workers`]). Measured on two
/// worker threads against the static responder (BENCHMARKS.md §11): at C = 3 the stream's
/// own task was the faster (0.91x for workers), from C = 4 the workers (1.02x at C = 4,
/// 1.08x-1.24x at C = 16).
const POLLED_INLINE_UP_TO: usize = 3;

/// Whether a batch of this window runs on worker tasks: always with a shared [`Limiter`],
/// and otherwise above [`POLLED_INLINE_UP_TO`] where tasks can run in parallel (a
/// current-thread runtime would gain nothing from them but their hand-offs).
///
/// A batch polled in the stream's own task holds its slots while its caller does not poll it
/// (the permit kept for its next bulletin, and those of its answered requests, which only
/// that task can give back): a shared limiter's slots are the whole fleet's, so an idle
/// stream would leave every other process waiting. A worker gives back its slot as soon as it
/// has no bulletin to send, polled or not.
///
/// [`Limiter`]: crate::Limiter
fn use_workers(cap: &Cap, window: usize) -> bool {
    matches!(cap, Cap::Shared(_))
        || (window > POLLED_INLINE_UP_TO
            && tokio::runtime::Handle::try_current()
                .is_ok_and(|runtime| runtime.runtime_flavor() != RuntimeFlavor::CurrentThread))
}

/// The result of a bulletin of a batch whose workers had all ended before it was sent.
fn not_sent() -> Error {
    Error::Abandoned {
        may_have_been_delivered: false,
    }
}

/// How many times the cap of bulletins a batch with workers pulls ahead of its answers: the
/// cap in flight, and the rest prepared for the next free worker, so the stream's task is
/// woken to refill once per cap's worth of results rather than once per result.
const LOOKAHEAD: usize = 3;

impl Client {
    /// Raises every bulletin, at most [`max_concurrency`](Client::max_concurrency) at a time,
    /// and returns one result per bulletin, in input order. No failure is dropped: an invalid
    /// bulletin is an [`Error::Invalid`] in its place and the others still go out.
    ///
    /// Bulletins are pulled from `bulletins` as slots free up, so a large or endless iterator
    /// is not materialized; only the results are kept. Use [`Self::trigger_stream`] to see
    /// results as they come, or to avoid keeping them.
    ///
    /// Runs as [`Self::trigger_stream`] does. Cancelling may leave bulletins delivered with no
    /// result: dropping the future cancels every trigger in progress, each as
    /// [`Self::trigger`] describes (a WARN event per bulletin whose request was in flight).
    /// Bulletins not yet started are not sent.
    pub async fn trigger_all<'b, E, I>(&self, bulletins: I) -> Vec<Result<Triggered, Error>>
    where
        E: BusinessEvent,
        I: IntoIterator<Item = Bulletin<'b, E>>,
    {
        let mut indexed: Vec<(usize, Result<Triggered, Error>)> =
            self.trigger_stream(bulletins).collect().await;
        // Every index from 0 appears exactly once, so sorting restores the input order.
        indexed.sort_unstable_by_key(|(index, _)| *index);
        indexed.into_iter().map(|(_, result)| result).collect()
    }

    /// Raises every bulletin, at most [`max_concurrency`](Client::max_concurrency) at a time,
    /// yielding `(index, result)` as each finishes — in completion order, not input order —
    /// for progress reporting. Every input yields exactly one item, as long as the stream is
    /// driven to its end: should the batch's worker tasks end before answering (a
    /// [`Limiter`](crate::Limiter) panicking, the runtime shutting down), each bulletin they
    /// did not answer, and each after them, yields [`Error::Abandoned`].
    ///
    /// Each bulletin is validated and serialized where the stream is polled (so bulletins may
    /// borrow, and need not be `Send`). At most the cap of bulletins are in flight at once.
    /// With the client's own cap of 3 or less (CleverTap's is 3), or on a current-thread
    /// runtime, their requests are polled in the stream's own task. With a larger cap on a
    /// multi-threaded runtime (as found where `trigger_stream` is called), or with a shared
    /// [`Limiter`](crate::Limiter) whatever the cap, as many worker tasks as the cap deliver
    /// them, so the batch spreads over the runtime's threads; the stream then keeps up to three
    /// times the cap pulled and prepared ahead of the answers, and an answer does not wait for
    /// the stream to be polled. A worker with no bulletin to send holds no slot of the shared
    /// limiter, so a stream its caller stops polling leaves the other processes theirs.
    ///
    /// Cancelling may leave bulletins delivered with no result: dropping the stream early
    /// cancels every trigger in progress (on workers, each is dropped by the runtime right
    /// after), each as [`Self::trigger`] describes: a WARN event per bulletin whose request was
    /// in flight, through the subscriber that was the default where the stream was polled.
    /// Bulletins pulled from `bulletins` but not yet started, and those not yet pulled, are not
    /// sent.
    ///
    /// Drive a large batch from a spawned task rather than from `#[tokio::main]`'s own future:
    /// that future is polled outside the runtime's worker threads, so every I/O wake-up must
    /// unpark it (measured at about half the throughput at concurrency 1; BENCHMARKS.md §2).
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// # async fn run(client: bulletins_http::Client, bulletins: Vec<bulletins_http::Bulletin<'static, bulletins_http::DynamicEvent>>) {
    /// let total = bulletins.len();
    /// let mut results = std::pin::pin!(client.trigger_stream(bulletins));
    /// let mut done = 0;
    /// while let Some((index, result)) = results.next().await {
    ///     done += 1;
    ///     if let Err(e) = result {
    ///         eprintln!("bulletin {index}: {e}");
    ///     }
    ///     eprintln!("{done}/{total}");
    /// }
    /// # }
    /// ```
    pub fn trigger_stream<'b, E, I>(
        &self,
        bulletins: I,
    ) -> impl Stream<Item = (usize, Result<Triggered, Error>)> + use<'b, E, I>
    where
        E: BusinessEvent,
        I: IntoIterator<Item = Bulletin<'b, E>>,
    {
        self.stream_of(bulletins.into_iter())
    }

    /// [`Self::trigger_stream`] for payloads: each one's bytes are sent untouched, as
    /// [`Self::send`] sends them, with everything `trigger_stream` promises.
    pub fn send_stream<I>(
        &self,
        payloads: I,
    ) -> impl Stream<Item = (usize, Result<Triggered, Error>)> + use<I>
    where
        I: IntoIterator<Item = Payload>,
    {
        self.stream_of(payloads.into_iter())
    }

    fn stream_of<T, I>(
        &self,
        items: I,
    ) -> impl Stream<Item = (usize, Result<Triggered, Error>)> + use<T, I>
    where
        T: Sendable,
        I: Iterator<Item = T>,
    {
        let window = self.window();
        if use_workers(&self.inner.cap, window) {
            Either::Right(self.worker_stream(items, window))
        } else {
            Either::Left(self.inline_stream(items, window))
        }
    }

    /// A fixed set of slots polled in the stream's own task, refilled as results come out:
    /// memory stays bounded by the window. With `buffer_unordered` over twice the cap the
    /// batch ran at 0.6-0.75x the rate of hand-written tasks (BENCHMARKS.md §2). Each slot has
    /// its own waker, so a wake-up polls only the request that made progress.
    fn inline_stream<T, I>(
        &self,
        bulletins: I,
        window: usize,
    ) -> impl Stream<Item = (usize, Result<Triggered, Error>)> + use<T, I>
    where
        T: Sendable,
        I: Iterator<Item = T>,
    {
        let client = self.clone();
        // What finished bulletins carried (the timer bounding their attempts, and the permit a
        // shared limiter let them keep), for the next ones. A bulletin takes its share when it
        // is pulled into a slot, not when first polled: the pool then holds only what no
        // bulletin pulled will use.
        let pool: Arc<Mutex<Vec<Carried>>> = Arc::default();
        let returned_to = Arc::clone(&pool);
        let mut pending = bulletins.enumerate().map(move |(index, bulletin)| {
            let client = client.clone();
            let pool = Arc::clone(&returned_to);
            let mut carried = lock(&pool).pop().unwrap_or_else(Carried::keeping);
            async move {
                let result = client.deliver_one(&bulletin, &mut carried).await;
                lock(&pool).push(carried);
                (index, result)
            }
        });
        let mut slots = Slots::new(window);
        let mut exhausted = false;
        let mut releasing = FuturesUnordered::new();
        stream::poll_fn(move |cx| {
            // Pull bulletins only as slots free up, so the iterator is never materialized.
            if !exhausted {
                exhausted = !slots.fill(|| pending.next());
            }
            // With no bulletin left to take them, the permits kept go back at once: held, they
            // could leave this batch's last bulletins (and every other process) waiting for
            // slots that nobody uses.
            if exhausted {
                let kept: Vec<Permit> = lock(&pool)
                    .iter_mut()
                    .filter_map(Carried::take_permit)
                    .collect();
                releasing.extend(kept.into_iter().map(Permit::release));
            }
            while let Poll::Ready(Some(())) = releasing.poll_next_unpin(cx) {}
            match slots.poll_next(cx) {
                // The stream ends once the limiter has recorded the releases (dropped earlier,
                // the permits go back in the background).
                Poll::Ready(None) if !releasing.is_empty() => Poll::Pending,
                polled => polled,
            }
        })
    }

    /// `window` worker tasks (see [`Workers`]), fed with bulletins prepared here, at most
    /// [`LOOKAHEAD`] times the window pulled and not yet answered: the workers' next jobs wait
    /// ready while the stream's task is elsewhere, and memory stays bounded.
    fn worker_stream<T, I>(
        &self,
        bulletins: I,
        window: usize,
    ) -> impl Stream<Item = (usize, Result<Triggered, Error>)> + use<T, I>
    where
        T: Sendable,
        I: Iterator<Item = T>,
    {
        let client = self.clone();
        let lookahead = window.saturating_mul(LOOKAHEAD);
        let mut bulletins = bulletins.enumerate();
        let mut workers: Option<Workers> = None;
        let mut queued = 0_usize;
        // The bulletins given to the workers and not yet answered: if the workers end early,
        // each still gets its result.
        let mut outstanding: HashSet<usize> = HashSet::new();
        // Results to hand out before the workers' (invalid bulletins, abandoned ones).
        let mut ready: VecDeque<(usize, Result<Triggered, Error>)> = VecDeque::new();
        let mut exhausted = false;
        let mut abandoned = false;
        stream::poll_fn(move |cx| loop {
            // Spawned on the first poll, which is inside the runtime.
            let workers = workers.get_or_insert_with(|| Workers::spawn(&client, window));
            while !exhausted && queued + ready.len() < lookahead {
                let Some((index, bulletin)) = bulletins.next() else {
                    exhausted = true;
                    workers.close();
                    break;
                };
                match client.job(index, &bulletin) {
                    // No worker is left to send it.
                    Ok(_) if abandoned => ready.push_back((index, Err(not_sent()))),
                    Ok(job) => {
                        workers.push(job);
                        outstanding.insert(index);
                        queued += 1;
                    }
                    Err(refused) => ready.push_back((index, Err(refused))),
                }
            }
            if let Some(item) = ready.pop_front() {
                return Poll::Ready(Some(item));
            }
            if queued == 0 {
                // Every bulletin answered, and none is left: the workers are ending.
                std::task::ready!(workers.poll_ended(cx));
                return Poll::Ready(None);
            }
            if let Some((index, result)) = std::task::ready!(workers.poll_result(cx)) {
                queued = queued.saturating_sub(1);
                outstanding.remove(&index);
                return Poll::Ready(Some((index, result)));
            }
            // Every worker ended with bulletins unanswered: each still gets its own result,
            // and so does every bulletin after them, so no result lands on another's place.
            let never_started: HashSet<usize> = workers.abandon().into_iter().collect();
            tracing::error!(
                unanswered = outstanding.len(),
                "the batch's workers ended before every bulletin was answered; the rest are not sent"
            );
            let mut lost: Vec<usize> = outstanding.drain().collect();
            lost.sort_unstable();
            ready.extend(lost.into_iter().map(|index| {
                let may_have_been_delivered = !never_started.contains(&index);
                (
                    index,
                    Err(Error::Abandoned {
                        may_have_been_delivered,
                    }),
                )
            }));
            queued = 0;
            abandoned = true;
        })
    }

    /// How many bulletins are in progress at once: the cap. Twice the cap would let a bulletin
    /// sleeping before a retry (holding no permit) leave no slot idle, but the extra slots'
    /// waits on the semaphore cost a third of the throughput at C = 1 (BENCHMARKS.md §2), and
    /// retries are rare when the cap matches CleverTap's. Memory stays bounded by this.
    fn window(&self) -> usize {
        self.max_concurrency()
    }

    /// Validates and serializes the bulletin here, for a worker to deliver.
    fn job<T: Sendable>(&self, index: usize, bulletin: &T) -> Result<Job, Error> {
        let event = bulletin.event_name();
        let span = trigger_span(event);
        let prepared = span.in_scope(|| bulletin.prepare_for(self))?;
        Ok(Job {
            index,
            prepared,
            event: event.into(),
            span,
        })
    }
}
