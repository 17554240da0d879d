use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
#[business_event(name = "order_created")]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
