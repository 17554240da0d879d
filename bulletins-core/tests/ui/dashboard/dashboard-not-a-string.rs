use bulletins_core::BusinessEvent;

// A malformed `dashboard` is one error; BULLETINS_DASHBOARD is not used instead.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed", dashboard = bulletins_json)]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
