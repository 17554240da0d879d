// 121 characters (242 bytes): one character over CleverTap's limit.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    #[business_event(rename = "ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé")]
    order_id: String,
}

fn main() {}
