//! [`RedisLimiter`] and how it takes a slot: handed on within this process when its turn
//! allows, else queued in Redis until granted, else (with the fallback on) from this process's
//! own cap.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::time::Instant;

use super::fallback::{fallback_permit, Fallback};
use super::grants::{Grants, Waiter};
use super::lease::{lease_end, Ticket};
use super::scripts::Keys;
use super::store::{later, Store};
use super::turns::{HeldSlot, Turns};
use crate::error::BoxError;
use crate::limiter::{Limiter, Permit, Slot};

/// A [`Limiter`] whose slots live in Redis, so that every process sending as one account
/// shares that account's cap (CleverTap's 3 concurrent requests), however many replicas run.
///
/// ```no_run
/// use bulletins_http::{Client, RedisLimiter, Region};
///
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder()
///     .region(Region::India)
///     .account_id("ABCD-RSTU-1234")
///     .passcode(std::env::var("CLEVERTAP_PASSCODE")?)
///     .limiter(RedisLimiter::new("redis://127.0.0.1:6379")?)
///     .build()?;
/// # Ok(())
/// # }
/// ```
///
/// [`RedisLimiterBuilder::local_handoff_window`]: crate::RedisLimiterBuilder::local_handoff_window
/// [`RedisLimiterBuilder::max_local_handoffs`]: crate::RedisLimiterBuilder::max_local_handoffs
/// [`RedisLimiterBuilder::redis_timeout`]: crate::RedisLimiterBuilder::redis_timeout
/// [`RedisLimiterBuilder::fall_back_to_in_process`]: crate::RedisLimiterBuilder::fall_back_to_in_process
/// [`DEFAULT_LEASE_MARGIN`]: crate::DEFAULT_LEASE_MARGIN
///
/// # How it behaves
/// - **Fair, by turns:** processes are served roughly in arrival order, and none starves under
///   steady load. A process granted a slot while holding none (or only slots of its last
///   turn, once over) has its turn: for [`RedisLimiterBuilder::local_handoff_window`]
///   (100 ms), and until one of its slots has run
///   [`RedisLimiterBuilder::max_local_handoffs`] (256) further attempts, its waiting tasks are
///   served before other processes' and its slots stay with it. A task that asks during the
///   turn while its process holds a slot with no successor yet becomes that slot's successor,
///   and gets it when its holder finishes; a batch ([`Client::trigger_all`](crate::Client::trigger_all),
///   [`Client::trigger_stream`](crate::Client::trigger_stream)) keeps each slot for its next
///   bulletin instead, and gives it back when it has none. Every other task draws a ticket in
///   Redis. When the turn is over, the process's slots go back to Redis as their attempts end
///   and its waiters draw new tickets, behind the others'. A successor waits for its slot's
///   holder (one attempt at most), even if another slot comes free meanwhile. A waiter in Redis
///   is told its turn through Pub/Sub, and re-checks its place every third of a lease in case a
///   message was lost.
/// - **Leases:** a slot is leased for the attempt's timeout plus a margin
///   ([`DEFAULT_LEASE_MARGIN`]), by Redis's clock, and renewed while the attempt runs. An
///   attempt starts only if its lease certainly covers its timeout, by the local monotonic
///   clock measured from before the request that granted it; a lease a renewal finds gone
///   never starts another attempt. The same holds for a slot handed on within a process: a
///   lease that no longer covers the successor's attempt goes back to Redis, and the
///   successor takes a fresh slot there. A process that crashes, is killed or is paused loses its
///   slots when their leases end: the others wait at most one lease.
/// - **Redis unreachable:** by default the bulletin is not sent and the trigger fails with
///   [`Error::Limiter`](crate::Error::Limiter), which says it certainly was not delivered (so
///   it may be triggered again), within [`RedisLimiterBuilder::redis_timeout`] of the
///   acquire's start however many are waiting (a Redis that accepts connections and never
///   answers included). With [`RedisLimiterBuilder::fall_back_to_in_process`], the process
///   falls back to its own cap of `max_concurrency` for that attempt instead, which the slots
///   it still holds from Redis count against: then each process may have that many in
///   flight, and CleverTap may answer 429 (retried).
/// - **Replicas configured with different caps:** each waiter and holder records its
///   `max_concurrency` in Redis, and the smallest present is the cap for all (a replica with
///   a cap of 1 waiting or holding makes it 1 for everyone until it leaves). Slots already
///   held when a smaller cap arrives run their attempt, and those handed on within a process
///   run until its turn ends: the smaller cap applies from the next grants.
/// - **Redis's clock:** leases are measured by Redis's own clock (`TIME`), never by the
///   replicas'. Renewed every third of a lease, a held slot's lease has at least two thirds of
///   one left in Redis (less a round trip) while its renewals reach Redis, so a forward step
///   of the clock smaller than that ends none. The cap assumes no larger step: one (an NTP
///   step, a VM resumed, a failover to a node whose clock is ahead) ends the leases it jumps
///   over while their attempts run, and their slots are granted again, so up to
///   `max_concurrency` more attempts than the cap may be in flight for one attempt's timeout;
///   each such holder finds its lease gone at its next renewal and starts no further attempt
///   on it (CleverTap answers the excess 429, which the client retries). A backward step only
///   makes leases last longer. Keep Redis's clock slewed, not stepped.
/// - **Redis Cluster:** not supported. The limiter talks to the one node of its URL and does
///   not follow `MOVED` or `ASK` redirections (a script sent to the wrong node fails, and the
///   trigger with it); the braces in the keys only keep an account's keys together. Use a
///   single Redis, or a primary with replicas behind a failover address.
/// - **Redis restarted (without persistence) or failed over:** the slots held at that moment
///   are forgotten, so for at most one lease after the restart up to `max_concurrency`
///   attempts more than the cap may be in flight (each old slot runs one attempt at a time,
///   handed on within its process only while its lease covers the attempt; the renewals find
///   the leases gone, or their lease ends, and no further attempt starts on them).
///   CleverTap answers the excess 429, which the client retries. Nobody waits forever: waiting
///   resumes with new tickets.
/// - **Cost:** two round trips per slot taken from Redis, waiting included: one to join the
///   queue, one to leave it (a release that hands the slot to a waiter also publishes one
///   message, read by that waiter's process only). An attempt on a slot handed on or kept
///   within the process costs none, so under steady load an attempt costs
///   2 / (1 + hand-offs per grant) round trips, down to 2/257;
///   [`RedisLimiter::local_handoffs`] counts the hand-offs and the slots kept. Renewals add one per
///   third of a lease, for an attempt or a wait that long, and one more when a waiter's turn
///   comes after its lease no longer covers the attempt. Each process keeps one Pub/Sub
///   connection besides its command connection. The client waits for the release before
///   returning, a batch for the slots it kept (so an exiting process leaves no slot held);
///   when Redis is unreachable just then, that wait lasts at most the Redis timeout and the
///   lease ends on its own.
/// - **Keys:** `{prefix}{<account id>}:owners`, `:leases`, `:caps` and `:counter`, and the
///   channels `:granted:<process>`; the sets empty themselves; the counter (one integer per
///   account) stays.
#[derive(Clone)]
pub struct RedisLimiter {
    pub(super) shared: Arc<Shared>,
}

/// What every clone of a [`RedisLimiter`] shares.
pub(super) struct Shared {
    pub(super) store: Arc<Store>,
    pub(super) grants: Grants,
    pub(super) turns: Arc<Turns>,
    /// This process's own cap, used when Redis is unreachable and held by every slot taken
    /// from Redis too; `None` fails closed.
    pub(super) fallback: Option<Fallback>,
    pub(super) key_prefix: String,
    pub(super) lease_margin: Duration,
    pub(super) poll_interval: Option<Duration>,
}

impl fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.shared;
        // The URL may carry a password: only the address is shown.
        f.debug_struct("RedisLimiter")
            .field(
                "addr",
                &shared.store.client.get_connection_info().addr().to_string(),
            )
            .field("key_prefix", &shared.key_prefix)
            .field("lease_margin", &shared.lease_margin)
            .field("fall_back_to_in_process", &shared.fallback.is_some())
            .finish_non_exhaustive()
    }
}

impl RedisLimiter {
    /// Slots passed straight from one task of this process to another, without Redis, so far.
    pub fn local_handoffs(&self) -> u64 {
        self.shared.turns.local_handoffs()
    }

    /// Round trips to Redis so far (taking, renewing and releasing slots), for metrics.
    pub fn round_trips(&self) -> u64 {
        self.shared.store.round_trips()
    }

    /// Of [`Self::round_trips`], the lease renewals.
    pub fn renewals(&self) -> u64 {
        self.shared.store.renewals()
    }

    /// The key under which `account_id`'s holders and waiters are leased (a sorted set scored
    /// by lease end, in milliseconds of Redis's clock).
    pub fn leases_key(&self, account_id: &str) -> String {
        Keys::new(&self.shared.key_prefix, account_id).leases
    }

    async fn acquire_slot(&self, slot: Slot<'_>) -> Result<Permit, BoxError> {
        let shared = &self.shared;
        if let Some(held) = shared.turns.hand_off(slot).await {
            return Ok(held.into_permit());
        }
        // Subscribing and the first round trip end within the Redis timeout of this start: a
        // Redis that does not answer fails (or falls back) each acquire in that time, however
        // many are waiting.
        let redis_timeout = shared.store.redis_timeout;
        let mut deadline = later(Instant::now(), redis_timeout);
        let lease = slot.attempt_timeout.saturating_add(shared.lease_margin);
        let lease_ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX);
        let poll = shared
            .poll_interval
            .unwrap_or(lease / 3)
            .max(Duration::from_millis(1));
        // Registered and subscribed before joining, so a grant published right after the join
        // is not missed.
        let waiter = Waiter::register(&shared.grants);
        shared.grants.listen(deadline).await;
        // Leaves the queue if this future is dropped while waiting.
        let ticket = Ticket::new(
            &shared.store,
            Keys::new(&shared.key_prefix, slot.account_id),
            slot.account_id,
            waiter.member.clone(),
            slot.max_concurrency,
        );
        let mut first = true;
        loop {
            if !std::mem::take(&mut first) {
                shared.store.count_renewal();
            }
            // The lease set by this call lasts until `sent + lease` at the latest.
            let sent = Instant::now();
            let invocation = shared.store.scripts.acquire(
                &ticket.keys,
                &ticket.member,
                slot.max_concurrency,
                lease_ms,
                shared.turns.in_turn(slot.account_id),
            );
            let (granted, _rank): (u8, u64) = shared.store.invoke_by(deadline, &invocation).await?;
            let valid_until = lease_end(sent, lease);
            if granted == 1 {
                return self.granted(slot, ticket, valid_until, lease_ms).await;
            }
            // Our turn is published; without a message, re-check (and renew the place) later.
            // A turn that comes when the place's lease no longer covers the attempt is checked
            // (and the lease renewed) by the next round.
            if tokio::time::timeout(poll, waiter.wake.notified())
                .await
                .is_ok()
                && later(Instant::now(), slot.attempt_timeout).is_some_and(|end| end <= valid_until)
            {
                return self.granted(slot, ticket, valid_until, lease_ms).await;
            }
            deadline = later(Instant::now(), redis_timeout);
        }
    }

    /// The permit for the slot Redis granted `ticket`. With the fallback on, it first takes a
    /// place in this process's own cap, which the fallback's permits take too: when Redis is
    /// lost while this process holds slots, the fallback adds none beyond the cap.
    async fn granted(
        &self,
        slot: Slot<'_>,
        ticket: Ticket,
        valid_until: Instant,
        lease_ms: u64,
    ) -> Result<Permit, BoxError> {
        let shared = &self.shared;
        let own = match &shared.fallback {
            Some(fallback) => Some(fallback.own_cap(slot).acquire_owned().await?),
            None => None,
        };
        let held = HeldSlot::granted(&shared.turns, ticket, valid_until, lease_ms, own);
        Ok(held.into_permit())
    }
}

impl Limiter for RedisLimiter {
    fn acquire<'a>(&'a self, slot: Slot<'a>) -> BoxFuture<'a, Result<Permit, BoxError>> {
        Box::pin(async move {
            if slot.max_concurrency == 0 {
                // Never sent to Redis, whose scripts would read a cap of 0 as no limit at all,
                // nor to the fallback, which would wait forever.
                return Err("the Redis limiter grants no slot with a max_concurrency of 0".into());
            }
            match self.acquire_slot(slot).await {
                Ok(permit) => Ok(permit),
                Err(error) => fallback_permit(self.shared.fallback.as_ref(), slot, error).await,
            }
        })
    }
}
