//! A trigger body validated once and kept as bytes, made from a [`Bulletin`](crate::Bulletin)
//! or read from JSON (a JSONL line, a stored row).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::dashboard::{Dashboard, Mismatch};
use crate::error::BuildError;
use crate::limits::{check_key, MAX_VALUE_BYTES};

/// A trigger payload that keeps every rule CleverTap documents: its exact bytes, ready to send,
/// and its business event's name.
///
/// Made by [`Bulletin::to_payload`](crate::Bulletin::to_payload) or read by [`Payload::parse`];
/// either way it is checked once, and sending it sends these bytes untouched.
///
/// ```
/// use bulletins_core::Payload;
///
/// let line = br#"{"business_event":"order_placed","name":"Order 12345","properties":{"order_id":"12345"},"c-by":"[email protected]","when":"now"}"#;
/// let payload = Payload::parse(line)?;
/// assert_eq!(payload.event(), "order_placed");
/// assert_eq!(payload.as_bytes(), line);
///
/// let err = Payload::parse(br#"{"business_event":"order_placed","name":"n","properties":{"order_id":12345},"c-by":"c","when":"now"}"#).unwrap_err();
/// assert_eq!(err.to_string(), "at byte 69: property \"order_id\" is a JSON number; CleverTap only accepts string property values, so send its text as a string");
/// # Ok::<(), bulletins_core::PayloadError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    bytes: Vec<u8>,
    event: String,
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("event", &self.event)
            .field("bytes", &String::from_utf8_lossy(&self.bytes))
            .finish()
    }
}

/// Why bytes are not a trigger payload CleverTap would accept, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {problem}")]
pub struct PayloadError {
    offset: usize,
    problem: PayloadProblem,
}

impl PayloadError {
    /// The byte offset, in the input, of the value (or the object) that breaks the rule.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Which rule is broken.
    pub fn problem(&self) -> &PayloadProblem {
        &self.problem
    }
}

/// The rule a payload breaks. The checks run in the order CleverTap's own run (the event, then
/// `when`, then the properties), after the JSON itself and its keys' uniqueness.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadProblem {
    /// The bytes are not JSON.
    #[error("not a JSON object: {message}")]
    Syntax {
        /// What the JSON reader said.
        message: String,
    },
    /// The JSON is not an object.
    #[error("not a JSON object but a JSON {found}: a trigger payload is one object")]
    NotAnObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// A field of the payload appears twice, so which one counts is ambiguous.
    #[error("field {field:?} appears twice; each field may appear once")]
    DuplicateField {
        /// The repeated field.
        field: String,
    },
    /// A required field is missing.
    #[error("missing {field:?}")]
    Missing {
        /// The missing field.
        field: &'static str,
    },
    /// A field has the wrong JSON type.
    #[error("field {field:?} is a JSON {found}; it must be {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// The JSON type found.
        found: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// `when` is neither `"now"` nor a positive UNIX timestamp.
    #[error("\"when\" is {found}; use \"now\" or a positive UNIX timestamp in seconds")]
    InvalidWhen {
        /// The value as written (cut after 40 characters).
        found: String,
    },
    /// A rule a [`Bulletin`](crate::Bulletin) breaks the same way: the event's name, a
    /// property's key or value, a repeated property, a blank name or creator.
    #[error(transparent)]
    Build(BuildError),
}

impl Payload {
    /// Reads a trigger payload, checking every rule CleverTap documents: a JSON object with
    /// each field and property once; `business_event` (or `event`, as CleverTap's error samples
    /// send it) a valid key; `when` `"now"`, a positive integer or a string of its digits;
    /// `properties` an object of string values, keys 1 to 120 characters, values at most 512
    /// bytes; `name` and `c-by` strings that are not blank. Other fields are kept as they are.
    ///
    /// # Errors
    /// The first broken rule, with the byte offset of the value breaking it.
    pub fn parse(bytes: &[u8]) -> Result<Self, PayloadError> {
        let event = read(bytes)?.event;
        Ok(Self {
            bytes: bytes.to_vec(),
            event,
        })
    }

    /// A payload serialized by this crate, already checked.
    pub(crate) fn checked(bytes: Vec<u8>, event: String) -> Self {
        Self { bytes, event }
    }

    /// The business event's name.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The payload's bytes: what is sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The payload's bytes, without copying them.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The property keys, in the payload's order.
    pub fn property_keys(&self) -> Vec<String> {
        // The bytes were checked when the payload was made, so they read again.
        read(&self.bytes)
            .map(|fields| fields.keys)
            .unwrap_or_default()
    }

    /// Checks the payload against a dashboard: the event is defined, every required property
    /// is present, and each property is one of its properties — the rules
    /// [`DynamicEvent::check_against`](crate::DynamicEvent::check_against) applies.
    ///
    /// # Errors
    /// The first [`Mismatch`].
    pub fn check_against(&self, dashboard: &Dashboard) -> Result<(), Mismatch> {
        let keys = self.property_keys();
        crate::dashboard::check_event(
            dashboard,
            &self.event,
            &keys.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    }
}

/// What reading a payload keeps.
struct Read {
    event: String,
    keys: Vec<String>,
}

fn read(bytes: &[u8]) -> Result<Read, PayloadError> {
    // First the JSON itself, as a whole: syntax, numbers, nesting and trailing bytes.
    serde_json::from_slice::<Checked>(bytes).map_err(|e| syntax(bytes, &e))?;
    let start = bytes
        .iter()
        .position(|b| !b" \t\r\n".contains(b))
        .unwrap_or(0);
    let at: At<'_> = &|raw: &RawValue| raw.get().as_ptr() as usize - bytes.as_ptr() as usize;
    if bytes[start] != b'{' {
        return Err(fail(
            start,
            PayloadProblem::NotAnObject {
                found: json_type_of(bytes[start]),
            },
        ));
    }
    let fields: Entries<'_> = serde_json::from_slice(bytes).map_err(|e| syntax(bytes, &e))?;
    if let Some((field, raw)) = first_repeat(&fields.0) {
        let field = field.to_owned();
        return Err(fail(at(raw), PayloadProblem::DuplicateField { field }));
    }
    let get = |name: &str| fields.0.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
    let properties = match get("properties") {
        Some(raw) if raw.get().starts_with('{') => Some(entries(raw)?),
        _ => None,
    };
    if let Some((key, raw)) = properties.as_ref().and_then(|p| first_repeat(&p.0)) {
        let key = key.to_owned();
        return Err(fail(at(raw), BuildError::DuplicateProperty { key }.into()));
    }
    let event = event(get("business_event"), get("event"), start, at)?;
    check_when(get("when"), start, at)?;
    let keys = check_properties(get("properties"), properties, start, at)?;
    check_text(get("name"), "name", BuildError::EmptyName, start, at)?;
    check_text(get("c-by"), "c-by", BuildError::EmptyCreatedBy, start, at)?;
    Ok(Read { event, keys })
}

type At<'b> = &'b dyn Fn(&RawValue) -> usize;

fn event(
    business_event: Option<&RawValue>,
    event: Option<&RawValue>,
    start: usize,
    at: At<'_>,
) -> Result<String, PayloadError> {
    let (field, raw) = match (business_event, event) {
        (Some(raw), _) => ("business_event", raw),
        (None, Some(raw)) => ("event", raw),
        (None, None) => {
            let field = "business_event";
            return Err(fail(start, PayloadProblem::Missing { field }));
        }
    };
    let name = string(raw, field, at)?;
    check_key(&name).map_err(|problem| {
        fail(
            at(raw),
            BuildError::InvalidEventName {
                name: name.clone(),
                problem,
            }
            .into(),
        )
    })?;
    Ok(name)
}

fn check_when(raw: Option<&RawValue>, start: usize, at: At<'_>) -> Result<(), PayloadError> {
    let Some(raw) = raw else {
        return Err(fail(start, PayloadProblem::Missing { field: "when" }));
    };
    let valid = match serde_json::from_str::<serde_json::Value>(raw.get()) {
        Ok(serde_json::Value::String(s)) => {
            s == "now"
                || (!s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && s.parse::<u64>().is_ok_and(|n| n > 0))
        }
        Ok(serde_json::Value::Number(n)) => n.as_u64().is_some_and(|n| n > 0),
        _ => false,
    };
    if valid {
        return Ok(());
    }
    let found = match raw.get().char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &raw.get()[..cut]),
        None => raw.get().to_owned(),
    };
    Err(fail(at(raw), PayloadProblem::InvalidWhen { found }))
}

fn check_properties(
    raw: Option<&RawValue>,
    properties: Option<Entries<'_>>,
    start: usize,
    at: At<'_>,
) -> Result<Vec<String>, PayloadError> {
    let Some(raw) = raw else {
        return Err(fail(
            start,
            PayloadProblem::Missing {
                field: "properties",
            },
        ));
    };
    let Some(properties) = properties else {
        return Err(wrong_type(raw, "properties", "an object of strings", at));
    };
    let mut keys = Vec::with_capacity(properties.0.len());
    for (key, value) in properties.0 {
        if let Err(problem) = check_key(&key) {
            return Err(fail(
                at(value),
                BuildError::InvalidPropertyKey { key, problem }.into(),
            ));
        }
        if !value.get().starts_with('"') {
            let found = json_type_of(value.get().as_bytes()[0]);
            let property = key;
            return Err(fail(
                at(value),
                BuildError::NotAString { property, found }.into(),
            ));
        }
        let text: String =
            serde_json::from_str(value.get()).map_err(|e| fail(at(value), syntax_problem(&e)))?;
        if text.len() > MAX_VALUE_BYTES {
            return Err(fail(
                at(value),
                BuildError::value_too_long(&key, text.len()).into(),
            ));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// `name` and `c-by`: strings that are not blank.
fn check_text(
    raw: Option<&RawValue>,
    field: &'static str,
    blank: BuildError,
    start: usize,
    at: At<'_>,
) -> Result<(), PayloadError> {
    let Some(raw) = raw else {
        return Err(fail(start, PayloadProblem::Missing { field }));
    };
    if string(raw, field, at)?.trim().is_empty() {
        return Err(fail(at(raw), PayloadProblem::Build(blank)));
    }
    Ok(())
}

/// A field's value that must be a string, decoded.
fn string(raw: &RawValue, field: &'static str, at: At<'_>) -> Result<String, PayloadError> {
    if !raw.get().starts_with('"') {
        return Err(wrong_type(raw, field, "a string", at));
    }
    serde_json::from_str(raw.get()).map_err(|e| fail(at(raw), syntax_problem(&e)))
}

fn wrong_type(
    raw: &RawValue,
    field: &'static str,
    expected: &'static str,
    at: At<'_>,
) -> PayloadError {
    let found = json_type_of(raw.get().as_bytes()[0]);
    fail(
        at(raw),
        PayloadProblem::WrongType {
            field,
            found,
            expected,
        },
    )
}

fn entries(raw: &RawValue) -> Result<Entries<'_>, PayloadError> {
    serde_json::from_str(raw.get()).map_err(|e| syntax(raw.get().as_bytes(), &e))
}

fn first_repeat<'e, 'a>(entries: &'e [(String, &'a RawValue)]) -> Option<(&'e str, &'a RawValue)> {
    entries.iter().enumerate().find_map(|(i, (key, value))| {
        entries[..i]
            .iter()
            .any(|(k, _)| k == key)
            .then_some((key.as_str(), *value))
    })
}

fn fail(offset: usize, problem: PayloadProblem) -> PayloadError {
    PayloadError { offset, problem }
}

impl From<BuildError> for PayloadProblem {
    fn from(error: BuildError) -> Self {
        PayloadProblem::Build(error)
    }
}

fn syntax_problem(error: &serde_json::Error) -> PayloadProblem {
    PayloadProblem::Syntax {
        message: error.to_string(),
    }
}

/// A JSON error at the byte its line and column point to.
fn syntax(bytes: &[u8], error: &serde_json::Error) -> PayloadError {
    let line_start: usize = bytes
        .split(|b| *b == b'\n')
        .take(error.line().saturating_sub(1))
        .map(|line| line.len() + 1)
        .sum();
    let offset = (line_start + error.column().saturating_sub(1)).min(bytes.len());
    fail(offset, syntax_problem(error))
}

/// The JSON type of a value, from its first byte.
fn json_type_of(first: u8) -> &'static str {
    match first {
        b'{' => "object",
        b'[' => "array",
        b'"' => "string",
        b't' | b'f' => "boolean",
        b'n' => "null",
        _ => "number",
    }
}

/// Any JSON value, read the way `serde_json::Value` is read (the same number range and nesting
/// limit) without building it.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// An object's entries in order, repeats kept, each value as written.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EntriesVisitor)
    }
}

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = Entries<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            entries.push((key, map.next_value::<&'de RawValue>()?));
        }
        Ok(Entries(entries))
    }
}
