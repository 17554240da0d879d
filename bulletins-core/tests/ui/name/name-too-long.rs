// 121 characters (363 bytes): one character over CleverTap's limit.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語語")]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
