// A service's struct for a dashboard event that leaves out a property the file requires:
// `Program Released` requires `language`.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "Program Released", dashboard = "bulletins.json")]
struct ProgramReleased {
    program_id: String,
    prev_program_id: String,
}

fn main() {}
