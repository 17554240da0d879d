//! What a [`Client`](crate::Client) holds, shared by its clones: filled once by the builder,
//! read by every attempt.

use std::time::Duration;

use bulletins_core::{BaseUrl, Credentials, RetryPolicy};
use http::HeaderMap;

use crate::cap::Cap;
use crate::metrics::ClientLabels;

pub(crate) struct Shared {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: BaseUrl,
    pub(crate) url: reqwest::Url,
    /// Every request's headers (the credentials, the content type, the user agent), built
    /// once: each attempt clones them, which shares their bytes.
    pub(crate) headers: HeaderMap,
    pub(crate) credentials: Credentials,
    pub(crate) timeout: Duration,
    pub(crate) max_concurrency: usize,
    pub(crate) retry: RetryPolicy,
    /// Hands out one permit per request in flight; shared by every clone (and, for a shared
    /// limiter, by other processes).
    pub(crate) cap: Cap,
    /// Which proxy requests go through.
    pub(crate) proxy: Proxy,
    /// The labels of this client's metrics (none without the feature `metrics`).
    pub(crate) labels: ClientLabels,
}

/// Which proxy a client's requests go through; shown by `Debug` of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proxy {
    /// None: the default, whatever the environment says.
    None,
    /// None, because the base URL is loopback.
    NoneForLoopback,
    /// Those given to [`ClientBuilder::proxy`](crate::ClientBuilder::proxy).
    Explicit,
    /// The environment's (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, ...), as read at build time.
    Environment,
    /// Whatever the `reqwest::Client` given to [`ClientBuilder::http_client`](crate::ClientBuilder::http_client) does.
    CallersClient,
}

impl Proxy {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Proxy::None => "none",
            Proxy::NoneForLoopback => "none (loopback base URL)",
            Proxy::Explicit => "explicit (.proxy)",
            Proxy::Environment => "environment (HTTPS_PROXY, ALL_PROXY, NO_PROXY)",
            Proxy::CallersClient => "the caller's reqwest::Client",
        }
    }
}
