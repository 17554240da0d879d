use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requried = ["order_id"])]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
