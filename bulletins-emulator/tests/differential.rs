//! The differential test: the same bytes go to the SDK's one reader of trigger JSON
//! (`Payload::parse`, then its dashboard check) and to the emulator's own checks, written apart
//! from CleverTap's documentation. Both accept, or both refuse for the same rule.
//!
//! The bytes come from generators that stay near the rules (each limit's boundary, each JSON
//! type, repeated keys, fields left out), from those payloads with a byte changed or cut, and
//! from raw bytes. The `payload_differential` fuzz target makes the same comparison.

#[path = "differential/agree.rs"]
mod agree;

use axum::http::{HeaderMap, HeaderValue};
use bulletins_emulator::__fuzz::check_trigger;
use proptest::prelude::*;

fn compare(bytes: &[u8]) -> Result<(), TestCaseError> {
    thread_local! {
        static SIDES: (bulletins_core::dashboard::Dashboard, bulletins_emulator::Dashboard, HeaderMap) = {
            let mut headers = HeaderMap::new();
            headers.insert("x-clevertap-account-id", HeaderValue::from_static(agree::ACCOUNT.0));
            headers.insert("x-clevertap-passcode", HeaderValue::from_static(agree::ACCOUNT.1));
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            (agree::core_dashboard(), agree::emulator_dashboard(), headers)
        };
    }
    SIDES.with(|(core_dashboard, dashboard, headers)| {
        let core = agree::core(bytes, core_dashboard);
        let emulator = agree::emulator(check_trigger(dashboard, headers, bytes));
        match agree::disagreement(bytes, core, emulator) {
            None => Ok(()),
            Some(why) => Err(TestCaseError::fail(why)),
        }
    })
}

fn text(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A value of any JSON type, near the limits when it is a string.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z0-9 ]{0,8}".prop_map(|s| text(&s)),
        1 => Just(text(&"x".repeat(512))),
        1 => Just(text(&"x".repeat(513))),
        1 => Just(text(&("€".repeat(170) + "ab"))),
        1 => Just(text(&"€".repeat(171))),
        1 => Just(format!("\"{}\"", "\\u0061".repeat(512))),
        1 => Just(format!("\"{}\"", "\\u0061".repeat(513))),
        1 => prop_oneof![Just("1"), Just("-0"), Just("1.5"), Just("true"), Just("null"), Just("[]"), Just("{}"), Just("{\"a\":\"b\"}"), Just("1e400")].prop_map(str::to_owned),
    ]
}

/// A key: declared on the dashboard, arbitrary, or at a boundary of the key rules.
fn key() -> impl Strategy<Value = String> {
    let declared: Vec<&str> = agree::EVENTS
        .iter()
        .flat_map(|(_, keys, _)| keys.iter().copied())
        .collect();
    prop_oneof![
        6 => proptest::sample::select(declared).prop_map(str::to_owned),
        2 => "[a-z_]{1,6}",
        1 => proptest::sample::select(vec![
            "k".repeat(120), "k".repeat(121), "ü".repeat(120), "語".repeat(121), String::new(),
            " k".into(), "k ".into(), "k\u{3000}".into(), "a\tb".into(), "a\u{0}b".into(),
            "a\u{7f}b".into(), "a\u{85}b".into(), "a\u{200b}b".into(), "a b".into(),
        ]),
    ]
}

fn object(entries: Vec<(String, String)>) -> String {
    let fields: Vec<String> = entries
        .iter()
        .map(|(key, value)| format!("{}:{value}", text(key)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

fn properties() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::collection::vec((key(), value()), 0..5).prop_map(object),
        1 => value(),
    ]
}

fn event() -> impl Strategy<Value = String> {
    let names: Vec<String> = agree::EVENTS
        .iter()
        .map(|(name, _, _)| text(name))
        .collect();
    prop_oneof![
        6 => proptest::sample::select(names),
        1 => proptest::sample::select(vec![
            text("Program Releasd"), text(""), text(" ping"), text(&"e".repeat(121)),
            text("ping\n"), "1".to_owned(), "null".to_owned(),
        ]),
    ]
}

fn when() -> impl Strategy<Value = String> {
    proptest::sample::select(vec![
        "\"now\"",
        "\"now\"",
        "\"now\"",
        "1",
        "1724123456",
        "\"1724123456\"",
        "0",
        "-1",
        "1.5",
        "-0",
        "\"0\"",
        "\"\"",
        "\"Now\"",
        "18446744073709551615",
        "18446744073709551616",
        "\"18446744073709551616\"",
        "\"0012\"",
        "null",
        "1e3",
        "[]",
        "\" 1\"",
    ])
    .prop_map(str::to_owned)
}

fn creator_or_name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z@.]{1,8}".prop_map(|s| text(&s)),
        1 => proptest::sample::select(vec![
            text(""), text(" "), text("\t\n"), text("\u{a0}"), text("\u{3000}"), text("\u{200b}"),
            text(" x "), "1".to_owned(), "null".to_owned(),
        ]),
    ]
}

/// A payload near the rules: each field present (usually), the event sometimes as `event`, a
/// field sometimes repeated, an unknown field sometimes added.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    let field = |name: &'static str, value: BoxedStrategy<String>| {
        proptest::option::weighted(0.93, value).prop_map(move |v| v.map(|v| (name.to_owned(), v)))
    };
    (
        field("business_event", event().boxed()),
        proptest::option::weighted(0.1, event()),
        field("name", creator_or_name().boxed()),
        field("properties", properties().boxed()),
        field("c-by", creator_or_name().boxed()),
        field("when", when().boxed()),
        proptest::option::weighted(0.1, (0usize..8, value())),
        proptest::option::weighted(0.1, 0usize..8),
    )
        .prop_map(
            |(event, alias, name, properties, created_by, when, extra, repeat)| {
                let mut fields: Vec<(String, String)> = [event, name, properties, created_by, when]
                    .into_iter()
                    .flatten()
                    .collect();
                if let Some(alias) = alias {
                    fields.push(("event".to_owned(), alias));
                }
                if let Some((at, value)) = extra {
                    fields.insert(at.min(fields.len()), ("campaign".to_owned(), value));
                }
                if let Some(at) = repeat.filter(|_| !fields.is_empty()) {
                    let again = fields[at % fields.len()].clone();
                    fields.push(again);
                }
                object(fields).into_bytes()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn payloads_near_the_rules(bytes in payload()) {
        compare(&bytes)?;
    }

    #[test]
    fn payloads_with_a_byte_changed_or_cut(bytes in payload(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
        let mut bytes = bytes;
        let at = at.index(bytes.len());
        if cut {
            bytes.truncate(at);
        } else {
            bytes[at] = byte;
        }
        compare(&bytes)?;
    }

    #[test]
    fn raw_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        compare(&bytes)?;
    }
}

/// Found by `payloads_near_the_rules`: a repeated field or property is ambiguous (which one
/// would CleverTap read?), and each side must refuse it the same way.
#[test]
fn a_repeated_field_or_property_is_refused_by_both() {
    for bytes in [
        &br#"{"business_event":"ping","name":"n","properties":{},"c-by":"c","when":"now","name":"m"}"#[..],
        br#"{"business_event":"ping","name":"n","properties":{"a":"1","a":"2"},"c-by":"c","when":"now"}"#,
    ] {
        if let Err(why) = compare(bytes) {
            panic!("{why}");
        }
    }
}
