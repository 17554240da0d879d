use bulletins_core::BusinessEvent;

// The whole type is underlined, not only its first token.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    order_id: String,
    items: Vec<u8>,
}

fn main() {}
