//! One trigger payload, as CleverTap documents it and as `bulletins send` reads it per line:
//! `{"business_event":..,"name":..,"properties":{..},"c-by":..,"when":"now"|UNIX}`.

use bulletins_http::{Bulletin, DynamicEvent, When};
use serde_json::{Map, Value};

use crate::dashboard::Dashboard;

const FIELDS: [&str; 5] = ["business_event", "name", "properties", "c-by", "when"];

/// Parses one payload and checks it against CleverTap's limits and, when given, the dashboard:
/// every problem found, each one sentence.
pub(crate) fn parse_checked(
    line: &[u8],
    dashboard: Option<&Dashboard>,
) -> Result<Bulletin<'static, DynamicEvent>, Vec<String>> {
    let bulletin = parse(line).map_err(|problem| vec![problem])?;
    match dashboard.map(|d| crate::dashboard::check(d, bulletin.event())) {
        Some(problems) if !problems.is_empty() => Err(problems),
        _ => Ok(bulletin),
    }
}

/// Parses and checks one payload against CleverTap's limits. The error is one sentence.
pub(crate) fn parse(line: &[u8]) -> Result<Bulletin<'static, DynamicEvent>, String> {
    let value: Value =
        serde_json::from_slice(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let Value::Object(object) = value else {
        return Err("not a JSON object: one trigger payload per line".to_owned());
    };
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "unknown field {unknown:?}; a payload has business_event, name, properties, c-by and when"
        ));
    }
    let event_name = string(&object, "business_event")?;
    let name = string(&object, "name")?;
    let created_by = string(&object, "c-by")?;
    let properties = object
        .get("properties")
        .ok_or("missing \"properties\" (an object of strings; {} for none)")?;
    let when = when(object.get("when"))?;
    let event = DynamicEvent::from_json(event_name, properties).map_err(|e| e.to_string())?;
    let bulletin = Bulletin::new(event, name.to_owned(), created_by.to_owned()).when(when);
    check(&bulletin)?;
    Ok(bulletin)
}

/// Checks what `DynamicEvent` does not: the bulletin's own fields.
pub(crate) fn check(bulletin: &Bulletin<'_, DynamicEvent>) -> Result<(), String> {
    bulletin.to_json_vec().map(drop).map_err(|e| e.to_string())
}

fn string<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    match object.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!("{key:?} is {}, not a string", json_type(other))),
        None => Err(format!("missing {key:?}")),
    }
}

/// CleverTap's `when`: `"now"`, a positive integer, or a string of digits.
fn when(value: Option<&Value>) -> Result<When, String> {
    let problem = || "\"when\" must be \"now\" or a positive UNIX timestamp in seconds".to_owned();
    match value {
        None => Err("missing \"when\" (\"now\" or a UNIX timestamp)".to_owned()),
        Some(Value::String(s)) if s == "now" => Ok(When::Now),
        Some(Value::String(s)) => parse_when(s).ok_or_else(problem),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|&t| t > 0)
            .map(When::Unix)
            .ok_or_else(problem),
        Some(_) => Err(problem()),
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

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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
}
