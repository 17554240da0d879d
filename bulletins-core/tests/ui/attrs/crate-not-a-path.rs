use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", crate = "bulletins core")]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
