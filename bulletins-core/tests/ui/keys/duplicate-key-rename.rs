use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    order_id: String,
    #[business_event(rename = "order_id")]
    legacy_order_id: String,
}

fn main() {}
