use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    order_id: String,
    #[business_event(display = true)]
    quantity: u32,
}

fn main() {}
