use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requires = ["order_id", "coupon_code"])]
struct OrderPlaced {
    order_id: String,
    coupon_code: Option<String>,
}

fn main() {}
