use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    #[business_event(rename = "order\nid")]
    order_id: String,
}

fn main() {}
