// Paths are relative to the crate's directory: tests/ui_dashboard.rs copies the fixtures to the
// same place in the crate trybuild builds this case in, wherever the target directory is.
// The generated code, tracking reads included, compiles without the prelude, under the
// strictest lints, and beside names like its own internals.
#![deny(warnings, unused_qualifications)]

mod events {
    #![no_implicit_prelude]
    // Parameters named like the generated code's bindings, on purpose.
    #![allow(non_camel_case_types)]

    use ::bulletins_core::BusinessEvent;

    #[derive(BusinessEvent)]
    #[business_event(name = "Program Released", dashboard = "tests/ui/dashboard/fixtures/bulletins.json")]
    pub struct ProgramReleased<__writer: ::bulletins_core::PropertyValue, __value> {
        pub program_id: __writer,
        pub language: ::std::string::String,
        #[business_event(rename = "prev_program_id")]
        pub __value: ::std::option::Option<::std::string::String>,
        #[business_event(skip)]
        pub include_bytes: ::std::marker::PhantomData<__value>,
    }
}

#[allow(dead_code)]
const BULLETINS_DASHBOARD: &str = "";

fn main() {
    let event = events::ProgramReleased::<&str, ()> {
        program_id: "1",
        language: "Hindi".to_owned(),
        __value: None,
        include_bytes: std::marker::PhantomData,
    };
    let json = bulletins_core::Bulletin::new(event, "n", "c").to_json_vec();
    assert!(json.is_ok());
}
