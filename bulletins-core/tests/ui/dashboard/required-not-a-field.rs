// trybuild builds this crate in target/tests/trybuild/bulletins-core: `../../../../` is the
// repository root.
use bulletins_core::BusinessEvent;

// Both required keys missing: one error on the struct's name, listing them.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed", dashboard = "../../../../bulletins-core/tests/ui/dashboard/fixtures/bulletins.json")]
struct OrderPlaced {
    coupon_code: Option<String>,
}

fn main() {}
