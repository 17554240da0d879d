// trybuild builds this crate in target/tests/trybuild/bulletins-core: `../../../../` is the
// repository root.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "order_placed", dashboard = "../../../../bulletins-core/tests/ui/dashboard/fixtures/bulletins.json")]
struct OrderPlaced {
    order_id: String,
    product_category: String,
    #[business_event(rename = "gift_wrap")]
    wrap: Option<String>,
}

fn main() {}
