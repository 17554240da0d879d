use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order\tplaced")]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
