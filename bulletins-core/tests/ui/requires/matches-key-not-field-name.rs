use bulletins_core::BusinessEvent;

// `requires` names property keys: after `rename`, the field's name is not a key.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requires = ["coupon"])]
struct OrderPlaced {
    #[business_event(rename = "coupon_code")]
    coupon: String,
}

fn main() {}
