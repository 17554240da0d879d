// Paths are relative to the crate's directory: tests/ui_dashboard.rs copies the fixtures to the
// same place in the crate trybuild builds this case in, wherever the target directory is.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(
    name = "order_placed",
    dashboard = "tests/ui/dashboard/fixtures/required-not-a-property.json"
)]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
