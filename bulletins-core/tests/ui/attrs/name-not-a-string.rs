use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = 5)]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
