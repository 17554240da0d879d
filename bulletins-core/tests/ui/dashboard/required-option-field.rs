// trybuild builds this crate in target/tests/trybuild/bulletins-core: `../../../../` is the
// repository root.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "Program Released", dashboard = "../../../../bulletins-core/tests/ui/dashboard/fixtures/bulletins.json")]
struct ProgramReleased {
    program_id: String,
    language: Option<String>,
}

fn main() {}
