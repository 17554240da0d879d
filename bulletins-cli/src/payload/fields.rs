//! One payload line read in a single pass, its strings borrowed from the line where they hold
//! no escapes: no `serde_json::Value`, no map. What is wrong with a field is kept as data (its
//! JSON type), not as a parse error, so the caller says it in its own words.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A line as read: every field known to the payload, and the first one that is not.
#[derive(Debug, Default)]
pub(super) struct Fields<'a> {
    pub(super) business_event: Option<Scalar<'a>>,
    pub(super) name: Option<Scalar<'a>>,
    pub(super) created_by: Option<Scalar<'a>>,
    pub(super) properties: Option<Properties<'a>>,
    pub(super) when: Option<Scalar<'a>>,
    pub(super) unknown: Option<String>,
}

/// A line that is JSON: an object, or what else it is.
#[derive(Debug)]
pub(super) enum Line<'a> {
    Object(Fields<'a>),
    NotAnObject,
}

/// A top-level field's value.
#[derive(Debug)]
pub(super) enum Scalar<'a> {
    Str(Cow<'a, str>),
    /// A number: `None` if it is not an `i64` (a fraction, or too large).
    Integer(Option<i64>),
    /// Anything else, by its JSON type: `"boolean"`, `"null"`, `"array"`, `"object"`.
    Other(&'static str),
}

impl Scalar<'_> {
    /// Its JSON type, as `DynamicEvent` names it: "number".
    pub(super) fn json_type(&self) -> &'static str {
        match self {
            Scalar::Str(_) => "string",
            Scalar::Integer(_) => "number",
            Scalar::Other(kind) => kind,
        }
    }

    /// Its JSON type, as a sentence says it: "a number".
    pub(super) fn json_type_in_words(&self) -> &'static str {
        match self.json_type() {
            "string" => "a string",
            "number" => "a number",
            "boolean" => "a boolean",
            "array" => "an array",
            "object" => "an object",
            other => other,
        }
    }
}

/// The `properties` field's value.
#[derive(Debug)]
pub(super) enum Properties<'a> {
    /// An object: its pairs in document order, each value a string or what else it is.
    Object(Vec<(Cow<'a, str>, Scalar<'a>)>),
    /// Not an object: its JSON type, as `DynamicEvent` names it ("number").
    Not(&'static str),
}

/// Reads one line; a JSON syntax error is the only error.
pub(super) fn read(line: &[u8]) -> Result<Line<'_>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(line);
    let read = deserializer.deserialize_any(LineVisitor)?;
    deserializer.end()?;
    Ok(read)
}

struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = Line<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Fields::default();
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            match &*key {
                "business_event" => fields.business_event = Some(map.next_value()?),
                "name" => fields.name = Some(map.next_value()?),
                "c-by" => fields.created_by = Some(map.next_value()?),
                "when" => fields.when = Some(map.next_value()?),
                "properties" => fields.properties = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    fields.unknown.get_or_insert_with(|| key.into_owned());
                }
            }
        }
        Ok(Line::Object(fields))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Line::NotAnObject)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Line::NotAnObject)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Line::NotAnObject)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Line::NotAnObject)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Line::NotAnObject)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Line::NotAnObject)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Line::NotAnObject)
    }
}

/// A JSON string, borrowed when it holds no escape.
struct Str<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(StrVisitor)
    }
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Integer(Some(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::Integer(i64::try_from(v).ok()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Integer(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Other("boolean"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Other("null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("object"))
    }
}

impl<'de> de::Deserialize<'de> for Properties<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PropertiesVisitor)
    }
}

struct PropertiesVisitor;

impl<'de> Visitor<'de> for PropertiesVisitor {
    type Value = Properties<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of string properties")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            pairs.push((key, map.next_value::<Scalar<'de>>()?));
        }
        Ok(Properties::Object(pairs))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Properties::Not("array"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Properties::Not("string"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Properties::Not("number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Properties::Not("number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Properties::Not("number"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Properties::Not("boolean"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Properties::Not("null"))
    }
}
