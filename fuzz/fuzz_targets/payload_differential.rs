//! `Payload::parse` (with the core's dashboard check) and the emulator's own trigger checks on
//! the same fuzzed bytes: both accept, or both refuse for the same rule. The comparison is the
//! one `bulletins-emulator/tests/differential.rs` makes with proptest.
#![no_main]

#[path = "../../bulletins-emulator/tests/differential/agree.rs"]
mod agree;

use std::sync::OnceLock;

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

struct Sides {
    core: bulletins_core::dashboard::Dashboard,
    emulator: bulletins_emulator::Dashboard,
    headers: HeaderMap,
}

fn sides() -> &'static Sides {
    static SIDES: OnceLock<Sides> = OnceLock::new();
    SIDES.get_or_init(|| {
        let mut headers = HeaderMap::new();
        headers.insert("x-clevertap-account-id", HeaderValue::from_static(agree::ACCOUNT.0));
        headers.insert("x-clevertap-passcode", HeaderValue::from_static(agree::ACCOUNT.1));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        Sides {
            core: agree::core_dashboard(),
            emulator: agree::emulator_dashboard(),
            headers,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let sides = sides();
    let core = agree::core(data, &sides.core);
    let emulator = agree::emulator(bulletins_emulator::__fuzz::check_trigger(
        &sides.emulator,
        &sides.headers,
        data,
    ));
    if let Some(why) = agree::disagreement(data, core, emulator) {
        panic!("{why}");
    }
});
