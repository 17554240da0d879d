//! Many bulletins: bounded concurrency, bounded memory, one result per input.

use std::future::Future;

use bulletins_core::{Bulletin, BusinessEvent, Triggered};
use futures_util::stream::{self, Stream, StreamExt as _};

use crate::client::Client;
use crate::error::Error;

impl Client {
    /// Raises every bulletin, at most [`max_concurrency`](Client::max_concurrency) at a time,
    /// and returns one result per bulletin, in input order. No failure is dropped: an invalid
    /// bulletin is an [`Error::Invalid`] in its place and the others still go out.
    ///
    /// Bulletins are pulled from `bulletins` as slots free up, so a large or endless iterator
    /// is not materialized; only the results are kept. Use [`Self::trigger_stream`] to see
    /// results as they come, or to avoid keeping them.
    pub async fn trigger_all<E, I>(&self, bulletins: I) -> Vec<Result<Triggered, Error>>
    where
        E: BusinessEvent,
        I: IntoIterator<Item = Bulletin<E>>,
    {
        let bulletins = bulletins.into_iter();
        let mut results = Vec::with_capacity(bulletins.size_hint().0);
        let mut ordered = std::pin::pin!(self.futures(bulletins).buffered(self.window()));
        while let Some((_, result)) = ordered.next().await {
            results.push(result);
        }
        results
    }

    /// Raises every bulletin, at most [`max_concurrency`](Client::max_concurrency) at a time,
    /// yielding `(index, result)` as each finishes — in completion order, not input order —
    /// for progress reporting. Every input yields exactly one item.
    ///
    /// Drive a large batch from a spawned task rather than from `#[tokio::main]`'s own future:
    /// that future is polled outside the runtime's worker threads, so every I/O wake-up must
    /// unpark it (measured at about half the throughput at concurrency 1; BENCHMARKS.md §2).
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    /// # async fn run(client: bulletins_http::Client, bulletins: Vec<bulletins_http::Bulletin<bulletins_http::DynamicEvent>>) {
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
    pub fn trigger_stream<E, I>(
        &self,
        bulletins: I,
    ) -> impl Stream<Item = (usize, Result<Triggered, Error>)>
    where
        E: BusinessEvent,
        I: IntoIterator<Item = Bulletin<E>>,
    {
        self.futures(bulletins.into_iter())
            .buffer_unordered(self.window())
    }

    /// How many bulletins are in progress at once: twice the cap, so a bulletin sleeping before
    /// a retry (holding no permit) does not leave a slot idle. Memory stays bounded by this.
    fn window(&self) -> usize {
        self.max_concurrency().saturating_mul(2)
    }

    fn futures<E, I>(
        &self,
        bulletins: I,
    ) -> impl Stream<Item = impl Future<Output = (usize, Result<Triggered, Error>)>>
    where
        E: BusinessEvent,
        I: Iterator<Item = Bulletin<E>>,
    {
        let client = self.clone();
        stream::iter(bulletins.enumerate()).map(move |(index, bulletin)| {
            let client = client.clone();
            async move { (index, client.trigger(&bulletin).await) }
        })
    }
}
