// BULLETINS_DASHBOARD names the file (see tests/ui_dashboard.rs): the name is checked against it.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "Program Releasd")]
struct ProgramReleased {
    program_id: String,
    language: String,
}

fn main() {}
