// BULLETINS_DASHBOARD names a file that does not exist (see tests/ui_dashboard.rs): the error
// is on the derive, naming the file relative to this crate, never as an absolute path.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed")]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
