use bulletins_core::BusinessEvent;

// `orderId` and `order_id` are the same key in camelCase.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed", rename_all = "camelCase")]
#[allow(non_snake_case)]
struct OrderPlaced {
    order_id: String,
    orderId: String,
}

fn main() {}
