//! What a [`Client`](crate::Client) holds, shared by its clones: filled once by the builder,
//! read by every attempt.

use std::sync::Arc;
use std::time::Duration;

use bulletins_core::{BaseUrl, Credentials, RetryPolicy};

use crate::limiter::Limiter;

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: BaseUrl,
    pub(crate) url: reqwest::Url,
    pub(crate) credentials: Credentials,
    pub(crate) timeout: Duration,
    pub(crate) max_concurrency: usize,
    pub(crate) retry: RetryPolicy,
    /// Hands out one permit per request in flight; shared by every clone (and, for a shared
    /// limiter, by other processes).
    pub(crate) limiter: Arc<dyn Limiter>,
    /// Which proxy requests go through.
    pub(crate) proxy: crate::builder::Proxy,
}
