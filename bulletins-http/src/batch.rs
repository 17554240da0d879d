//! Many bulletins: bounded concurrency, bounded memory, one result per input.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::task::Poll;

use bulletins_core::{Bulletin, BusinessEvent, Payload, Triggered};
use futures_util::stream::{self, Stream, StreamExt as _};

use crate::client::{trigger_span, Client, Sendable};
use crate::error::Error;
use crate::workers::{Job, OnStart, Workers};

// Every batch runs on worker tasks ([`Workers`]), whatever its cap, limiter and runtime: a
// worker gives back the slot it holds as soon as it has no bulletin to send, whether or not
// the caller still polls the stream, so a batch its caller stopped polling never keeps the
// slots the same client's other triggers wait for.

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
    /// borrow, and need not be `Send`). At most the cap of bulletins are in flight at once,
    /// delivered by as many worker tasks as the cap (spawned on the runtime where the stream
    /// is first polled), so the batch spreads over the runtime's threads; the stream keeps up
    /// to three times the cap pulled and prepared ahead of the answers, and an answer does not
    /// wait for the stream to be polled. A worker with no bulletin to send holds no slot,
    /// polled or not: a stream its caller stops polling leaves the client's other triggers,
    /// and with a shared [`Limiter`](crate::Limiter) the other processes, their slots once its
    /// requests are answered.
    ///
    /// Cancelling may leave bulletins delivered with no result: dropping the stream early
    /// cancels every trigger in progress (each is dropped by the runtime right after), each as [`Self::trigger`] describes: a WARN event per bulletin whose request was
    /// in flight, through the subscriber that was the default where the stream was polled.
    /// Bulletins pulled from `bulletins` but not yet started, and those not yet pulled, are not
    /// sent.
    ///
    /// Drive a large batch from a spawned task rather than from `#[tokio::main]`'s own future:
    /// that future is polled outside the runtime's worker threads, so every I/O wake-up must
    /// unpark it, which costs about half the throughput at concurrency 1.
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
        self.worker_stream(bulletins.into_iter(), self.window(), None)
    }

    /// [`Self::trigger_stream`], calling `on_start` with a bulletin's index (as the stream
    /// yields it) when a concurrency slot has been granted and its first attempt's request is
    /// about to leave: from then on CleverTap may have it. A bulletin pulled from `bulletins`
    /// but only waiting for a slot or a worker has not started.
    ///
    /// Dropping the stream stops every attempt that has not started, and once the drop has
    /// returned, `on_start` has been called for every bulletin that may have left: a caller
    /// interrupted before the end can tell the bulletins that may have been delivered from
    /// those that were never sent. `on_start` runs on the batch's worker tasks, before the
    /// request; keep it short, and never wait in it for the task that polls or drops the
    /// stream (the drop waits for a call in progress).
    ///
    /// ```no_run
    /// use std::collections::HashSet;
    /// use std::sync::{Arc, Mutex};
    /// use futures_util::StreamExt as _;
    /// # async fn run(client: bulletins_http::Client, bulletins: Vec<bulletins_http::Bulletin<'static, bulletins_http::DynamicEvent>>) {
    /// let started = Arc::new(Mutex::new(HashSet::new()));
    /// let record = Arc::clone(&started);
    /// let results = client.trigger_stream_observed(bulletins, move |index| {
    ///     record.lock().unwrap().insert(index);
    /// });
    /// // Take a few results, then give up on the rest.
    /// let answered: Vec<_> = results.take(10).collect().await;
    /// // The stream is dropped: no other bulletin will be sent.
    /// let may_have_left = started.lock().unwrap().len();
    /// # }
    /// ```
    pub fn trigger_stream_observed<'b, E, I, F>(
        &self,
        bulletins: I,
        on_start: F,
    ) -> impl Stream<Item = (usize, Result<Triggered, Error>)> + use<'b, E, I, F>
    where
        E: BusinessEvent,
        I: IntoIterator<Item = Bulletin<'b, E>>,
        F: Fn(usize) + Send + Sync + 'static,
    {
        self.worker_stream(
            bulletins.into_iter(),
            self.window(),
            Some(Arc::new(on_start)),
        )
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
        self.worker_stream(payloads.into_iter(), self.window(), None)
    }

    /// [`Self::send_stream`], calling `on_start` as [`Self::trigger_stream_observed`] does.
    pub fn send_stream_observed<I, F>(
        &self,
        payloads: I,
        on_start: F,
    ) -> impl Stream<Item = (usize, Result<Triggered, Error>)> + use<I, F>
    where
        I: IntoIterator<Item = Payload>,
        F: Fn(usize) + Send + Sync + 'static,
    {
        self.worker_stream(
            payloads.into_iter(),
            self.window(),
            Some(Arc::new(on_start)),
        )
    }

    /// `window` worker tasks (see [`Workers`]), fed with bulletins prepared here, at most
    /// [`LOOKAHEAD`] times the window pulled and not yet answered: the workers' next jobs wait
    /// ready while the stream's task is elsewhere, and memory stays bounded.
    fn worker_stream<T, I>(
        &self,
        bulletins: I,
        window: usize,
        on_start: Option<Arc<OnStart>>,
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
            let workers =
                workers.get_or_insert_with(|| Workers::spawn(&client, window, on_start.clone()));
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
    /// waits on the semaphore cost a third of the throughput at C = 1, and retries are rare
    /// when the cap matches CleverTap's. Memory stays bounded by this.
    fn window(&self) -> usize {
        self.max_concurrency()
    }

    /// Validates and serializes the bulletin here, for a worker to deliver.
    fn job<T: Sendable>(&self, index: usize, bulletin: &T) -> Result<Job, Error> {
        let event = bulletin.event_name();
        let span = trigger_span(event);
        let prepared = span.in_scope(|| bulletin.prepare_for(self));
        if prepared.is_err() {
            // Never sent, and so never counted by a worker's delivery.
            crate::metrics::triggered(event, &prepared);
        }
        let prepared = prepared?;
        Ok(Job {
            index,
            prepared,
            event: event.into(),
            span,
        })
    }
}
