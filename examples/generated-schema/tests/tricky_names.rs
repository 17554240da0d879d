//! The module `bulletins-dashboard` generates for its fixture of tricky names (keywords,
//! collisions, punctuation, leading digits, names with no ASCII letter, quotes and
//! backticks), compiled: the pinned text that `bulletins-dashboard/tests/codegen.rs` checks
//! codegen still writes. Every struct derives `BusinessEvent` and agrees with the fixture.

// The generated items are `pub`, for a schema crate to export; here they stay in the test.
#[allow(unreachable_pub)]
mod tricky {
    include!("../../../bulletins-dashboard/tests/codegen/tricky-names.rs");
}

use bulletins_core::dashboard::{self, Dashboard};
use bulletins_core::{Bulletin, EventSchema, StaticEvent};

const FIXTURE: &str = include_str!("../../../bulletins-dashboard/tests/codegen/tricky-names.json");

const SCHEMAS: &[EventSchema] = &[
    tricky::Event2d53a722::SCHEMA,
    tricky::Event2faEnabled::SCHEMA,
    tricky::Event596729ab::SCHEMA,
    tricky::OrderPlaced::SCHEMA,
    tricky::ProgramReleased::SCHEMA,
    tricky::ProgramReleased2::SCHEMA,
    tricky::SayHiNow::SCHEMA,
    tricky::SelfEvent::SCHEMA,
    tricky::SelfEvent2::SCHEMA,
    tricky::StringEvent::SCHEMA,
    tricky::Type::SCHEMA,
    tricky::WeeklyDigestOfEveryProgrammeReleasedInARegionSummarisedForTheEditorsWhoDidNotWatchThemAll::SCHEMA,
];

#[test]
fn every_event_of_the_fixture_is_a_struct_that_agrees_with_it() {
    let file: Dashboard = FIXTURE.parse().unwrap_or_else(|e| panic!("{e}"));
    let mut compiled: Vec<&str> = SCHEMAS.iter().map(EventSchema::name).collect();
    let mut defined: Vec<&str> = file.events().iter().map(|e| e.name()).collect();
    compiled.sort_unstable();
    defined.sort_unstable();
    assert_eq!(compiled, defined);
    let drift: Vec<String> = dashboard::drift(&file, SCHEMAS)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(drift.is_empty(), "{}", drift.join("\n"));
}

#[test]
fn keywords_and_renamed_fields_send_the_keys_of_the_file() {
    let event = tricky::OrderPlaced {
        caf: None,
        coupon_code: Some("a".into()),
        coupon_code_2: Some("b".into()),
        coupon_code_3: Some("c".into()),
        r#gen: None,
        order_id: "1".into(),
        order_id_2: None,
        product_id: None,
        property_1st_choice: None,
        property_26d6cd1b: Some("word".into()),
        property_2d53a722: None,
        say_hi: Some("hello".into()),
        self_: "me".into(),
        r#type: "gift".into(),
    };
    let json = Bulletin::new(event, "n", "c")
        .to_json_vec()
        .unwrap_or_else(|e| panic!("{e}"));
    let json = String::from_utf8(json).expect("JSON is UTF-8");
    assert!(
        json.contains(
            r#""properties":{"coupon_code":"a","Coupon Code":"b","coupon-code":"c","order_id":"1","語":"word","say \"hi\"":"hello","self":"me","type":"gift"}"#
        ),
        "{json}"
    );
}
