//! Typed CleverTap Bulletins business events, without I/O.
//!
//! `bulletins-core` knows CleverTap's Bulletins API (`POST /1/targets/trigger.json`) and does no
//! networking: it turns a typed [`BusinessEvent`] into the documented JSON payload, validates
//! what only run time knows, builds the complete `http::Request` for a [`Region`], parses the
//! response into a typed outcome, and decides whether a failed attempt may be retried.
//!
//! Most services want **`bulletins-http`**, which sends these requests with safe retries and
//! re-exports everything here. A schema crate shared between services depends on this crate
//! alone, so it pulls in no HTTP stack.
//!
//! ```
//! use bulletins_core::{Bulletin, BusinessEvent, When};
//!
//! #[derive(BusinessEvent)]
//! #[business_event(name = "Program Released", requires = ["program_id", "language"])]
//! struct ProgramReleased {
//!     program_id: String,
//!     language: String,
//!     prev_program_id: Option<String>,
//! }
//!
//! let event = ProgramReleased {
//!     program_id: "234567".into(),
//!     language: "Hindi".into(),
//!     prev_program_id: Some("123457".into()),
//! };
//! let bulletin = Bulletin::new(event, "Sa Re Ga Ma episode 12", "[email protected]").when(When::Now);
//! assert_eq!(
//!     bulletin.to_json_vec()?,
//!     br#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"[email protected]","when":"now"}"#
//! );
//! # Ok::<(), bulletins_core::BuildError>(())
//! ```
//!
//! # Features
//! - `derive` (default): re-exports `#[derive(BusinessEvent)]` from `bulletins-derive`.

mod bulletin;
mod credentials;
pub mod dashboard;
mod dynamic;
mod error;
mod event;
pub mod limits;
mod outcome;
mod payload;
mod region;
mod request;
mod response;
mod retry;
mod retry_after;
mod writer;

pub use bulletin::{Bulletin, When};
pub use credentials::{Credentials, InvalidCredentials};
pub use dynamic::DynamicEvent;
pub use error::BuildError;
pub use event::{BusinessEvent, EventSchema, Presence, PropertySchema, PropertyValue, StaticEvent};
pub use outcome::{NotDelivered, Outcome};
pub use payload::{Payload, PayloadError, PayloadProblem};
pub use region::{BaseUrl, InvalidBaseUrl, Region, UnknownRegion, TRIGGER_PATH};
pub use request::{trigger_request, ACCOUNT_ID_HEADER, PASSCODE_HEADER};
pub use response::{
    oversized_body, parse_parts, parse_response, ApiError, ApiErrorKind, ResponseError, Triggered,
    MAX_KEPT_BODY_BYTES,
};
pub use retry::{Delivery, Failure, RetryDecision, RetryPolicy};
pub use retry_after::RetryAfter;
pub use writer::PropertyWriter;

// Its page (every attribute and compile error) comes with it from `bulletins-derive`.
#[cfg(feature = "derive")]
pub use bulletins_derive::BusinessEvent;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
