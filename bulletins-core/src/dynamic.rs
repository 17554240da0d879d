//! A business event whose name and properties are only known at run time.

use crate::error::BuildError;
use crate::event::BusinessEvent;
use crate::limits::{check_key, MAX_VALUE_BYTES};
use crate::writer::PropertyWriter;

/// A business event built at run time — for CLIs, tooling, or migrating from hand-built JSON.
///
/// It enforces at run time the rules `#[derive(BusinessEvent)]` enforces at compile time: the
/// name and each key 1 to 120 characters with no surrounding whitespace or control characters,
/// each value at most 512 bytes, each key once. Properties keep their insertion order.
///
/// ```
/// use bulletins_core::{BuildError, DynamicEvent};
///
/// let event = DynamicEvent::new("order_placed")?
///     .property("order_id", "12345")?
///     .property("product_category", "books")?;
/// assert_eq!(event.properties().count(), 2);
///
/// let err = DynamicEvent::new("order_placed")?.property("order_id", "x".repeat(513)).unwrap_err();
/// assert_eq!(err.to_string(), "property \"order_id\" is 513 bytes; CleverTap allows at most 512 bytes (UTF-8) per value");
/// # Ok::<(), BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicEvent {
    name: String,
    properties: Vec<(String, String)>,
}

impl DynamicEvent {
    /// An event named `name`, with no properties yet.
    ///
    /// # Errors
    /// [`BuildError::InvalidEventName`] if the name breaks CleverTap's key rules.
    pub fn new(name: impl Into<String>) -> Result<Self, BuildError> {
        let name = name.into();
        if let Err(problem) = check_key(&name) {
            return Err(BuildError::InvalidEventName { name, problem });
        }
        Ok(Self {
            name,
            properties: Vec::new(),
        })
    }

    /// Adds a property, builder style.
    ///
    /// # Errors
    /// As [`Self::insert`].
    pub fn property(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, BuildError> {
        self.insert(key, value)?;
        Ok(self)
    }

    /// Adds a property.
    ///
    /// # Errors
    /// [`BuildError::InvalidPropertyKey`], [`BuildError::ValueTooLong`] or
    /// [`BuildError::DuplicateProperty`]; the event is unchanged.
    pub fn insert(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), BuildError> {
        let key = key.into();
        let value = value.into();
        if let Err(problem) = check_key(&key) {
            return Err(BuildError::InvalidPropertyKey { key, problem });
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(BuildError::value_too_long(&key, value.len()));
        }
        if self.properties.iter().any(|(k, _)| *k == key) {
            return Err(BuildError::DuplicateProperty { key });
        }
        self.properties.push((key, value));
        Ok(())
    }

    /// Builds an event from a JSON object of properties, as hand-written code used to send it.
    ///
    /// ```
    /// use bulletins_core::{BuildError, DynamicEvent};
    ///
    /// let props = serde_json::json!({ "order_id": "12345", "quantity": 3 });
    /// let err = DynamicEvent::from_json("order_placed", &props).unwrap_err();
    /// assert!(matches!(err, BuildError::NotAString { ref property, found: "number" } if property == "quantity"));
    /// ```
    ///
    /// # Errors
    /// [`BuildError::NotAnObject`] unless `properties` is an object,
    /// [`BuildError::NotAString`] for a value that is not a JSON string (CleverTap accepts
    /// strings only), and any error of [`Self::insert`].
    pub fn from_json(
        name: impl Into<String>,
        properties: &serde_json::Value,
    ) -> Result<Self, BuildError> {
        let mut event = Self::new(name)?;
        let object = properties.as_object().ok_or(BuildError::NotAnObject {
            found: json_type(properties),
        })?;
        for (key, value) in object {
            let value = value.as_str().ok_or_else(|| BuildError::NotAString {
                property: key.clone(),
                found: json_type(value),
            })?;
            event.insert(key.as_str(), value)?;
        }
        Ok(event)
    }

    /// The event's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The properties, in insertion order.
    pub fn properties(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

impl BusinessEvent for DynamicEvent {
    fn event_name(&self) -> &str {
        &self.name
    }

    fn write_properties(&self, properties: &mut PropertyWriter<'_>) -> Result<(), BuildError> {
        // Keys and values were checked on insertion.
        self.properties
            .iter()
            .try_for_each(|(k, v)| properties.string_with_trusted_key(k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::KeyProblem;
    use crate::Bulletin;

    #[test]
    fn limits_at_their_boundaries() {
        assert!(DynamicEvent::new("e".repeat(120)).is_ok());
        assert!(matches!(
            DynamicEvent::new("e".repeat(121)),
            Err(BuildError::InvalidEventName {
                problem: KeyProblem::TooLong { chars: 121 },
                ..
            })
        ));
        let e = DynamicEvent::new("e").expect("valid");
        assert!(e.clone().property("ü".repeat(120), "v").is_ok());
        assert!(e.clone().property("ü".repeat(121), "v").is_err());
        assert!(e.clone().property("k", "€".repeat(170) + "ab").is_ok()); // 512 bytes
        assert!(matches!(
            e.clone().property("k", "€".repeat(171)), // 513 bytes
            Err(BuildError::ValueTooLong { len: 513, .. })
        ));
    }

    #[test]
    fn duplicates_are_refused_and_the_event_is_unchanged() {
        let mut e = DynamicEvent::new("e")
            .and_then(|e| e.property("a", "1"))
            .expect("valid");
        assert_eq!(
            e.insert("a", "2"),
            Err(BuildError::DuplicateProperty { key: "a".into() })
        );
        assert_eq!(e.properties().collect::<Vec<_>>(), [("a", "1")]);
    }

    #[test]
    fn serializes_in_insertion_order() {
        let e = DynamicEvent::new("order_placed")
            .and_then(|e| e.property("z", "1"))
            .and_then(|e| e.property("a", "2"))
            .expect("valid");
        let json = Bulletin::new(e, "n", "c").to_json_vec().expect("valid");
        assert!(std::str::from_utf8(&json)
            .expect("utf8")
            .contains(r#""properties":{"z":"1","a":"2"}"#));
    }

    #[test]
    fn from_json_refuses_non_strings() {
        let err = DynamicEvent::from_json("e", &serde_json::json!(["a"])).unwrap_err();
        assert_eq!(err, BuildError::NotAnObject { found: "array" });
        let ok = DynamicEvent::from_json("e", &serde_json::json!({"a": "1"})).expect("valid");
        assert_eq!(ok.properties().len(), 1);
    }
}
