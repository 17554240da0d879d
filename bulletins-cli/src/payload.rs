//! One line of `bulletins send` and `bulletins validate` input: a [`Payload`], read by the
//! core's one reader of trigger JSON. What is the CLI's own: a field CleverTap does not read is
//! named as such (a typo, most often), and each problem is one sentence for a person.

use std::collections::BTreeMap;

use bulletins_http::{Payload, When};
use serde::de::IgnoredAny;

use crate::dashboard::Dashboard;

/// The fields a payload may have (`event` is CleverTap's other name for `business_event`).
const FIELDS: [&str; 6] = [
    "business_event",
    "event",
    "name",
    "properties",
    "c-by",
    "when",
];

/// Reads one line and checks it against CleverTap's rules and, when given, the dashboard.
pub(crate) fn parse_checked(
    line: &[u8],
    dashboard: Option<&Dashboard>,
) -> Result<Payload, Vec<String>> {
    if let Some(problem) = fields_problem(line) {
        return Err(vec![problem]);
    }
    let payload = Payload::parse(line)
        .map_err(|e| vec![format!("{} (at byte {})", e.problem(), e.offset())])?;
    if let Some(dashboard) = dashboard {
        payload
            .check_against(dashboard)
            .map_err(|mismatch| vec![mismatch.to_string()])?;
    }
    Ok(payload)
}

/// Checks one line as [`parse_checked`] does.
pub(crate) fn check_line(line: &[u8], dashboard: Option<&Dashboard>) -> Result<(), Vec<String>> {
    parse_checked(line, dashboard).map(drop)
}

/// A field that is not a payload's, or every field missing at once, if the line is a JSON
/// object (the core names only the first missing field, in CleverTap's order of checks).
fn fields_problem(line: &[u8]) -> Option<String> {
    let fields: BTreeMap<String, IgnoredAny> = serde_json::from_slice(line).ok()?;
    if let Some(unknown) = fields.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Some(format!(
            "unknown field {unknown:?}; a payload has business_event, name, properties, c-by and when"
        ));
    }
    let has = |field: &str| fields.contains_key(field);
    let missing: Vec<String> = FIELDS
        .iter()
        .filter(|&&field| field != "event" && !has(field))
        .filter(|&&field| field != "business_event" || !has("event"))
        .map(|field| format!("{field:?}"))
        .collect();
    match missing.split_last() {
        None => None,
        Some((only, [])) => Some(format!("missing {only}")),
        Some((last, rest)) => Some(format!("missing {} and {last}", rest.join(", "))),
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

    fn problem(line: &str) -> String {
        check_line(line.as_bytes(), None)
            .err()
            .map(|mut problems| problems.remove(0))
            .unwrap_or_default()
    }

    #[test]
    fn the_documented_payload_is_sent_as_written() {
        let payload = parse_checked(DOC.as_bytes(), None).expect("valid");
        assert_eq!(payload.as_bytes(), DOC.as_bytes());
    }

    #[test]
    fn problems_are_one_sentence_naming_the_field_and_the_byte() {
        for (line, expected) in [
            ("[1]", "not a JSON object but a JSON array"),
            ("{", "not a JSON object: EOF"),
            (
                r#"{"business_event":"e","name":"n","properties":{},"c_by":"x","when":"now"}"#,
                "unknown field \"c_by\"",
            ),
            (
                r#"{"business_event":"e","name":"n","properties":{"a":1},"c-by":"x","when":"now"}"#,
                "property \"a\" is a JSON number; CleverTap only accepts string property values, so send its text as a string (at byte 51)",
            ),
            (
                r#"{"business_event":"e","name":"n","properties":{},"c-by":"x"}"#,
                "missing \"when\"",
            ),
            (
                r#"{"event":"e","properties":{}}"#,
                "missing \"name\", \"c-by\" and \"when\"",
            ),
            (
                r#"{"business_event":"e","name":"n","properties":{},"c-by":"x","when":"12a"}"#,
                "\"when\" is \"12a\"",
            ),
        ] {
            let found = problem(line);
            assert!(found.contains(expected), "{line}: {found}");
        }
    }

    #[test]
    fn when_takes_now_or_a_positive_timestamp() {
        assert_eq!(parse_when("now"), Some(When::Now));
        assert_eq!(parse_when("1724123456"), Some(When::Unix(1724123456)));
        for bad in ["", "0", "-1", "1.5", "Now", "9223372036854775808"] {
            assert_eq!(parse_when(bad), None, "{bad}");
        }
    }
}
