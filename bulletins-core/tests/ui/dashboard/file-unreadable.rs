// trybuild builds this crate in target/tests/trybuild/bulletins-core: `../../../../` is the
// repository root.
use bulletins_core::BusinessEvent;

// A directory, not a file.
#[derive(BusinessEvent)]
#[business_event(name = "order_placed", dashboard = "../../../../bulletins-core/tests/ui/dashboard/fixtures")]
struct OrderPlaced {
    order_id: String,
}

fn main() {}
