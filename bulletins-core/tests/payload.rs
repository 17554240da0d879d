//! `Payload::parse` at each rule's boundary, with the key and the byte offset in its errors,
//! and `Bulletin::to_payload` giving what `parse` reads back.

use bulletins_core::dashboard::{Dashboard, EventDefinition, Mismatch};
use bulletins_core::limits::KeyProblem;
use bulletins_core::{BuildError, Bulletin, DynamicEvent, Payload, PayloadProblem, When};
use serde_json::{json, Value};

fn valid() -> Value {
    json!({
        "business_event": "order_placed",
        "name": "Order 12345",
        "properties": { "order_id": "12345" },
        "c-by": "[email protected]",
        "when": "now",
    })
}

fn with(field: &str, value: Value) -> Vec<u8> {
    let mut payload = valid();
    payload[field] = value;
    serde_json::to_vec(&payload).expect("json")
}

fn with_property(key: &str, value: Value) -> Vec<u8> {
    with("properties", json!({ "order_id": "12345", key: value }))
}

fn problem(bytes: &[u8]) -> PayloadProblem {
    Payload::parse(bytes)
        .expect_err("refused")
        .problem()
        .clone()
}

#[test]
fn a_valid_payload_keeps_its_bytes_and_event() {
    let bytes = serde_json::to_vec(&valid()).expect("json");
    let payload = Payload::parse(&bytes).expect("valid");
    assert_eq!(payload.as_bytes(), bytes);
    assert_eq!(payload.event(), "order_placed");
    assert_eq!(payload.property_keys(), ["order_id"]);
    // Whitespace and other fields are kept as they are: the bytes are sent untouched.
    let spaced = b" {\"business_event\" : \"e\", \"name\":\"n\",\"properties\":{},\"c-by\":\"c\",\"when\":1,\"extra\":[1,{\"a\":null}]}\n";
    assert_eq!(
        Payload::parse(spaced).expect("valid").as_bytes(),
        &spaced[..]
    );
}

#[test]
fn keys_are_120_characters_at_most() {
    for (key, ok) in [
        ("k".repeat(120), true),
        ("ü".repeat(120), true),
        ("k".repeat(121), false),
        ("語".repeat(121), false),
    ] {
        let bytes = with_property(&key, json!("v"));
        assert_eq!(
            Payload::parse(&bytes).is_ok(),
            ok,
            "{} chars",
            key.chars().count()
        );
        let bytes = with("business_event", json!(key));
        assert_eq!(Payload::parse(&bytes).is_ok(), ok, "event name");
    }
    assert!(matches!(
        problem(&with_property(&"k".repeat(121), json!("v"))),
        PayloadProblem::Build(BuildError::InvalidPropertyKey {
            problem: KeyProblem::TooLong { chars: 121 },
            ..
        })
    ));
}

#[test]
fn keys_are_not_empty_padded_or_controlled() {
    for key in [
        "",
        " k",
        "k ",
        "k\u{3000}",
        "a\tb",
        "a\u{0}b",
        "a\u{7f}b",
        "a\u{85}b",
    ] {
        assert!(
            matches!(
                problem(&with_property(key, json!("v"))),
                PayloadProblem::Build(BuildError::InvalidPropertyKey { .. })
            ),
            "{key:?}"
        );
    }
    for key in ["a b", "a\u{200b}b"] {
        assert!(
            Payload::parse(&with_property(key, json!("v"))).is_ok(),
            "{key:?}"
        );
    }
}

#[test]
fn values_are_strings_of_512_bytes_at_most() {
    let at_limit = "€".repeat(170) + "ab"; // 512 bytes
    assert!(Payload::parse(&with_property("k", json!(at_limit))).is_ok());
    // Escapes count as the text they stand for: 512 bytes written as 3072.
    let escaped = format!(
        r#"{{"business_event":"e","name":"n","properties":{{"k":"{}"}},"c-by":"c","when":"now"}}"#,
        "\\u0061".repeat(512)
    );
    assert!(Payload::parse(escaped.as_bytes()).is_ok());
    assert_eq!(
        problem(&with_property("k", json!("€".repeat(171)))),
        PayloadProblem::Build(BuildError::ValueTooLong {
            property: "k".into(),
            len: 513,
            max: 512
        })
    );
    for (value, found) in [
        (json!(1), "number"),
        (json!(true), "boolean"),
        (json!(null), "null"),
        (json!(["a"]), "array"),
        (json!({"a": "b"}), "object"),
    ] {
        assert_eq!(
            problem(&with_property("k", value)),
            PayloadProblem::Build(BuildError::NotAString {
                property: "k".into(),
                found
            })
        );
    }
}

#[test]
fn when_is_now_or_a_positive_timestamp() {
    for ok in [
        json!("now"),
        json!(1),
        json!(1_724_123_456),
        json!(u64::MAX),
        json!("1724123456"),
        json!("1"),
    ] {
        assert!(Payload::parse(&with("when", ok.clone())).is_ok(), "{ok}");
    }
    for bad in [
        json!(0),
        json!(-1),
        json!(1.5),
        json!("0"),
        json!("-1"),
        json!(""),
        json!("soon"),
        json!("Now"),
        json!("18446744073709551616"),
        json!(null),
        json!([]),
    ] {
        assert!(
            matches!(
                problem(&with("when", bad.clone())),
                PayloadProblem::InvalidWhen { .. }
            ),
            "{bad}"
        );
    }
}

#[test]
fn name_and_creator_are_strings_that_are_not_blank() {
    for (field, blank) in [
        ("name", BuildError::EmptyName),
        ("c-by", BuildError::EmptyCreatedBy),
    ] {
        for value in ["", " ", "\t\n", "\u{3000}", "\u{a0}"] {
            assert_eq!(
                problem(&with(field, json!(value))),
                PayloadProblem::Build(blank.clone())
            );
        }
        for value in ["x", " x ", "\u{200b}"] {
            assert!(Payload::parse(&with(field, json!(value))).is_ok());
        }
        assert!(matches!(
            problem(&with(field, json!(1))),
            PayloadProblem::WrongType {
                found: "number",
                ..
            }
        ));
    }
}

#[test]
fn missing_fields_are_named() {
    for field in ["business_event", "name", "properties", "c-by", "when"] {
        let mut payload = valid();
        payload.as_object_mut().expect("object").remove(field);
        let bytes = serde_json::to_vec(&payload).expect("json");
        assert!(
            matches!(problem(&bytes), PayloadProblem::Missing { field: f } if f == field),
            "{field}"
        );
    }
}

#[test]
fn the_event_may_be_sent_as_event_as_clevertaps_samples_do() {
    let mut payload = valid();
    let object = payload.as_object_mut().expect("object");
    let name = object.remove("business_event").expect("there");
    object.insert("event".into(), name);
    let parsed = Payload::parse(&serde_json::to_vec(&payload).expect("json")).expect("valid");
    assert_eq!(parsed.event(), "order_placed");
    // `business_event` wins when both are there, as CleverTap reads it first.
    let both =
        br#"{"business_event":"a","event":"b","name":"n","properties":{},"c-by":"c","when":"now"}"#;
    assert_eq!(Payload::parse(both).expect("valid").event(), "a");
}

#[test]
fn duplicates_are_refused_at_the_second_one() {
    let field =
        br#"{"business_event":"e","name":"n","name":"m","properties":{},"c-by":"c","when":"now"}"#;
    let err = Payload::parse(field).expect_err("duplicate");
    assert_eq!(
        err.to_string(),
        "at byte 40: field \"name\" appears twice; each field may appear once"
    );
    let property = br#"{"business_event":"e","name":"n","properties":{"k":"1","k":"2"},"c-by":"c","when":"now"}"#;
    let err = Payload::parse(property).expect_err("duplicate");
    assert_eq!(
        err.to_string(),
        "at byte 59: property \"k\" is set twice; each key may appear once"
    );
}

#[test]
fn errors_say_at_which_byte() {
    let bytes =
        br#"{"business_event":"e","name":"n","properties":{"k":1},"c-by":"c","when":"now"}"#;
    let err = Payload::parse(bytes).expect_err("not a string");
    assert_eq!(err.offset(), 51);
    assert_eq!(&bytes[err.offset()..=err.offset()], b"1");
    let err = Payload::parse(b"{\n  \"a\": tru\n}").expect_err("syntax");
    assert!(matches!(err.problem(), PayloadProblem::Syntax { .. }));
    assert_eq!(err.offset(), 13, "{err}");
    assert_eq!(
        problem(b"[1]"),
        PayloadProblem::NotAnObject { found: "array" }
    );
    for not_json in [
        &b""[..],
        b"   ",
        b"{",
        b"{}x",
        b"\xff",
        b"{\"a\":1e400}",
        b"{\"a\":\"\\ud800\"}",
    ] {
        assert!(
            matches!(problem(not_json), PayloadProblem::Syntax { .. }),
            "{not_json:?}"
        );
    }
}

#[test]
fn a_bulletins_payload_reads_back_as_itself() {
    let event = DynamicEvent::new("order_placed")
        .and_then(|e| e.property("order_id", "12345"))
        .expect("valid");
    let bulletin = Bulletin::new(event, "Order 12345", "[email protected]").when(When::Unix(7));
    let payload = bulletin.to_payload().expect("valid");
    assert_eq!(payload.as_bytes(), bulletin.to_json_vec().expect("valid"));
    assert_eq!(Payload::parse(payload.as_bytes()), Ok(payload));
}

#[test]
fn a_payload_is_checked_against_the_dashboard_as_an_event_is() {
    let dashboard = Dashboard::new().with_event(
        EventDefinition::new("order_placed")
            .properties(["order_id", "coupon"])
            .required(["order_id"]),
    );
    let parse = |v: Value| Payload::parse(&serde_json::to_vec(&v).expect("json")).expect("valid");
    assert_eq!(parse(valid()).check_against(&dashboard), Ok(()));
    let mut missing = valid();
    missing["properties"] = json!({ "coupon": "x" });
    assert!(matches!(
        parse(missing).check_against(&dashboard),
        Err(Mismatch::MissingRequired { .. })
    ));
    let mut unknown = valid();
    unknown["business_event"] = json!("order_placd");
    assert_eq!(
        parse(unknown).check_against(&dashboard).unwrap_err().to_string(),
        "business event \"order_placd\" is not defined on the dashboard; did you mean \"order_placed\"?"
    );
}
