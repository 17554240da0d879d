use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    #[business_event(default)]
    order_id: String,
}

fn main() {}
