// A service's struct for an event the dashboard does not define: a typo of `Program Released`.
use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "Program Releasd", dashboard = "bulletins.json")]
struct ProgramReleased {
    program_id: String,
    language: String,
    prev_program_id: String,
}

fn main() {}
