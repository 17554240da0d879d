//! Compile-time checks of `#[derive(BusinessEvent)]` against a dashboard file, named by the
//! `dashboard` attribute or by `BULLETINS_DASHBOARD`: one rule per case.
//!
//! trybuild builds the cases in `target/tests/trybuild/bulletins-core/`, the crate directory
//! the paths are relative to. Regenerate the expected output with `TRYBUILD=overwrite cargo
//! test -p bulletins-core --test ui_dashboard`, then read the diff of every `.stderr`.

use std::path::Path;

/// One test, so the variable is set and unset in order: trybuild's builds inherit it.
#[test]
fn ui_dashboard() {
    std::env::remove_var("BULLETINS_DASHBOARD");
    {
        let t = trybuild::TestCases::new();
        t.pass("tests/ui/dashboard/pass/*.rs");
        t.compile_fail("tests/ui/dashboard/*.rs");
    }

    // Relative to the crate's directory, as `.cargo/config.toml`'s `[env]` may hand it over.
    std::env::set_var(
        "BULLETINS_DASHBOARD",
        "../../../../bulletins-core/tests/ui/dashboard/fixtures/bulletins.json",
    );
    {
        let t = trybuild::TestCases::new();
        t.pass("tests/ui/dashboard/env/pass/*.rs");
        t.compile_fail("tests/ui/dashboard/env/*.rs");
    }

    // Absolute, as `[env] ... relative = true` hands it over: still shown relative.
    let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/dashboard/no-such.json");
    std::env::set_var("BULLETINS_DASHBOARD", &missing);
    {
        let t = trybuild::TestCases::new();
        t.compile_fail("tests/ui/dashboard/env-missing/*.rs");
    }
    std::env::remove_var("BULLETINS_DASHBOARD");
}
