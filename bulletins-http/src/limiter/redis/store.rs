//! The command connection to Redis: every script runs on it within the Redis timeout, and is
//! counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::scripts::Scripts;
use crate::error::BoxError;

/// One Redis, its scripts, and how many round trips it cost so far.
pub(super) struct Store {
    pub(super) client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    pub(super) redis_timeout: Duration,
    pub(super) scripts: Scripts,
    round_trips: AtomicU64,
    renewals: AtomicU64,
}

impl Store {
    /// The Redis of `client`, connected on first use.
    pub(super) fn new(client: redis::Client, redis_timeout: Duration) -> Self {
        Self {
            client,
            connection: OnceCell::new(),
            redis_timeout,
            scripts: Scripts::new(),
            round_trips: AtomicU64::new(0),
            renewals: AtomicU64::new(0),
        }
    }

    /// Round trips so far.
    pub(super) fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// Of [`Self::round_trips`], the renewals (counted by [`Self::count_renewal`]).
    pub(super) fn renewals(&self) -> u64 {
        self.renewals.load(Ordering::Relaxed)
    }

    /// Counts the round trip about to be made as a renewal.
    pub(super) fn count_renewal(&self) {
        self.renewals.fetch_add(1, Ordering::Relaxed);
    }

    async fn connection(&self) -> Result<ConnectionManager, BoxError> {
        let connection = self
            .connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.redis_timeout))
                    .set_response_timeout(Some(self.redis_timeout))
                    .set_number_of_retries(1);
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            })
            .await
            .map_err(|e| unreachable_error(&e))?;
        Ok(connection.clone())
    }

    /// Runs a script, within the Redis timeout.
    pub(super) async fn invoke<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, BoxError> {
        self.invoke_by(later(Instant::now(), self.redis_timeout), invocation)
            .await
    }

    /// Runs a script, connecting first if need be, all by `deadline` (none: no bound beyond the
    /// connection's own timeouts).
    pub(super) async fn invoke_by<T: redis::FromRedisValue>(
        &self,
        deadline: Option<Instant>,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, BoxError> {
        let invoked = async {
            let mut connection = self.connection().await?;
            self.round_trips.fetch_add(1, Ordering::Relaxed);
            invocation
                .invoke_async(&mut connection)
                .await
                .map_err(|e| unreachable_error(&e))
        };
        within(deadline, invoked).await.unwrap_or_else(|_| {
            Err(format!(
                "the Redis limiter could not take a slot: Redis did not answer within {:?}",
                self.redis_timeout
            )
            .into())
        })
    }
}

fn unreachable_error(error: &redis::RedisError) -> BoxError {
    format!("the Redis limiter could not take a slot: {error}").into()
}

/// `at + by`, or `None` when that is beyond what an [`Instant`] can hold (no bound).
pub(super) fn later(at: Instant, by: Duration) -> Option<Instant> {
    at.checked_add(by)
}

/// `future`, given up at `deadline` (never, without one).
pub(super) async fn within<F: std::future::Future>(
    deadline: Option<Instant>,
    future: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, future).await,
        None => Ok(future.await),
    }
}
