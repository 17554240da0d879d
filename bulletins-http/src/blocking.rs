//! A blocking client for programs without an async runtime (feature `blocking`).
//!
//! It wraps the async [`Client`](crate::Client) — same retries, same concurrency cap, same
//! errors — and runs it on a small tokio runtime it owns (one worker thread, which also keeps
//! pooled connections alive between calls), as `reqwest::blocking` does.
//!
//! Do not call it from inside an async runtime (it would block that runtime's thread; tokio
//! panics), and do not drop the last clone there: use the async client instead.
//!
//! ```no_run
//! use bulletins_http::{blocking, Bulletin, DynamicEvent};
//!
//! let client = blocking::Client::from_env()?;
//! let event = DynamicEvent::new("order_placed")?.property("order_id", "12345")?;
//! let triggered = client.trigger(&Bulletin::new(event, "Order 12345", "[email protected]"))?;
//! println!("{} bulletins sent", triggered.targets);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;
use std::time::Duration;

use bulletins_core::{BaseUrl, Bulletin, BusinessEvent, Region, RetryPolicy, Triggered};
use secrecy::SecretString;
use tokio::runtime::Runtime;

use crate::builder::BuildClientError;
use crate::error::Error;

/// A blocking CleverTap Bulletins client; see the [module documentation](self).
///
/// Cheap to clone; clones share the runtime, the connection pool and the concurrency cap.
#[derive(Debug, Clone)]
pub struct Client {
    client: crate::Client,
    runtime: Arc<Runtime>,
}

/// Builds a blocking [`Client`]; the settings are [`crate::ClientBuilder`]'s.
#[derive(Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    inner: crate::ClientBuilder,
}

impl ClientBuilder {
    /// See [`crate::ClientBuilder::region`].
    pub fn region(self, region: Region) -> Self {
        self.map(|b| b.region(region))
    }

    /// See [`crate::ClientBuilder::base_url`].
    pub fn base_url(self, url: impl AsRef<str>) -> Self {
        self.map(|b| b.base_url(url))
    }

    /// See [`crate::ClientBuilder::account_id`].
    pub fn account_id(self, account_id: impl Into<String>) -> Self {
        self.map(|b| b.account_id(account_id))
    }

    /// See [`crate::ClientBuilder::passcode`].
    pub fn passcode(self, passcode: impl Into<SecretString>) -> Self {
        self.map(|b| b.passcode(passcode))
    }

    /// See [`crate::ClientBuilder::timeout`].
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|b| b.timeout(timeout))
    }

    /// See [`crate::ClientBuilder::connect_timeout`].
    pub fn connect_timeout(self, timeout: Duration) -> Self {
        self.map(|b| b.connect_timeout(timeout))
    }

    /// See [`crate::ClientBuilder::max_concurrency`].
    pub fn max_concurrency(self, max: usize) -> Self {
        self.map(|b| b.max_concurrency(max))
    }

    /// See [`crate::ClientBuilder::retry`].
    pub fn retry(self, policy: RetryPolicy) -> Self {
        self.map(|b| b.retry(policy))
    }

    /// See [`crate::ClientBuilder::proxy`].
    pub fn proxy(self, proxy: reqwest::Proxy) -> Self {
        self.map(|b| b.proxy(proxy))
    }

    /// See [`crate::ClientBuilder::use_env_proxy`].
    pub fn use_env_proxy(self, enabled: bool) -> Self {
        self.map(|b| b.use_env_proxy(enabled))
    }

    /// See [`crate::ClientBuilder::limiter`]. A `RedisLimiter` connects from the blocking
    /// client's own runtime.
    pub fn limiter(self, limiter: impl crate::Limiter) -> Self {
        self.map(|b| b.limiter(limiter))
    }

    /// See [`crate::ClientBuilder::http_client`].
    pub fn http_client(self, client: reqwest::Client) -> Self {
        self.map(|b| b.http_client(client))
    }

    /// See [`crate::ClientBuilder::from_env`].
    ///
    /// # Errors
    /// As [`crate::ClientBuilder::from_env`].
    pub fn from_env() -> Result<Self, BuildClientError> {
        Ok(Self {
            inner: crate::ClientBuilder::from_env()?,
        })
    }

    /// Checks the configuration, starts the runtime and builds the client.
    ///
    /// # Errors
    /// As [`crate::ClientBuilder::build`], and [`BuildClientError::Runtime`] if the runtime's
    /// thread cannot start.
    pub fn build(self) -> Result<Client, BuildClientError> {
        let client = self.inner.build()?;
        Client::from_async(client)
    }

    fn map(self, f: impl FnOnce(crate::ClientBuilder) -> crate::ClientBuilder) -> Self {
        Self {
            inner: f(self.inner),
        }
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment; see [`crate::Client::from_env`].
    ///
    /// # Errors
    /// As [`crate::Client::from_env`], and [`BuildClientError::Runtime`].
    pub fn from_env() -> Result<Self, BuildClientError> {
        ClientBuilder::from_env()?.build()
    }

    /// Wraps an async client, sharing its pool and concurrency cap.
    ///
    /// # Errors
    /// [`BuildClientError::Runtime`] if the runtime's thread cannot start.
    pub fn from_async(client: crate::Client) -> Result<Self, BuildClientError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("bulletins-http-blocking")
            .enable_all()
            .build()
            .map_err(BuildClientError::Runtime)?;
        Ok(Self {
            client,
            runtime: Arc::new(runtime),
        })
    }

    /// The async client this one drives.
    pub fn as_async(&self) -> &crate::Client {
        &self.client
    }

    /// Where requests go.
    pub fn base_url(&self) -> &BaseUrl {
        self.client.base_url()
    }

    /// Raises the bulletin's business event, blocking until it is done; see
    /// [`crate::Client::trigger`].
    ///
    /// # Errors
    /// As [`crate::Client::trigger`].
    pub fn trigger<E: BusinessEvent>(
        &self,
        bulletin: &Bulletin<'_, E>,
    ) -> Result<Triggered, Error> {
        self.runtime.block_on(self.client.trigger(bulletin))
    }

    /// Raises every bulletin, blocking until all are done; see [`crate::Client::trigger_all`].
    pub fn trigger_all<'b, E, I>(&self, bulletins: I) -> Vec<Result<Triggered, Error>>
    where
        E: BusinessEvent,
        I: IntoIterator<Item = Bulletin<'b, E>>,
    {
        self.runtime.block_on(self.client.trigger_all(bulletins))
    }
}
