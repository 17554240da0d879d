use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(requires = ["order_id"])]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
