//! [`RedisLimiterBuilder`]: the settings of a [`RedisLimiter`], checked when it is built.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::acquire::{RedisLimiter, Shared};
use super::fallback::Fallback;
use super::grants::Grants;
use super::store::Store;
use super::turns::Turns;

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
        let shared = Shared {
            grants: Grants::new(client.clone(), &self.key_prefix, self.redis_timeout),
            store: Arc::new(Store::new(client, self.redis_timeout)),
            turns: Arc::new(Turns::new(
                self.max_local_handoffs,
                self.local_handoff_window,
            )),
            fallback: self.fall_back.then(Fallback::default),
            key_prefix: self.key_prefix,
            lease_margin: self.lease_margin,
            poll_interval: self.poll_interval,
        };
        Ok(RedisLimiter {
            shared: Arc::new(shared),
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
}
