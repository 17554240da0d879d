//! The sans-IO protocol pieces the [`Client`](crate::Client) is built from, for code that drives
//! its own HTTP stack, writes an event's properties by hand, or tests at the wire level.
//!
//! A service raising bulletins needs none of this: [`Client::trigger`](crate::Client::trigger)
//! builds the request, sends it, parses the answer and decides on retries. Each step is here on
//! its own, from `bulletins-core`:
//!
//! 1. [`trigger_request`] builds the complete `http::Request` (URL, [`ACCOUNT_ID_HEADER`],
//!    [`PASSCODE_HEADER`], JSON body) from a [`Bulletin`](crate::Bulletin), a
//!    [`BaseUrl`](crate::BaseUrl) and [`Credentials`];
//! 2. [`parse_response`] (or [`parse_parts`] on a status and a body) turns CleverTap's answer
//!    into a [`Triggered`](crate::Triggered) or a [`ResponseError`]; [`oversized_body`] is the
//!    error for an answer longer than a client is willing to read;
//! 3. [`RetryPolicy::decide`](crate::RetryPolicy::decide) turns a [`Failure`] into a
//!    [`RetryDecision`].
//!
//! [`PropertyWriter`] is what [`BusinessEvent::write_properties`](crate::BusinessEvent::write_properties)
//! writes into, for an event implemented by hand rather than derived.

pub use bulletins_core::{
    oversized_body, parse_parts, parse_response, trigger_request, Credentials, Failure,
    PropertyWriter, ResponseError, RetryDecision, ACCOUNT_ID_HEADER, MAX_KEPT_BODY_BYTES,
    PASSCODE_HEADER, TRIGGER_PATH,
};

pub use crate::attempt::MAX_BODY_BYTES;
