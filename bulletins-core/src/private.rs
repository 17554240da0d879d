//! What `#[derive(BusinessEvent)]` expands to names, and nothing else. Not public API: it may
//! change in any release.

pub use crate::error::BuildError;
pub use crate::event::{
    BusinessEvent, EventSchema, Presence, PropertySchema, PropertyValue, StaticEvent,
};
pub use crate::writer::PropertyWriter;
pub use core::fmt::Display;
use core::fmt::{self, Formatter};
pub use core::option::Option;
pub use core::result::Result;

/// Writes a string property whose key the derive already checked at compile time. The derive
/// borrows the value with `<T as PropertyValue>::as_property_str`, spelled on the field's type,
/// so a type that is not a string is reported there, with [`PropertyValue`]'s message (a bound
/// on a function here would add a note pointing into this file).
#[inline]
pub fn write_str(
    properties: &mut PropertyWriter<'_>,
    key: &'static str,
    value: &str,
) -> Result<(), BuildError> {
    properties.string_with_trusted_key(key, value)
}

/// Writes a `display` property whose key the derive already checked at compile time. The derive
/// passes `<T as Display>::fmt`, spelled on the field's type, for the same reason: `T` has no
/// bound here, so a type that is not `Display` is reported on the field alone.
#[inline]
pub fn write_display<T: ?Sized>(
    properties: &mut PropertyWriter<'_>,
    key: &'static str,
    value: &T,
    fmt: fn(&T, &mut Formatter<'_>) -> fmt::Result,
) -> Result<(), BuildError> {
    properties.display_with_trusted_key(key, &DisplayWith { value, fmt })
}

/// A value shown by the `Display` implementation the derive named.
struct DisplayWith<'a, T: ?Sized> {
    value: &'a T,
    fmt: fn(&T, &mut Formatter<'_>) -> fmt::Result,
}

impl<T: ?Sized> Display for DisplayWith<'_, T> {
    #[inline]
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        (self.fmt)(self.value, f)
    }
}
