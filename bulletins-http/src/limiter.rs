//! Where the client takes a permit before each attempt: the in-process cap by default, or a
//! [`Limiter`] shared between processes (such as `RedisLimiter`, feature `redis`).
//!
//! A permit is held for one attempt, from sending to the end of the answer's body, and released
//! before any backoff. Waiting for it does not count against the attempt's timeout.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::time::Instant;

use crate::error::BoxError;

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
pub use self::redis::{
    InvalidRedisLimiter, RedisLimiter, RedisLimiterBuilder, DEFAULT_KEY_PREFIX,
    DEFAULT_LEASE_MARGIN, DEFAULT_LOCAL_HANDOFF_WINDOW, DEFAULT_MAX_LOCAL_HANDOFFS,
};

/// Hands out the permits that keep an account's requests in flight under its limit.
///
/// The client asks for one permit per attempt ([`Limiter::acquire`]) and drops it when the
/// attempt's answer has been read. Set one with
/// [`ClientBuilder::limiter`](crate::ClientBuilder::limiter); without one, the client and its
/// clones share an in-process cap of
/// [`max_concurrency`](crate::ClientBuilder::max_concurrency) permits.
///
/// An implementation waits (fairly, ideally in arrival order) until a slot is free. It fails
/// only when it cannot tell whether a slot is free (its store is unreachable): the client then
/// sends nothing and returns [`Error::Limiter`](crate::Error::Limiter).
///
/// The client ends each attempt with [`Permit::release`], which waits for a release given with
/// [`Permit::on_release`] (a store's round trip), so that a process exiting right after its
/// last trigger leaves no slot held; a permit dropped otherwise (a cancelled trigger) must
/// free its slot on its own, in the background. A batch may instead keep a permit for its next
/// bulletin, when the limiter allows it ([`Permit::on_keep`]), and releases it the same way
/// once it has no bulletin left for it.
pub trait Limiter: fmt::Debug + Send + Sync + 'static {
    /// Waits for a slot for one attempt described by `slot`.
    fn acquire<'a>(&'a self, slot: Slot<'a>) -> BoxFuture<'a, Result<Permit, BoxError>>;
}

/// What the client asks a [`Limiter`] for: one slot of an account's limit, for one attempt.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Slot<'a> {
    /// The account the attempt is sent as; limits are per account.
    pub account_id: &'a str,
    /// The most attempts of this account in flight at once
    /// ([`ClientBuilder::max_concurrency`](crate::ClientBuilder::max_concurrency)).
    pub max_concurrency: usize,
    /// The longest the attempt may hold the slot: its timeout. A lease-based limiter leases
    /// the slot for longer than this.
    pub attempt_timeout: Duration,
    /// The attempt is a batch's, which keeps its permits from one bulletin to the next when
    /// the limiter lets it ([`Permit::on_keep`]): it should get a slot of its own rather than
    /// wait for one that another task of the process holds.
    pub batch: bool,
}

impl<'a> Slot<'a> {
    /// A slot of `account_id`'s limit of `max_concurrency`, for an attempt of at most
    /// `attempt_timeout` (to drive a limiter directly, or wrap one).
    pub fn new(account_id: &'a str, max_concurrency: usize, attempt_timeout: Duration) -> Self {
        Self {
            account_id,
            max_concurrency,
            attempt_timeout,
            batch: false,
        }
    }

    /// The same slot, asked for by a batch (see [`Slot::batch`]).
    pub fn for_batch(mut self) -> Self {
        self.batch = true;
        self
    }
}

/// The right to run one attempt; dropping it frees the slot.
///
/// A permit from a lease-based limiter also knows until when its lease certainly holds, by the
/// local monotonic clock: the client starts an attempt only if the lease
/// [covers](Permit::covers) the attempt's whole timeout, and never on a lease found lost.
pub struct Permit {
    /// Whatever frees the slot when dropped.
    _guard: Box<dyn Send + Sync>,
    lease: Option<Arc<Lease>>,
    /// Frees the slot now, waiting until the limiter has recorded it.
    release: Option<ReleaseNow>,
    /// Whether the limiter lets the holder keep the slot for its next attempt.
    keep: Option<KeepAsked>,
}

type ReleaseNow = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send + Sync>;
type KeepAsked = Box<dyn Fn() -> bool + Send + Sync>;

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Permit {
    /// A permit that holds `guard` until dropped (a semaphore permit, say), with no lease: it
    /// covers any attempt.
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        Self {
            _guard: Box::new(guard),
            lease: None,
            release: None,
            keep: None,
        }
    }

    /// A permit whose slot is leased: valid until `lease` says otherwise.
    pub fn leased(guard: impl Send + Sync + 'static, lease: Arc<Lease>) -> Self {
        Self {
            _guard: Box::new(guard),
            lease: Some(lease),
            release: None,
            keep: None,
        }
    }

    /// Gives the permit a way to free its slot and wait until that is recorded (a store's
    /// round trip), for [`Permit::release`]; dropping it still frees the slot in the
    /// background.
    pub fn on_release(
        mut self,
        release: impl FnOnce() -> BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Self {
        self.release = Some(Box::new(release));
        self
    }

    /// Lets the holder keep the permit between its attempts, to run the next one on it without
    /// asking the limiter again whenever `keep` says so (for a limiter whose every acquisition
    /// costs a round trip). A batch keeps such a permit after each delivered bulletin and asks
    /// `keep` before sending the next on it; when told no, it releases the permit and takes
    /// another.
    pub fn on_keep(mut self, keep: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        self.keep = Some(Box::new(keep));
        self
    }

    /// Whether the limiter may let the holder keep this permit for its next attempt (it gave
    /// [`Permit::on_keep`]).
    pub fn is_keepable(&self) -> bool {
        self.keep.is_some()
    }

    /// Whether the holder may run another attempt on this kept permit, one lasting up to
    /// `attempt_timeout`: the limiter allows it (see [`Permit::on_keep`]; never, without it)
    /// and the permit [covers](Permit::covers) that attempt.
    pub fn keep_for(&self, attempt_timeout: Duration) -> bool {
        self.covers(attempt_timeout) && self.keep.as_ref().is_some_and(|keep| keep())
    }

    /// Frees the slot now and waits until the limiter has recorded it. The client releases
    /// each permit it does not keep this way, so a process that exits right after its last
    /// trigger leaves no slot held behind it.
    pub async fn release(mut self) {
        if let Some(release) = self.release.take() {
            release().await;
        }
    }

    /// Whether a renewal found this permit's lease gone (expired, or lost by the store).
    pub fn is_lost(&self) -> bool {
        self.lease.as_ref().is_some_and(|lease| lease.is_lost())
    }

    /// Whether an attempt lasting up to `attempt_timeout` may start on this permit now: the
    /// lease (if any) is not lost and certainly lasts that long.
    pub fn covers(&self, attempt_timeout: Duration) -> bool {
        self.lease
            .as_ref()
            .is_none_or(|lease| lease.covers(attempt_timeout))
    }
}

/// A slot's lease, as its holder knows it: until when it certainly holds (local monotonic
/// clock, measured from before the request that set it), and whether a renewal found it gone.
#[derive(Debug)]
pub struct Lease {
    valid_until: Mutex<Instant>,
    lost: AtomicBool,
}

impl Lease {
    /// A lease that holds until `valid_until`.
    pub fn new(valid_until: Instant) -> Self {
        Self {
            valid_until: Mutex::new(valid_until),
            lost: AtomicBool::new(false),
        }
    }

    /// Records a renewal: the lease now holds until `valid_until` (never shortened).
    pub fn renewed(&self, valid_until: Instant) {
        let mut until = crate::lock(&self.valid_until);
        *until = (*until).max(valid_until);
    }

    /// Records that the lease is gone: no attempt may start on it any more.
    pub fn lose(&self) {
        self.lost.store(true, Ordering::Release);
    }

    /// Whether a renewal found the lease gone.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Acquire)
    }

    /// Whether the lease is not lost and holds for at least `duration` from now. A duration
    /// past the clock's range (such as `Duration::MAX`) is covered by no lease.
    pub fn covers(&self, duration: Duration) -> bool {
        let until = *crate::lock(&self.valid_until);
        !self.is_lost()
            && Instant::now()
                .checked_add(duration)
                .is_some_and(|end| end <= until)
    }
}

/// A permit for one attempt that its lease covers. A permit whose lease no longer covers the
/// attempt (the process was paused, or the store answered slowly) is given back and another is
/// taken, so no attempt starts on an expired lease.
pub(crate) async fn permit_for_attempt(
    limiter: &dyn Limiter,
    slot: Slot<'_>,
) -> Result<Permit, BoxError> {
    loop {
        let permit = limiter.acquire(slot).await?;
        if permit.covers(slot.attempt_timeout) {
            return Ok(permit);
        }
        tracing::debug!("the slot's lease no longer covers the attempt's timeout; taking another");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_lease_covers_a_duration_past_the_clocks_range() {
        let lease = Lease::new(Instant::now() + Duration::from_secs(60));
        assert!(lease.covers(Duration::from_secs(1)));
        assert!(!lease.covers(Duration::MAX));
        let permit = Permit::leased((), Arc::new(lease));
        assert!(!permit.covers(Duration::MAX));
        assert!(!permit.keep_for(Duration::MAX));
    }
}
