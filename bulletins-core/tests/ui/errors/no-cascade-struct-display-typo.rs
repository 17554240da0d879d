use bulletins_core::{Bulletin, BusinessEvent, StaticEvent};

// The misspelled struct-level `display` is the only error: the non-string fields it was meant
// for, and the code using the event, add none.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed", dispaly)]
struct OrderPlaced {
    order_id: u64,
    quantity: u32,
}

fn main() {
    let event = OrderPlaced {
        order_id: 1,
        quantity: 3,
    };
    let _ = OrderPlaced::SCHEMA.properties();
    let _ = Bulletin::new(event, "n", "c").to_json_vec();
}
