//! Events against the dashboard file (`bulletins.json`): checking a [`DynamicEvent`] before
//! sending it, building the file from compiled event schemas, and finding where code and file
//! disagree.
//!
//! The file format and its parser are `bulletins-dashboard`'s, re-exported here; this module
//! does no I/O (but for [`expect_file`], a test's helper): read the file with
//! [`Dashboard::from_file`] and write [`Dashboard::to_json_pretty`] where you choose.
//!
//! ```
//! use bulletins_core::dashboard::{Dashboard, Mismatch};
//! use bulletins_core::DynamicEvent;
//!
//! let dashboard: Dashboard = r#"{ "business_events": [
//!     { "name": "Program Released",
//!       "properties": ["program_id", "language"], "required": ["program_id", "language"] }
//! ] }"#.parse()?;
//!
//! let event = DynamicEvent::new("Program Released")?.property("program_id", "234567")?;
//! let mismatch = event.check_against(&dashboard).unwrap_err();
//! assert_eq!(
//!     mismatch.to_string(),
//!     "business event \"Program Released\" requires \"language\" on the dashboard; add it",
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A schema crate whose events are the source of truth can keep its `bulletins.json` written
//! from them with a snapshot test: [`expect_file`] fails when the file is not what
//! [`from_schemas`] writes, saying what an update would change (and which change breaks a
//! service), and writes it when `BULLETINS_UPDATE_DASHBOARD=1` ([`UPDATE_ENV`]) is set:
//!
//! ```no_run
//! use bulletins_core::{dashboard, BusinessEvent, EventSchema, StaticEvent};
//!
//! #[derive(BusinessEvent)]
//! #[business_event(name = "order_placed", requires = ["order_id"])]
//! struct OrderPlaced { order_id: String, coupon_code: Option<String> }
//!
//! const SCHEMAS: &[EventSchema] = &[<OrderPlaced as StaticEvent>::SCHEMA];
//!
//! // tests/dashboard.rs; after an intended change: BULLETINS_UPDATE_DASHBOARD=1 cargo test
//! let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bulletins.json");
//! dashboard::expect_file(&dashboard::from_schemas(SCHEMAS), &path)
//!     .unwrap_or_else(|stale| panic!("{stale}"));
//! ```

use std::collections::BTreeSet;
use std::fmt;

pub use bulletins_dashboard::{
    expect_file, expect_file_or_update, AccountProblem, Dashboard, Error as FileError,
    ErrorKind as FileErrorKind, EventDefinition, Snapshot, SnapshotError, DASHBOARD_ENV,
    UPDATE_ENV,
};

use crate::dynamic::DynamicEvent;
use crate::event::{EventSchema, Presence};

/// How many names a "did you mean" offers.
const SUGGESTIONS: usize = 3;

/// Why an event would be refused by the dashboard the file describes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Mismatch {
    /// The event is not defined (CleverTap answers `Business Event Not Found`).
    #[error(
        "business event {name:?} is not defined on the dashboard{}",
        did_you_mean(suggestions)
    )]
    UnknownEvent {
        /// The event's name.
        name: String,
        /// The closest defined names, best first.
        suggestions: Vec<String>,
    },
    /// A property is not one of the event's properties on the dashboard.
    #[error(
        "business event {event:?} has no property {key:?} on the dashboard{}",
        did_you_mean(suggestions)
    )]
    UnknownProperty {
        /// The event's name.
        event: String,
        /// The property's key.
        key: String,
        /// The closest defined keys, best first.
        suggestions: Vec<String>,
    },
    /// Required properties are missing (CleverTap answers `Property ... missing`).
    #[error("business event {event:?} requires {} on the dashboard; add {}", quoted_list(missing), if missing.len() == 1 { "it" } else { "them" })]
    MissingRequired {
        /// The event's name.
        event: String,
        /// The missing keys, in the file's order.
        missing: Vec<String>,
    },
}

fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean {one:?}?"),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(|s| format!("{s:?}")).collect();
            format!("; did you mean {} or {last:?}?", rest.join(", "))
        }
    }
}

fn quoted_list(keys: &[String]) -> String {
    let quoted: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
    quoted.join(", ")
}

impl DynamicEvent {
    /// Checks the event against a dashboard with the rules `#[derive(BusinessEvent)]` applies
    /// at compile time: the event is defined, every required property is present, and each
    /// property is one of its properties.
    ///
    /// # Errors
    /// The first [`Mismatch`], in that order (CleverTap's own: it refuses an undefined event,
    /// then a missing required property); missing required keys are listed together.
    pub fn check_against(&self, dashboard: &Dashboard) -> Result<(), Mismatch> {
        let keys: Vec<&str> = self.properties().map(|(k, _)| k).collect();
        check_event(dashboard, self.name(), &keys)
    }
}

/// The one check of an event against a dashboard, for a [`DynamicEvent`] and a
/// [`Payload`](crate::Payload) alike.
pub(crate) fn check_event(
    dashboard: &Dashboard,
    name: &str,
    keys: &[&str],
) -> Result<(), Mismatch> {
    let Some(definition) = dashboard.event(name) else {
        return Err(Mismatch::UnknownEvent {
            name: name.to_owned(),
            suggestions: owned(dashboard.closest_event_names(name, SUGGESTIONS)),
        });
    };
    let missing: Vec<String> = definition
        .required_keys()
        .iter()
        .filter(|key| !keys.contains(&key.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(Mismatch::MissingRequired {
            event: name.to_owned(),
            missing,
        });
    }
    for key in keys {
        if !definition.has_property(key) {
            return Err(Mismatch::UnknownProperty {
                event: name.to_owned(),
                key: (*key).to_owned(),
                suggestions: owned(definition.closest_property_keys(key, SUGGESTIONS)),
            });
        }
    }
    Ok(())
}

fn owned(names: Vec<&str>) -> Vec<String> {
    names.into_iter().map(str::to_owned).collect()
}

/// The dashboard's definition of a compiled event: its properties in declaration order, the
/// [`Presence::Required`] ones required.
///
/// ```
/// use bulletins_core::{dashboard, BusinessEvent, StaticEvent};
///
/// #[derive(BusinessEvent)]
/// #[business_event(name = "order_placed", requires = ["order_id"])]
/// struct OrderPlaced { order_id: String, coupon_code: Option<String> }
///
/// let definition = dashboard::definition_of(&OrderPlaced::SCHEMA);
/// assert_eq!(definition.property_keys(), ["order_id", "coupon_code"]);
/// assert_eq!(definition.required_keys(), ["order_id"]);
/// ```
pub fn definition_of(schema: &EventSchema) -> EventDefinition {
    EventDefinition::new(schema.name())
        .properties(schema.properties().iter().map(|p| p.key()))
        .required(
            schema
                .properties()
                .iter()
                .filter(|p| p.presence() == Presence::Required)
                .map(|p| p.key()),
        )
}

/// A dashboard defining these compiled events, in order: the start of a `bulletins.json`
/// (write it with [`Dashboard::to_json_pretty`]).
///
/// ```
/// use bulletins_core::{dashboard, BusinessEvent, StaticEvent};
///
/// #[derive(BusinessEvent)]
/// #[business_event(name = "order_placed", requires = ["order_id"])]
/// struct OrderPlaced { order_id: String }
///
/// let file = dashboard::from_schemas([&OrderPlaced::SCHEMA]).to_json_pretty();
/// assert!(file.contains("\"order_placed\""));
/// ```
pub fn from_schemas<'a, I>(schemas: I) -> Dashboard
where
    I: IntoIterator<Item = &'a EventSchema>,
{
    schemas
        .into_iter()
        .fold(Dashboard::new(), |dashboard, schema| {
            dashboard.with_event(definition_of(schema))
        })
}

/// Where compiled code and the dashboard file disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Drift {
    /// A compiled event is not in the file.
    Missing {
        /// What the code defines.
        in_code: EventDefinition,
    },
    /// The file defines the event with other properties, or other required ones.
    Differs {
        /// What the code defines.
        in_code: EventDefinition,
        /// What the file defines.
        in_file: EventDefinition,
    },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::Missing { in_code } => write!(
                f,
                "business event {:?} is compiled but not in the dashboard file",
                in_code.name()
            ),
            Drift::Differs { in_code, in_file } => write!(
                f,
                "business event {:?} differs: the code has properties {:?} (required {:?}), the file {:?} (required {:?})",
                in_code.name(),
                in_code.property_keys(),
                in_code.required_keys(),
                in_file.property_keys(),
                in_file.required_keys(),
            ),
        }
    }
}

/// Every compiled event missing from the file, or defined there with other properties or
/// other required properties (compared as sets: order does not matter). An empty list means
/// the file and the code agree. Events only in the file are not drift: other services may
/// raise them.
pub fn drift<'a, I>(dashboard: &Dashboard, schemas: I) -> Vec<Drift>
where
    I: IntoIterator<Item = &'a EventSchema>,
{
    let set = |keys: &[String]| keys.iter().cloned().collect::<BTreeSet<String>>();
    schemas
        .into_iter()
        .filter_map(|schema| {
            let in_code = definition_of(schema);
            match dashboard.event(schema.name()) {
                None => Some(Drift::Missing { in_code }),
                Some(in_file)
                    if set(in_file.property_keys()) != set(in_code.property_keys())
                        || set(in_file.required_keys()) != set(in_code.required_keys()) =>
                {
                    Some(Drift::Differs {
                        in_code,
                        in_file: in_file.clone(),
                    })
                }
                Some(_) => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::PropertySchema;

    const PROGRAM_RELEASED: EventSchema = EventSchema::new(
        "Program Released",
        &[
            PropertySchema::new("program_id", Presence::Required),
            PropertySchema::new("language", Presence::Required),
            PropertySchema::new("prev_program_id", Presence::Optional),
        ],
    );

    fn dashboard() -> Dashboard {
        from_schemas([&PROGRAM_RELEASED])
    }

    fn event(name: &str, keys: &[&str]) -> DynamicEvent {
        keys.iter()
            .try_fold(DynamicEvent::new(name).unwrap(), |e, k| e.property(*k, "v"))
            .unwrap()
    }

    #[test]
    fn a_complete_event_passes_and_optional_properties_may_be_left_out() {
        let d = dashboard();
        assert_eq!(
            event("Program Released", &["program_id", "language"]).check_against(&d),
            Ok(())
        );
        let all = event(
            "Program Released",
            &["language", "prev_program_id", "program_id"],
        );
        assert_eq!(all.check_against(&d), Ok(()));
    }

    #[test]
    fn an_unknown_event_is_refused_with_suggestions() {
        let err = event("Program Releasd", &[])
            .check_against(&dashboard())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "business event \"Program Releasd\" is not defined on the dashboard; did you mean \"Program Released\"?"
        );
    }

    #[test]
    fn an_unknown_property_is_refused_with_suggestions() {
        let e = event("Program Released", &["program_id", "language", "langauge"]);
        let err = e.check_against(&dashboard()).unwrap_err();
        assert!(
            matches!(&err, Mismatch::UnknownProperty { key, suggestions, .. }
            if key == "langauge" && suggestions == &["language"])
        );
    }

    #[test]
    fn missing_required_properties_are_listed_together() {
        let err = event("Program Released", &[])
            .check_against(&dashboard())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "business event \"Program Released\" requires \"program_id\", \"language\" on the dashboard; add them"
        );
    }

    #[test]
    fn a_dashboard_built_from_schemas_is_a_valid_file_that_reads_back() {
        let d = dashboard();
        assert!(d.validate().is_ok());
        let text = d.to_json_pretty();
        assert_eq!(text.parse::<Dashboard>().unwrap(), d);
        assert!(drift(&d, [&PROGRAM_RELEASED]).is_empty());
    }

    #[test]
    fn drift_finds_missing_and_differing_events_but_not_order() {
        let reordered = Dashboard::new().with_event(
            EventDefinition::new("Program Released")
                .properties(["prev_program_id", "language", "program_id"])
                .required(["language", "program_id"]),
        );
        assert!(drift(&reordered, [&PROGRAM_RELEASED]).is_empty());
        assert!(matches!(
            drift(&Dashboard::new(), [&PROGRAM_RELEASED]).as_slice(),
            [Drift::Missing { .. }]
        ));
        let optional_language = Dashboard::new().with_event(
            EventDefinition::new("Program Released")
                .properties(["program_id", "language", "prev_program_id"])
                .required(["program_id"]),
        );
        let found = drift(&optional_language, [&PROGRAM_RELEASED]);
        assert!(
            matches!(found.as_slice(), [Drift::Differs { .. }]),
            "{found:?}"
        );
        assert!(found[0].to_string().contains("differs"));
    }
}
