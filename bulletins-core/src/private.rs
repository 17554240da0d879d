//! What `#[derive(BusinessEvent)]` expands to names, and nothing else. Not public API: it may
//! change in any release.

pub use crate::error::BuildError;
pub use crate::event::{
    BusinessEvent, EventSchema, Presence, PropertySchema, PropertyValue, StaticEvent,
};
pub use crate::writer::PropertyWriter;
pub use core::fmt::Display;
pub use core::option::Option;
pub use core::result::Result;

/// Borrows a string-like field. Generated code spans the call on the field's type, so a
/// non-string type is reported there with [`PropertyValue`]'s message.
#[inline]
pub fn property_str<T: PropertyValue + ?Sized>(value: &T) -> &str {
    value.as_property_str()
}

/// Writes a string property whose key the derive already checked at compile time.
#[inline]
pub fn write_str(
    properties: &mut PropertyWriter<'_>,
    key: &'static str,
    value: &str,
) -> Result<(), BuildError> {
    properties.string_with_trusted_key(key, value)
}

/// Writes a `display` property whose key the derive already checked at compile time.
#[inline]
pub fn write_display<T: Display + ?Sized>(
    properties: &mut PropertyWriter<'_>,
    key: &'static str,
    value: &T,
) -> Result<(), BuildError> {
    properties.display_with_trusted_key(key, value)
}
