//! Configuring a [`Client`]: where to send, as whom, how long to wait, how often to retry.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bulletins_core::{
    trigger_request, BaseUrl, Credentials, InvalidBaseUrl, InvalidCredentials, Region, RetryPolicy,
};
use secrecy::SecretString;
use tokio::sync::Semaphore;

use crate::cap::Cap;
use crate::client::Client;
use crate::limiter::Limiter;
use crate::shared::{Proxy, Shared};

/// The per-attempt timeout unless [`ClientBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The connect timeout unless [`ClientBuilder::connect_timeout`] says otherwise (shortened to
/// half the per-attempt timeout when that is shorter).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Requests in flight per client unless [`ClientBuilder::max_concurrency`] says otherwise:
/// CleverTap's limit for raising bulletins, 3 per account.
pub const DEFAULT_MAX_CONCURRENCY: usize = 3;

/// The largest [`ClientBuilder::max_concurrency`] accepted. A batch runs as many slots (or
/// worker tasks) as the cap, so a cap far above any account's limit would only cost memory;
/// CleverTap's limit is 3 per account.
pub const MAX_CONCURRENCY_LIMIT: usize = 1024;

/// Builds a [`Client`]; start with [`Client::builder`].
///
/// ```
/// use std::time::Duration;
/// use bulletins_http::{Client, Region, RetryPolicy};
///
/// let client = Client::builder()
///     .region(Region::India)
///     .account_id("ABCD-RSTU-1234")
///     .passcode("XXXXXX")
///     .timeout(Duration::from_secs(10))
///     .retry(RetryPolicy::at_most_once())
///     .build()?;
/// # Ok::<(), bulletins_http::BuildClientError>(())
/// ```
#[derive(Default)]
#[must_use]
pub struct ClientBuilder {
    base_url: Option<Result<BaseUrl, InvalidBaseUrl>>,
    account_id: Option<String>,
    passcode: Option<SecretString>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_concurrency: Option<usize>,
    retry: Option<RetryPolicy>,
    http_client: Option<reqwest::Client>,
    proxies: Vec<reqwest::Proxy>,
    use_env_proxy: bool,
    limiter: Option<Arc<dyn Limiter>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("account_id", &self.account_id)
            .field("passcode", &self.passcode.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_concurrency", &self.max_concurrency)
            .field("retry", &self.retry)
            .field("http_client", &self.http_client.as_ref().map(|_| ".."))
            // A proxy's URL may carry its own credentials: counted, not shown.
            .field("proxies", &self.proxies.len())
            .field("use_env_proxy", &self.use_env_proxy)
            .field("limiter", &self.limiter)
            .finish()
    }
}

/// Why a [`Client`] could not be built. Never contains the passcode.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildClientError {
    /// Neither a region nor a base URL was given.
    #[error("no CleverTap region; call `.region(..)` (e.g. `Region::India`) or `.base_url(..)`")]
    MissingRegion,
    /// No account id was given.
    #[error("no CleverTap account id; call `.account_id(..)` with the id from Settings → Project in the dashboard")]
    MissingAccountId,
    /// No passcode was given.
    #[error("no CleverTap passcode; call `.passcode(..)` with the passcode from Settings → Passcode in the dashboard")]
    MissingPasscode,
    /// The base URL could not be parsed.
    #[error(transparent)]
    InvalidBaseUrl(InvalidBaseUrl),
    /// The base URL is plain `http://` to another machine: the passcode would travel in clear.
    #[error("refusing to send the passcode over plain http:// to {url}; use https://, or http:// only to a loopback host (localhost, 127.0.0.1, [::1])")]
    InsecureBaseUrl {
        /// The refused base URL.
        url: String,
    },
    /// The account id or passcode cannot be sent.
    #[error(transparent)]
    InvalidCredentials(InvalidCredentials),
    /// A timeout of zero.
    #[error("the {which} timeout is zero; give a positive duration")]
    ZeroTimeout {
        /// `per-attempt` or `connect`.
        which: &'static str,
    },
    /// The connect timeout is not shorter than the per-attempt timeout.
    #[error("the connect timeout ({connect_timeout:?}) must be shorter than the per-attempt timeout ({timeout:?}), so that a connection never made (safe to retry) is told apart from an answer that never came (perhaps delivered)")]
    ConnectTimeoutNotShorter {
        /// The connect timeout.
        connect_timeout: Duration,
        /// The per-attempt timeout.
        timeout: Duration,
    },
    /// A connect timeout together with a caller's `reqwest::Client`.
    #[error("`.connect_timeout(..)` cannot apply to a client passed to `.http_client(..)`; set it on that reqwest::ClientBuilder instead")]
    ConnectTimeoutWithHttpClient,
    /// `.proxy(..)` with a loopback base URL: loopback traffic never goes through a proxy.
    #[error("`.proxy(..)` was given with a loopback base URL; requests to loopback never go through a proxy (the passcode would leave the machine over plain http://): remove the proxy")]
    ProxyForLoopback,
    /// `.proxy(..)` or `.use_env_proxy(true)` together with a caller's `reqwest::Client`.
    #[error("`.proxy(..)` and `.use_env_proxy(..)` cannot apply to a client passed to `.http_client(..)`; set the proxy on that reqwest::ClientBuilder instead")]
    ProxyWithHttpClient,
    /// `max_concurrency(0)`.
    #[error("max concurrency is zero; allow at least one request in flight (CleverTap allows 3 per account)")]
    ZeroConcurrency,
    /// A `max_concurrency` above [`MAX_CONCURRENCY_LIMIT`].
    #[error("max concurrency {max_concurrency} is above the most this client supports ({limit}); CleverTap allows 3 per account")]
    ConcurrencyTooHigh {
        /// The cap given.
        max_concurrency: usize,
        /// [`MAX_CONCURRENCY_LIMIT`].
        limit: usize,
    },
    /// A per-attempt timeout so long that no deadline can be computed for it, together with a
    /// [`Limiter`]: a leased slot cannot cover it. Without a limiter such a timeout means no
    /// timeout.
    #[error("the per-attempt timeout ({timeout:?}) is too long for a limiter's lease to cover; give a timeout of at most a few minutes")]
    TimeoutTooLongForLimiter {
        /// The per-attempt timeout.
        timeout: Duration,
    },
    /// An environment variable is not set.
    #[error("environment variable {name} is not set; {hint}")]
    MissingEnv {
        /// The variable.
        name: &'static str,
        /// What to set it to, as a sentence: "set it to the account id from ...".
        hint: &'static str,
    },
    /// An environment variable is set to something unusable.
    #[error("environment variable {name} is invalid: {reason}")]
    InvalidEnv {
        /// The variable.
        name: &'static str,
        /// What is wrong with it (never its value, which may be the passcode).
        reason: String,
    },
    /// The HTTP stack could not be set up (TLS roots, for example).
    #[error("could not set up the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
    /// The blocking client's runtime could not start.
    #[cfg(feature = "blocking")]
    #[error("could not start the blocking client's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// An empty builder; [`Client::builder`] is the usual spelling.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends to a CleverTap region's API host.
    pub fn region(mut self, region: Region) -> Self {
        self.base_url = Some(Ok(region.into()));
        self
    }

    /// Sends to a custom base URL: a new region, a proxy, or the local emulator. Plain `http://`
    /// is accepted only for loopback hosts. The last of `region`/`base_url` wins.
    pub fn base_url(mut self, url: impl AsRef<str>) -> Self {
        self.base_url = Some(BaseUrl::parse(url.as_ref()));
        self
    }

    /// The account id (Settings → Project in the dashboard).
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// The account's passcode. Kept in a `secrecy::SecretString` and never printed.
    pub fn passcode(mut self, passcode: impl Into<SecretString>) -> Self {
        self.passcode = Some(passcode.into());
        self
    }

    /// How long one attempt may take, from connecting to the end of the answer's body
    /// (default [`DEFAULT_TIMEOUT`]). Retries get a fresh timeout each. `Duration::MAX` (any
    /// duration past the clock's range) means no timeout; with a [`Self::limiter`], whose
    /// leases must cover each attempt, [`Self::build`] refuses it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long establishing a connection (TCP and TLS) may take (default
    /// [`DEFAULT_CONNECT_TIMEOUT`], or half the per-attempt timeout if that is shorter). Must be
    /// shorter than [`Self::timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The most requests this client (and its clones) has in flight at once (default
    /// [`DEFAULT_MAX_CONCURRENCY`], CleverTap's limit; at most [`MAX_CONCURRENCY_LIMIT`]). Further triggers wait their turn instead
    /// of drawing 429s. Share one client among everything that uses the same account.
    pub fn max_concurrency(mut self, max: usize) -> Self {
        self.max_concurrency = Some(max);
        self
    }

    /// Takes each attempt's permit from `limiter` instead of this client's own cap: a limiter
    /// shared between processes, such as `RedisLimiter` (feature `redis`), keeps every replica
    /// of a service together under the account's [`Self::max_concurrency`].
    pub fn limiter(mut self, limiter: impl Limiter) -> Self {
        self.limiter = Some(Arc::new(limiter));
        self
    }

    /// When to retry (default [`RetryPolicy::at_most_once`]: a bulletin is never sent twice).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Sends through this proxy (several may be given; see [`reqwest::Proxy`] for per-scheme
    /// proxies, authentication and exclusions). For an `https://` base URL the proxy sees only
    /// the host and port (`CONNECT`); the passcode stays inside TLS.
    ///
    /// By default the client uses **no proxy**, whatever the environment says. A loopback base
    /// URL (the emulator) is never proxied: with one, [`Self::build`] refuses an explicit proxy
    /// ([`BuildClientError::ProxyForLoopback`]).
    pub fn proxy(mut self, proxy: reqwest::Proxy) -> Self {
        self.proxies.push(proxy);
        self
    }

    /// Whether to honour the environment's proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY` and `NO_PROXY`, upper or lower case), read when the client is built.
    /// Default `false`: a proxy is used only when asked for, and `Debug` of the client says
    /// which applies. Ignored for a loopback base URL, which is never proxied: plain `http://`
    /// to loopback is allowed only because the bytes stay on the machine.
    pub fn use_env_proxy(mut self, enabled: bool) -> Self {
        self.use_env_proxy = enabled;
        self
    }

    /// Sends with this `reqwest::Client` (for custom TLS roots, or sharing a connection pool).
    /// Its connect timeout and proxy settings apply; [`Self::timeout`] still bounds each
    /// attempt. Turn off its redirects (`redirect::Policy::none()`): a redirect would carry the
    /// passcode header to wherever it points. `reqwest` honours the environment's proxies
    /// unless told otherwise: call `.no_proxy()` on its builder, or a loopback base URL's
    /// traffic may leave the machine.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// # Errors
    /// [`BuildClientError`] for anything missing or invalid.
    pub fn build(mut self) -> Result<Client, BuildClientError> {
        let base_url = self
            .base_url
            .take()
            .ok_or(BuildClientError::MissingRegion)?
            .map_err(BuildClientError::InvalidBaseUrl)?;
        if !base_url.is_https() && !base_url.is_loopback() {
            return Err(BuildClientError::InsecureBaseUrl {
                url: base_url.to_string(),
            });
        }
        let account_id = self
            .account_id
            .take()
            .ok_or(BuildClientError::MissingAccountId)?;
        let passcode = self
            .passcode
            .take()
            .ok_or(BuildClientError::MissingPasscode)?;
        let credentials =
            Credentials::new(account_id, passcode).map_err(BuildClientError::InvalidCredentials)?;

        let (timeout, max_concurrency) = self.limits()?;
        let proxy = self.chosen_proxy(&base_url)?;
        let retry = self.retry.unwrap_or_default();
        let cap = match self.limiter.take() {
            Some(limiter) => Cap::Shared(limiter),
            None => Cap::InProcess(Semaphore::new(max_concurrency)),
        };
        let http = self.build_http_client(proxy, timeout)?;
        let url = reqwest::Url::parse(&base_url.trigger_uri().to_string()).map_err(|_| {
            BuildClientError::InvalidBaseUrl(InvalidBaseUrl {
                given: base_url.to_string(),
                reason: "the HTTP client cannot parse it",
            })
        })?;
        // Built once: every attempt clones them.
        let headers = trigger_request(&base_url, &credentials, Vec::new())
            .into_parts()
            .0
            .headers;
        crate::metrics::describe();
        Ok(Client {
            shared: Arc::new(Shared {
                labels: crate::metrics::ClientLabels::new(&url),
                http,
                base_url,
                url,
                headers,
                credentials,
                timeout,
                max_concurrency,
                retry,
                proxy,
                cap,
            }),
        })
    }

    /// The per-attempt timeout and the cap, checked.
    fn limits(&self) -> Result<(Duration, usize), BuildClientError> {
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(BuildClientError::ZeroTimeout {
                which: "per-attempt",
            });
        }
        let max_concurrency = self.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY);
        if max_concurrency == 0 {
            return Err(BuildClientError::ZeroConcurrency);
        }
        if max_concurrency > MAX_CONCURRENCY_LIMIT {
            return Err(BuildClientError::ConcurrencyTooHigh {
                max_concurrency,
                limit: MAX_CONCURRENCY_LIMIT,
            });
        }
        // A lease is measured on the monotonic clock; past its range no lease covers an
        // attempt, and the client would take and give back slots for ever.
        if self.limiter.is_some() && tokio::time::Instant::now().checked_add(timeout).is_none() {
            return Err(BuildClientError::TimeoutTooLongForLimiter { timeout });
        }
        Ok((timeout, max_concurrency))
    }

    /// Which proxy requests go through, refusing the combinations that cannot work.
    fn chosen_proxy(&self, base_url: &BaseUrl) -> Result<Proxy, BuildClientError> {
        let wants_proxy = !self.proxies.is_empty() || self.use_env_proxy;
        if self.http_client.is_some() && wants_proxy {
            return Err(BuildClientError::ProxyWithHttpClient);
        }
        if base_url.is_loopback() && !self.proxies.is_empty() {
            return Err(BuildClientError::ProxyForLoopback);
        }
        Ok(match () {
            () if self.http_client.is_some() => Proxy::CallersClient,
            () if base_url.is_loopback() => Proxy::NoneForLoopback,
            () if !self.proxies.is_empty() => Proxy::Explicit,
            () if self.use_env_proxy => Proxy::Environment,
            () => Proxy::None,
        })
    }

    /// The caller's `reqwest::Client`, or one of our own: a connect timeout shorter than the
    /// attempt's, no redirects, and proxies only when asked.
    fn build_http_client(
        self,
        proxy: Proxy,
        timeout: Duration,
    ) -> Result<reqwest::Client, BuildClientError> {
        match self.http_client {
            Some(_) if self.connect_timeout.is_some() => {
                Err(BuildClientError::ConnectTimeoutWithHttpClient)
            }
            Some(client) => Ok(client),
            None => {
                let connect_timeout = self
                    .connect_timeout
                    .unwrap_or_else(|| DEFAULT_CONNECT_TIMEOUT.min(timeout / 2));
                if connect_timeout.is_zero() {
                    return Err(BuildClientError::ZeroTimeout { which: "connect" });
                }
                if connect_timeout >= timeout {
                    return Err(BuildClientError::ConnectTimeoutNotShorter {
                        connect_timeout,
                        timeout,
                    });
                }
                let http = reqwest::Client::builder()
                    .connect_timeout(connect_timeout)
                    // A redirect would carry the passcode header (and, for 307/308, the
                    // bulletin) to wherever it points; CleverTap does not redirect.
                    .redirect(reqwest::redirect::Policy::none());
                // reqwest reads the environment's proxies unless told not to; a loopback base
                // URL must never be proxied, and anything else only when asked.
                let http = match proxy {
                    Proxy::Environment => http,
                    Proxy::Explicit => self.proxies.into_iter().fold(http, |b, p| b.proxy(p)),
                    Proxy::None | Proxy::NoneForLoopback | Proxy::CallersClient => http.no_proxy(),
                };
                http.build().map_err(BuildClientError::Http)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> ClientBuilder {
        Client::builder()
            .region(Region::India)
            .account_id("ABCD-RSTU-1234")
            .passcode("S3NT1NEL")
    }

    fn err(builder: ClientBuilder) -> BuildClientError {
        match builder.build() {
            Ok(client) => panic!("built {client:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_complete_builder_builds() {
        let client = complete().build().expect("valid");
        assert_eq!(client.base_url().as_str(), "https://in1.api.clevertap.com");
        assert_eq!(client.max_concurrency(), DEFAULT_MAX_CONCURRENCY);
        assert_eq!(client.retry_policy(), RetryPolicy::at_most_once());
    }

    #[test]
    fn missing_and_invalid_settings_are_named() {
        assert!(matches!(
            err(Client::builder().account_id("a").passcode("p")),
            BuildClientError::MissingRegion
        ));
        assert!(matches!(
            err(Client::builder().region(Region::India).passcode("p")),
            BuildClientError::MissingAccountId
        ));
        assert!(matches!(
            err(Client::builder().region(Region::India).account_id("a")),
            BuildClientError::MissingPasscode
        ));
        assert!(matches!(
            err(complete().base_url("ftp://x")),
            BuildClientError::InvalidBaseUrl(_)
        ));
        assert!(matches!(
            err(complete().passcode("pass word")),
            BuildClientError::InvalidCredentials(InvalidCredentials::PasscodeCharacter { .. })
        ));
        assert!(matches!(
            err(complete().max_concurrency(0)),
            BuildClientError::ZeroConcurrency
        ));
        assert!(matches!(
            err(complete().max_concurrency(usize::MAX)),
            BuildClientError::ConcurrencyTooHigh { .. }
        ));
        assert!(complete()
            .max_concurrency(MAX_CONCURRENCY_LIMIT)
            .build()
            .is_ok());
        assert!(matches!(
            err(complete().timeout(Duration::ZERO)),
            BuildClientError::ZeroTimeout { .. }
        ));
        assert!(matches!(
            err(complete()
                .timeout(Duration::from_secs(1))
                .connect_timeout(Duration::from_secs(1))),
            BuildClientError::ConnectTimeoutNotShorter { .. }
        ));
        assert!(matches!(
            err(complete()
                .http_client(reqwest::Client::new())
                .connect_timeout(Duration::from_secs(1))),
            BuildClientError::ConnectTimeoutWithHttpClient
        ));
    }

    /// Hands out permits with a lease of a minute.
    #[derive(Debug)]
    struct Leasing;

    impl Limiter for Leasing {
        fn acquire<'a>(
            &'a self,
            _slot: crate::Slot<'a>,
        ) -> futures_util::future::BoxFuture<'a, Result<crate::Permit, crate::BoxError>> {
            let until = tokio::time::Instant::now() + Duration::from_secs(60);
            let lease = Arc::new(crate::Lease::new(until));
            Box::pin(async move { Ok(crate::Permit::leased((), lease)) })
        }
    }

    #[test]
    fn a_timeout_no_lease_can_cover_is_refused_with_a_limiter() {
        assert!(matches!(
            err(complete().limiter(Leasing).timeout(Duration::MAX)),
            BuildClientError::TimeoutTooLongForLimiter { .. }
        ));
        assert!(complete().timeout(Duration::MAX).build().is_ok());
    }

    #[test]
    fn plain_http_is_refused_unless_loopback() {
        let e = err(complete().base_url("http://proxy.example.com"));
        assert!(matches!(e, BuildClientError::InsecureBaseUrl { .. }));
        assert!(e.to_string().contains("loopback"), "{e}");
        for ok in [
            "http://127.0.0.1:8787",
            "http://localhost:1",
            "http://[::1]:2",
            "https://proxy.example.com/ct",
        ] {
            assert!(complete().base_url(ok).build().is_ok(), "{ok}");
        }
    }

    #[test]
    fn debug_says_which_proxy_applies_without_its_credentials() {
        let proxy = || reqwest::Proxy::all("http://user:PR0XYPASS@proxy.example.com:3128");
        let builder = complete().proxy(proxy().expect("proxy"));
        assert!(!format!("{builder:?}").contains("PR0XYPASS"), "{builder:?}");
        let shown = |b: ClientBuilder| format!("{:?}", b.build().expect("valid"));
        let explicit = shown(complete().proxy(proxy().expect("proxy")));
        assert!(explicit.contains("proxy: \"explicit"), "{explicit}");
        assert!(!explicit.contains("PR0XYPASS"), "{explicit}");
        assert!(shown(complete()).contains("proxy: \"none\""));
        assert!(shown(complete().use_env_proxy(true)).contains("proxy: \"environment"));
        assert!(shown(
            complete()
                .base_url("http://127.0.0.1:1")
                .use_env_proxy(true)
        )
        .contains("proxy: \"none (loopback"));
        assert!(shown(complete().http_client(reqwest::Client::new())).contains("caller's"));
    }

    #[test]
    fn a_short_timeout_shortens_the_default_connect_timeout() {
        assert!(complete()
            .timeout(Duration::from_millis(100))
            .build()
            .is_ok());
    }

    #[test]
    fn the_passcode_is_never_printed() {
        let builder = complete();
        assert!(!format!("{builder:?}").contains("S3NT1NEL"));
        let client = builder.build().expect("valid");
        assert!(!format!("{client:?}").contains("S3NT1NEL"));
        let e = err(complete().passcode("S3NT1NEL\n"));
        assert!(!e.to_string().contains("S3NT1NEL") && !format!("{e:?}").contains("S3NT1NEL"));
    }
}
