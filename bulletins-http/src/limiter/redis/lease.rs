//! A place in an account's queue in Redis, and its lease: renewed while held, left when
//! released or dropped.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::scripts::Keys;
use super::store::{later, Store};
use crate::limiter::Lease;

/// A place in an account's queue, left when dropped.
pub(super) struct Ticket {
    pub(super) store: Arc<Store>,
    pub(super) keys: Keys,
    pub(super) account_id: String,
    pub(super) member: String,
    pub(super) max_concurrency: usize,
    /// Its process's turn is over: its release sends the process's waiters to the back.
    pub(super) turn_over: bool,
    /// Set once released, so that dropping it does not release it again.
    released: bool,
}

impl Ticket {
    /// `member`'s place in `account_id`'s queue, whose keys are `keys`.
    pub(super) fn new(
        store: &Arc<Store>,
        keys: Keys,
        account_id: &str,
        member: String,
        max_concurrency: usize,
    ) -> Self {
        Self {
            store: Arc::clone(store),
            keys,
            account_id: account_id.to_owned(),
            member,
            max_concurrency,
            turn_over: false,
            released: false,
        }
    }

    fn clone_ref(&self) -> TicketRef {
        TicketRef {
            store: Arc::clone(&self.store),
            keys: self.keys.clone(),
            member: self.member.clone(),
        }
    }

    /// Renews the place's lease of `lease_ms` in a task of its own, every third of it, until
    /// the task is aborted; records each renewal in `lease`.
    pub(super) fn keep_renewed(
        &self,
        lease: &Arc<Lease>,
        lease_ms: u64,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(renew(self.clone_ref(), Arc::clone(lease), lease_ms))
    }

    /// Leaves the queue now, waiting for Redis to record it. The release runs in a task of its
    /// own, so a caller cancelled while it waits does not cancel it: the slot would stay held
    /// until its lease ends.
    pub(super) async fn release(mut self) {
        self.released = true;
        let releasing = tokio::spawn(release(
            self.clone_ref(),
            self.max_concurrency,
            self.turn_over,
        ));
        // It cannot panic; if it did, the lease ends on its own.
        let _ = releasing.await;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        // No runtime (the process is shutting down): the lease ends on its own.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(release(
            self.clone_ref(),
            self.max_concurrency,
            self.turn_over,
        ));
    }
}

/// What a renewal needs: a [`Ticket`] that does not release.
struct TicketRef {
    store: Arc<Store>,
    keys: Keys,
    member: String,
}

async fn release(place: TicketRef, max_concurrency: usize, turn_over: bool) {
    let invocation =
        place
            .store
            .scripts
            .release(&place.keys, &place.member, max_concurrency, turn_over);
    let released: Result<u8, _> = place.store.invoke(&invocation).await;
    if let Err(error) = released {
        tracing::debug!(%error, "could not release the slot; its lease will end on its own");
    }
}

/// Renews the lease every third of its length while the attempt runs; marks it lost when
/// Redis no longer has it, or cannot say.
async fn renew(place: TicketRef, lease: Arc<Lease>, lease_ms: u64) {
    let every = Duration::from_millis(lease_ms / 3).max(Duration::from_millis(1));
    loop {
        tokio::time::sleep(every).await;
        let sent = Instant::now();
        place.store.count_renewal();
        let invocation = place
            .store
            .scripts
            .renew(&place.keys, &place.member, lease_ms);
        let renewed: Result<u8, _> = place.store.invoke(&invocation).await;
        match renewed {
            Ok(1) => lease.renewed(lease_end(sent, Duration::from_millis(lease_ms))),
            Ok(_) => {
                tracing::warn!("the slot's lease is gone (expired, or Redis lost it); no attempt will start on it");
                lease.lose();
                return;
            }
            // Unreachable for now: the lease may still hold; it ends at its last known time.
            Err(error) => tracing::debug!(%error, "could not renew the slot's lease"),
        }
    }
}

/// When a lease of `lease` set by a request sent at `sent` ends at the latest: a lease too long
/// for an [`Instant`] ends in 30 years, which no attempt outlives.
pub(super) fn lease_end(sent: Instant, lease: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
    later(sent, lease)
        .or_else(|| later(sent, FAR))
        .unwrap_or(sent)
}
