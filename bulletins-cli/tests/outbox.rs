//! `bulletins outbox` as operators and orchestrators run it: the `bulletins-outbox` binary on
//! both stores (SQLite always; PostgreSQL when BULLETINS_TEST_DATABASE_URL is set), with the
//! emulator as CleverTap, killed, signalled and misused.

// The outbox's own test setup (a store per test, the emulator), shared rather than copied.
#[macro_use]
#[path = "../../bulletins-outbox/tests/common/mod.rs"]
mod common;

mod outbox {
    mod crashes;
    mod endpoint;
    mod operators;
    mod process;
    mod prometheus;
    mod shutdown;
    mod usage;
}
