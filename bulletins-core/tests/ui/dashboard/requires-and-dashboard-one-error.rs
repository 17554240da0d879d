// trybuild builds this crate in target/tests/trybuild/bulletins-core: `../../../../` is the
// repository root.
use bulletins_core::BusinessEvent;

// The struct's own `requires` and the file both require the `Option` field: one error.
#[derive(BusinessEvent)]
#[business_event(
    name = "Program Released",
    requires = ["language"],
    dashboard = "../../../../bulletins-core/tests/ui/dashboard/fixtures/bulletins.json"
)]
struct ProgramReleased {
    program_id: String,
    language: Option<String>,
}

fn main() {}
