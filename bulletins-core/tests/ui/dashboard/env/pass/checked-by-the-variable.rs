// BULLETINS_DASHBOARD names the file (see tests/ui_dashboard.rs): `requires` comes from it.
use bulletins_core::{BusinessEvent, StaticEvent};

#[derive(BusinessEvent)]
#[business_event(name = "Program Removed")]
struct ProgramRemoved {
    program_id: String,
}

fn main() {
    let required: Vec<&str> = ProgramRemoved::SCHEMA.required().collect();
    assert_eq!(required, ["program_id"]);
}
