use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    order_id: String,
    #[business_event(display, skip)]
    quantity: u32,
}

fn main() {}
