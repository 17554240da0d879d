//! The [`BusinessEvent`] trait, its compile-time schema, and the string-like value types.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use crate::error::BuildError;
use crate::writer::PropertyWriter;

/// A CleverTap business event: a name defined on the dashboard and string properties.
///
/// Implement it with `#[derive(BusinessEvent)]` (feature `derive`, on by default), which checks
/// the name, the keys and the property types at compile time, or use
/// [`DynamicEvent`](crate::DynamicEvent) when the event is only known at run time.
///
/// ```
/// # use bulletins_core as bulletins_http; // the same items, as `bulletins-http` re-exports them
/// use bulletins_http::BusinessEvent; // `bulletins_core::BusinessEvent` in a schema crate
///
/// #[derive(BusinessEvent)]
/// #[business_event(name = "Program Released", requires = ["program_id", "language"])]
/// struct ProgramReleased {
///     program_id: String,
///     language: String,
///     prev_program_id: Option<String>,
/// }
/// ```
///
/// A hand-written implementation is checked at run time instead: the name and every key
/// against [`check_key`](crate::limits::check_key), every value against
/// [`MAX_VALUE_BYTES`](crate::limits::MAX_VALUE_BYTES).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a CleverTap business event",
    label = "not a business event",
    note = "add `#[derive(BusinessEvent)]` and `#[business_event(name = \"...\")]` to the struct, or use `bulletins_core::DynamicEvent`"
)]
pub trait BusinessEvent {
    /// The business event's name, exactly as defined on the CleverTap dashboard.
    fn event_name(&self) -> &str;

    /// Writes each property that is present, in declaration order.
    ///
    /// # Errors
    /// Whatever the writer reports: a value over 512 bytes, an invalid key, a failing
    /// `Display` implementation.
    fn write_properties(&self, properties: &mut PropertyWriter<'_>) -> Result<(), BuildError>;
}

impl<E: BusinessEvent + ?Sized> BusinessEvent for &E {
    fn event_name(&self) -> &str {
        (**self).event_name()
    }

    fn write_properties(&self, properties: &mut PropertyWriter<'_>) -> Result<(), BuildError> {
        (**self).write_properties(properties)
    }
}

/// A business event whose name and properties are known at compile time.
///
/// `#[derive(BusinessEvent)]` implements it. Tools read [`Self::SCHEMA`]: the emulator builds its
/// dashboard from it, so a test runs against the very schema the code compiles against.
///
/// ```
/// # use bulletins_core as bulletins_http; // the same items, as `bulletins-http` re-exports them
/// use bulletins_http::{BusinessEvent, Presence, StaticEvent};
///
/// #[derive(BusinessEvent)]
/// #[business_event(name = "order_placed", requires = ["order_id"])]
/// struct OrderPlaced {
///     order_id: String,
///     coupon_code: Option<String>,
/// }
///
/// let schema = OrderPlaced::SCHEMA;
/// assert_eq!(schema.name(), "order_placed");
/// assert_eq!(schema.properties()[0].key(), "order_id");
/// assert_eq!(schema.properties()[0].presence(), Presence::Required);
/// assert_eq!(schema.properties()[1].presence(), Presence::Optional);
/// ```
pub trait StaticEvent: BusinessEvent {
    /// The event's name and properties.
    const SCHEMA: EventSchema;
}

/// The compile-time description of a business event: its name and its properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventSchema {
    name: &'static str,
    properties: &'static [PropertySchema],
}

impl EventSchema {
    /// Describes an event. The derive calls this; tools may too.
    pub const fn new(name: &'static str, properties: &'static [PropertySchema]) -> Self {
        Self { name, properties }
    }

    /// The business event's name on the dashboard.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The properties the event can send, in declaration order (skipped fields excluded).
    pub const fn properties(&self) -> &'static [PropertySchema] {
        self.properties
    }

    /// The keys of the dashboard's required properties, in declaration order.
    pub fn required(&self) -> impl Iterator<Item = &'static str> {
        self.properties
            .iter()
            .filter(|p| p.presence == Presence::Required)
            .map(|p| p.key)
    }
}

/// One property of an [`EventSchema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PropertySchema {
    key: &'static str,
    presence: Presence,
}

impl PropertySchema {
    /// Describes a property.
    pub const fn new(key: &'static str, presence: Presence) -> Self {
        Self { key, presence }
    }

    /// The property's key in the payload.
    pub const fn key(&self) -> &'static str {
        self.key
    }

    /// Whether the dashboard requires it and whether it is always sent.
    pub const fn presence(&self) -> Presence {
        self.presence
    }
}

/// Whether a property is required by the dashboard, and whether it is always sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Presence {
    /// Named in `requires`: the dashboard rejects an event without it. Always sent.
    Required,
    /// Always sent (a non-`Option` field), but not required by the dashboard.
    Always,
    /// An `Option` field: sent only when `Some`.
    Optional,
}

/// A type CleverTap accepts as a property value: a string.
///
/// CleverTap only supports strings for property values. Numbers, booleans and other types are
/// sent as their `Display` text with `#[business_event(display)]` on the field, or on the struct
/// for every field.
#[diagnostic::on_unimplemented(
    message = "CleverTap only accepts string property values; `{Self}` is not a string type",
    label = "not a string type",
    note = "use `String`, `&str`, `Cow<str>`, `Box<str>`, `Arc<str>` or `Rc<str>`, or add `#[business_event(display)]` to the field (or to the struct, for every field) to send its `Display` text"
)]
pub trait PropertyValue {
    /// The value as sent.
    fn as_property_str(&self) -> &str;
}

impl PropertyValue for str {
    fn as_property_str(&self) -> &str {
        self
    }
}

impl PropertyValue for String {
    fn as_property_str(&self) -> &str {
        self
    }
}

impl PropertyValue for Cow<'_, str> {
    fn as_property_str(&self) -> &str {
        self
    }
}

impl PropertyValue for Box<str> {
    fn as_property_str(&self) -> &str {
        self
    }
}

impl PropertyValue for Arc<str> {
    fn as_property_str(&self) -> &str {
        self
    }
}

impl PropertyValue for Rc<str> {
    fn as_property_str(&self) -> &str {
        self
    }
}

impl<T: PropertyValue + ?Sized> PropertyValue for &T {
    fn as_property_str(&self) -> &str {
        (**self).as_property_str()
    }
}

impl<T: PropertyValue + ?Sized> PropertyValue for &mut T {
    fn as_property_str(&self) -> &str {
        (**self).as_property_str()
    }
}
