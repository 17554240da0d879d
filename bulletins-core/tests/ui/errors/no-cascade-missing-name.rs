use bulletins_core::{Bulletin, BusinessEvent, StaticEvent};

// Without a name the derive reports that, and only that: code using the event still compiles.
#[derive(BusinessEvent)]
struct OrderPlaced {
    order_id: String,
}

fn main() {
    let event = OrderPlaced {
        order_id: "1".into(),
    };
    let _ = OrderPlaced::SCHEMA.name();
    let _ = Bulletin::new(event, "n", "c").to_json_vec();
}
