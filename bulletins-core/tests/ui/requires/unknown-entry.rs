use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requires = ["order_idd"])]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
