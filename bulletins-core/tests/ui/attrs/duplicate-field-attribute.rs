use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    #[business_event(rename = "id", rename = "order")]
    order_id: String,
}

fn main() {}
