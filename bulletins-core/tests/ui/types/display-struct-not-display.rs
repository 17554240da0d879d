use bulletins_core::BusinessEvent;

// With `display` on the struct, every sent field needs `Display`: the error is on the type.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed", display)]
struct OrderPlaced {
    order_id: u64,
    items: Vec<String>,
}

fn main() {}
