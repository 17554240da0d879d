use bulletins_core::BusinessEvent;

// A typo'd `requires`, an unknown attribute and a non-string field: three errors, one compile.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requires = ["order_idd"])]
struct OrderPlaced {
    order_id: String,
    #[business_event(renam = "coupon_code")]
    coupon: Option<String>,
    quantity: u32,
}

fn main() {}
