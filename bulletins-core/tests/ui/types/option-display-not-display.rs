use bulletins_core::BusinessEvent;

// With `display` on `Option<T>`, `T` needs `Display`.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    order_id: String,
    #[business_event(display)]
    tags: Option<Vec<String>>,
}

fn main() {}
