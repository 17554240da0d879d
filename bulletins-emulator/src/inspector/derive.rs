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

/// The payload's properties by key, values as text.
pub(crate) fn properties(entry: &Entry) -> Vec<(String, String)> {
    let Some(body) = entry.body.as_deref() else {
        return Vec::new();
    };
    #[derive(serde::Deserialize)]
    struct Props {
        properties: Option<serde_json::Map<String, Value>>,
    }
    serde_json::from_slice::<Props>(body)
        .ok()
        .and_then(|p| p.properties)
        .map(|map| {
            map.into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect()
        })
        .unwrap_or_default()
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

/// Which of CleverTap's documented rules a rejection broke, named from its error.
pub(crate) fn rule(entry: &Entry) -> Option<String> {
    let error = entry.error.as_deref()?;
    if matches!(entry.kind, Kind::Rejection { fault: true }) {
        return Some("injected fault (not a CleverTap rule)".to_owned());
    }
    let rule = if error == "Account ID is not valid" || error == "Invalid passcode" {
        "1. credentials: X-CleverTap-Account-Id and X-CleverTap-Passcode match an account"
            .to_owned()
    } else if error == "Too many concurrent requests" {
        "1. concurrency: at most the account's limit of requests in flight (default 3)".to_owned()
    } else if error.starts_with("Content-Type") {
        "2a. Content-Type: application/json".to_owned()
    } else if error.starts_with("Request body is") && error.contains("limit") {
        format!(
            "2b. body size: at most {} bytes",
            crate::validate::MAX_BODY_BYTES
        )
    } else if error.starts_with("Request body") {
        "2c. body: a JSON object".to_owned()
    } else if error == "Business Event Not Found" {
        "3. business_event (or event) names an event defined on the dashboard".to_owned()
    } else if error.starts_with("\"when\"") {
        "4. when: \"now\", a positive integer or a string of digits".to_owned()
    } else if let Some(key) = error
        .strip_prefix("Property ")
        .and_then(|rest| rest.strip_suffix(" missing"))
    {
        format!("5. required property: {key} is required by the event")
    } else if error.starts_with("Property key") {
        format!(
            "6. property keys: not empty, at most {} characters",
            bulletins_core::limits::MAX_KEY_CHARS
        )
    } else if error.starts_with("Property ") && error.contains("bytes") {
        format!(
            "6. property values: at most {} bytes",
            bulletins_core::limits::MAX_VALUE_BYTES
        )
    } else if error.starts_with("Property ") || error.starts_with("\"properties\"") {
        "6. properties: an object of strings".to_owned()
    } else if error.contains("\"name\"") || error.contains("\"c-by\"") {
        "6. name and c-by: non-empty strings".to_owned()
    } else {
        "a documented rule (see the error)".to_owned()
    };
    Some(rule)
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
    fn shell_quoting_survives_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
