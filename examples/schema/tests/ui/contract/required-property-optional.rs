// A service's struct that makes a required property optional: `order_placed` requires
// `product_category`, so it must be sent every time.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", dashboard = "bulletins.json")]
struct OrderPlaced {
    order_id: String,
    product_category: Option<String>,
}

fn main() {}
