use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    #[business_event(renam = "coupon_code")]
    coupon: String,
}

fn main() {}
