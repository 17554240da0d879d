//! `#[derive(BusinessEvent)]` beside `#[derive(Serialize)]` on one struct: each derive reads only
//! its own attributes. The business event's properties follow `#[business_event(...)]` alone,
//! and serde's JSON follows `#[serde(...)]` alone, whatever the other says.

use bulletins_core::{Bulletin, BusinessEvent, StaticEvent};
use serde::Serialize;

#[derive(Serialize, BusinessEvent)]
#[serde(rename_all = "camelCase")]
#[business_event(name = "order_shipped", rename_all = "SCREAMING_SNAKE_CASE", display)]
struct OrderShipped {
    // serde renames it; the business event keeps `rename_all`'s key.
    #[serde(rename = "id")]
    order_id: u64,
    // serde skips it; the business event sends it.
    #[serde(skip)]
    carrier: String,
    // The business event skips it; serde sends it.
    #[business_event(skip)]
    internal_note: String,
    // Each derive its own name.
    #[business_event(rename = "trackingNo")]
    #[serde(rename = "tracking")]
    tracking_number: String,
    // serde leaves `None` out on request only; the business event always does.
    #[serde(skip_serializing_if = "Option::is_none")]
    coupon: Option<String>,
}

fn shipped() -> OrderShipped {
    OrderShipped {
        order_id: 42,
        carrier: "DHL".into(),
        internal_note: "gift".into(),
        tracking_number: "T-1".into(),
        coupon: None,
    }
}

#[test]
fn the_business_event_follows_its_own_attributes() {
    let bytes = Bulletin::new(shipped(), "Shipped", "[email protected]")
        .to_json_vec()
        .expect("a valid bulletin");
    assert_eq!(
        std::str::from_utf8(&bytes).expect("UTF-8"),
        r#"{"business_event":"order_shipped","name":"Shipped","properties":{"ORDER_ID":"42","CARRIER":"DHL","trackingNo":"T-1"},"c-by":"[email protected]","when":"now"}"#
    );
    let keys: Vec<&str> = OrderShipped::SCHEMA
        .properties()
        .iter()
        .map(|property| property.key())
        .collect();
    assert_eq!(keys, ["ORDER_ID", "CARRIER", "trackingNo", "COUPON"]);
}

#[test]
fn serde_follows_its_own_attributes() {
    assert_eq!(
        serde_json::to_string(&shipped()).expect("serializes"),
        r#"{"id":42,"internalNote":"gift","tracking":"T-1"}"#
    );
    let with_coupon = OrderShipped {
        coupon: Some("SAVE10".into()),
        ..shipped()
    };
    assert_eq!(
        serde_json::to_string(&with_coupon).expect("serializes"),
        r#"{"id":42,"internalNote":"gift","tracking":"T-1","coupon":"SAVE10"}"#
    );
}
