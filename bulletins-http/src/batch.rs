//! Many bulletins: bounded concurrency, bounded memory, one result per input.

use std::future::Future;

use bulletins_core::{Bulletin, BusinessEvent, Triggered};
use futures_util::stream::{self, Stream, StreamExt as _};

use crate::client::Client;
use crate::error::Error;
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
    /// Cancelling may leave bulletins delivered with no result: dropping the future drops every
    /// trigger in progress, each as [`Self::trigger`] describes (a WARN event per bulletin whose
    /// request was in flight). Bulletins not yet started are not sent.
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
    /// Cancelling may leave bulletins delivered with no result: dropping the stream early drops
    /// every trigger in progress, each as [`Self::trigger`] describes (a WARN event per bulletin
    /// whose request was in flight). Bulletins not yet pulled from `bulletins` are not sent.
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
        bulletins.enumerate().map(move |(index, bulletin)| {
            let client = client.clone();
            async move { (index, client.trigger(&bulletin).await) }
        })
    }
}
