// trybuild builds this crate in target/tests/trybuild/bulletins-core: `../../../../` is the
// repository root.
// The attribute names a second account's file, whose event BULLETINS_DASHBOARD's file lacks.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "Invoice Paid", dashboard = "../../../../bulletins-core/tests/ui/dashboard/fixtures/second-account.json")]
struct InvoicePaid {
    invoice_id: String,
}

fn main() {}
