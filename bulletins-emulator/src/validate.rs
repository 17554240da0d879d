//! CleverTap's checks on a trigger request, written from the documented behaviour, in the
//! documented order. Pure functions: the server reads the request, these decide.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use bulletins_core::limits::{MAX_KEY_CHARS, MAX_VALUE_BYTES};
use bulletins_core::{ACCOUNT_ID_HEADER, PASSCODE_HEADER};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Serialize;
use serde_json::Value;

use crate::dashboard::{Account, Dashboard};

/// The largest request body accepted: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A failure answer: HTTP status and CleverTap's `{"status":"fail","error":..,"code":..}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) code: i64,
    pub(crate) message: String,
}

#[derive(Serialize)]
struct FailBody<'a> {
    status: &'static str,
    error: &'a str,
    code: i64,
}

impl Failure {
    /// A failure whose `code` is the HTTP status.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code: i64::from(status.as_u16()),
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> String {
        fail_body(&self.message, self.code)
    }
}

/// `{"status":"fail","error":<message>,"code":<code>}`, in CleverTap's key order.
pub(crate) fn fail_body(message: &str, code: i64) -> String {
    let body = FailBody {
        status: "fail",
        error: message,
        code,
    };
    serde_json::to_string(&body).unwrap_or_default()
}

/// The `X-CleverTap-Account-Id` header, when present and text.
pub(crate) fn account_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(ACCOUNT_ID_HEADER).and_then(|v| v.to_str().ok())
}

/// Rule 1: the account exists and the passcode matches, compared as fixed-length digests in
/// constant time (see [`crate::passcode`]).
pub(crate) fn check_credentials<'d>(
    dashboard: &'d Dashboard,
    headers: &HeaderMap,
) -> Result<&'d Account, Failure> {
    let given = headers
        .get(PASSCODE_HEADER)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    match account_header(headers).and_then(|id| dashboard.account(id, given)) {
        Some(Ok(account)) => Ok(account),
        Some(Err(())) => Err(Failure::new(StatusCode::UNAUTHORIZED, "Invalid passcode")),
        None => Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            "Account ID is not valid",
        )),
    }
}

/// Rule 2a: `Content-Type: application/json`, parameters such as `charset` allowed.
pub(crate) fn check_content_type(headers: &HeaderMap) -> Result<(), Failure> {
    let unsupported = |message: String| Failure::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message);
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE) else {
        return Err(unsupported(
            "Content-Type header is missing; it must be application/json".to_owned(),
        ));
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let essence = text.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(unsupported(format!(
            "Content-Type must be application/json, got {text:?}"
        )))
    }
}

/// Rule 2b: the body is at most [`MAX_BODY_BYTES`].
pub(crate) fn too_large(len: Option<u64>) -> Failure {
    let message = match len {
        Some(len) => format!("Request body is {len} bytes; the limit is {MAX_BODY_BYTES} bytes"),
        None => format!("Request body is over the limit of {MAX_BODY_BYTES} bytes"),
    };
    Failure::new(StatusCode::PAYLOAD_TOO_LARGE, message)
}

/// A payload that passed every rule.
#[derive(Debug)]
pub(crate) struct Valid {
    pub(crate) payload: Value,
    pub(crate) targets: u64,
}

/// A payload refused by rules 2c to 6, with what could be parsed of it.
#[derive(Debug)]
pub(crate) struct Invalid {
    pub(crate) failure: Failure,
    pub(crate) payload: Option<Value>,
}

/// Rules 2c to 6 on a body already read within the size limit.
pub(crate) fn check_payload(dashboard: &Dashboard, body: &[u8]) -> Result<Valid, Invalid> {
    let payload: Value = serde_json::from_slice(body).map_err(|e| Invalid {
        failure: Failure::bad_request(format!("Request body is not valid JSON: {e}")),
        payload: None,
    })?;
    match check_object(dashboard, &payload, body) {
        Ok(targets) => Ok(Valid { payload, targets }),
        Err(failure) => Err(Invalid {
            failure,
            payload: Some(payload),
        }),
    }
}

fn check_object(dashboard: &Dashboard, payload: &Value, body: &[u8]) -> Result<u64, Failure> {
    // Rule 2c: a JSON object.
    let Some(object) = payload.as_object() else {
        return Err(Failure::bad_request(format!(
            "Request body must be a JSON object, got {}",
            json_type(payload)
        )));
    };

    // Rule 2d: each field and each property once.
    if let Some(repeated) = repeated_key(body) {
        return Err(Failure::bad_request(repeated));
    }

    // Rule 3: the business event, from `business_event` or (as the documented error samples
    // send it) `event`, is defined on the dashboard.
    let event = object
        .get("business_event")
        .or_else(|| object.get("event"))
        .and_then(Value::as_str)
        .and_then(|name| dashboard.event(name))
        .ok_or_else(|| Failure::bad_request("Business Event Not Found"))?;

    // Rule 4: `when` is "now", a positive integer, or a string of digits.
    let when = object.get("when");
    if !when.is_some_and(valid_when) {
        let shown = when.map_or_else(|| "null".to_owned(), Value::to_string);
        return Err(Failure::bad_request(format!(
            "\"when\" has an incorrect value - {shown}"
        )));
    }

    // Rule 5: every required property present, the first missing in declared order reported.
    let properties = object.get("properties");
    let present = |key: &str| {
        properties
            .and_then(Value::as_object)
            .is_some_and(|p| p.contains_key(key))
    };
    if let Some(missing) = crate::dashboard::required_in_order(event).find(|key| !present(key)) {
        return Err(Failure::bad_request(format!("Property {missing} missing")));
    }

    // Rule 6: keys and string values within the limits, `name` and `c-by` strings that are not
    // blank (empty or only whitespace).
    let Some(properties) = properties.and_then(Value::as_object) else {
        let shown = properties.map_or("nothing", json_type);
        return Err(Failure::bad_request(format!(
            "\"properties\" must be an object of strings, got {shown}"
        )));
    };
    for (key, value) in properties {
        check_property(key, value)?;
    }
    for field in ["name", "c-by"] {
        match object.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            Some(Value::String(_)) => {
                return Err(Failure::bad_request(format!(
                    "\"{field}\" is empty or only whitespace"
                )))
            }
            Some(other) => {
                return Err(Failure::bad_request(format!(
                    "\"{field}\" must be a string, got {}",
                    json_type(other)
                )))
            }
            None => return Err(Failure::bad_request(format!("\"{field}\" is missing"))),
        }
    }
    Ok(crate::dashboard::targets(event))
}

/// The message for the first repeated field, or repeated key in `properties`: JSON readers
/// differ on which of two values counts, so a repeated key is refused rather than read one
/// way. `Value` keeps only the last, so the body is read again for its keys.
fn repeated_key(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Repeats>(body)
        .ok()
        .and_then(|r| r.0)
}

/// The first repeated key found, as a message.
struct Repeats(Option<String>);

impl<'de> Deserialize<'de> for Repeats {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RepeatsVisitor { top: true })
    }
}

/// The keys of `properties`, checked the same way.
struct PropertyRepeats(Option<String>);

impl<'de> Deserialize<'de> for PropertyRepeats {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(RepeatsVisitor { top: false })
            .map(|r| PropertyRepeats(r.0))
    }
}

struct RepeatsVisitor {
    top: bool,
}

impl<'de> Visitor<'de> for RepeatsVisitor {
    type Value = Repeats;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Repeats, A::Error> {
        let mut seen = std::collections::HashSet::new();
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            let inner = if self.top && key == "properties" {
                map.next_value::<PropertyRepeats>()?.0
            } else {
                map.next_value::<IgnoredAny>()?;
                None
            };
            if found.is_none() && !seen.insert(key.clone()) {
                let place = if self.top { "field" } else { "property" };
                found = Some(format!("Duplicate key: {place} {key:?} appears twice"));
            }
            found = found.or(inner);
        }
        Ok(Repeats(found))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Repeats, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Repeats(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Repeats, E> {
        Ok(Repeats(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Repeats, E> {
        Ok(Repeats(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Repeats, E> {
        Ok(Repeats(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Repeats, E> {
        Ok(Repeats(None))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Repeats, E> {
        Ok(Repeats(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Repeats, E> {
        Ok(Repeats(None))
    }
}

fn check_property(key: &str, value: &Value) -> Result<(), Failure> {
    let chars = key.chars().count();
    if chars == 0 {
        return Err(Failure::bad_request("Property key is empty"));
    }
    if chars > MAX_KEY_CHARS {
        return Err(Failure::bad_request(format!(
            "Property key {} is {chars} characters; the limit is {MAX_KEY_CHARS}",
            abbreviated(key)
        )));
    }
    // The README's key rule: no padding (the dashboard would not match the key) and no control
    // characters. `{key:?}` shows them escaped.
    if key.starts_with(char::is_whitespace) || key.ends_with(char::is_whitespace) {
        return Err(Failure::bad_request(format!(
            "Property key {key:?} starts or ends with whitespace"
        )));
    }
    if key.chars().any(char::is_control) {
        return Err(Failure::bad_request(format!(
            "Property key {key:?} contains a control character"
        )));
    }
    let Value::String(text) = value else {
        return Err(Failure::bad_request(format!(
            "Property {key} must be a string, got {}",
            json_type(value)
        )));
    };
    if text.len() > MAX_VALUE_BYTES {
        return Err(Failure::bad_request(format!(
            "Property {key} is {} bytes; the limit is {MAX_VALUE_BYTES}",
            text.len()
        )));
    }
    Ok(())
}

/// `"now"`, an integer above zero, or a string of digits above zero (a UNIX timestamp).
fn valid_when(when: &Value) -> bool {
    match when {
        Value::String(s) if s == "now" => true,
        Value::String(s) => {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && s.parse::<u64>().is_ok_and(|n| n > 0)
        }
        Value::Number(n) => n.as_u64().is_some_and(|n| n > 0),
        _ => false,
    }
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

/// The first 40 characters of a long key, for messages.
fn abbreviated(key: &str) -> String {
    let mut short: String = key.chars().take(40).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_accepts_now_positive_integers_and_digit_strings() {
        for ok in [r#""now""#, "1724123456", r#""1724123456""#, "1"] {
            let v: Value = serde_json::from_str(ok).unwrap_or(Value::Null);
            assert!(valid_when(&v), "{ok}");
        }
        for bad in [
            "0",
            "-1",
            "1.5",
            r#""soon""#,
            r#""""#,
            r#""0""#,
            r#""-1""#,
            "null",
            "true",
            "[]",
        ] {
            let v: Value = serde_json::from_str(bad).unwrap_or(Value::Bool(false));
            assert!(!valid_when(&v), "{bad}");
        }
    }

    #[test]
    fn failure_body_keeps_clevertaps_key_order() {
        assert_eq!(
            Failure::new(StatusCode::UNAUTHORIZED, "Account ID is not valid").body(),
            r#"{"status":"fail","error":"Account ID is not valid","code":401}"#
        );
    }
}
