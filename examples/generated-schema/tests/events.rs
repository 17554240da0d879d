//! The generated structs are business events as the dashboard file defines them.

use bulletins_core::dashboard::{self, Dashboard};
use bulletins_core::{Bulletin, StaticEvent};
use bulletins_example_generated_schema::{OrderPlaced, PriceDrop, ProgramReleased, DASHBOARD};

#[test]
fn a_generated_event_sends_its_keys_as_the_file_spells_them() {
    let event = OrderPlaced {
        order_id: "12345".into(),
        product_category: "books".into(),
        coupon_code: Some("WELCOME10".into()),
        r#type: None,
    };
    let json = Bulletin::new(event, "Order 12345", "[email protected]")
        .to_json_vec()
        .unwrap_or_else(|e| panic!("{e}"));
    let json = String::from_utf8(json).expect("JSON is UTF-8");
    assert!(
        json.starts_with(
            r#"{"business_event":"order_placed","name":"Order 12345","properties":{"coupon-code":"WELCOME10","order_id":"12345","product_category":"books"}"#
        ),
        "{json}"
    );
}

#[test]
fn every_generated_event_agrees_with_the_file() {
    let file: Dashboard = DASHBOARD.parse().unwrap_or_else(|e| panic!("{e}"));
    let schemas = [
        <OrderPlaced as StaticEvent>::SCHEMA,
        <PriceDrop as StaticEvent>::SCHEMA,
        <ProgramReleased as StaticEvent>::SCHEMA,
    ];
    assert_eq!(schemas.len(), file.events().len());
    let drift: Vec<String> = dashboard::drift(&file, &schemas)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(drift.is_empty(), "{}", drift.join("\n"));
}
