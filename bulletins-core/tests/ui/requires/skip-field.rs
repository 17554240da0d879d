use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", requires = ["order_id"])]
struct OrderPlaced {
    #[business_event(skip)]
    order_id: String,
}

fn main() {}
