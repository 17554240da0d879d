use bulletins_core::BusinessEvent;

// `display` on the struct is a flag, as on a field; the fields are still read as `display`,
// so their types add no errors.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed", display = true)]
struct OrderPlaced {
    order_id: u64,
}

fn main() {}
