//! A stored JSON body, read back into a bulletin the client can send.

use std::fmt;

use bulletins_http::{BuildError, Bulletin, DynamicEvent, When};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// The trigger payload as CleverTap documents it (and as `Bulletin::to_json_vec` writes it).
#[derive(Debug, Deserialize)]
struct Payload {
    business_event: String,
    name: String,
    #[serde(default)]
    properties: Properties,
    #[serde(rename = "c-by")]
    created_by: String,
    #[serde(default)]
    when: WhenField,
}

/// Properties in their written order (a JSON object of strings).
#[derive(Debug, Default)]
struct Properties(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = Properties;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of string properties")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(Properties(out))
            }
        }
        deserializer.deserialize_map(Ordered)
    }
}

#[derive(Debug, Default)]
struct WhenField(When);

impl<'de> Deserialize<'de> for WhenField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(i64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(s) => Ok(WhenField(When::Unix(s))),
            Raw::Text(t) if t == "now" => Ok(WhenField(When::Now)),
            Raw::Text(t) => t
                .parse()
                .map(|s| WhenField(When::Unix(s)))
                .map_err(|_| de::Error::custom(format!("`when` is {t:?}, not \"now\" or seconds"))),
        }
    }
}

/// Why a payload could not be read back as a bulletin.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PayloadError {
    #[error("not a trigger payload: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(#[from] BuildError),
}

/// Parses a trigger payload, checking it as the client would.
pub(crate) fn parse(body: &str) -> Result<Bulletin<'static, DynamicEvent>, PayloadError> {
    let payload: Payload = serde_json::from_str(body)?;
    let mut event = DynamicEvent::new(payload.business_event)?;
    for (key, value) in payload.properties.0 {
        event.insert(key, value)?;
    }
    let bulletin = Bulletin::new(event, payload.name, payload.created_by).when(payload.when.0);
    // The rules only a whole bulletin can check (empty name, `when`).
    bulletin.to_json_vec()?;
    Ok(bulletin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_bulletin_reads_back_byte_for_byte() {
        let event = DynamicEvent::new("order_placed")
            .and_then(|e| e.property("z", "1"))
            .and_then(|e| e.property("a", "2"))
            .expect("valid");
        for when in [When::Now, When::Unix(1_724_123_456)] {
            let original = Bulletin::new(event.clone(), "Order 1", "shop").when(when);
            let json = original.to_json_vec().expect("valid");
            let text = std::str::from_utf8(&json).expect("utf8");
            let back = parse(text).expect("parses");
            assert_eq!(back.to_json_vec().expect("valid"), json);
        }
    }

    #[test]
    fn malformed_and_invalid_payloads_are_errors() {
        for bad in [
            "",
            "[]",
            r#"{"business_event":"e","name":"n","c-by":"c","properties":{"k":1}}"#,
            r#"{"business_event":"e","name":"","c-by":"c"}"#,
            r#"{"business_event":"e","name":"n","c-by":"c","when":"later"}"#,
            r#"{"business_event":"e","name":"n","c-by":"c","when":0}"#,
            r#"{"business_event":" e","name":"n","c-by":"c"}"#,
            r#"{"business_event":"e","name":"n","c-by":"c","properties":{"k":"a","k":"b"}}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse(r#"{"business_event":"e","name":"n","c-by":"c","when":"17"}"#).is_ok());
    }
}
