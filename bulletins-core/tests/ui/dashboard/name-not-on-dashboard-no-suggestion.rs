// trybuild builds this crate in target/tests/trybuild/bulletins-core: `../../../../` is the
// repository root.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "cart_abandoned", dashboard = "../../../../bulletins-core/tests/ui/dashboard/fixtures/bulletins.json")]
struct CartAbandoned {
    cart_id: String,
}

fn main() {}
