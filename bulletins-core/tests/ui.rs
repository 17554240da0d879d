//! Compile-time behaviour of `#[derive(BusinessEvent)]`: every compile error, one rule per
//! case, and the inputs that must compile.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p bulletins-core --test
//! ui`, then read the diff of every `.stderr`.

#[test]
fn ui() {
    // These cases check structs against themselves; a dashboard named in the environment would
    // check them against a file as well (tests/ui_dashboard.rs covers that).
    std::env::remove_var("BULLETINS_DASHBOARD");
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    // The business event's name.
    t.compile_fail("tests/ui/name/*.rs");
    // Property keys: the key rules and uniqueness.
    t.compile_fail("tests/ui/keys/*.rs");
    // Property value types.
    t.compile_fail("tests/ui/types/*.rs");
    // `requires` entries.
    t.compile_fail("tests/ui/requires/*.rs");
    // Attribute syntax: unknown, duplicated, wrong value kinds, contradictions.
    t.compile_fail("tests/ui/attrs/*.rs");
    // What the derive can be put on.
    t.compile_fail("tests/ui/shape/*.rs");
    // Several errors in one compile, and no follow-on errors.
    t.compile_fail("tests/ui/errors/*.rs");
}
