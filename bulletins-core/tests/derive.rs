//! Run-time behaviour of `#[derive(BusinessEvent)]`: the payload bytes, the schema, and the
//! limits only run time can check.

use std::borrow::Cow;
use std::fmt;

use bulletins_core::{
    BuildError, Bulletin, BusinessEvent, Presence, PropertySchema, PropertyValue, StaticEvent,
};

fn json<E: BusinessEvent>(event: E) -> String {
    let bytes = Bulletin::new(event, "n", "c")
        .to_json_vec()
        .expect("a valid bulletin");
    String::from_utf8(bytes).expect("UTF-8")
}

/// The `properties` object of the payload.
fn properties<E: BusinessEvent>(event: E) -> String {
    let payload = json(event);
    let start = payload.find(r#""properties":"#).expect("properties") + r#""properties":"#.len();
    let end = payload.find(r#","c-by""#).expect("c-by");
    payload[start..end].to_owned()
}

#[derive(BusinessEvent)]
#[business_event(name = "Program Released", requires = ["program_id", "language"])]
struct ProgramReleased {
    program_id: String,
    language: &'static str,
    prev_program_id: Option<String>,
}

#[test]
fn the_documented_payload_byte_for_byte() {
    let event = ProgramReleased {
        program_id: "234567".into(),
        language: "Hindi",
        prev_program_id: Some("123457".into()),
    };
    let bytes = Bulletin::new(event, "Sa Re Ga Ma episode 12", "[email protected]")
        .to_json_vec()
        .expect("valid");
    assert_eq!(
        std::str::from_utf8(&bytes).expect("UTF-8"),
        r#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12","properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},"c-by":"[email protected]","when":"now"}"#
    );
}

#[test]
fn none_is_omitted_and_some_is_sent() {
    let event = |prev: Option<&str>| ProgramReleased {
        program_id: "1".into(),
        language: "Hindi",
        prev_program_id: prev.map(str::to_owned),
    };
    assert_eq!(
        properties(event(None)),
        r#"{"program_id":"1","language":"Hindi"}"#
    );
    assert_eq!(
        properties(event(Some(""))),
        r#"{"program_id":"1","language":"Hindi","prev_program_id":""}"#
    );
}

#[test]
fn an_event_whose_first_field_is_none_has_no_stray_comma() {
    #[derive(BusinessEvent)]
    #[business_event(name = "e")]
    struct E {
        a: Option<String>,
        b: Option<String>,
        c: String,
    }
    let e = |a: Option<&str>, b: Option<&str>| E {
        a: a.map(Into::into),
        b: b.map(Into::into),
        c: "3".into(),
    };
    assert_eq!(properties(e(None, None)), r#"{"c":"3"}"#);
    assert_eq!(properties(e(None, Some("2"))), r#"{"b":"2","c":"3"}"#);
    assert_eq!(properties(e(Some("1"), None)), r#"{"a":"1","c":"3"}"#);
}

struct Tier(u8);

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tier \"{}\"", self.0)
    }
}

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requires = ["order_id", "product_category"])]
struct OrderPlaced<'a> {
    order_id: String,
    product_category: &'a str,
    #[business_event(rename = "coupon_code")]
    coupon: Option<String>,
    #[business_event(display)]
    quantity: u32,
    #[business_event(display)]
    tier: Option<Tier>,
    #[business_event(skip)]
    #[allow(dead_code)] // never read: the point is that it is not sent
    internal_note: Vec<u8>,
}

fn order(coupon: Option<&str>, tier: Option<Tier>) -> OrderPlaced<'static> {
    OrderPlaced {
        order_id: "12345".into(),
        product_category: "books",
        coupon: coupon.map(Into::into),
        quantity: 3,
        tier,
        internal_note: vec![1, 2, 3],
    }
}

#[test]
fn the_issue_example_rename_display_and_skip() {
    assert_eq!(
        properties(order(Some("SAVE10"), Some(Tier(2)))),
        r#"{"order_id":"12345","product_category":"books","coupon_code":"SAVE10","quantity":"3","tier":"tier \"2\""}"#
    );
    assert_eq!(
        properties(order(None, None)),
        r#"{"order_id":"12345","product_category":"books","quantity":"3"}"#
    );
}

/// `display` on the struct: every field is sent as its `Display` text.
#[derive(BusinessEvent)]
#[business_event(name = "order_shipped", display, requires = ["order_id"])]
struct OrderShipped<'a> {
    order_id: u64,
    total: f64,
    express: bool,
    tier: Option<Tier>,
    carrier: &'a str,
    #[business_event(skip)]
    #[allow(dead_code)] // never read: the point is that it is not sent, nor needs `Display`
    parcels: Vec<u8>,
}

#[test]
fn display_on_the_struct_sends_every_field_as_its_display_text() {
    let shipped = |tier| OrderShipped {
        order_id: 42,
        total: 19.5,
        express: true,
        tier,
        carrier: "DHL \"Express\"",
        parcels: vec![1],
    };
    assert_eq!(
        properties(shipped(Some(Tier(1)))),
        r#"{"order_id":"42","total":"19.5","express":"true","tier":"tier \"1\"","carrier":"DHL \"Express\""}"#
    );
    assert_eq!(
        properties(shipped(None)),
        r#"{"order_id":"42","total":"19.5","express":"true","carrier":"DHL \"Express\""}"#
    );
    let presence: Vec<Presence> = OrderShipped::SCHEMA
        .properties()
        .iter()
        .map(PropertySchema::presence)
        .collect();
    use Presence::{Always, Optional, Required};
    assert_eq!(presence, [Required, Always, Always, Optional, Always]);
}

#[test]
fn the_schema_lists_name_keys_and_presence_in_order() {
    let schema = OrderPlaced::SCHEMA;
    assert_eq!(schema.name(), "order_placed");
    assert_eq!(
        schema.properties(),
        &[
            PropertySchema::new("order_id", Presence::Required),
            PropertySchema::new("product_category", Presence::Required),
            PropertySchema::new("coupon_code", Presence::Optional),
            PropertySchema::new("quantity", Presence::Always),
            PropertySchema::new("tier", Presence::Optional),
        ]
    );
    assert_eq!(
        schema.required().collect::<Vec<_>>(),
        ["order_id", "product_category"]
    );
    assert_eq!(order(None, None).event_name(), "order_placed");
    assert_eq!(ProgramReleased::SCHEMA.name(), "Program Released");
}

#[test]
fn rename_all_applies_to_every_key_and_rename_wins() {
    #[derive(BusinessEvent)]
    #[business_event(name = "e", rename_all = "camelCase", requires = ["programId"])]
    struct Camel {
        program_id: String,
        prev_program_id: Option<String>,
        #[business_event(rename = "LANG")]
        language: String,
        r#type: String,
    }
    let keys: Vec<_> = Camel::SCHEMA.properties().iter().map(|p| p.key()).collect();
    assert_eq!(keys, ["programId", "prevProgramId", "LANG", "type"]);
    assert_eq!(Camel::SCHEMA.properties()[0].presence(), Presence::Required);
    let event = Camel {
        program_id: "1".into(),
        prev_program_id: Some("0".into()),
        language: "Hindi".into(),
        r#type: "show".into(),
    };
    assert_eq!(
        properties(event),
        r#"{"programId":"1","prevProgramId":"0","LANG":"Hindi","type":"show"}"#
    );

    macro_rules! keys_of {
        ($rule:literal) => {{
            #[derive(BusinessEvent)]
            #[business_event(name = "e", rename_all = $rule)]
            struct E {
                prev_program_id: String,
            }
            E::SCHEMA.properties()[0].key()
        }};
    }
    assert_eq!(keys_of!("lowercase"), "prev_program_id");
    assert_eq!(keys_of!("UPPERCASE"), "PREV_PROGRAM_ID");
    assert_eq!(keys_of!("PascalCase"), "PrevProgramId");
    assert_eq!(keys_of!("camelCase"), "prevProgramId");
    assert_eq!(keys_of!("snake_case"), "prev_program_id");
    assert_eq!(keys_of!("SCREAMING_SNAKE_CASE"), "PREV_PROGRAM_ID");
    assert_eq!(keys_of!("kebab-case"), "prev-program-id");
    assert_eq!(keys_of!("SCREAMING-KEBAB-CASE"), "PREV-PROGRAM-ID");
}

#[derive(BusinessEvent)]
#[business_event(name = "e")]
struct Value<'a> {
    v: Cow<'a, str>,
}

#[derive(BusinessEvent)]
#[business_event(name = "e")]
struct DisplayValue {
    #[business_event(display)]
    v: String,
}

#[test]
fn values_are_limited_to_512_bytes() {
    let at_limit = "a".repeat(512);
    let over = "a".repeat(513);
    assert!(Bulletin::new(
        Value {
            v: Cow::Borrowed(&at_limit)
        },
        "n",
        "c"
    )
    .to_json_vec()
    .is_ok());
    assert_eq!(
        Bulletin::new(
            Value {
                v: Cow::Borrowed(&over)
            },
            "n",
            "c"
        )
        .to_json_vec(),
        Err(BuildError::ValueTooLong {
            property: "v".into(),
            len: 513,
            max: 512
        })
    );
    // Bytes, not characters: 256 two-byte characters fit, one more byte does not.
    assert!(Bulletin::new(
        Value {
            v: "é".repeat(256).into()
        },
        "n",
        "c"
    )
    .to_json_vec()
    .is_ok());
    assert!(matches!(
        Bulletin::new(
            Value {
                v: format!("{}a", "é".repeat(256)).into()
            },
            "n",
            "c"
        )
        .to_json_vec(),
        Err(BuildError::ValueTooLong { len: 513, .. })
    ));
    // `display` values are measured after formatting.
    assert!(Bulletin::new(DisplayValue { v: at_limit }, "n", "c")
        .to_json_vec()
        .is_ok());
    assert!(matches!(
        Bulletin::new(DisplayValue { v: over }, "n", "c").to_json_vec(),
        Err(BuildError::ValueTooLong { len: 513, .. })
    ));
}

#[test]
fn values_are_escaped() {
    assert_eq!(
        properties(Value {
            v: "a\"b\\c\nd".into()
        }),
        r#"{"v":"a\"b\\c\nd"}"#
    );
}

#[derive(BusinessEvent)]
#[business_event(name = "generic")]
struct Generic<T: PropertyValue> {
    v: T,
    w: Option<T>,
}

#[test]
fn a_generic_event_sends_any_string_type() {
    assert_eq!(
        properties(Generic {
            v: "x",
            w: Some("y")
        }),
        r#"{"v":"x","w":"y"}"#
    );
    assert_eq!(
        properties(Generic::<Box<str>> {
            v: "x".into(),
            w: None
        }),
        r#"{"v":"x"}"#
    );
    assert_eq!(Generic::<String>::SCHEMA.name(), "generic");
    assert_eq!(
        Generic::<String>::SCHEMA.properties()[1].presence(),
        Presence::Optional
    );
}

#[test]
fn an_event_without_properties_sends_an_empty_object() {
    #[derive(BusinessEvent)]
    #[business_event(name = "ping")]
    struct Ping {}
    assert_eq!(properties(Ping {}), "{}");
    assert!(Ping::SCHEMA.properties().is_empty());
}

#[test]
fn a_derived_event_works_by_reference() {
    let event = order(None, None);
    assert_eq!(properties(&event), properties(order(None, None)));
}
