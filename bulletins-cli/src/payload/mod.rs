//! One trigger payload, as CleverTap documents it and as `bulletins send` reads it per line:
//! `{"business_event":..,"name":..,"properties":{..},"c-by":..,"when":"now"|UNIX}`.

mod event;
mod fields;

use std::borrow::Cow;

use bulletins_http::limits::{check_key, MAX_VALUE_BYTES};
use bulletins_http::{BuildError, Bulletin, DynamicEvent, When};

use crate::dashboard::Dashboard;
pub(crate) use event::LineEvent;
use fields::{Line, Properties, Scalar};

/// Parses one payload and checks it against CleverTap's limits and, when given, the dashboard:
/// every problem found, each one sentence.
pub(crate) fn parse_checked(
    line: &[u8],
    dashboard: Option<&Dashboard>,
) -> Result<Bulletin<'static, LineEvent>, Vec<String>> {
    let bulletin = parse(line).map_err(|problem| vec![problem])?;
    if let Some(dashboard) = dashboard {
        check_event(dashboard, bulletin.event())?;
    }
    Ok(bulletin)
}

/// Why the dashboard would refuse the event, if it would.
fn check_event(dashboard: &Dashboard, event: &LineEvent) -> Result<(), Vec<String>> {
    let event = event.to_dynamic().map_err(|e| vec![e.to_string()])?;
    let problems = crate::dashboard::check(dashboard, &event);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Checks one payload as [`parse_checked`] does, without making the bulletin unless a
/// dashboard needs its event: what a pass that only checks needs.
pub(crate) fn check_line(line: &[u8], dashboard: Option<&Dashboard>) -> Result<(), Vec<String>> {
    let payload = read(line).map_err(|problem| vec![problem])?;
    if let Some(dashboard) = dashboard {
        check_event(
            dashboard,
            &LineEvent::new(&payload.event, &payload.properties),
        )?;
    }
    Ok(())
}

/// Parses and checks one payload against CleverTap's limits. The error is one sentence.
pub(crate) fn parse(line: &[u8]) -> Result<Bulletin<'static, LineEvent>, String> {
    read(line).map(Payload::into_bulletin)
}

/// A payload read and checked, its strings still borrowed from the line (those without
/// escapes).
#[derive(Debug)]
pub(crate) struct Payload<'a> {
    event: Cow<'a, str>,
    name: Cow<'a, str>,
    created_by: Cow<'a, str>,
    properties: Pairs<'a>,
    when: When,
}

/// Properties, in the line's order.
type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Reads one payload in a single pass and checks every rule [`Bulletin::to_json_vec`] and
/// [`DynamicEvent`] check, as the strings are taken: the bulletin is not serialized to be
/// checked. The error is one sentence.
pub(crate) fn read(line: &[u8]) -> Result<Payload<'_>, String> {
    let fields = match fields::read(line) {
        Ok(Line::Object(fields)) => fields,
        Ok(Line::NotAnObject) => {
            return Err("not a JSON object: one trigger payload per line".to_owned())
        }
        Err(e) => return Err(format!("not a JSON object: {e}")),
    };
    if let Some(unknown) = fields.unknown {
        return Err(format!(
            "unknown field {unknown:?}; a payload has business_event, name, properties, c-by and when"
        ));
    }
    let event = string(fields.business_event, "business_event")?;
    let name = string(fields.name, "name")?;
    let created_by = string(fields.created_by, "c-by")?;
    let properties = fields
        .properties
        .ok_or("missing \"properties\" (an object of strings; {} for none)")?;
    let when = when(fields.when)?;
    if let Err(problem) = check_key(&event) {
        let name = event.into_owned();
        return Err(BuildError::InvalidEventName { name, problem }.to_string());
    }
    let properties = self::properties(properties).map_err(|e| e.to_string())?;
    if name.trim().is_empty() {
        return Err(BuildError::EmptyName.to_string());
    }
    if created_by.trim().is_empty() {
        return Err(BuildError::EmptyCreatedBy.to_string());
    }
    Ok(Payload {
        event,
        name,
        created_by,
        properties,
        when,
    })
}

/// Checks what `DynamicEvent` does not: the bulletin's own fields.
pub(crate) fn check(bulletin: &Bulletin<'_, DynamicEvent>) -> Result<(), String> {
    bulletin.to_json_vec().map(drop).map_err(|e| e.to_string())
}

impl Payload<'_> {
    /// The bulletin to send, owning its strings.
    pub(crate) fn into_bulletin(self) -> Bulletin<'static, LineEvent> {
        let event = LineEvent::new(&self.event, &self.properties);
        Bulletin::new(event, self.name.into_owned(), self.created_by.into_owned()).when(self.when)
    }
}

/// Checks what the bulletin's serialization and `DynamicEvent` would: the keys' rules, the
/// values' type and length, each key once.
fn properties(properties: Properties<'_>) -> Result<Pairs<'_>, BuildError> {
    let pairs = match properties {
        Properties::Object(pairs) => pairs,
        Properties::Not(found) => return Err(BuildError::NotAnObject { found }),
    };
    let mut checked: Pairs<'_> = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        let value = match value {
            Scalar::Str(value) => value,
            other => {
                let found = other.json_type();
                return Err(BuildError::NotAString {
                    property: key.into_owned(),
                    found,
                });
            }
        };
        if let Err(problem) = check_key(&key) {
            return Err(BuildError::InvalidPropertyKey {
                key: key.into_owned(),
                problem,
            });
        }
        if value.len() > MAX_VALUE_BYTES {
            let (property, len) = (key.into_owned(), value.len());
            return Err(BuildError::ValueTooLong {
                property,
                len,
                max: MAX_VALUE_BYTES,
            });
        }
        if checked.iter().any(|(k, _)| *k == key) {
            return Err(BuildError::DuplicateProperty {
                key: key.into_owned(),
            });
        }
        checked.push((key, value));
    }
    Ok(checked)
}

fn string<'a>(value: Option<Scalar<'a>>, key: &str) -> Result<Cow<'a, str>, String> {
    match value {
        Some(Scalar::Str(s)) => Ok(s),
        Some(other) => Err(format!(
            "{key:?} is {}, not a string",
            other.json_type_in_words()
        )),
        None => Err(format!("missing {key:?}")),
    }
}

/// CleverTap's `when`: `"now"`, a positive integer, or a string of digits.
fn when(value: Option<Scalar<'_>>) -> Result<When, String> {
    let problem = || "\"when\" must be \"now\" or a positive UNIX timestamp in seconds".to_owned();
    match value {
        None => Err("missing \"when\" (\"now\" or a UNIX timestamp)".to_owned()),
        Some(Scalar::Str(s)) => parse_when(&s).ok_or_else(problem),
        Some(Scalar::Integer(n)) => n.filter(|&t| t > 0).map(When::Unix).ok_or_else(problem),
        Some(Scalar::Other(_)) => Err(problem()),
    }
}

/// `now` or a positive UNIX timestamp, as `--when` takes it.
pub(crate) fn parse_when(text: &str) -> Option<When> {
    if text == "now" {
        return Some(When::Now);
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|&t: &i64| t > 0).map(When::Unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"[email protected]","when":"now"}"#;

    #[test]
    fn the_documented_payload_parses() {
        let bulletin = parse(DOC.as_bytes()).map_err(|e| e.to_string());
        assert_eq!(
            bulletin.map(|b| b.event().properties().len()),
            Ok(3),
            "{DOC}"
        );
    }

    #[test]
    fn problems_are_named() {
        let cases = [
            ("[1]", "not a JSON object"),
            ("{", "not a JSON object"),
            (
                r#"{"business_event":"e","name":"n","properties":{},"c_by":"x","when":"now"}"#,
                "unknown field \"c_by\"",
            ),
            (
                r#"{"business_event":"e","name":"n","properties":{"a":1},"c-by":"x","when":"now"}"#,
                "\"a\"",
            ),
            (
                r#"{"business_event":"e","name":"","properties":{},"c-by":"x","when":"now"}"#,
                "name",
            ),
            (
                r#"{"business_event":"e","name":"n","properties":{},"c-by":"x","when":0}"#,
                "\"when\"",
            ),
            (
                r#"{"business_event":"e","name":"n","properties":{},"c-by":"x","when":"12a"}"#,
                "\"when\"",
            ),
            (
                r#"{"business_event":"e","name":"n","properties":{},"c-by":"x"}"#,
                "missing \"when\"",
            ),
            (
                r#"{"name":"n","properties":{},"c-by":"x","when":"now"}"#,
                "missing \"business_event\"",
            ),
        ];
        for (line, expected) in cases {
            let err = parse(line.as_bytes()).err().unwrap_or_default();
            assert!(err.contains(expected), "{line}: {err}");
        }
    }

    #[test]
    fn limits_at_their_boundaries() {
        let line = |value: &str| {
            format!(
                r#"{{"business_event":"e","name":"n","properties":{{"k":"{value}"}},"c-by":"x","when":"1724123456"}}"#
            )
        };
        assert!(parse(line(&"v".repeat(512)).as_bytes()).is_ok());
        assert!(parse(line(&"v".repeat(513)).as_bytes()).is_err());
    }

    #[test]
    fn what_is_sent_is_what_the_line_says() {
        // Escapes take the owned path; the rest is borrowed from the line.
        let line = r#" {"business_event":"Program Released","name":"Sa \"Re\" Ga\u00e9","properties":{"k\u0041":"v\\1","b":""},"c-by":"x","when":1724123456} "#;
        let sent = parse(line.as_bytes()).and_then(|b| b.to_json_vec().map_err(|e| e.to_string()));
        let sent: serde_json::Value =
            serde_json::from_slice(&sent.unwrap_or_default()).unwrap_or_default();
        let read: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        assert_eq!(sent, read);
        let sent = parse(DOC.as_bytes()).and_then(|b| b.to_json_vec().map_err(|e| e.to_string()));
        assert_eq!(sent.as_deref(), Ok(DOC.as_bytes()));
    }

    #[test]
    fn every_check_of_the_bulletin_is_made_while_reading() {
        let line = |field: &str| {
            let mut fields = vec![
                (r#""business_event""#, r#""e""#.to_owned()),
                (r#""name""#, r#""n""#.to_owned()),
                (r#""properties""#, r#"{"k":"v"}"#.to_owned()),
                (r#""c-by""#, r#""x""#.to_owned()),
                (r#""when""#, r#""now""#.to_owned()),
            ];
            if let Some((key, value)) = field.split_once('=') {
                for (k, v) in &mut fields {
                    if *k == key {
                        *v = value.to_owned();
                    }
                }
            }
            let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("{{{}}}", body.join(","))
        };
        let cases = [
            (r#""name"=" ""#, "name"),
            (r#""c-by"="\t""#, "c-by"),
            (r#""business_event"=" e""#, "whitespace"),
            (
                r#""business_event"=7"#,
                "\"business_event\" is a number, not a string",
            ),
            (r#""name"=null"#, "\"name\" is null, not a string"),
            (r#""c-by"=["x"]"#, "\"c-by\" is an array, not a string"),
            (r#""properties"=[]"#, "properties are a JSON array"),
            (r#""properties"="k""#, "properties are a JSON string"),
            (
                r#""properties"={"k":true}"#,
                "property \"k\" is a JSON boolean",
            ),
            (
                r#""properties"={"k":{"a":"b"}}"#,
                "property \"k\" is a JSON object",
            ),
            (r#""properties"={"k":"v","k":"w"}"#, "set twice"),
            (r#""properties"={" k":"v"}"#, "whitespace"),
            (r#""when"=1.5"#, "\"when\""),
            (r#""when"=-3"#, "\"when\""),
            (r#""when"=18446744073709551615"#, "\"when\""),
            (r#""when"=true"#, "\"when\""),
        ];
        for (field, expected) in cases {
            let text = line(field);
            let err = parse(text.as_bytes()).err().unwrap_or_default();
            assert!(err.contains(expected), "{text}: {err:?}");
            // The checking pass, which makes no bulletin, finds the same problem.
            assert_eq!(check_line(text.as_bytes(), None), Err(vec![err]), "{text}");
        }
        assert!(parse(line("").as_bytes()).is_ok());
        assert_eq!(check_line(line("").as_bytes(), None), Ok(()));
        for text in [format!("{} {{}}", line("")), format!("{}x", line(""))] {
            let err = parse(text.as_bytes()).err().unwrap_or_default();
            assert!(err.contains("not a JSON object: trailing"), "{text}: {err}");
        }
        for text in ["\"x\"", "1", "null", "true"] {
            let err = parse(text.as_bytes()).err().unwrap_or_default();
            assert!(
                err.contains("one trigger payload per line"),
                "{text}: {err}"
            );
        }
    }
}
