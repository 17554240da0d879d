//! What the inspector shows that is derived from a recorded entry when asked, not kept: the
//! parsed body, the answer's body, the rule that failed, what a client concludes from the
//! answer, a curl command, a readable time.

use axum::http::{HeaderMap, StatusCode};
use bulletins_core::{Failure, Outcome};
use serde_json::Value;

use crate::entry::{AnswerBody, Entry, Kind};
use crate::fault;
use crate::validate::fail_body;

/// The body pretty-printed when it is JSON, else as text.
pub(crate) fn pretty_body(entry: &Entry) -> Option<String> {
    let text = entry.body_text()?;
    Some(
        serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| text.into_owned()),
    )
}

/// The body as compact JSON on one line, when it is a JSON object: a trigger payload.
pub(crate) fn payload_line(entry: &Entry) -> Option<String> {
    let body = entry.body.as_deref()?;
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => serde_json::to_string(&value).ok(),
        _ => None,
    }
}

/// The first `N` members of a JSON object in the order they were written (`serde_json::Map`
/// sorts them), and how many more it has: those are skipped without being built, so a row
/// costs the same for a bulletin of 3 properties as for one of 10,000.
#[derive(Debug, Default)]
pub(crate) struct FirstMembers<const N: usize> {
    pub(crate) members: Vec<(String, Value)>,
    pub(crate) more: usize,
}

/// Every member of a JSON object, in the order written.
pub(crate) type AllMembers = FirstMembers<{ usize::MAX }>;

impl<'de, const N: usize> serde::Deserialize<'de> for FirstMembers<N> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members<const N: usize>;
        impl<'de, const N: usize> serde::de::Visitor<'de> for Members<N> {
            type Value = FirstMembers<N>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<FirstMembers<N>, A::Error> {
                use serde::de::IgnoredAny;
                let mut first = FirstMembers::default();
                while first.members.len() < N {
                    match map.next_entry()? {
                        Some(member) => first.members.push(member),
                        None => return Ok(first),
                    }
                }
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                    first.more += 1;
                }
                Ok(first)
            }
        }
        deserializer.deserialize_map(Members::<N>)
    }
}

impl<const N: usize> serde::Serialize for FirstMembers<N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.members.iter().map(|(k, v)| (k, v)))
    }
}

/// The payload's `properties` in the order sent; empty when absent or not an object.
pub(crate) fn property_members<const N: usize>(entry: &Entry) -> FirstMembers<N> {
    #[derive(serde::Deserialize)]
    struct Props<const N: usize> {
        properties: Option<FirstMembers<N>>,
    }
    entry
        .body
        .as_deref()
        .and_then(|body| serde_json::from_slice::<Props<N>>(body).ok())
        .and_then(|props| props.properties)
        .unwrap_or_default()
}

/// The payload's properties in the order sent, values as text.
pub(crate) fn properties(entry: &Entry) -> Vec<(String, String)> {
    property_members::<{ usize::MAX }>(entry)
        .members
        .into_iter()
        .map(|(key, value)| (key, text_of(value)))
        .collect()
}

/// A property's value as text: a string as it is, anything else as JSON.
fn text_of(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// What a row of the timeline shows of a body.
#[derive(Debug, Default)]
pub(crate) struct Row {
    /// The bulletin's `name`.
    pub(crate) name: Option<String>,
    /// The first properties, in the order sent, values cut to [`PREVIEW_VALUE_CHARS`].
    pub(crate) properties: Vec<(String, String)>,
    /// How many properties are not shown.
    pub(crate) more: usize,
}

/// How many properties a row of the timeline shows.
pub(crate) const PREVIEW_PROPERTIES: usize = 3;

/// The name and the first [`PREVIEW_PROPERTIES`] properties a row shows: one parse of the
/// body when its `name` and `properties` have the documented types, else each read on its own.
pub(crate) fn row(entry: &Entry) -> Row {
    #[derive(serde::Deserialize)]
    struct Both<'a> {
        #[serde(borrow)]
        name: Option<std::borrow::Cow<'a, str>>,
        properties: Option<FirstMembers<PREVIEW_PROPERTIES>>,
    }
    let Some(body) = entry.body.as_deref() else {
        return Row::default();
    };
    let (name, first) = match serde_json::from_slice::<Both<'_>>(body) {
        Ok(both) => (
            both.name.map(std::borrow::Cow::into_owned),
            both.properties.unwrap_or_default(),
        ),
        Err(_) => (name(entry), property_members(entry)),
    };
    Row {
        name,
        properties: first
            .members
            .into_iter()
            .map(|(key, value)| (key, cut(&text_of(value), PREVIEW_VALUE_CHARS)))
            .collect(),
        more: first.more,
    }
}

/// The most characters of a property's value a row of the timeline shows.
pub(crate) const PREVIEW_VALUE_CHARS: usize = 40;

/// `text` cut to `max` characters, ending in "…" when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// The bulletin's `name`, read without building the payload (the timeline shows one per row).
pub(crate) fn name(entry: &Entry) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Name<'a> {
        #[serde(borrow)]
        name: Option<std::borrow::Cow<'a, str>>,
    }
    let body = entry.body.as_deref()?;
    let parsed: Name<'_> = serde_json::from_slice(body).ok()?;
    parsed.name.map(std::borrow::Cow::into_owned)
}

/// A top-level text field of the payload (`name`, `c-by`).
pub(crate) fn field(entry: &Entry, key: &str) -> Option<String> {
    let body = entry.body.as_deref()?;
    let value: Value = serde_json::from_slice(body).ok()?;
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The body of the answer sent, or `None` when the connection was closed; very long bodies
/// are cut with a note.
pub(crate) fn answer_body(entry: &Entry) -> Option<String> {
    let code = entry.code.unwrap_or_default();
    let error = entry.error.as_deref().unwrap_or_default();
    Some(match &entry.answer {
        AnswerBody::None => return None,
        AnswerBody::Success { targets } => format!(r#"{{"status":"success","targets":{targets}}}"#),
        AnswerBody::Fail => fail_body(error, code),
        AnswerBody::StatusDefault => fault::status_body(entry.status.unwrap_or(500)),
        AnswerBody::Custom(body) => body.to_string(),
        AnswerBody::Malformed => fault::MALFORMED_BODY.to_owned(),
        AnswerBody::Oversized => format!(
            r#"{{"status":"success","targets":1,"padding":"aaaa…"}} ({} bytes, cut here)"#,
            fault::OVERSIZED_BODY_BYTES
        ),
    })
}

/// What a client concludes from the answer it got, by the SDK's one classification: not what
/// the emulator knows it recorded (a connection closed before the body was read delivered
/// nothing, yet the client cannot tell).
pub(crate) fn client_outcome(entry: &Entry) -> Outcome {
    let (Some(status), Some(body)) = (entry.status, answer_body(entry)) else {
        return Failure::ConnectionLost.outcome();
    };
    let Ok(status) = StatusCode::from_u16(status) else {
        return Outcome::MayHaveBeenDelivered;
    };
    match bulletins_core::parse_parts(status, &HeaderMap::new(), body.as_bytes()) {
        Ok(triggered) => Outcome::from(triggered),
        Err(error) => error.outcome(),
    }
}

/// [`client_outcome`] in a sentence.
pub(crate) fn client_conclusion(entry: &Entry) -> String {
    match client_outcome(entry) {
        Outcome::Delivered(triggered) => {
            let s = if triggered.targets == 1 { "" } else { "s" };
            format!("delivered to {} target{s}", triggered.targets)
        }
        Outcome::NotDelivered(cause) => format!(
            "certainly not delivered: {}; {}",
            cause.reason(),
            cause.hint()
        ),
        _ => "may have been delivered: check before sending it again".to_owned(),
    }
}

/// Which of CleverTap's documented rules a rejection broke, in a sentence read from its error:
/// "Rule 5 (required properties): Program Released requires program_id, which the request did
/// not send." The numbers are the order CleverTap checks in (the crate's documentation).
/// `limit` is the account's concurrency limit.
pub(crate) fn rule(entry: &Entry, limit: usize) -> Option<String> {
    let error = entry.error.as_deref()?;
    if matches!(entry.kind, Kind::Rejection { fault: true }) {
        return Some("No CleverTap rule: an injected fault answered this request.".to_owned());
    }
    let Some((number, title)) = broken_rule(error) else {
        return Some("One of CleverTap's documented rules: the error says which.".to_owned());
    };
    let detail = match title {
        "credentials" => {
            "X-CleverTap-Account-Id and X-CleverTap-Passcode must match an account.".to_owned()
        }
        "concurrency" => {
            format!("an account may have at most {limit} requests in flight at once.")
        }
        "content type" => "the Content-Type must be application/json.".to_owned(),
        "body size" => format!(
            "the body may be at most {} bytes.",
            super::page::thousands(crate::validate::MAX_BODY_BYTES as u64)
        ),
        "body" => "the body must be a JSON object.".to_owned(),
        "business event" => {
            "business_event (or event) must name an event defined on the dashboard.".to_owned()
        }
        "when" => "when must be \"now\", a positive integer or a string of digits.".to_owned(),
        "required properties" => {
            let key = error
                .strip_prefix("Property ")
                .and_then(|rest| rest.strip_suffix(" missing"))
                .unwrap_or_default();
            let event = entry.event.as_deref().unwrap_or("the event");
            format!("{event} requires {key}, which the request did not send.")
        }
        "property keys" => format!(
            "a key must not be empty and may have at most {} characters.",
            bulletins_core::limits::MAX_KEY_CHARS
        ),
        "property values" => format!(
            "a value may be at most {} bytes.",
            bulletins_core::limits::MAX_VALUE_BYTES
        ),
        "properties" => "properties must be an object of strings.".to_owned(),
        _ => "name and c-by must be non-empty strings.".to_owned(),
    };
    Some(format!("Rule {number} ({title}): {detail}"))
}

/// The number and title of the rule an error message reports.
fn broken_rule(error: &str) -> Option<(&'static str, &'static str)> {
    let property = error.strip_prefix("Property ");
    Some(
        if error == "Account ID is not valid" || error == "Invalid passcode" {
            ("1", "credentials")
        } else if error == "Too many concurrent requests" {
            ("1", "concurrency")
        } else if error.starts_with("Content-Type") {
            ("2", "content type")
        } else if error.starts_with("Request body is") && error.contains("limit") {
            ("2", "body size")
        } else if error.starts_with("Request body") {
            ("2", "body")
        } else if error == "Business Event Not Found" {
            ("3", "business event")
        } else if error.starts_with("\"when\"") {
            ("4", "when")
        } else if property.is_some_and(|rest| rest.ends_with(" missing")) {
            ("5", "required properties")
        } else if error.starts_with("Property key") {
            ("6", "property keys")
        } else if property.is_some() && error.contains("bytes") {
            ("6", "property values")
        } else if property.is_some() || error.starts_with("\"properties\"") {
            ("6", "properties")
        } else if error.contains("\"name\"") || error.contains("\"c-by\"") {
            ("6", "name and c-by")
        } else {
            return None;
        },
    )
}

/// A curl command that sends the same request again; the passcode comes from the shell's
/// `$CLEVERTAP_PASSCODE`, never from the record.
pub(crate) fn curl(entry: &Entry, base_url: &str) -> String {
    let mut command = format!(
        "curl -X POST {}",
        shell_quote(&format!("{base_url}{}", bulletins_core::TRIGGER_PATH))
    );
    if let Some(account) = entry.account.as_deref() {
        command.push_str(" \\\n  -H ");
        command.push_str(&shell_quote(&format!("X-CleverTap-Account-Id: {account}")));
    }
    command.push_str(" \\\n  -H \"X-CleverTap-Passcode: $CLEVERTAP_PASSCODE\"");
    command.push_str(" \\\n  -H 'Content-Type: application/json'");
    if let Some(body) = entry.body_text() {
        command.push_str(" \\\n  --data-binary ");
        command.push_str(&shell_quote(&body));
    }
    command
}

/// Single-quoted for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `2026-11-27 04:12:01.123 UTC`.
pub(crate) fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        ms % 1000
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_are_right() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(utc(1_709_251_200_123), "2024-03-01 00:00:00.123 UTC");
    }

    #[test]
    fn first_members_keep_the_order_written_and_count_the_rest() {
        let parse = |json: &str| {
            let first: FirstMembers<2> = serde_json::from_str(json).expect("an object");
            let keys: Vec<_> = first.members.iter().map(|(k, _)| k.clone()).collect();
            (keys, first.more)
        };
        assert_eq!(parse(r#"{"z":"1"}"#), (vec!["z".to_owned()], 0));
        // Exactly N: nothing more; one past it: one more, skipped whole even when nested.
        assert_eq!(
            parse(r#"{"z":"1","a":"2"}"#),
            (vec!["z".to_owned(), "a".to_owned()], 0)
        );
        assert_eq!(
            parse(r#"{"z":"1","a":"2","m":{"x":[1,{"y":2}]}}"#),
            (vec!["z".to_owned(), "a".to_owned()], 1)
        );
        let all: AllMembers = serde_json::from_str(r#"{"b":1,"a":2}"#).expect("an object");
        assert_eq!(
            serde_json::to_string(&all).ok().as_deref(),
            Some(r#"{"b":1,"a":2}"#)
        );
    }

    #[test]
    fn previews_cut_long_values_at_the_limit() {
        let exact = "é".repeat(PREVIEW_VALUE_CHARS);
        assert_eq!(cut(&exact, PREVIEW_VALUE_CHARS), exact);
        let over = format!("{exact}x");
        assert_eq!(cut(&over, PREVIEW_VALUE_CHARS), format!("{exact}…"));
    }

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
