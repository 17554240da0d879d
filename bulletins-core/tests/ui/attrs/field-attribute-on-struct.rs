use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", rename = "orderPlaced")]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
