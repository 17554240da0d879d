use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    order_id: String,
    discount: Option<f64>,
}

fn main() {}
