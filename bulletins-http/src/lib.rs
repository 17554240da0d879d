//! Raise CleverTap Bulletins business events from async Rust: safe retries, a concurrency cap
//! and typed errors.
//!
//! This is the crate most services want. It re-exports all of [`bulletins_core`] — the
//! [`BusinessEvent`] trait and derive, [`Bulletin`], [`Region`], the response and retry types —
//! and adds the [`Client`] that sends bulletins over HTTPS with `reqwest` and `tokio`. A schema
//! crate shared between services depends on `bulletins-core` alone.
//!
//! ```no_run
//! use bulletins_http::{Bulletin, BusinessEvent, Client, Region, When};
//!
//! #[derive(BusinessEvent)]
//! #[business_event(name = "order_placed", requires = ["order_id"])]
//! struct OrderPlaced {
//!     order_id: String,
//!     coupon_code: Option<String>,
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder()
//!     .region(Region::India)
//!     .account_id("ABCD-RSTU-1234")
//!     .passcode(std::env::var("CLEVERTAP_PASSCODE")?)
//!     .build()?;
//! let event = OrderPlaced { order_id: "12345".into(), coupon_code: None };
//! let bulletin = Bulletin::new(event, "Order 12345", "[email protected]").when(When::Now);
//! match client.trigger(&bulletin).await {
//!     Ok(triggered) => println!("{} bulletins sent", triggered.targets),
//!     Err(e) if e.may_have_been_delivered() => eprintln!("{e}; not retrying, to avoid a duplicate"),
//!     Err(e) => eprintln!("{e}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Delivery: at most once, unless you opt in
//!
//! CleverTap documents no idempotency key: a request that may have reached it, if sent again,
//! may notify users twice. So by default ([`RetryPolicy::at_most_once`]) the client retries
//! only what certainly was not processed — a connection that could not be made, and a 429 —
//! with exponential backoff and full jitter, honouring `Retry-After` (capped), bounded in
//! attempts and total time. [`RetryPolicy::at_least_once`] also retries timeouts, connections
//! lost after sending and 5xx, accepting duplicates. Every [`Error`] says whether the bulletin
//! [may have been delivered](Error::may_have_been_delivered).
//!
//! The retry decision is [`bulletins_core`]'s pure [`RetryPolicy::decide`]; this crate only
//! sends, waits and resends.
//!
//! # Concurrency
//!
//! CleverTap allows 3 concurrent bulletin requests per account and answers 429 above that. A
//! client (with its clones) keeps at most [`ClientBuilder::max_concurrency`] requests in flight
//! (default 3); further triggers wait their turn. [`Client::trigger_all`] and
//! [`Client::trigger_stream`] raise many bulletins within that cap, pulling them lazily.
//!
//! Several processes sending as one account (replicas of a service) share the cap through a
//! [`Limiter`] set with [`ClientBuilder::limiter`]: `RedisLimiter` (feature `redis`) keeps it
//! in Redis, with leases that free the slots of a process that dies.
//!
//! # Safety
//!
//! The passcode never appears in `Debug`, `Display`, errors or logs. Plain `http://` base URLs
//! are refused unless the host is loopback (the local emulator). At most 64 KiB of an answer is
//! read ([`MAX_BODY_BYTES`]). Redirects are not followed.
//!
//! # Tracing
//!
//! Each trigger runs in a `bulletins.trigger` span (INFO) with the fields `event`, `attempt`,
//! `status`, `targets` and `latency_ms`; attempts and outcomes are DEBUG events inside it.
//!
//! # Features
//! - `blocking`: [`blocking::Client`], for programs without an async runtime.
//! - `redis`: `RedisLimiter`, one account's cap shared by every process through Redis; and
//!   [`Client::from_env`] reads `CLEVERTAP_REDIS_URL`.

mod batch;
#[cfg(feature = "blocking")]
pub mod blocking;
mod builder;
mod client;
mod env;
mod error;
mod limiter;
mod send;

pub use builder::{
    BuildClientError, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONCURRENCY,
    DEFAULT_TIMEOUT,
};
pub use client::Client;
pub use env::{ACCOUNT_ID_VAR, BASE_URL_VAR, PASSCODE_VAR, REDIS_URL_VAR, REGION_VAR};
pub use error::{BoxError, Error, TransportKind};
#[cfg(feature = "redis")]
pub use limiter::{
    InvalidRedisLimiter, RedisLimiter, RedisLimiterBuilder, DEFAULT_KEY_PREFIX,
    DEFAULT_LEASE_MARGIN,
};
pub use limiter::{Lease, Limiter, Permit, Slot};
pub use send::MAX_BODY_BYTES;

// Everything of the core. A glob, because the core's `BusinessEvent` names both the trait and
// (with its `derive` feature, which another crate in the build may enable) the core's derive;
// the explicit import below shadows the derive in the macro namespace only, keeping the trait.
// The glob also brings the doc-hidden `__private` module, which the derive's code names as
// `::bulletins_http::__private`.
pub use bulletins_core::*;

/// Derives [`BusinessEvent`](trait@BusinessEvent) and [`StaticEvent`] for a struct with named
/// fields; see the `bulletins-derive` crate documentation for every attribute.
///
/// This is the core's derive, with generated code naming `::bulletins_http`, so a crate that
/// depends on `bulletins-http` alone can use it.
pub use bulletins_derive::BusinessEventHttp as BusinessEvent;

// The README's examples, compiled and run as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
