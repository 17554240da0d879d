//! Where each attempt's permit comes from: the client's own semaphore, or a [`Limiter`] shared
//! with other processes.

use std::fmt;
use std::sync::Arc;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::BoxError;
use crate::limiter::{self, Limiter, Permit, Slot};
use crate::metrics::{Clock, Waited};

/// Where each attempt's permit comes from.
pub(crate) enum Cap {
    /// The default: one semaphore shared by a client and its clones. Taken directly, without a
    /// boxed future or a trait object per attempt: this is every request's path.
    InProcess(Semaphore),
    /// A limiter given to the builder, such as `RedisLimiter`.
    Shared(Arc<dyn Limiter>),
}

impl Cap {
    /// One attempt's permit: held while the attempt runs, then [released](Held::release); and
    /// how long it was waited for.
    pub(crate) async fn permit(&self, slot: Slot<'_>) -> Result<(Held<'_>, Waited), BoxError> {
        match self {
            Cap::InProcess(permits) => {
                // Free permits are only ever left when no one waits (a release hands its permit
                // to the first waiter), so taking one at once jumps no queue.
                if let Ok(permit) = permits.try_acquire() {
                    return Ok((Held::InProcess(Some(permit)), Waited::none()));
                }
                let waiting = Clock::start();
                // The semaphore is never closed, so acquiring it cannot fail.
                let permit = permits.acquire().await.ok();
                Ok((Held::InProcess(permit), Waited::since(waiting)))
            }
            Cap::Shared(limiter) => {
                let waiting = Clock::start();
                let permit = limiter::permit_for_attempt(&**limiter, slot).await?;
                Ok((Held::Shared(permit), Waited::since(waiting)))
            }
        }
    }
}

impl fmt::Debug for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cap::InProcess(permits) => f
                .debug_struct("InProcess")
                .field("available", &permits.available_permits())
                .finish(),
            Cap::Shared(limiter) => limiter.fmt(f),
        }
    }
}

/// A permit held for one attempt.
pub(crate) enum Held<'a> {
    InProcess(Option<SemaphorePermit<'a>>),
    Shared(Permit),
}

impl Held<'_> {
    /// Frees the slot; for a shared limiter, waits until the limiter has recorded it.
    pub(crate) async fn release(self) {
        match self {
            Held::InProcess(permit) => drop(permit),
            Held::Shared(permit) => permit.release().await,
        }
    }
}
