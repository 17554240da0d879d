use bulletins_core::BusinessEvent;

// Five mistakes, five errors, one compile.
#[derive(BusinessEvent)]
#[business_event(name = "", requires = ["order_idd"], rename_all = "camel")]
struct OrderPlaced {
    order_id: String,
    #[business_event(renam = "coupon_code")]
    coupon: Option<String>,
    #[business_event(rename = "order_id")]
    legacy_id: String,
}

fn main() {}
