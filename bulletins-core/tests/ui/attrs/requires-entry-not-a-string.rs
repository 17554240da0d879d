use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requires = ["order_id", product_category])]
struct OrderPlaced {
    order_id: String,
    product_category: String,
}

fn main() {}
