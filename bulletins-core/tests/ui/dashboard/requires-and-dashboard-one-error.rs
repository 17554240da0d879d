// Paths are relative to the crate's directory: tests/ui_dashboard.rs copies the fixtures to the
// same place in the crate trybuild builds this case in, wherever the target directory is.
use bulletins_core::BusinessEvent;

// The struct's own `requires` and the file both require the `Option` field: one error.
#[derive(BusinessEvent)]
#[business_event(
    name = "Program Released",
    requires = ["language"],
    dashboard = "tests/ui/dashboard/fixtures/bulletins.json"
)]
struct ProgramReleased {
    program_id: String,
    language: Option<String>,
}

fn main() {}
