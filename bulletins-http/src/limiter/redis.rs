//! [`RedisLimiter`]: one account's concurrency cap shared by every process that uses it, as a
//! fair counting semaphore in Redis (Redis in Action's fair semaphore, with leases).
//!
//! Per account, under `{prefix}{<account id>}:` (the braces would keep an account's keys in
//! one Redis Cluster slot, but Redis Cluster is not supported: see [`RedisLimiter`]):
//! - `owners`, a sorted set: every waiter and holder, scored by its ticket, a number drawn from
//!   `counter` when it arrived. The first `max_concurrency` of them hold the slots; the others
//!   wait, in arrival order.
//! - `leases`, a sorted set: the same members, scored by when their lease ends, in Redis's
//!   clock (`TIME`). Every script first drops the expired ones from both sets, so a process
//!   that died holding (or waiting for) a slot loses it when its lease ends.
//! - `counter`: the last ticket drawn.
//! - `caps`, a sorted set: the same members, scored by the cap (`max_concurrency`) each was
//!   configured with. The cap is the smallest present, so replicas configured with different
//!   caps keep the smallest.
//!
//! Each operation is one Lua script, so one round trip, atomic, on Redis's clock alone. A
//! script that frees slots (a release, or expired leases dropped) tells each waiter that now
//! holds one, on its own process's channel `{prefix}{<account id>}:granted:<process>` (a
//! member is named `<process>.<waiter>`): the waiting process learns its turn without asking,
//! and no other process wakes. So a slot taken from Redis costs two round trips: one to join
//! the queue (granted at once when a slot is free), one to leave it.
//!
//! Processes take turns. A process granted a slot while holding none (or only slots of its
//! turn that is over) starts a turn (`Turn`): its other waiters move to the front of the
//! queue, behind the holders, so the slots freed next go to it as well, and so do its tasks
//! asking during the turn. One process then sends
//! at a time with the account's whole cap, its requests together, instead of every process
//! sending one at a time and waking for each answer (which cost more CPU than the requests).
//! Within the turn, a finished holder hands its slot (its member, lease and renewals) straight
//! to the one task that asked for it while it was held (`Shared::wait_for_hand_off`), and a
//! batch keeps its slots from one bulletin to the next (`Shared::keep`): no round trip, no
//! Pub/Sub message, no other process woken. Only while the lease covers the attempt, within
//! [`DEFAULT_LOCAL_HANDOFF_WINDOW`] of the turn's start, and until a slot has run
//! [`DEFAULT_MAX_LOCAL_HANDOFFS`] further attempts. Then the turn is over: each slot goes back
//! to Redis when its attempt ends, the first sending the process's waiters behind everyone's,
//! and the longest waiter of another process starts its turn.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use tokio::sync::{oneshot, watch, Notify, OnceCell, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::{Lease, Limiter, Permit, Slot};
use crate::error::BoxError;
use crate::lock;

/// The key prefix unless [`RedisLimiterBuilder::key_prefix`] says otherwise.
pub const DEFAULT_KEY_PREFIX: &str = "bulletins:limiter:";

/// How much longer than the attempt's timeout a lease lasts, unless
/// [`RedisLimiterBuilder::lease_margin`] says otherwise.
pub const DEFAULT_LEASE_MARGIN: Duration = Duration::from_secs(5);

/// How many further attempts a slot may run within its process's turn, handed on or kept,
/// before the turn is over, unless [`RedisLimiterBuilder::max_local_handoffs`] says otherwise.
pub const DEFAULT_MAX_LOCAL_HANDOFFS: u32 = 256;

/// How long a process's turn lasts from its first grant, unless
/// [`RedisLimiterBuilder::local_handoff_window`] says otherwise.
pub const DEFAULT_LOCAL_HANDOFF_WINDOW: Duration = Duration::from_millis(100);

const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Drops expired leases from the sets, and tells the members that became holders. KEYS[1]
/// owners, KEYS[2] leases, KEYS[3] counter, KEYS[4] caps, ARGV[2] max_concurrency, ARGV[3] the
/// grant channels' prefix: a member `<process>.<waiter>` is told on `ARGV[3]<process>`, so only
/// its own process wakes.
///
/// The cap is the smallest of the caps the present members were configured with (`caps`, a
/// sorted set of member by cap), so that replicas configured with different caps together keep
/// the smallest; `ARGV[2]` only when no member says.
///
/// A process given a slot has its turn: its other waiters move to the front of the queue, just
/// behind the holders (`promote`), so the slots freed next go to it too and one process sends
/// at a time, its requests together, rather than every process one request at a time. When its
/// turn ends (`demote`, asked for by the process), its waiters draw new tickets, behind
/// everyone's.
const PURGE: &str = r"
local function process_of(member)
  return string.match(member, '^([^.]*)%.')
end
local function cap()
  while true do
    local lowest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
    if #lowest == 0 then
      return tonumber(ARGV[2])
    end
    -- A member gone without its cap (dropped by a version of these scripts that did not
    -- know caps) no longer counts.
    if redis.call('ZSCORE', KEYS[1], lowest[1]) then
      return tonumber(lowest[2])
    end
    redis.call('ZREM', KEYS[4], lowest[1])
  end
end
local function holders()
  return redis.call('ZRANGE', KEYS[1], 0, cap() - 1)
end
local function waiters_of(process)
  local waiting = {}
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], cap(), -1)) do
    if process_of(member) == process then
      waiting[#waiting + 1] = member
    end
  end
  return waiting
end
local function promote(process)
  local last = redis.call('ZRANGE', KEYS[1], cap() - 1, cap() - 1, 'WITHSCORES')
  if #last == 0 then
    return
  end
  -- Behind every holder (so none is displaced), ahead of the tickets drawn since, in the
  -- order they were in.
  local waiting = waiters_of(process)
  for i, member in ipairs(waiting) do
    redis.call('ZADD', KEYS[1], tonumber(last[2]) + 0.5 * i / (#waiting + 1), member)
  end
end
local function demote(process)
  for _, member in ipairs(waiters_of(process)) do
    redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), member)
  end
end
local function publish_granted(before)
  local held = {}
  for _, member in ipairs(before) do
    held[member] = true
  end
  local granted = {}
  for _, member in ipairs(holders()) do
    local process = process_of(member)
    if not held[member] and process then
      redis.call('PUBLISH', ARGV[3] .. process, member)
      granted[#granted + 1] = process
    end
  end
  for _, process in ipairs(granted) do
    promote(process)
  end
end
local function purge(now)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
  if #expired == 0 then
    return
  end
  local before = holders()
  for _, member in ipairs(expired) do
    redis.call('ZREM', KEYS[1], member)
    redis.call('ZREM', KEYS[4], member)
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  publish_granted(before)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
";

/// Joins the queue (or renews a place in it) and says whether the place holds a slot; a
/// member joining during its process's turn joins at the front (`promote`), and one granted
/// brings its process's other waiters there.
/// KEYS: owners, leases, counter, caps. ARGV: member, max_concurrency (recorded as the member's
/// cap), channel prefix, lease in ms, 1 if the member's process is in its turn. Returns {1 if a
/// slot is held else 0, the rank}.
const ACQUIRE: &str = r"
purge(now)
local joined = false
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), ARGV[1])
  joined = true
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
redis.call('ZADD', KEYS[4], tonumber(ARGV[2]), ARGV[1])
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if rank < cap() then
  if joined then
    promote(process_of(ARGV[1]))
  end
  return {1, rank}
end
if joined and ARGV[5] == '1' then
  promote(process_of(ARGV[1]))
  rank = redis.call('ZRANK', KEYS[1], ARGV[1])
end
return {0, rank}
";

/// Extends a held lease; 0 if it is gone (expired, or Redis lost it).
/// KEYS: owners, leases, counter (unused), caps. ARGV: member, lease in ms.
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ends = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not ends or tonumber(ends) <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[4], ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
return 1
";

/// Leaves the queue, freeing the slot if one was held, and tells the waiter that got it (a
/// waiter leaving tells nobody). A holder whose process's turn is over first sends that
/// process's waiters to the back (`demote`), so the slot goes to another process.
/// KEYS: owners, leases, counter, caps. ARGV: member, max_concurrency, channel prefix, 1 if
/// the process's turn is over.
const RELEASE: &str = r"
purge(now)
if ARGV[4] == '1' then
  demote(process_of(ARGV[1]))
end
local before = holders()
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
publish_granted(before)
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
    shared: Arc<Shared>,
}

struct Shared {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    key_prefix: String,
    lease_margin: Duration,
    poll_interval: Option<Duration>,
    redis_timeout: Duration,
    /// This process's part of its members' names, and of the channel its grants come on.
    process: String,
    /// Waiters of this process, by member, woken when a grant names them.
    waiters: Mutex<HashMap<String, Arc<Notify>>>,
    /// The task subscribing to grants, then reading them from Pub/Sub, while it runs.
    listener: Mutex<Option<Listener>>,
    /// Per account and cap, this process's own cap, used when Redis is unreachable and held
    /// by every slot taken from Redis too; `None` fails closed.
    fallback: Option<Mutex<OwnCaps>>,
    scripts: Scripts,
    /// Per account, this process's turn: the slots it holds and the tasks waiting for one.
    local: Mutex<HashMap<String, Turn>>,
    next_slot_id: AtomicU64,
    max_local_handoffs: u32,
    local_handoff_window: Duration,
    round_trips: AtomicU64,
    renewals: AtomicU64,
    local_handoffs: AtomicU64,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(listener) = lock(&self.listener).take() {
            listener.task.abort();
        }
    }
}

/// The task that subscribes to this process's grants and then reads them, and how far it got.
struct Listener {
    task: tokio::task::JoinHandle<()>,
    subscription: watch::Receiver<Subscription>,
}

/// How far a [`Listener`] got in subscribing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subscription {
    Pending,
    Subscribed,
    Failed,
}

/// This process's own caps, by account and cap.
type OwnCaps = HashMap<(String, usize), Arc<Semaphore>>;

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
    /// The lease margin is shorter than the Redis timeout: a grant whose round trip took
    /// longer than the margin leaves a lease that no longer covers the attempt, so the slot
    /// would be taken and given back again and again.
    #[error(
        "the limiter's lease margin ({lease_margin:?}) is shorter than its Redis timeout \
         ({redis_timeout:?}), the longest a round trip may take; raise the margin or lower the timeout"
    )]
    MarginBelowRedisTimeout {
        /// The lease margin given.
        lease_margin: Duration,
        /// The Redis timeout given (or its default, 2 s).
        redis_timeout: Duration,
    },
    /// The poll interval is not shorter than the lease margin, the shortest a waiter's lease can
    /// be: a waiter's place would end between two of its checks, and it would lose its turn.
    #[error(
        "the limiter's poll interval ({poll_interval:?}) is not shorter than its lease margin \
         ({lease_margin:?}), the shortest lease a waiter can have; shorten the interval"
    )]
    PollNotWithinLease {
        /// The poll interval given.
        poll_interval: Duration,
        /// The lease margin given (or its default, [`DEFAULT_LEASE_MARGIN`]).
        lease_margin: Duration,
    },
}

/// Configures a [`RedisLimiter`]; start with [`RedisLimiter::builder`]. Its `Debug` shows the
/// URL without its user, password or query (which may hold a password too).
#[must_use]
pub struct RedisLimiterBuilder {
    url: String,
    key_prefix: String,
    lease_margin: Duration,
    poll_interval: Option<Duration>,
    redis_timeout: Duration,
    fall_back: bool,
    max_local_handoffs: u32,
    local_handoff_window: Duration,
}

impl fmt::Debug for RedisLimiterBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimiterBuilder")
            .field("url", &redacted_url(&self.url))
            .field("key_prefix", &self.key_prefix)
            .field("lease_margin", &self.lease_margin)
            .field("poll_interval", &self.poll_interval)
            .field("redis_timeout", &self.redis_timeout)
            .field("fall_back", &self.fall_back)
            .field("max_local_handoffs", &self.max_local_handoffs)
            .field("local_handoff_window", &self.local_handoff_window)
            .finish()
    }
}

/// `url` fit to show: its user and password (`user:password@`) and its query (`?pass=…` in a
/// `redis+unix://` URL) replaced by `[redacted]`; the scheme, host, port and database kept.
fn redacted_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (rest, query) = match rest.split_once(['?', '#']) {
        Some((rest, _)) => (rest, "?[redacted]"),
        None => (rest, ""),
    };
    // Up to the last `@`, even past a `/`: a password written with a bare `/` stays hidden.
    let rest = match rest.rsplit_once('@') {
        Some((_, after)) => format!("[redacted]@{after}"),
        None => rest.to_owned(),
    };
    format!("{scheme}://{rest}{query}")
}

impl RedisLimiterBuilder {
    /// The prefix of every key (default [`DEFAULT_KEY_PREFIX`]); the account id follows it.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// How much longer than the attempt's timeout a lease lasts (default
    /// [`DEFAULT_LEASE_MARGIN`]). It absorbs the round trip that grants the slot: an attempt
    /// whose grant took longer than the margin is not started, so it must be at least the
    /// [Redis timeout](Self::redis_timeout) (checked by [`build`](Self::build)). A process that
    /// dies holding a slot keeps it for the timeout plus this margin.
    pub fn lease_margin(mut self, margin: Duration) -> Self {
        self.lease_margin = margin;
        self
    }

    /// How often a waiter re-checks its place (and renews it) when no message came (default a
    /// third of the lease). Messages normally tell it its turn; this bounds how long a lost
    /// message, or a slot freed by an expired lease, can keep it waiting. Each check renews
    /// the waiter's place, so it must be shorter than the [lease margin](Self::lease_margin),
    /// the shortest lease there is (checked by [`build`](Self::build)).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = Some(interval);
        self
    }

    /// How long connecting to Redis, and each answer, may take before Redis counts as
    /// unreachable (default 2 s). An acquire that finds Redis unreachable fails (or falls back)
    /// within this time of its start, however many acquires are waiting. At most the
    /// [lease margin](Self::lease_margin).
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

    /// How many further attempts a slot this process holds may run in one turn, handed on to
    /// another of its tasks or kept by a batch, without Redis, before the turn is over (default
    /// [`DEFAULT_MAX_LOCAL_HANDOFFS`]); 0 never hands a slot on, nor gives turns. Each saves
    /// the two round trips of a release and a new grant; the bound lets the other processes
    /// have their turn.
    pub fn max_local_handoffs(mut self, max: u32) -> Self {
        self.max_local_handoffs = max;
        self
    }

    /// How long this process's turn lasts from its first grant (default
    /// [`DEFAULT_LOCAL_HANDOFF_WINDOW`]): while it does, its slots run further attempts without
    /// Redis and its tasks are served before other processes'. With slow answers, this rather
    /// than [`Self::max_local_handoffs`] bounds how long the other processes wait.
    pub fn local_handoff_window(mut self, window: Duration) -> Self {
        self.local_handoff_window = window;
        self
    }

    /// Checks the URL and the settings and builds the limiter. It connects on first use, in the
    /// runtime of the client using it.
    ///
    /// # Errors
    /// The URL is not a Redis URL (`redis://[:password@]host[:port][/db]`); the margin, poll
    /// interval or Redis timeout is zero; the margin is shorter than the Redis timeout; or the
    /// poll interval is not shorter than the margin.
    pub fn build(self) -> Result<RedisLimiter, InvalidRedisLimiter> {
        let info = redis::IntoConnectionInfo::into_connection_info(self.url.as_str())
            .map_err(|e| InvalidRedisLimiter::Url {
                // Its messages are fixed descriptions: the URL (and its password) is not in them.
                reason: e.to_string(),
            })?
            // Without it, Nagle's algorithm holds each small script call for the previous
            // one's ACK: about 40 ms per attempt.
            .set_tcp_settings(redis::io::tcp::TcpSettings::default().set_nodelay(true));
        let client = redis::Client::open(info).map_err(|e| InvalidRedisLimiter::Url {
            reason: e.to_string(),
        })?;
        for (name, value) in [
            ("lease margin", self.lease_margin),
            ("poll interval", self.poll_interval.unwrap_or(Duration::MAX)),
            ("Redis timeout", self.redis_timeout),
        ] {
            if value.is_zero() {
                return Err(InvalidRedisLimiter::ZeroDuration { which: name });
            }
        }
        if self.lease_margin < self.redis_timeout {
            return Err(InvalidRedisLimiter::MarginBelowRedisTimeout {
                lease_margin: self.lease_margin,
                redis_timeout: self.redis_timeout,
            });
        }
        if let Some(poll_interval) = self.poll_interval {
            if poll_interval >= self.lease_margin {
                return Err(InvalidRedisLimiter::PollNotWithinLease {
                    poll_interval,
                    lease_margin: self.lease_margin,
                });
            }
        }
        Ok(RedisLimiter {
            shared: Arc::new(Shared {
                client,
                connection: OnceCell::new(),
                process: format!("{:016x}", rand::random::<u64>()),
                key_prefix: self.key_prefix,
                lease_margin: self.lease_margin,
                poll_interval: self.poll_interval,
                redis_timeout: self.redis_timeout,
                waiters: Mutex::new(HashMap::new()),
                listener: Mutex::new(None),
                fallback: self.fall_back.then(|| Mutex::new(HashMap::new())),
                scripts: Scripts {
                    acquire: Script::new(&format!("{PURGE}{ACQUIRE}")),
                    renew: Script::new(RENEW),
                    release: Script::new(&format!("{PURGE}{RELEASE}")),
                },
                local: Mutex::new(HashMap::new()),
                next_slot_id: AtomicU64::new(0),
                max_local_handoffs: self.max_local_handoffs,
                local_handoff_window: self.local_handoff_window,
                round_trips: AtomicU64::new(0),
                renewals: AtomicU64::new(0),
                local_handoffs: AtomicU64::new(0),
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
            poll_interval: None,
            redis_timeout: DEFAULT_REDIS_TIMEOUT,
            fall_back: false,
            max_local_handoffs: DEFAULT_MAX_LOCAL_HANDOFFS,
            local_handoff_window: DEFAULT_LOCAL_HANDOFF_WINDOW,
        }
    }

    /// Slots passed straight from one task of this process to another, without Redis, so far.
    pub fn local_handoffs(&self) -> u64 {
        self.shared.local_handoffs.load(Ordering::Relaxed)
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
        if let Some(held) = self.handed_on(slot).await {
            return Ok(permit(held));
        }
        // Subscribing and the first round trip end within the Redis timeout of this start: a
        // Redis that does not answer fails (or falls back) each acquire in that time, however
        // many are waiting.
        let mut deadline = later(Instant::now(), shared.redis_timeout);
        let lease = slot.attempt_timeout.saturating_add(shared.lease_margin);
        let lease_ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX);
        let poll = shared
            .poll_interval
            .unwrap_or(lease / 3)
            .max(Duration::from_millis(1));
        // Registered and subscribed before joining, so a grant published right after the join
        // is not missed.
        let waiter = Waiter::register(shared);
        shared.listen(deadline).await;
        // Leaves the queue if this future is dropped while waiting.
        let ticket = Ticket {
            shared: Arc::clone(shared),
            keys: Keys::new(&shared.key_prefix, slot.account_id),
            account_id: slot.account_id.to_owned(),
            member: waiter.member.clone(),
            max_concurrency: slot.max_concurrency,
            turn_over: false,
            released: false,
        };
        let mut first = true;
        loop {
            if !std::mem::take(&mut first) {
                shared.renewals.fetch_add(1, Ordering::Relaxed);
            }
            // The lease set by this call lasts until `sent + lease` at the latest.
            let sent = Instant::now();
            let (granted, _rank): (u8, u64) = shared
                .invoke_by(
                    deadline,
                    shared
                        .scripts
                        .acquire
                        .key(&ticket.keys.owners)
                        .key(&ticket.keys.leases)
                        .key(&ticket.keys.counter)
                        .key(&ticket.keys.caps)
                        .arg(&ticket.member)
                        .arg(slot.max_concurrency)
                        .arg(&ticket.keys.granted)
                        .arg(lease_ms)
                        .arg(u8::from(shared.in_turn(slot.account_id))),
                )
                .await?;
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
            deadline = later(Instant::now(), shared.redis_timeout);
        }
    }

    /// A slot this process holds, handed straight on without Redis, if one may be; a batch,
    /// which keeps its slots, takes one of its own instead.
    async fn handed_on(&self, slot: Slot<'_>) -> Option<HeldSlot> {
        if slot.batch {
            return None;
        }
        let handed = self.shared.wait_for_hand_off(slot)?;
        // `None`: told to ask Redis, the slot went back there so that others get their turn.
        handed
            .await
            .ok()
            .flatten()
            .and_then(|mut held| held.0.take())
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
        let own = match self.shared.own_cap(slot) {
            Some(cap) => Some(cap.acquire_owned().await?),
            None => None,
        };
        Ok(permit(Held::granted(ticket, valid_until, lease_ms, own)))
    }

    fn fallback_permit(
        &self,
        slot: Slot<'_>,
        error: BoxError,
    ) -> BoxFuture<'static, Result<Permit, BoxError>> {
        let Some(own_cap) = self.shared.own_cap(slot) else {
            return Box::pin(async move { Err(error) });
        };
        tracing::warn!(%error, "Redis is unreachable; taking the slot from this process's own cap");
        Box::pin(async move { Ok(Permit::new(own_cap.acquire_owned().await?)) })
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
                Err(error) => self.fallback_permit(slot, error).await,
            }
        })
    }
}

/// The permit for a held slot: handed on or released by [`Permit::release`], or when dropped.
fn permit(slot: HeldSlot) -> Permit {
    let lease = Arc::clone(&slot.lease);
    let held = Arc::new(Mutex::new(Some(Held(Some(slot)))));
    let guard = Arc::clone(&held);
    let kept = Arc::clone(&held);
    Permit::leased(guard, lease)
        .on_keep(move || {
            lock(&kept)
                .as_ref()
                .and_then(|held| held.0.as_ref())
                .is_some_and(|slot| slot.ticket.shared.keep(slot))
        })
        .on_release(move || {
            Box::pin(async move {
                let held = lock(&held).take();
                if let Some(held) = held {
                    held.release().await;
                }
            })
        })
}

/// A waiter of this process, woken when a grant names its member; unregistered when dropped.
struct Waiter {
    shared: Arc<Shared>,
    member: String,
    wake: Arc<Notify>,
}

impl Waiter {
    fn register(shared: &Arc<Shared>) -> Self {
        let waiter = Self {
            shared: Arc::clone(shared),
            member: member_id(&shared.process),
            wake: Arc::new(Notify::new()),
        };
        lock(&shared.waiters).insert(waiter.member.clone(), Arc::clone(&waiter.wake));
        waiter
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        lock(&self.shared.waiters).remove(&self.member);
    }
}

/// Subscribes to this process's grants (giving up after `timeout`), says how that went, then
/// wakes the waiters the grants name until the connection is gone.
async fn subscribe_and_dispatch(
    shared: Weak<Shared>,
    client: redis::Client,
    pattern: String,
    timeout: Duration,
    told: watch::Sender<Subscription>,
) {
    let subscribe = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.psubscribe(&pattern).await?;
        Ok::<_, redis::RedisError>(pubsub)
    };
    match tokio::time::timeout(timeout, subscribe).await {
        Ok(Ok(pubsub)) => {
            told.send_replace(Subscription::Subscribed);
            dispatch(shared, pubsub).await;
        }
        Ok(Err(error)) => {
            tracing::debug!(%error, "could not subscribe to slot grants");
            told.send_replace(Subscription::Failed);
        }
        Err(_) => {
            tracing::debug!("subscribing to slot grants timed out");
            told.send_replace(Subscription::Failed);
        }
    }
}

/// Wakes this process's waiters named in the grants published on the subscribed channels.
async fn dispatch(shared: Weak<Shared>, pubsub: redis::aio::PubSub) {
    let mut messages = pubsub.into_on_message();
    while let Some(message) = messages.next().await {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let Ok(members) = message.get_payload::<String>() else {
            continue;
        };
        let waiters = lock(&shared.waiters);
        for member in members.split(' ') {
            if let Some(wake) = waiters.get(member) {
                wake.notify_one();
            }
        }
    }
    // The connection is gone: the next waiter subscribes again; meanwhile waiters re-check.
}

/// `text` with Redis's glob characters escaped.
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

impl Shared {
    /// Makes sure grants are being read from Pub/Sub, waiting until `deadline` at most for the
    /// subscription. Best effort: without it, waiters find their turn by re-checking.
    ///
    /// The subscription runs in a task of its own that every caller shares, so that a Redis
    /// slow to answer costs each caller its own deadline at most, however many are waiting,
    /// rather than one subscription timeout after another.
    async fn listen(self: &Arc<Self>, deadline: Option<Instant>) {
        let mut subscription = {
            let mut listener = lock(&self.listener);
            match listener.as_ref() {
                Some(running) if !running.task.is_finished() => running.subscription.clone(),
                _ => {
                    let (told, subscription) = watch::channel(Subscription::Pending);
                    let pattern = format!(
                        "{}*:granted:{}",
                        glob_escape(&self.key_prefix),
                        self.process
                    );
                    let task = tokio::spawn(subscribe_and_dispatch(
                        Arc::downgrade(self),
                        self.client.clone(),
                        pattern,
                        self.redis_timeout,
                        told,
                    ));
                    *listener = Some(Listener {
                        task,
                        subscription: subscription.clone(),
                    });
                    subscription
                }
            }
        };
        // Subscribed, failed, or the task is gone: either way, go on.
        let _ = within(
            deadline,
            subscription.wait_for(|state| *state != Subscription::Pending),
        )
        .await;
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
    async fn invoke<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, BoxError> {
        self.invoke_by(later(Instant::now(), self.redis_timeout), invocation)
            .await
    }

    /// Runs a script, connecting first if need be, all by `deadline` (none: no bound beyond the
    /// connection's own timeouts).
    async fn invoke_by<T: redis::FromRedisValue>(
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
fn later(at: Instant, by: Duration) -> Option<Instant> {
    at.checked_add(by)
}

/// When a lease of `lease` set by a request sent at `sent` ends at the latest: a lease too long
/// for an [`Instant`] ends in 30 years, which no attempt outlives.
fn lease_end(sent: Instant, lease: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
    later(sent, lease)
        .or_else(|| later(sent, FAR))
        .unwrap_or(sent)
}

/// `future`, given up at `deadline` (never, without one).
async fn within<F: std::future::Future>(
    deadline: Option<Instant>,
    future: F,
) -> Result<F::Output, tokio::time::error::Elapsed> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, future).await,
        None => Ok(future.await),
    }
}

/// The keys of one account.
#[derive(Clone)]
struct Keys {
    owners: String,
    leases: String,
    counter: String,
    /// Each present member's cap, the `max_concurrency` it was configured with.
    caps: String,
    /// The prefix of the channels grants are published on: one per process, its id appended.
    granted: String,
}

impl Keys {
    fn new(prefix: &str, account_id: &str) -> Self {
        let base = format!("{prefix}{{{account_id}}}");
        Self {
            owners: format!("{base}:owners"),
            leases: format!("{base}:leases"),
            counter: format!("{base}:counter"),
            caps: format!("{base}:caps"),
            granted: format!("{base}:granted:"),
        }
    }
}

/// A unique member name, `<process>.<waiter>`: random, so processes never collide; its
/// process part names the channel its grant is published on.
fn member_id(process: &str) -> String {
    format!("{process}.{:032x}", rand::random::<u128>())
}

/// A place in an account's queue, left when dropped.
struct Ticket {
    shared: Arc<Shared>,
    keys: Keys,
    account_id: String,
    member: String,
    max_concurrency: usize,
    /// Its process's turn is over: its release sends the process's waiters to the back.
    turn_over: bool,
    /// Set once released, so that dropping it does not release it again.
    released: bool,
}

impl Ticket {
    fn clone_ref(&self) -> TicketRef {
        TicketRef {
            shared: Arc::clone(&self.shared),
            keys: self.keys.clone(),
            member: self.member.clone(),
        }
    }

    /// Leaves the queue now, waiting for Redis to record it. The release runs in a task of its
    /// own, so a caller cancelled while it waits does not cancel it: the slot would stay held
    /// until its lease ends.
    async fn release(mut self) {
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

async fn release(place: TicketRef, max_concurrency: usize, turn_over: bool) {
    let released: Result<u8, _> = place
        .shared
        .invoke(
            place
                .shared
                .scripts
                .release
                .key(&place.keys.owners)
                .key(&place.keys.leases)
                .key(&place.keys.counter)
                .key(&place.keys.caps)
                .arg(&place.member)
                .arg(max_concurrency)
                .arg(&place.keys.granted)
                .arg(u8::from(turn_over)),
        )
        .await;
    if let Err(error) = released {
        tracing::debug!(%error, "could not release the slot; its lease will end on its own");
    }
}

/// What a renewal needs: a [`Ticket`] that does not release.
struct TicketRef {
    shared: Arc<Shared>,
    keys: Keys,
    member: String,
}

/// A slot granted by Redis, renewed while held. Given back through [`Shared::hand_on`] when
/// released or dropped: to the task of this process waiting for it, or to Redis.
struct Held(Option<HeldSlot>);

struct HeldSlot {
    /// Its key in [`Shared::local`].
    id: u64,
    ticket: Ticket,
    renewal: tokio::task::JoinHandle<()>,
    lease: Arc<Lease>,
    /// Its place in this process's own cap (with the fallback on), freed with the slot.
    _own: Option<OwnedSemaphorePermit>,
}

impl HeldSlot {
    /// Gives the slot back to Redis: stops the renewals, then leaves the queue (in the
    /// background when `ticket` is dropped instead), ending the process's turn if it is over.
    fn stop_renewing(self, turn_over: bool) -> Ticket {
        self.renewal.abort();
        let mut ticket = self.ticket;
        ticket.turn_over = turn_over;
        ticket
    }
}

impl Held {
    /// A slot Redis just granted to `ticket`, its lease lasting until `valid_until`, holding
    /// `own`, its place in this process's own cap.
    fn granted(
        ticket: Ticket,
        valid_until: Instant,
        lease_ms: u64,
        own: Option<OwnedSemaphorePermit>,
    ) -> HeldSlot {
        let lease = Arc::new(Lease::new(valid_until));
        let renewal = tokio::spawn(renew(ticket.clone_ref(), Arc::clone(&lease), lease_ms));
        let id = ticket.shared.count_holder(&ticket.account_id);
        HeldSlot {
            id,
            ticket,
            renewal,
            lease,
            _own: own,
        }
    }

    /// Hands the slot on, or releases it and waits for Redis to record it.
    async fn release(mut self) {
        if let Some(slot) = self.0.take() {
            let shared = Arc::clone(&slot.ticket.shared);
            if let Some((slot, turn_over)) = shared.hand_on(slot) {
                slot.stop_renewing(turn_over).release().await;
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            let shared = Arc::clone(&slot.ticket.shared);
            if let Some((slot, turn_over)) = shared.hand_on(slot) {
                // Released in the background by the ticket's own `Drop`.
                drop(slot.stop_renewing(turn_over));
            }
        }
    }
}

/// A task of this process waiting for a held slot to be handed on: sent the slot, or `None`
/// to ask Redis instead.
struct HandOffWaiter {
    attempt_timeout: Duration,
    send: oneshot::Sender<Option<Held>>,
}

/// A slot this process holds, as its tasks see it.
struct LocalSlot {
    /// The turn it was granted in: it runs further attempts only in that turn.
    turn: u64,
    /// How often it has run another attempt without going back to Redis.
    handoffs: u32,
    /// The task it goes to next, when its holder finishes.
    successor: Option<HandOffWaiter>,
}

/// An account's turns in this process, and the slots it holds. A turn starts with a grant from
/// Redis that finds the process holding none of the account's slots, or only slots of a turn
/// that is over and already sent its waiters to the back. Slots of the current turn run further
/// attempts without Redis (handed on, or kept), and the process's tasks join the queue at its
/// front, only while the turn is open: within the hand-off window of its start, and until a
/// slot has run the most further attempts.
struct Turn {
    /// Counts the turns, so that slots of an earlier one are told apart.
    number: u64,
    started: Instant,
    /// A slot ran the most further attempts: the turn is closed.
    exhausted: bool,
    /// The turn is over and a release has sent the process's waiters to the back: the next
    /// grant starts a new turn.
    demoted: bool,
    slots: HashMap<u64, LocalSlot>,
}

impl Turn {
    fn new(number: u64, max_local_handoffs: u32) -> Self {
        Self {
            number,
            started: Instant::now(),
            // With no hand-offs at all, there are no turns either.
            exhausted: max_local_handoffs == 0,
            demoted: false,
            slots: HashMap::new(),
        }
    }

    fn is_open(&self, window: Duration) -> bool {
        !self.exhausted && self.started.elapsed() < window
    }

    /// Whether a slot granted in turn `granted_in`, having run `handoffs` further attempts, may
    /// run one more without going back to Redis: it belongs to this turn, which is open, and has
    /// run fewer than `max` (else the turn closes).
    fn may_run_again(
        &mut self,
        granted_in: u64,
        handoffs: u32,
        window: Duration,
        max: u32,
    ) -> bool {
        if granted_in != self.number {
            return false;
        }
        if handoffs >= max {
            self.exhausted = true;
        }
        self.is_open(window)
    }
}

impl Shared {
    /// This process's own cap for `slot`'s account, when falling back is on.
    fn own_cap(&self, slot: Slot<'_>) -> Option<Arc<Semaphore>> {
        let mut caps = lock(self.fallback.as_ref()?);
        let cap = caps
            .entry((slot.account_id.to_owned(), slot.max_concurrency))
            .or_insert_with(|| {
                Arc::new(Semaphore::new(
                    slot.max_concurrency.min(Semaphore::MAX_PERMITS),
                ))
            });
        Some(Arc::clone(cap))
    }

    /// Records a slot Redis just granted to this process; returns its local id.
    fn count_holder(&self, account_id: &str) -> u64 {
        let id = self.next_slot_id.fetch_add(1, Ordering::Relaxed);
        let mut local = lock(&self.local);
        let turn = local
            .entry(account_id.to_owned())
            .or_insert_with(|| Turn::new(0, self.max_local_handoffs));
        if turn.demoted && !turn.is_open(self.local_handoff_window) {
            let slots = std::mem::take(&mut turn.slots);
            *turn = Turn::new(turn.number + 1, self.max_local_handoffs);
            turn.slots = slots;
        }
        turn.slots.insert(
            id,
            LocalSlot {
                turn: turn.number,
                handoffs: 0,
                successor: None,
            },
        );
        id
    }

    /// Whether this process's turn for the account is open.
    fn in_turn(&self, account_id: &str) -> bool {
        lock(&self.local)
            .get(account_id)
            .is_some_and(|turn| turn.is_open(self.local_handoff_window))
    }

    /// Makes the caller the successor of a slot this process holds, if one may run again and
    /// has no successor yet; `None` when the caller must ask Redis.
    fn wait_for_hand_off(&self, slot: Slot<'_>) -> Option<oneshot::Receiver<Option<Held>>> {
        let mut local = lock(&self.local);
        let turn = local.get_mut(slot.account_id)?;
        if !turn.is_open(self.local_handoff_window) {
            return None;
        }
        let number = turn.number;
        let free = turn.slots.values_mut().find(|held| {
            held.turn == number
                && held.handoffs < self.max_local_handoffs
                && held
                    .successor
                    .as_ref()
                    .is_none_or(|waiter| waiter.send.is_closed())
        })?;
        let (send, receive) = oneshot::channel();
        free.handoffs += 1;
        free.successor = Some(HandOffWaiter {
            attempt_timeout: slot.attempt_timeout,
            send,
        });
        Some(receive)
    }

    /// Whether the holder that kept `slot` may run its own next attempt on it: the slot may run
    /// again and no other task waits for it. Counted as a hand-off.
    fn keep(&self, slot: &HeldSlot) -> bool {
        let mut local = lock(&self.local);
        let Some(turn) = local.get_mut(&slot.ticket.account_id) else {
            return false;
        };
        let Some(held) = turn.slots.get(&slot.id) else {
            return false;
        };
        let waited_for = held
            .successor
            .as_ref()
            .is_some_and(|waiter| !waiter.send.is_closed());
        let (granted_in, handoffs) = (held.turn, held.handoffs);
        let keep = !waited_for
            && turn.may_run_again(
                granted_in,
                handoffs,
                self.local_handoff_window,
                self.max_local_handoffs,
            );
        if keep {
            if let Some(held) = turn.slots.get_mut(&slot.id) {
                held.handoffs += 1;
            }
            self.local_handoffs.fetch_add(1, Ordering::Relaxed);
        }
        keep
    }

    /// Hands a finished holder's slot to its successor, if it has one and the lease covers
    /// the successor's attempt; otherwise returns it, to be released to Redis (and sends the
    /// successor, if any, to Redis too), with whether the process's turn is over.
    fn hand_on(&self, slot: HeldSlot) -> Option<(HeldSlot, bool)> {
        let mut local = lock(&self.local);
        let Some(turn) = local.get_mut(&slot.ticket.account_id) else {
            return Some((slot, true));
        };
        let successor = turn
            .slots
            .get_mut(&slot.id)
            .and_then(|held| held.successor.take());
        let slot = match successor {
            Some(waiter) if slot.lease.covers(waiter.attempt_timeout) => {
                match waiter.send.send(Some(Held(Some(slot)))) {
                    Ok(()) => {
                        self.local_handoffs.fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                    // The successor is gone.
                    Err(returned) => returned.and_then(|mut held| held.0.take())?,
                }
            }
            Some(waiter) => {
                // The lease no longer covers its attempt (or was found gone): it asks Redis.
                let _ = waiter.send.send(None);
                slot
            }
            None => slot,
        };
        if let Some(held) = turn.slots.remove(&slot.id) {
            // Closes the turn if this slot ran the most further attempts in it.
            turn.may_run_again(
                held.turn,
                held.handoffs,
                self.local_handoff_window,
                self.max_local_handoffs,
            );
        }
        let turn_over = !turn.is_open(self.local_handoff_window);
        turn.demoted |= turn_over;
        if turn.slots.is_empty() {
            local.remove(&slot.ticket.account_id);
        }
        Some((slot, turn_over))
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
                    .key(&place.keys.counter)
                    .key(&place.keys.caps)
                    .arg(&place.member)
                    .arg(lease_ms),
            )
            .await;
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
        assert!(
            !debug.contains("S3NT1NEL") && debug.contains("127.0.0.1"),
            "{debug}"
        );
    }

    #[test]
    fn a_url_is_shown_without_its_secrets() {
        for (url, shown) in [
            ("redis://:S3NT1NEL@h:6379/0", "redis://[redacted]@h:6379/0"),
            ("redis://user:S3NT1NEL@h", "redis://[redacted]@h"),
            ("redis://h:6379", "redis://h:6379"),
            ("rediss://:p@S3NT1NEL@h/", "rediss://[redacted]@h/"),
            (
                "redis+unix:///tmp/r.sock?db=1&pass=S3NT1NEL",
                "redis+unix:///tmp/r.sock?[redacted]",
            ),
            ("S3NT1NEL@h", "://[redacted]@h"),
            ("redis://:S3/NT1NEL@h:6379/0", "redis://[redacted]@h:6379/0"),
        ] {
            assert_eq!(redacted_url(url), shown);
        }
    }

    #[test]
    fn an_accounts_keys_share_one_cluster_slot_under_the_prefix() {
        let keys = Keys::new("app:", "ABCD-RSTU-1234");
        assert_eq!(keys.owners, "app:{ABCD-RSTU-1234}:owners");
        assert_eq!(keys.leases, "app:{ABCD-RSTU-1234}:leases");
        assert_eq!(keys.counter, "app:{ABCD-RSTU-1234}:counter");
        assert_eq!(keys.caps, "app:{ABCD-RSTU-1234}:caps");
        // A grant goes to the channel named after the part of the member before its dot.
        assert_eq!(keys.granted, "app:{ABCD-RSTU-1234}:granted:");
        let member = member_id("00c0ffee00c0ffee");
        assert_eq!(
            member.split_once('.').map(|(p, _)| p),
            Some("00c0ffee00c0ffee")
        );
    }
}
