use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "")]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
