//! Property tests of the payload writer: whatever Unicode goes into a bulletin — quotes,
//! backslashes, control characters, emoji, values just under and just over 512 bytes — what
//! comes out is either JSON that parses back to exactly the same values, or the typed
//! `ValueTooLong` error exactly when a value is over 512 bytes. Never invalid JSON, never a panic.

use std::borrow::Cow;
use std::fmt;

use bulletins_core::limits::{check_key, MAX_VALUE_BYTES};
use bulletins_core::{BuildError, Bulletin, BusinessEvent, DynamicEvent, When};
use proptest::prelude::*;
use serde_json::Value;

/// Characters that stress a JSON writer: everything it must escape, everything it must not
/// (DEL, U+2028, multi-byte UTF-8), and plain ASCII.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::char::range('a', 'z'),
        2 => Just('"'),
        2 => Just('\\'),
        2 => prop::char::range('\u{0}', '\u{1f}'),
        1 => Just('\u{7f}'),
        1 => Just('/'),
        1 => Just('é'),      // 2 bytes
        1 => Just('語'),     // 3 bytes
        1 => Just('😀'),     // 4 bytes
        1 => Just('\u{2028}'),
        1 => Just('\u{feff}'),
        1 => any::<char>(),
    ]
}

/// A string of nasty characters, mostly short, often close to the 512-byte limit.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::collection::vec(nasty_char(), 0..40).prop_map(String::from_iter),
        // Around the limit: a prefix of padding, then nasty characters straddling 512 bytes.
        3 => (470usize..=530, prop::collection::vec(nasty_char(), 0..12)).prop_map(|(pad, tail)| {
            let mut s = "x".repeat(pad);
            s.extend(tail);
            s
        }),
        1 => any::<String>(),
    ]
}

/// A string that passes CleverTap's key rules (so the test exercises values, not keys).
fn key() -> impl Strategy<Value = String> {
    prop::collection::vec(nasty_char(), 1..30)
        .prop_map(|chars| {
            let k: String = chars.into_iter().filter(|c| !c.is_control()).collect();
            let k = k.trim();
            if k.is_empty() {
                "k".to_owned()
            } else {
                k.to_owned()
            }
        })
        .prop_filter("a valid key", |k| check_key(k).is_ok())
}

/// A bulletin `name` or `c-by`: nasty characters, not blank (a blank one is refused).
fn non_blank() -> impl Strategy<Value = String> {
    prop::collection::vec(nasty_char(), 1..60)
        .prop_map(String::from_iter)
        .prop_filter("not blank", |s| !s.trim().is_empty())
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![Just(When::Now), any::<i64>().prop_map(When::Unix)]
}

/// Parses the payload, failing the property (not panicking the writer) on invalid JSON.
fn parse(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, TestCaseError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| TestCaseError::fail(format!("payload is not UTF-8: {e}")))?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(other) => Err(TestCaseError::fail(format!("not an object: {other}"))),
        Err(e) => Err(TestCaseError::fail(format!("invalid JSON ({e}): {text}"))),
    }
}

/// The properties object's pairs in document order, read with a streaming parse so that order
/// and duplicate keys are seen (a map would hide both).
fn properties_in_order(bytes: &[u8]) -> Vec<(String, String)> {
    use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

    struct Pairs(Vec<(String, String)>);
    impl<'de> Deserialize<'de> for Pairs {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Pairs;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object of strings")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                    let mut pairs = Vec::new();
                    while let Some(pair) = map.next_entry::<String, String>()? {
                        pairs.push(pair);
                    }
                    Ok(Pairs(pairs))
                }
            }
            d.deserialize_map(V)
        }
    }

    struct Payload(Vec<(String, String)>);
    impl<'de> Deserialize<'de> for Payload {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Payload;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a payload object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Payload, A::Error> {
                    let mut found = None;
                    while let Some(key) = map.next_key::<String>()? {
                        if key == "properties" {
                            found = Some(map.next_value::<Pairs>()?.0);
                        } else {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    found
                        .map(Payload)
                        .ok_or_else(|| serde::de::Error::missing_field("properties"))
                }
            }
            d.deserialize_map(V)
        }
    }

    serde_json::from_slice::<Payload>(bytes)
        .expect("a payload with a properties object of strings")
        .0
}

fn check_envelope(
    object: &serde_json::Map<String, Value>,
    event: &str,
    name: &str,
    created_by: &str,
    when: When,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(object.len(), 5, "exactly the five documented keys");
    prop_assert_eq!(&object["business_event"], &Value::from(event));
    prop_assert_eq!(&object["name"], &Value::from(name));
    prop_assert_eq!(&object["c-by"], &Value::from(created_by));
    let expected_when = match when {
        When::Now => Value::from("now"),
        When::Unix(seconds) => Value::from(seconds),
    };
    prop_assert_eq!(&object["when"], &expected_when);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A run-time event: each insert either succeeds or is refused with `ValueTooLong` exactly
    /// when the value is over 512 bytes; the payload round-trips every accepted pair, in order.
    #[test]
    fn dynamic_events_round_trip_or_refuse_exactly_the_long_values(
        event_name in key(),
        pairs in prop::collection::vec((key(), value()), 0..6),
        name in non_blank(),
        created_by in non_blank(),
        when in when(),
    ) {
        let mut event = DynamicEvent::new(event_name.clone()).expect("valid name");
        let mut accepted: Vec<(String, String)> = Vec::new();
        for (k, v) in pairs {
            let result = event.insert(k.clone(), v.clone());
            // The value is checked before the key's uniqueness: a long value under a key seen
            // before is refused as too long.
            if v.len() > MAX_VALUE_BYTES {
                prop_assert_eq!(
                    result,
                    Err(BuildError::ValueTooLong { property: k, len: v.len(), max: MAX_VALUE_BYTES })
                );
            } else if accepted.iter().any(|(seen, _)| *seen == k) {
                prop_assert_eq!(result, Err(BuildError::DuplicateProperty { key: k }));
            } else {
                prop_assert_eq!(result, Ok(()));
                accepted.push((k, v));
            }
        }
        let bulletin = Bulletin::new(event, name.clone(), created_by.clone()).when(when);
        match bulletin.to_json_vec() {
            Ok(bytes) => {
                prop_assert!(!matches!(when, When::Unix(s) if s <= 0));
                let object = parse(&bytes)?;
                check_envelope(&object, &event_name, &name, &created_by, when)?;
                prop_assert_eq!(properties_in_order(&bytes), accepted);
            }
            Err(e) => {
                prop_assert!(matches!(when, When::Unix(s) if s <= 0), "unexpected {e:?}");
                prop_assert!(matches!(e, BuildError::InvalidWhen { .. }), "{:?}", e);
            }
        }
    }

    /// Any string as a JSON-escaped key or value written through `PropertyWriter::string`
    /// and `display` (via a hand-written event) parses back to itself.
    #[test]
    fn hand_written_events_escape_any_string(
        pairs in prop::collection::vec((key(), value()), 1..5),
    ) {
        struct Hand(Vec<(String, String)>, bool);
        impl BusinessEvent for Hand {
            fn event_name(&self) -> &str { "e" }
            fn write_properties(&self, w: &mut bulletins_core::PropertyWriter<'_>) -> Result<(), BuildError> {
                self.0.iter().try_for_each(|(k, v)| if self.1 { w.display(k, v) } else { w.string(k, v) })
            }
        }
        let mut unique = pairs;
        unique.sort_by(|a, b| a.0.cmp(&b.0));
        unique.dedup_by(|a, b| a.0 == b.0);
        for as_display in [false, true] {
            let bulletin = Bulletin::new(Hand(unique.clone(), as_display), "n", "c");
            let first_long = unique.iter().find(|(_, v)| v.len() > MAX_VALUE_BYTES);
            match (bulletin.to_json_vec(), first_long) {
                (Ok(bytes), None) => {
                    parse(&bytes)?;
                    prop_assert_eq!(properties_in_order(&bytes), unique.clone());
                }
                (Err(e), Some((k, v))) => prop_assert_eq!(
                    e,
                    BuildError::ValueTooLong { property: k.clone(), len: v.len(), max: MAX_VALUE_BYTES }
                ),
                (other, long) => prop_assert!(false, "got {other:?} with long value {long:?}"),
            }
        }
    }
}

/// A `Display` that writes its text in several pieces, so the escaping sink sees a value split
/// across `write_str` calls (and across the 512-byte boundary).
#[derive(Debug, Clone)]
struct Pieces(Vec<String>);

impl fmt::Display for Pieces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|piece| f.write_str(piece))
    }
}

#[derive(Debug, Clone, BusinessEvent)]
#[business_event(name = "Program Released", requires = ["program_id"])]
struct Derived {
    program_id: String,
    #[business_event(rename = "lang")]
    language: Cow<'static, str>,
    prev_program_id: Option<String>,
    #[business_event(display)]
    pieces: Pieces,
}

fn pieces() -> impl Strategy<Value = Pieces> {
    prop_oneof![
        prop::collection::vec(value(), 0..4).prop_map(Pieces),
        // Many small pieces straddling the limit.
        (100usize..140, nasty_char()).prop_map(|(n, c)| Pieces(vec![format!("ab{c}d"); n])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A derived event: the payload round-trips, or the error names the first property over
    /// the limit (in declaration order) with its exact length.
    #[test]
    fn derived_events_round_trip_or_refuse_exactly_the_long_values(
        program_id in value(),
        language in value(),
        prev in prop::option::of(value()),
        pieces in pieces(),
        name in non_blank(),
        created_by in non_blank(),
        when in when(),
    ) {
        let event = Derived {
            program_id: program_id.clone(),
            language: Cow::Owned(language.clone()),
            prev_program_id: prev.clone(),
            pieces: pieces.clone(),
        };
        let display_text = pieces.to_string();
        let mut expected = vec![
            ("program_id".to_owned(), program_id),
            ("lang".to_owned(), language),
        ];
        if let Some(prev) = prev {
            expected.push(("prev_program_id".to_owned(), prev));
        }
        expected.push(("pieces".to_owned(), display_text));
        let first_long = expected.iter().find(|(_, v)| v.len() > MAX_VALUE_BYTES).cloned();
        let bad_when = matches!(when, When::Unix(s) if s <= 0);

        let mut out = b"untouched".to_vec();
        let result = Bulletin::new(event, name.clone(), created_by.clone())
            .when(when)
            .write_json(&mut out);
        match (result, first_long, bad_when) {
            (Err(e), _, true) => {
                prop_assert!(matches!(e, BuildError::InvalidWhen { .. }), "{e:?}");
                prop_assert_eq!(&out, b"untouched");
            }
            (Ok(()), None, false) => {
                let bytes = &out[b"untouched".len()..];
                let object = parse(bytes)?;
                check_envelope(&object, "Program Released", &name, &created_by, when)?;
                prop_assert_eq!(properties_in_order(bytes), expected);
            }
            (Err(e), Some((property, v)), false) => {
                prop_assert_eq!(
                    e,
                    BuildError::ValueTooLong { property, len: v.len(), max: MAX_VALUE_BYTES }
                );
                prop_assert_eq!(&out, b"untouched", "a failed write leaves the buffer as it was");
            }
            (other, long, _) => prop_assert!(false, "got {other:?} with long value {long:?}"),
        }
    }

    /// Keys: `DynamicEvent` accepts exactly the keys `check_key` accepts, and any accepted key
    /// round-trips through the payload.
    #[test]
    fn any_key_is_either_refused_or_round_trips(k in prop::collection::vec(nasty_char(), 0..130).prop_map(String::from_iter)) {
        let event = DynamicEvent::new("e").expect("valid");
        match (event.property(k.clone(), "v"), check_key(&k)) {
            (Ok(event), Ok(())) => {
                let bytes = Bulletin::new(event, "n", "c").to_json_vec().expect("valid");
                prop_assert_eq!(properties_in_order(&bytes), vec![(k, "v".to_owned())]);
            }
            (Err(BuildError::InvalidPropertyKey { key, problem }), Err(expected)) => {
                prop_assert_eq!(key, k);
                prop_assert_eq!(problem, expected);
            }
            (got, rule) => prop_assert!(false, "insert {got:?} but check_key {rule:?}"),
        }
    }
}

/// Found by the property above: a key seen before, with a value over the limit, is refused as
/// too long (the value is checked first), and the event keeps the first value.
#[test]
fn a_repeated_key_with_a_long_value_is_refused_as_too_long() {
    let mut event = DynamicEvent::new("a").expect("valid name");
    assert_eq!(event.insert("/", ""), Ok(()));
    let long = "x".repeat(MAX_VALUE_BYTES + 1);
    assert_eq!(
        event.insert("/", long),
        Err(BuildError::ValueTooLong {
            property: "/".into(),
            len: MAX_VALUE_BYTES + 1,
            max: MAX_VALUE_BYTES
        })
    );
    assert_eq!(
        event.insert("/", "y"),
        Err(BuildError::DuplicateProperty { key: "/".into() })
    );
}
