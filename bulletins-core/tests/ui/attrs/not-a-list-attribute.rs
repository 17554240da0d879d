use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event = "order_placed"]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
