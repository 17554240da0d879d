//! Reading the file's JSON into its types, written against serde's traits by hand: the derive
//! macro reads this file at compile time, and `serde_derive` would add a second proc-macro
//! crate (and its build time) to every crate that uses `#[derive(BusinessEvent)]`.
//!
//! The behaviour is `#[serde(deny_unknown_fields)]`'s: unknown and repeated fields are refused,
//! with serde_json's line and column.

use std::fmt;

use serde_core::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::file::{EventIn, FileIn};

const FILE_FIELDS: &[&str] = &["accounts", "concurrency_limit", "business_events"];
const EVENT_FIELDS: &[&str] = &["name", "properties", "required", "targets"];

/// Stores a field's value, refusing a second one.
fn once<T, E: Error>(slot: &mut Option<T>, field: &'static str, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(field));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Deserialize<'de> for FileIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FileVisitor)
    }
}

struct FileVisitor;

impl<'de> Visitor<'de> for FileVisitor {
    type Value = FileIn;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a dashboard file: an object with `business_events`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FileIn, A::Error> {
        let mut accounts: Option<Option<Value>> = None;
        let mut concurrency_limit: Option<Option<usize>> = None;
        let mut business_events: Option<Vec<EventIn>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                // Plain JSON: a `Value` accepts anything, so no message quotes an account.
                "accounts" => once(&mut accounts, "accounts", map.next_value()?)?,
                "concurrency_limit" => {
                    once(
                        &mut concurrency_limit,
                        "concurrency_limit",
                        map.next_value()?,
                    )?;
                }
                "business_events" => {
                    let events = map.next_value::<Events>()?.0;
                    once(&mut business_events, "business_events", events)?;
                }
                other => return Err(A::Error::unknown_field(other, FILE_FIELDS)),
            }
        }
        Ok(FileIn {
            accounts: accounts.flatten(),
            concurrency_limit: concurrency_limit.flatten(),
            business_events: business_events.unwrap_or_default(),
        })
    }
}

/// `business_events`: a list of events.
struct Events(Vec<EventIn>);

impl<'de> Deserialize<'de> for Events {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(EventsVisitor)
    }
}

struct EventsVisitor;

impl<'de> Visitor<'de> for EventsVisitor {
    type Value = Events;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of business events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Events, A::Error> {
        let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(event) = seq.next_element()? {
            events.push(event);
        }
        Ok(Events(events))
    }
}

impl<'de> Deserialize<'de> for EventIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = EventIn;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a business event: an object with `name`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventIn, A::Error> {
        let mut name: Option<String> = None;
        let mut properties: Option<Vec<String>> = None;
        let mut required: Option<Vec<String>> = None;
        let mut targets: Option<Option<u64>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => once(&mut name, "name", map.next_value()?)?,
                "properties" => once(&mut properties, "properties", map.next_value()?)?,
                "required" => once(&mut required, "required", map.next_value()?)?,
                "targets" => once(&mut targets, "targets", map.next_value()?)?,
                other => return Err(A::Error::unknown_field(other, EVENT_FIELDS)),
            }
        }
        Ok(EventIn {
            name: name.ok_or_else(|| A::Error::missing_field("name"))?,
            properties: properties.unwrap_or_default(),
            required: required.unwrap_or_default(),
            targets: targets.flatten(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Dashboard;

    fn problem(text: &str) -> String {
        match text.parse::<Dashboard>() {
            Ok(d) => panic!("accepted: {d:?}"),
            Err(e) => e.problem(),
        }
    }

    #[test]
    fn repeated_and_missing_fields_are_refused() {
        assert_eq!(
            problem(r#"{"business_events":[],"business_events":[]}"#),
            "duplicate field `business_events`"
        );
        assert_eq!(
            problem(r#"{"business_events":[{"name":"a","name":"b"}]}"#),
            "duplicate field `name`"
        );
        assert_eq!(
            problem(r#"{"business_events":[{"properties":[]}]}"#),
            "missing field `name`"
        );
    }

    #[test]
    fn wrong_shapes_say_what_was_expected() {
        assert_eq!(
            problem("[]"),
            "invalid type: sequence, expected a dashboard file: an object with `business_events`"
        );
        assert_eq!(
            problem(r#"{"business_events":{}}"#),
            "invalid type: map, expected a list of business events"
        );
        assert_eq!(
            problem(r#"{"business_events":[{"name":"a","targets":-1}]}"#),
            "invalid value: integer `-1`, expected u64"
        );
        assert_eq!(
            problem(r#"{"business_events":[{"name":"a","properties":"x"}]}"#),
            "invalid type: string \"x\", expected a sequence"
        );
    }
}
