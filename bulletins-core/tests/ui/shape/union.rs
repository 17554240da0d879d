use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
union OrderPlaced {
    order_id: u64,
}

fn main() {}
