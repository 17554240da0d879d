//! `bulletins_core::parse_parts` on any status, `Retry-After` and body: never panics, only a
//! 2xx success body is a success, and errors keep a capped excerpt of the body.
#![no_main]

use bulletins_core::{parse_parts, Failure, ResponseError, MAX_KEPT_BODY_BYTES};
use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderValue, StatusCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // [status hi, status lo, retry-after length, retry-after bytes..., body...]
    if data.len() < 3 {
        return;
    }
    let code = 100 + u16::from_be_bytes([data[0], data[1]]) % 900;
    let Ok(status) = StatusCode::from_u16(code) else {
        return;
    };
    let ra_len = usize::from(data[2] % 24).min(data.len() - 3);
    let (retry_after, body) = data[3..].split_at(ra_len);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(retry_after) {
        if !retry_after.is_empty() {
            headers.insert(RETRY_AFTER, value);
        }
    }
    match parse_parts(status, &headers, body) {
        Ok(_) => assert!(status.is_success(), "{status} parsed as a success"),
        Err(e) => {
            assert_eq!(e.status(), status);
            if let ResponseError::Undecodable { body: kept, .. } = &e {
                assert!(kept.chars().count() <= MAX_KEPT_BODY_BYTES);
            }
            let failure = Failure::Response(e);
            let _ = failure.may_have_been_delivered();
        }
    }
});
