// trybuild builds this crate in target/tests/trybuild/bulletins-core: `../../../../` is the
// repository root.
use bulletins_core::BusinessEvent;

// The misspelled key is one error: `language` is not reported missing as well.
#[derive(BusinessEvent)]
#[business_event(name = "Program Released", dashboard = "../../../../bulletins-core/tests/ui/dashboard/fixtures/bulletins.json")]
struct ProgramReleased {
    program_id: String,
    langauge: String,
}

fn main() {}
