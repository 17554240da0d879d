use bulletins_core::BusinessEvent;

#[derive(BusinessEvent)]
#[business_event(name = "program_released", rename_all = "camelCase", requires = ["programId"])]
struct ProgramReleased {
    program_id: String,
    prev_program_id: Option<String>,
    #[business_event(rename = "LANG")]
    language: String,
    r#type: String,
}

#[derive(BusinessEvent)]
#[business_event(name = "a", rename_all = "SCREAMING-KEBAB-CASE", requires = ["ORDER-ID"])]
struct Screaming {
    order_id: String,
}

fn main() {}
