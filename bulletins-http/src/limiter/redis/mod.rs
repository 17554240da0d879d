//! [`RedisLimiter`]: one account's concurrency cap shared by every process that uses it, as a
//! fair counting semaphore in Redis (Redis in Action's fair semaphore, with leases).
//!
//! Each operation is one Lua script ([`scripts`]): one round trip, atomic, on Redis's clock
//! alone, run on one connection ([`store`]). A slot taken from Redis costs two round trips, one
//! to join the queue and one to leave it; a waiter learns its turn from a Pub/Sub message to its
//! own process ([`grants`]). The place and its lease are renewed while held ([`lease`]).
//! Processes take turns: within its turn a process hands its slots from task to task, or lets
//! a batch keep them, without Redis ([`turns`]). Without Redis, a slot may come from this
//! process's own cap instead ([`fallback`]).

// First, so that rustdoc lists `RedisLimiter`'s constructors (in `builder`) before its
// counters (in `acquire`).
mod builder;

mod acquire;
mod fallback;
mod grants;
mod lease;
mod scripts;
mod store;
mod turns;

pub use self::acquire::RedisLimiter;
pub use self::builder::{
    InvalidRedisLimiter, RedisLimiterBuilder, DEFAULT_KEY_PREFIX, DEFAULT_LEASE_MARGIN,
    DEFAULT_LOCAL_HANDOFF_WINDOW, DEFAULT_MAX_LOCAL_HANDOFFS,
};
