use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", rename_all = "camelcase")]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
