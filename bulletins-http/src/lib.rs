//! Raise CleverTap Bulletins business events from async Rust: safe retries, a concurrency cap
//! and typed errors.
//!
//! This is the crate most services want: the [`Client`] that sends bulletins over HTTPS with
//! `reqwest` and `tokio`, and everything from `bulletins-core` a service writes — the
//! [`BusinessEvent`](trait@BusinessEvent) trait and [derive](derive@BusinessEvent),
//! [`Bulletin`], [`Region`], the errors. A schema crate shared between services depends on
//! `bulletins-core` alone.
//!
//! # Start here
//!
//! - [`Client::from_env`] (or [`Client::builder`]) makes a client;
//! - [`#[derive(BusinessEvent)]`](derive@BusinessEvent) declares a business event, checked at
//!   compile time (its attributes and compile errors are on that page);
//! - [`Bulletin::new`] wraps an event with its name and creator, for [`Client::trigger`];
//! - [`Error::may_have_been_delivered`] says, for every failure, whether sending it again could
//!   notify users twice;
//! - [`bulletins-emulator`](https://docs.rs/bulletins-emulator), a dev-dependency, is a local
//!   CleverTap endpoint to test all of it against.
//!
//! The [`protocol`] module holds the sans-IO pieces the client is built from.
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
//! The retry decision is the pure [`RetryPolicy::decide`] of `bulletins-core`; this crate only
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
//! read ([`protocol::MAX_BODY_BYTES`]). Redirects are not followed.
//!
//! No proxy is used unless asked for: the environment's `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`
//! are ignored by default, honoured with [`ClientBuilder::use_env_proxy`], and a proxy can be
//! named with [`ClientBuilder::proxy`]. A loopback base URL is never proxied, so the passcode
//! sent over plain `http://` to the emulator stays on the machine. `Debug` of a [`Client`]
//! shows which proxy applies.
//!
//! # Tracing
//!
//! Each trigger runs in a `bulletins.trigger` span (INFO) with the fields `event`, `attempt`,
//! `status`, `targets` and `latency_ms`; attempts and outcomes are DEBUG events inside it. A
//! trigger dropped before its result was known, with a request in flight, logs a WARN event
//! naming the business event: the bulletin may have been delivered with no result to say so
//! (see [`Client::trigger`]'s section on cancellation).
//!
//! # Features
//! - `blocking`: [`blocking::Client`], for programs without an async runtime.
//! - `redis`: `RedisLimiter`, one account's cap shared by every process through Redis; and
//!   [`Client::from_env`] reads `CLEVERTAP_REDIS_URL`.
//! - `metrics`: the client records [its metrics](metrics) through the `metrics` facade
//!   (request durations, bulletins by outcome, retries, the wait for a slot, requests in
//!   flight); nothing is recorded until the application installs a recorder.
//!
// Without the feature the module does not exist: link to its published page instead.
#![cfg_attr(
    feature = "blocking",
    doc = "[`blocking::Client`]: crate::blocking::Client"
)]
#![cfg_attr(
    not(feature = "blocking"),
    doc = "[`blocking::Client`]: https://docs.rs/bulletins-http/latest/bulletins_http/blocking/struct.Client.html"
)]

mod attempt;
mod batch;
#[cfg(feature = "blocking")]
pub mod blocking;
mod builder;
mod cap;
mod client;
mod env;
mod error;
mod limiter;
pub mod metrics;
pub mod protocol;
mod shared;
mod workers;

/// Locks a mutex whose data stays valid even if a holder panicked (every critical section in
/// this crate leaves it consistent), so a poisoned lock is taken as it is.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub use builder::{
    BuildClientError, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONCURRENCY,
    DEFAULT_TIMEOUT, MAX_CONCURRENCY_LIMIT,
};
pub use client::Client;
pub use env::{ACCOUNT_ID_VAR, BASE_URL_VAR, PASSCODE_VAR, REDIS_URL_VAR, REGION_VAR};
pub use error::{BoxError, Error, TransportKind};
#[cfg(feature = "redis")]
pub use limiter::{
    InvalidRedisLimiter, RedisLimiter, RedisLimiterBuilder, DEFAULT_KEY_PREFIX,
    DEFAULT_LEASE_MARGIN, DEFAULT_LOCAL_HANDOFF_WINDOW, DEFAULT_MAX_LOCAL_HANDOFFS,
};
pub use limiter::{Lease, Limiter, Permit, Slot};

// What a service writes: bulletins and their events, where to send them, retry settings, and
// what can go wrong. The protocol pieces are in `protocol`.
pub use bulletins_core::{
    limits, ApiError, ApiErrorKind, BaseUrl, BuildError, Bulletin, Delivery, DynamicEvent,
    EventSchema, InvalidBaseUrl, InvalidCredentials, NotDelivered, Outcome, Payload, PayloadError,
    PayloadProblem, Presence, PropertySchema, PropertyValue, Region, RetryAfter, RetryPolicy,
    StaticEvent, Triggered, UnknownRegion, When,
};

/// The dashboard file (`bulletins.json`): check a [`DynamicEvent`] against it, write it from
/// compiled events, and find where code and file disagree.
pub use bulletins_core::dashboard;

// The trait alone: the core's root `BusinessEvent` also names the core's derive when its
// `derive` feature is on (another crate in the build may enable it), which would clash with
// this crate's derive below. The core's `__private` re-exports the trait without the macro.
pub use bulletins_core::__private::BusinessEvent;

/// Not public API: what `#[derive(BusinessEvent)]` expands to names, as
/// `::bulletins_http::__private`.
#[doc(hidden)]
pub use bulletins_core::__private;

// The core's derive, with generated code naming `::bulletins_http`, so that a crate depending on
// this one alone can use it. Inlined: its page (attributes, compile errors) is part of these docs.
#[doc(inline)]
pub use bulletins_derive::BusinessEventHttp as BusinessEvent;

// The README's examples, and those of the pages it links to, compiled and run as doctests so
// they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
#[cfg(doctest)]
#[doc = include_str!("../../docs/events.md")]
struct EventsDoctests;
#[cfg(doctest)]
#[doc = include_str!("../../docs/client.md")]
struct ClientDoctests;
#[cfg(doctest)]
#[doc = include_str!("../../docs/replicas.md")]
struct ReplicasDoctests;

// The derive's page, shown on `BusinessEvent`'s derive page above, compiled and run here.
#[cfg(doctest)]
#[doc = include_str!("../../bulletins-derive/src/derive.md")]
struct DeriveDoctests;
