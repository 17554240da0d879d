//! The dashboard built from a `StaticEvent`'s schema: the emulator checks what the code compiles
//! against. The event is implemented by hand here, as `#[derive(BusinessEvent)]` would.

mod common;

use bulletins_core::{
    BuildError, BusinessEvent, EventSchema, Presence, PropertySchema, PropertyWriter, StaticEvent,
};
use bulletins_emulator::Emulator;
use common::*;

struct OrderPlaced {
    order_id: String,
    coupon_code: Option<String>,
    channel: String,
}

impl BusinessEvent for OrderPlaced {
    fn event_name(&self) -> &str {
        Self::SCHEMA.name()
    }

    fn write_properties(&self, properties: &mut PropertyWriter<'_>) -> Result<(), BuildError> {
        properties.string("order_id", &self.order_id)?;
        if let Some(code) = &self.coupon_code {
            properties.string("coupon_code", code)?;
        }
        properties.string("channel", &self.channel)
    }
}

impl StaticEvent for OrderPlaced {
    const SCHEMA: EventSchema = EventSchema::new(
        "order_placed",
        &[
            PropertySchema::new("order_id", Presence::Required),
            PropertySchema::new("coupon_code", Presence::Optional),
            PropertySchema::new("channel", Presence::Always),
        ],
    );
}

#[tokio::test]
async fn the_schema_defines_the_event_and_its_required_properties() {
    let emulator = Emulator::builder()
        .account(ACCOUNT, PASSCODE)
        .business_event::<OrderPlaced>()
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let event = &emulator.dashboard().events()[0];
    assert_eq!(event.name(), "order_placed");
    assert_eq!(
        event.property_keys(),
        ["order_id", "coupon_code", "channel"]
    );
    assert_eq!(event.required_keys(), ["order_id"]);

    let body = r#"{"business_event":"order_placed","name":"n","c-by":"c","when":"now",
        "properties":{"channel":"web"}}"#;
    assert_eq!(
        trigger(&emulator, body).await.error(),
        "Property order_id missing"
    );
    let body = r#"{"business_event":"order_placed","name":"n","c-by":"c","when":"now",
        "properties":{"order_id":"1"}}"#;
    assert_eq!(trigger(&emulator, body).await.status, 200);
    // The demo event is not defined here.
    assert_eq!(
        trigger(&emulator, EXAMPLE).await.error(),
        "Business Event Not Found"
    );
}
