use bulletins_core::{Bulletin, BusinessEvent, StaticEvent};

// The misspelled `display` is the only error: the non-string field it was meant for, and the
// code using the event, add none.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    order_id: String,
    #[business_event(dispaly)]
    quantity: u32,
}

fn main() {
    let event = OrderPlaced {
        order_id: "1".into(),
        quantity: 3,
    };
    let _ = OrderPlaced::SCHEMA.properties();
    let _ = Bulletin::new(event, "n", "c").to_json_vec();
}
