//! This process's own cap, per account: where a slot comes from when Redis is unreachable and
//! falling back is on. Every slot taken from Redis holds a place in it too, so that falling
//! back while this process holds slots adds none beyond the cap.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use tokio::sync::Semaphore;

use crate::error::BoxError;
use crate::limiter::{Permit, Slot};
use crate::lock;

/// This process's own caps, by account and cap.
#[derive(Default)]
pub(super) struct Fallback {
    caps: Mutex<HashMap<(String, usize), Arc<Semaphore>>>,
}

impl Fallback {
    /// This process's own cap for `slot`'s account.
    pub(super) fn own_cap(&self, slot: Slot<'_>) -> Arc<Semaphore> {
        let mut caps = lock(&self.caps);
        let cap = caps
            .entry((slot.account_id.to_owned(), slot.max_concurrency))
            .or_insert_with(|| {
                Arc::new(Semaphore::new(
                    slot.max_concurrency.min(Semaphore::MAX_PERMITS),
                ))
            });
        Arc::clone(cap)
    }
}

/// A permit from this process's own cap in place of Redis, which failed with `error`; without
/// a `fallback`, that error.
pub(super) fn fallback_permit(
    fallback: Option<&Fallback>,
    slot: Slot<'_>,
    error: BoxError,
) -> BoxFuture<'static, Result<Permit, BoxError>> {
    let Some(own_cap) = fallback.map(|fallback| fallback.own_cap(slot)) else {
        return Box::pin(async move { Err(error) });
    };
    tracing::warn!(%error, "Redis is unreachable; taking the slot from this process's own cap");
    Box::pin(async move { Ok(Permit::new(own_cap.acquire_owned().await?)) })
}
