use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
enum Order {
    Placed { order_id: String },
    Cancelled { order_id: String },
}

fn main() {}
