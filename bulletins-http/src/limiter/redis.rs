//! [`RedisLimiter`]: one account's concurrency cap shared by every process that uses it, as a
//! fair counting semaphore in Redis (Redis in Action's fair semaphore, with leases).
//!
//! Per account, under `{prefix}{<account id>}:` (the braces keep an account's keys in one
//! Redis Cluster slot):
//! - `owners`, a sorted set: every waiter and holder, scored by its ticket, a number drawn from
//!   `counter` when it arrived. The first `max_concurrency` of them hold the slots; the others
//!   wait, in arrival order.
//! - `leases`, a sorted set: the same members, scored by when their lease ends, in Redis's
//!   clock (`TIME`). Every script first drops the expired ones from both sets, so a process
//!   that died holding (or waiting for) a slot loses it when its lease ends.
//! - `counter`: the last ticket drawn.
//!
//! Each operation is one Lua script, so one round trip, atomic, on Redis's clock alone.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use tokio::sync::{OnceCell, Semaphore};
use tokio::time::Instant;

use super::{Lease, Limiter, Permit, Slot};
use crate::error::BoxError;

/// The key prefix unless [`RedisLimiterBuilder::key_prefix`] says otherwise.
pub const DEFAULT_KEY_PREFIX: &str = "bulletins:limiter:";

/// How much longer than the attempt's timeout a lease lasts, unless
/// [`RedisLimiterBuilder::lease_margin`] says otherwise.
pub const DEFAULT_LEASE_MARGIN: Duration = Duration::from_secs(5);

const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(2);
const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Joins the queue (or renews a place in it) and says whether the place holds a slot.
/// KEYS: owners, leases, counter. ARGV: member, max_concurrency, lease in ms.
/// Returns {1 if a slot is held else 0, the member's rank}.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, member in ipairs(expired) do
  redis.call('ZREM', KEYS[1], member)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), ARGV[1])
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if rank < tonumber(ARGV[2]) then
  return {1, rank}
end
return {0, rank}
";

/// Extends a held lease; 0 if it is gone (expired, or Redis lost it).
/// KEYS: owners, leases. ARGV: member, lease in ms.
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ends = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not ends or tonumber(ends) <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
return 1
";

/// Leaves the queue, freeing the slot if one was held. KEYS: owners, leases. ARGV: member.
const RELEASE: &str = r"
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
";

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
/// # How it behaves
/// - **Fair:** waiters are served in arrival order across all processes (each draws a ticket
///   when it starts waiting); a waiter polls Redis every couple of milliseconds.
/// - **Leases:** a slot is leased for the attempt's timeout plus a margin
///   ([`DEFAULT_LEASE_MARGIN`]), by Redis's clock, and renewed while the attempt runs. An
///   attempt starts only if its lease certainly covers its timeout, by the local monotonic
///   clock measured from before the request that granted it; a lease a renewal finds gone
///   never starts another attempt. A process that crashes, is killed or is paused loses its
///   slots when their leases end: the others wait at most one lease.
/// - **Redis unreachable:** by default the bulletin is not sent and the trigger fails with
///   [`Error::Limiter`](crate::Error::Limiter), which says it certainly was not delivered (so
///   it may be triggered again). With [`RedisLimiterBuilder::fall_back_to_in_process`], the
///   process falls back to its own cap of `max_concurrency` for that attempt instead: then
///   each process may have that many in flight, and CleverTap may answer 429 (retried).
/// - **Redis restarted (without persistence) or failed over:** the slots held at that moment
///   are forgotten, so for at most one lease after the restart up to `max_concurrency`
///   attempts more than the cap may be in flight (the old holders finish within their
///   timeout; their renewals find the leases gone and no further attempt starts on them).
///   CleverTap answers the excess 429, which the client retries. Nobody waits forever: waiting
///   resumes with new tickets.
/// - **Cost:** one round trip to take a free slot and one to release it; a waiter adds one per
///   poll, and an attempt longer than a third of its lease one per renewal.
/// - **Keys:** `{prefix}{<account id>}:owners`, `:leases` and `:counter`; the sets empty
///   themselves; the counter (one integer per account) stays.
#[derive(Clone)]
pub struct RedisLimiter {
    shared: Arc<Shared>,
}

struct Shared {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    key_prefix: String,
    lease_margin: Duration,
    poll_interval: Duration,
    redis_timeout: Duration,
    /// Per account, the cap used when Redis is unreachable; `None` fails closed.
    fallback: Option<Mutex<HashMap<String, Arc<Semaphore>>>>,
    scripts: Scripts,
    round_trips: AtomicU64,
    renewals: AtomicU64,
}

struct Scripts {
    acquire: Script,
    renew: Script,
    release: Script,
}

impl fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.shared;
        // The URL may carry a password: only the address is shown.
        f.debug_struct("RedisLimiter")
            .field(
                "addr",
                &shared.client.get_connection_info().addr().to_string(),
            )
            .field("key_prefix", &shared.key_prefix)
            .field("lease_margin", &shared.lease_margin)
            .field("fall_back_to_in_process", &shared.fallback.is_some())
            .finish_non_exhaustive()
    }
}

/// Why a [`RedisLimiter`] could not be built. Never contains the URL's password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRedisLimiter {
    /// The URL is not a Redis URL.
    #[error("invalid Redis URL for the limiter ({reason}); expected redis://[:password@]host[:port][/db]")]
    Url {
        /// What is wrong with it.
        reason: String,
    },
    /// A duration setting is zero.
    #[error("the limiter's {which} is zero; give a positive duration")]
    ZeroDuration {
        /// `lease margin`, `poll interval` or `Redis timeout`.
        which: &'static str,
    },
}

/// Configures a [`RedisLimiter`]; start with [`RedisLimiter::builder`].
#[must_use]
#[derive(Debug)]
pub struct RedisLimiterBuilder {
    url: String,
    key_prefix: String,
    lease_margin: Duration,
    poll_interval: Duration,
    redis_timeout: Duration,
    fall_back: bool,
}

impl RedisLimiterBuilder {
    /// The prefix of every key (default [`DEFAULT_KEY_PREFIX`]); the account id follows it.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// How much longer than the attempt's timeout a lease lasts (default
    /// [`DEFAULT_LEASE_MARGIN`]). It absorbs the round trip that grants the slot: an attempt
    /// whose grant took longer than the margin is not started. A process that dies holding a
    /// slot keeps it for the timeout plus this margin.
    pub fn lease_margin(mut self, margin: Duration) -> Self {
        self.lease_margin = margin;
        self
    }

    /// How often a waiter asks Redis whether its turn has come (default 2 ms).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long connecting to Redis, and each answer, may take before Redis counts as
    /// unreachable (default 2 s).
    pub fn redis_timeout(mut self, timeout: Duration) -> Self {
        self.redis_timeout = timeout;
        self
    }

    /// When Redis is unreachable, take the slot from this process's own cap (per account,
    /// `max_concurrency`) instead of failing the trigger. Off by default: replicas falling
    /// back together may exceed the account's limit (CleverTap answers 429, which is retried).
    pub fn fall_back_to_in_process(mut self, fall_back: bool) -> Self {
        self.fall_back = fall_back;
        self
    }

    /// Checks the URL and builds the limiter. It connects on first use, in the runtime of the
    /// client using it.
    ///
    /// # Errors
    /// The URL is not a Redis URL (`redis://[:password@]host[:port][/db]`), or the margin,
    /// poll interval or Redis timeout is zero.
    pub fn build(self) -> Result<RedisLimiter, InvalidRedisLimiter> {
        let client =
            redis::Client::open(self.url.as_str()).map_err(|e| InvalidRedisLimiter::Url {
                // Its messages are fixed descriptions: the URL (and its password) is not in them.
                reason: e.to_string(),
            })?;
        for (name, value) in [
            ("lease margin", self.lease_margin),
            ("poll interval", self.poll_interval),
            ("Redis timeout", self.redis_timeout),
        ] {
            if value.is_zero() {
                return Err(InvalidRedisLimiter::ZeroDuration { which: name });
            }
        }
        Ok(RedisLimiter {
            shared: Arc::new(Shared {
                client,
                connection: OnceCell::new(),
                key_prefix: self.key_prefix,
                lease_margin: self.lease_margin,
                poll_interval: self.poll_interval,
                redis_timeout: self.redis_timeout,
                fallback: self.fall_back.then(|| Mutex::new(HashMap::new())),
                scripts: Scripts {
                    acquire: Script::new(ACQUIRE),
                    renew: Script::new(RENEW),
                    release: Script::new(RELEASE),
                },
                round_trips: AtomicU64::new(0),
                renewals: AtomicU64::new(0),
            }),
        })
    }
}

impl RedisLimiter {
    /// A limiter on the Redis at `url` with the default settings.
    ///
    /// # Errors
    /// See [`RedisLimiterBuilder::build`].
    pub fn new(url: &str) -> Result<Self, InvalidRedisLimiter> {
        Self::builder(url).build()
    }

    /// Starts configuring a limiter on the Redis at `url`.
    pub fn builder(url: impl Into<String>) -> RedisLimiterBuilder {
        RedisLimiterBuilder {
            url: url.into(),
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            lease_margin: DEFAULT_LEASE_MARGIN,
            poll_interval: DEFAULT_POLL_INTERVAL,
            redis_timeout: DEFAULT_REDIS_TIMEOUT,
            fall_back: false,
        }
    }

    /// Round trips to Redis so far (taking, renewing and releasing slots), for metrics.
    pub fn round_trips(&self) -> u64 {
        self.shared.round_trips.load(Ordering::Relaxed)
    }

    /// Of [`Self::round_trips`], the lease renewals.
    pub fn renewals(&self) -> u64 {
        self.shared.renewals.load(Ordering::Relaxed)
    }

    /// The key under which `account_id`'s holders and waiters are leased (a sorted set scored
    /// by lease end, in milliseconds of Redis's clock).
    pub fn leases_key(&self, account_id: &str) -> String {
        Keys::new(&self.shared.key_prefix, account_id).leases
    }

    async fn acquire_slot(&self, slot: Slot<'_>) -> Result<Permit, BoxError> {
        let shared = &self.shared;
        let keys = Keys::new(&shared.key_prefix, slot.account_id);
        let lease = slot.attempt_timeout.saturating_add(shared.lease_margin);
        let lease_ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX);
        // Removes the place from the queue if this future is dropped while waiting.
        let ticket = Ticket {
            shared: Arc::clone(shared),
            keys,
            member: member_id(),
        };
        loop {
            let sent = Instant::now();
            let (granted, _rank): (u8, u64) = shared
                .invoke(
                    shared
                        .scripts
                        .acquire
                        .key(&ticket.keys.owners)
                        .key(&ticket.keys.leases)
                        .key(&ticket.keys.counter)
                        .arg(&ticket.member)
                        .arg(slot.max_concurrency)
                        .arg(lease_ms),
                )
                .await?;
            if granted == 1 {
                let lease = Arc::new(Lease::new(sent + lease));
                let renewal = tokio::spawn(renew(ticket.clone_ref(), Arc::clone(&lease), lease_ms));
                return Ok(Permit::leased(
                    Held {
                        _ticket: ticket,
                        renewal,
                    },
                    lease,
                ));
            }
            tokio::time::sleep(shared.poll_interval).await;
        }
    }

    fn fallback_permit(
        &self,
        slot: Slot<'_>,
        error: BoxError,
    ) -> BoxFuture<'static, Result<Permit, BoxError>> {
        let Some(fallback) = &self.shared.fallback else {
            return Box::pin(async move { Err(error) });
        };
        tracing::warn!(%error, "Redis is unreachable; taking the slot from this process's own cap");
        let semaphore = {
            let mut caps = fallback
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(
                caps.entry(slot.account_id.to_owned())
                    .or_insert_with(|| Arc::new(Semaphore::new(slot.max_concurrency))),
            )
        };
        Box::pin(async move { Ok(Permit::new(semaphore.acquire_owned().await?)) })
    }
}

impl Limiter for RedisLimiter {
    fn acquire<'a>(&'a self, slot: Slot<'a>) -> BoxFuture<'a, Result<Permit, BoxError>> {
        Box::pin(async move {
            match self.acquire_slot(slot).await {
                Ok(permit) => Ok(permit),
                Err(error) => self.fallback_permit(slot, error).await,
            }
        })
    }
}

impl Shared {
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

    async fn invoke<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, BoxError> {
        let mut connection = self.connection().await?;
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        invocation
            .invoke_async(&mut connection)
            .await
            .map_err(|e| unreachable_error(&e))
    }
}

fn unreachable_error(error: &redis::RedisError) -> BoxError {
    format!("the Redis limiter could not take a slot: {error}").into()
}

/// The three keys of one account.
#[derive(Clone)]
struct Keys {
    owners: String,
    leases: String,
    counter: String,
}

impl Keys {
    fn new(prefix: &str, account_id: &str) -> Self {
        let base = format!("{prefix}{{{account_id}}}");
        Self {
            owners: format!("{base}:owners"),
            leases: format!("{base}:leases"),
            counter: format!("{base}:counter"),
        }
    }
}

/// A unique member name: random, so processes never collide.
fn member_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// A place in an account's queue, left when dropped.
struct Ticket {
    shared: Arc<Shared>,
    keys: Keys,
    member: String,
}

impl Ticket {
    fn clone_ref(&self) -> TicketRef {
        TicketRef {
            shared: Arc::clone(&self.shared),
            keys: self.keys.clone(),
            member: self.member.clone(),
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        // No runtime (the process is shutting down): the lease ends on its own.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let place = self.clone_ref();
        runtime.spawn(async move {
            let released: Result<u8, _> = place
                .shared
                .invoke(
                    place
                        .shared
                        .scripts
                        .release
                        .key(&place.keys.owners)
                        .key(&place.keys.leases)
                        .arg(&place.member),
                )
                .await;
            if let Err(error) = released {
                tracing::debug!(%error, "could not release the slot; its lease will end on its own");
            }
        });
    }
}

/// What a renewal needs: a [`Ticket`] that does not release.
struct TicketRef {
    shared: Arc<Shared>,
    keys: Keys,
    member: String,
}

/// A held slot: released, and its renewals stopped, when dropped.
struct Held {
    /// Released (by its own `Drop`) after `drop` below has stopped the renewals.
    _ticket: Ticket,
    renewal: tokio::task::JoinHandle<()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

/// Renews the lease every third of its length while the attempt runs; marks it lost when
/// Redis no longer has it, or cannot say.
async fn renew(place: TicketRef, lease: Arc<Lease>, lease_ms: u64) {
    let every = Duration::from_millis(lease_ms / 3).max(Duration::from_millis(1));
    loop {
        tokio::time::sleep(every).await;
        let sent = Instant::now();
        place.shared.renewals.fetch_add(1, Ordering::Relaxed);
        let renewed: Result<u8, _> = place
            .shared
            .invoke(
                place
                    .shared
                    .scripts
                    .renew
                    .key(&place.keys.owners)
                    .key(&place.keys.leases)
                    .arg(&place.member)
                    .arg(lease_ms),
            )
            .await;
        match renewed {
            Ok(1) => lease.renewed(sent + Duration::from_millis(lease_ms)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_named_and_the_password_never_shown() {
        let e = RedisLimiter::new("http://:S3NT1NEL@127.0.0.1").expect_err("not redis://");
        assert!(matches!(e, InvalidRedisLimiter::Url { .. }), "{e}");
        assert!(!e.to_string().contains("S3NT1NEL"), "{e}");
        let e = RedisLimiter::builder("redis://127.0.0.1")
            .lease_margin(Duration::ZERO)
            .build()
            .expect_err("zero margin");
        assert!(e.to_string().contains("lease margin"), "{e}");
        let limiter = RedisLimiter::new("redis://:S3NT1NEL@127.0.0.1:6379/").expect("valid");
        let debug = format!("{limiter:?}");
        assert!(!debug.contains("S3NT1NEL") && debug.contains("127.0.0.1"), "{debug}");
    }

    #[test]
    fn an_accounts_keys_share_one_cluster_slot_under_the_prefix() {
        let keys = Keys::new("app:", "ABCD-RSTU-1234");
        assert_eq!(keys.owners, "app:{ABCD-RSTU-1234}:owners");
        assert_eq!(keys.leases, "app:{ABCD-RSTU-1234}:leases");
        assert_eq!(keys.counter, "app:{ABCD-RSTU-1234}:counter");
    }
}
