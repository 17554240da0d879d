// Paths are relative to the crate's directory: tests/ui_dashboard.rs copies the fixtures to the
// same place in the crate trybuild builds this case in, wherever the target directory is.
use bulletins_core::BusinessEvent;

// The misspelled key is one error: `language` is not reported missing as well.
#[derive(BusinessEvent)]
#[business_event(name = "Program Released", dashboard = "tests/ui/dashboard/fixtures/bulletins.json")]
struct ProgramReleased {
    program_id: String,
    langauge: String,
}

fn main() {}
