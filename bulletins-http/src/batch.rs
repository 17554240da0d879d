//! Many bulletins: bounded concurrency, bounded memory, one result per input.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bulletins_core::{Bulletin, BusinessEvent, Triggered};
use futures_util::future::Either;
use futures_util::stream::{self, Stream, StreamExt as _};
use tokio::task::JoinHandle;
use tracing::instrument::WithSubscriber as _;
use tracing::{Dispatch, Instrument as _};

use crate::client::{trigger_span, Client};
use crate::error::{Error, TransportKind};
use crate::slots::Slots;

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
    /// driven to its end.
    ///
    /// Each bulletin is validated and serialized where the stream is polled; with a cap above
    /// one, its requests then run on a task of their own (`tokio::spawn`), so a batch spreads
    /// over the runtime's worker threads and an answer does not wait for the stream to be
    /// polled. At most the cap of bulletins are in progress at once, whatever the cap.
    ///
    /// Cancelling may leave bulletins delivered with no result: dropping the stream early
    /// cancels every trigger in progress (each task is dropped by the runtime right after),
    /// each as [`Self::trigger`] describes: a WARN event per bulletin whose request was in
    /// flight, through the subscriber that was the default where the stream was polled.
    /// Bulletins not yet pulled from `bulletins` are not sent.
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
        // A fixed set of slots, refilled as results come out: memory stays bounded by the
        // window. With `buffer_unordered` over twice the cap the batch ran at 0.6-0.75x the
        // rate of hand-written tasks (BENCHMARKS.md §2). Each slot has its own waker, so a
        // wake-up polls only the request that made progress, not all of them.
        let mut pending = self.futures(bulletins.into_iter());
        let mut slots = Slots::new(self.window());
        let mut exhausted = false;
        stream::poll_fn(move |cx| {
            // Pull bulletins only as slots free up, so the iterator is never materialized.
            if !exhausted {
                exhausted = !slots.fill(|| pending.next());
            }
            slots.poll_next(cx)
        })
    }

    /// How many bulletins are in progress at once: the cap. Twice the cap would let a bulletin
    /// sleeping before a retry (holding no permit) leave no slot idle, but the extra slots'
    /// waits on the semaphore cost a third of the throughput at C = 1 (BENCHMARKS.md §2), and
    /// retries are rare when the cap matches CleverTap's. Memory stays bounded by this.
    fn window(&self) -> usize {
        self.max_concurrency()
    }

    fn futures<'b, E, I>(
        &self,
        bulletins: I,
    ) -> impl Iterator<Item = impl Future<Output = (usize, Result<Triggered, Error>)> + use<'b, E, I>>
           + use<'b, E, I>
    where
        E: BusinessEvent,
        I: Iterator<Item = Bulletin<'b, E>>,
    {
        let client = self.clone();
        // One slot gains nothing from a task of its own: the request would run there only to
        // wake this task when it ends, a hop per bulletin.
        let spawn = self.window() > 1;
        bulletins.enumerate().map(move |(index, bulletin)| {
            if !spawn {
                let client = client.clone();
                return Either::Left(async move { (index, client.trigger(&bulletin).await) });
            }
            let started = client.start(&bulletin);
            Either::Right(async move {
                let result = match started {
                    Ok(delivery) => delivery.await,
                    Err(invalid) => Err(invalid),
                };
                (index, result)
            })
        })
    }

    /// Validates and serializes the bulletin here, then delivers it on a task of its own.
    ///
    /// Polled from one task, the requests of a batch would all run on one worker thread, every
    /// answer waking that task: at C = 16 that ran at 0.86x the rate of hand-written tasks
    /// (BENCHMARKS.md §11). A task per delivery lets the runtime spread them over its workers,
    /// as hand-written tasks are.
    fn start<E: BusinessEvent>(&self, bulletin: &Bulletin<'_, E>) -> Result<Delivery, Error> {
        let event = bulletin.event().event_name();
        let span = trigger_span(event);
        let prepared = span.in_scope(|| self.prepare(bulletin))?;
        let event: Box<str> = event.into();
        let client = self.clone();
        // The caller's subscriber, which may be its thread's own: the task may run on another
        // thread, and a WARN on cancellation is dropped wherever the task is.
        let dispatch = tracing::dispatcher::get_default(Dispatch::clone);
        let warn_through = dispatch.clone();
        let task = async move {
            client
                .deliver(&prepared, &event, Some(&warn_through), &span)
                .instrument(span.clone())
                .await
        };
        Ok(Delivery(tokio::spawn(task.with_subscriber(dispatch))))
    }
}

/// A trigger running on a task of its own, cancelled when this is dropped before it finished
/// (as an inline trigger would be when its future is dropped).
struct Delivery(JoinHandle<Result<Triggered, Error>>);

impl Future for Delivery {
    type Output = Result<Triggered, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match std::task::ready!(Pin::new(&mut self.0).poll(cx)) {
            Ok(result) => Poll::Ready(result),
            // A panic in the delivery is the caller's, as it would be inline.
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            // Only the runtime shutting down cancels a delivery still awaited: its request may
            // have been in flight.
            Err(cancelled) => Poll::Ready(Err(Error::Transport {
                kind: TransportKind::ConnectionLost,
                source: Box::new(cancelled),
                attempts: 1,
                may_have_been_delivered: true,
            })),
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        // Stops the request in progress: the task's future is dropped on the runtime, which
        // warns if the bulletin may have been delivered. A finished task ignores it.
        self.0.abort();
    }
}
