//! Errors found before anything is sent.

use crate::limits::{KeyProblem, MAX_VALUE_BYTES};

/// Why a bulletin could not be turned into a payload. Nothing was sent.
///
/// Every variant names the offending field and the rule; fix the input and build again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The business event's name breaks CleverTap's key rules.
    #[error("business event name {name:?} {problem}")]
    InvalidEventName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        problem: KeyProblem,
    },
    /// A property key breaks CleverTap's key rules.
    #[error("property key {key:?} {problem}")]
    InvalidPropertyKey {
        /// The key as given.
        key: String,
        /// What is wrong with it.
        problem: KeyProblem,
    },
    /// A property value is longer than CleverTap's 512-byte limit.
    #[error("property {property:?} is {len} bytes; CleverTap allows at most {max} bytes (UTF-8) per value")]
    ValueTooLong {
        /// The property's key.
        property: String,
        /// The value's length in UTF-8 bytes.
        len: usize,
        /// The limit, [`MAX_VALUE_BYTES`].
        max: usize,
    },
    /// A `display` property's `Display` implementation returned an error.
    #[error("property {property:?}: its Display implementation returned an error")]
    DisplayFailed {
        /// The property's key.
        property: String,
    },
    /// A property key appears twice (only a hand-written or dynamic event can do this).
    #[error("property {key:?} is set twice; each key may appear once")]
    DuplicateProperty {
        /// The repeated key.
        key: String,
    },
    /// A JSON property value given to [`DynamicEvent::from_json`](crate::DynamicEvent::from_json)
    /// is not a string; CleverTap accepts strings only.
    #[error("property {property:?} is a JSON {found}; CleverTap only accepts string property values, so send its text as a string")]
    NotAString {
        /// The property's key.
        property: String,
        /// The JSON type found instead.
        found: &'static str,
    },
    /// The properties given to [`DynamicEvent::from_json`](crate::DynamicEvent::from_json) are
    /// not a JSON object.
    #[error("properties are a JSON {found}; CleverTap expects an object of string properties")]
    NotAnObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// The bulletin's `name` is blank (empty or only whitespace); CleverTap requires one.
    #[error(
        "bulletin name is empty or only whitespace; CleverTap requires a name for every bulletin"
    )]
    EmptyName,
    /// The bulletin's `c-by` (creator) is blank (empty or only whitespace); CleverTap requires
    /// one.
    #[error("bulletin creator (`c-by`) is empty or only whitespace; CleverTap requires one")]
    EmptyCreatedBy,
    /// `when` is a UNIX timestamp that is zero or negative.
    #[error("`when` is {timestamp}; use a positive UNIX timestamp in seconds, or `When::Now`")]
    InvalidWhen {
        /// The timestamp as given.
        timestamp: i64,
    },
}

impl BuildError {
    pub(crate) fn value_too_long(property: &str, len: usize) -> Self {
        BuildError::ValueTooLong {
            property: property.to_owned(),
            len,
            max: MAX_VALUE_BYTES,
        }
    }
}
