//! The emulator's trigger checks (credentials, content type, size, payload) on fuzzed headers
//! and bodies: never panics, answers only the documented statuses, always in CleverTap's JSON
//! shape.
#![no_main]

use std::sync::OnceLock;

use bulletins_emulator::{Dashboard, EventDefinition};
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fn dashboard() -> &'static Dashboard {
    static DASHBOARD: OnceLock<Dashboard> = OnceLock::new();
    DASHBOARD.get_or_init(|| {
        let mut dashboard = Dashboard::demo();
        dashboard.add_event(
            EventDefinition::new("order_placed")
                .properties(["order_id", "product_category", "coupon_code"])
                .required(["order_id", "product_category"]),
        );
        dashboard
    })
}

fuzz_target!(|data: &[u8]| {
    // [selector, header bytes length, header bytes..., body...]: the selector picks which
    // headers are right, missing or replaced by the fuzzed bytes.
    if data.len() < 2 {
        return;
    }
    let selector = data[0];
    let header_len = usize::from(data[1] % 64).min(data.len() - 2);
    let (fuzzed, body) = data[2..].split_at(header_len);
    let fuzzed = HeaderValue::from_bytes(fuzzed).ok();
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, good: &'static str, bits: u8| match (selector >> bits) & 3 {
        0 => {}
        1 => {
            if let Some(value) = fuzzed.clone() {
                headers.insert(name, value);
            }
        }
        _ => {
            headers.insert(name, HeaderValue::from_static(good));
        }
    };
    set("x-clevertap-account-id", "ABCD-RSTU-1234", 0);
    set("x-clevertap-passcode", "XXXXXX", 2);
    set("content-type", "application/json", 4);

    let (status, answer) = bulletins_emulator::__fuzz::check_trigger(dashboard(), &headers, body);
    assert!(
        matches!(status, 200 | 400 | 401 | 413 | 415),
        "answered {status}: {answer}"
    );
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("a JSON answer");
    let expected = if status == 200 { "success" } else { "fail" };
    assert_eq!(answer["status"], expected);
});
