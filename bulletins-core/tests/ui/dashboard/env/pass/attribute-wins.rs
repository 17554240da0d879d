// Paths are relative to the crate's directory: tests/ui_dashboard.rs copies the fixtures to the
// same place in the crate trybuild builds this case in, wherever the target directory is.
// The attribute names a second account's file, whose event BULLETINS_DASHBOARD's file lacks.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "Invoice Paid", dashboard = "tests/ui/dashboard/fixtures/second-account.json")]
struct InvoicePaid {
    invoice_id: String,
}

fn main() {}
