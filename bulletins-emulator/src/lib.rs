//! A local CleverTap Bulletins endpoint for development and tests.
//!
//! Nobody can test bulletin code against production CleverTap: every call notifies real users.
//! This emulator serves `POST /1/targets/trigger.json` the way CleverTap documents it — same
//! headers, same checks in the same order, same `{"status":"fail","error":..,"code":..}`
//! answers — records every bulletin it receives, and can be told to fail the way the network
//! and the service fail ([`Fault`]). Point a client's base URL at
//! [`Emulator::base_url`].
//!
//! Most users want it in tests, started from Rust with the dashboard built from the same
//! `#[derive(BusinessEvent)]` types the code sends ([`EmulatorBuilder::business_event`]), and
//! checked with the same types: [`Emulator::assert_received`] takes a value of the event struct
//! and panics with a diff of the closest bulletin received when none matches;
//! [`Emulator::wait_for_bulletins`] waits for work done in the background. This
//! crate is the library; the command line is `bulletins-cli`'s (`bulletins emulator`, or its
//! `bulletins-emulator` binary), which serves a dashboard file (or the documentation's demo
//! dashboard) for manual work: `bulletins-emulator --listen 127.0.0.1:8787 --config dashboard.json`.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! use bulletins_emulator::{DeliveryStatus, Emulator, Fault};
//!
//! // The documentation's dashboard: account ABCD-RSTU-1234 / XXXXXX, event "Program Released".
//! let emulator = Emulator::demo().start().await?;
//!
//! // Any HTTP client will do; the project's own is `bulletins-http`.
//! let body = r#"{"business_event":"Program Released","name":"Sa Re Ga Ma episode 12",
//!   "properties":{"program_id":"234567","language":"Hindi","prev_program_id":"123457"},
//!   "c-by":"[email protected]","when":"now"}"#;
//! let answer = post(&emulator.trigger_url(), body).await?;
//! assert!(answer.ends_with(r#"{"status":"success","targets":1}"#));
//!
//! let bulletins = emulator.bulletins();
//! assert_eq!(bulletins.len(), 1);
//! assert_eq!(bulletins[0].property("language"), Some("Hindi"));
//!
//! // The next request is closed without an answer, after its body was read.
//! emulator.inject(Fault::CloseAfterBody, 1);
//! let answer = post(&emulator.trigger_url(), body).await;
//! assert!(answer.map_or(true, |text| text.is_empty()));
//! assert_eq!(emulator.bulletins()[1].status, DeliveryStatus::ReceivedNotAcknowledged);
//!
//! emulator.shutdown().await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! # async fn post(url: &str, body: &str) -> std::io::Result<String> {
//! #     use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! #     let addr = url.trim_start_matches("http://").split('/').next().unwrap_or_default();
//! #     let mut stream = tokio::net::TcpStream::connect(addr).await?;
//! #     let request = format!(
//! #         "POST /1/targets/trigger.json HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
//! #          X-CleverTap-Account-Id: ABCD-RSTU-1234\r\nX-CleverTap-Passcode: XXXXXX\r\n\
//! #          Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
//! #         body.len()
//! #     );
//! #     stream.write_all(request.as_bytes()).await?;
//! #     let mut answer = String::new();
//! #     stream.read_to_string(&mut answer).await?;
//! #     Ok(answer)
//! # }
//! ```
//!
//! # Behaviour of `POST /1/targets/trigger.json`
//! Checked in this order (CleverTap's documented behaviour):
//! 1. `X-CleverTap-Account-Id` and `X-CleverTap-Passcode` match a configured account, else 401
//!    `Account ID is not valid` / `Invalid passcode` (passcode compared as SHA-256 digests in
//!    constant time, so neither its value nor its length shows in the timing). Then the
//!    account's concurrency limit (default 3 in flight; 0 unlimited): over it, 429 `Too many
//!    concurrent requests` at once.
//! 2. `Content-Type: application/json` (415), at most 1 MiB (413), a JSON object (400).
//! 3. The business event, from `business_event` or `event`, is defined, else 400
//!    `Business Event Not Found`.
//! 4. `when` is `"now"`, a positive integer or a string of digits (above zero), else 400
//!    `"when" has an incorrect value - <value as JSON, null when missing>`.
//! 5. Required properties are present, else 400 `Property <name> missing` (the first in the
//!    event's declared order).
//! 6. `properties` is an object of strings, keys at most 120 characters, values at most 512
//!    bytes; `name` and `c-by` are non-empty strings; else 400 naming the field.
//! 7. 200 `{"status":"success","targets":<n>}`.
//!
//! Properties not declared on the event are accepted and recorded.
//!
//! # Inspection over HTTP
//! - `GET /_emulator/bulletins`: the received bulletins, a JSON array of [`Recorded`], oldest
//!   first, one page at a time: `?after=ID&limit=N` (N from 1 to 10,000, default 1,000; also
//!   `event=`, `status=`, and `q=`, text found in the event, the bulletin's name, the error or a
//!   property's key or value, as the inspector searches). While more remain, a `Link: <…?after=ID&limit=N>;
//!   rel="next"` header gives the next page; `X-Emulator-Evicted` counts the requests forgotten
//!   to stay within [`EmulatorBuilder::max_recorded`]. `DELETE` forgets them.
//! - `GET /_emulator/rejections`: the refused requests, a JSON array of [`Rejection`], paged
//!   the same way; `DELETE` forgets them.
//! - `POST /_emulator/faults` with `{"fault":{"kind":"close_after_body"},"times":2}` queues a
//!   fault (see [`Fault`] for every kind; at most [`MAX_PENDING_FAULTS`] pending in total);
//!   `GET` lists the queue, `DELETE` empties it.
//! - `GET /_emulator/events`: a server-sent events stream, one event per change: `entry` (a
//!   request was recorded), `updated` (a delayed bulletin was acknowledged), `deleted`,
//!   `cleared`, and `lagged` when the reader fell more than 1,024 changes behind. The data is
//!   JSON: `{"type":"entry","id":3,"status":"accepted","business_event":"Program Released",
//!   "received_at_ms":1764216000000,"http_status":200}` (status is `accepted`,
//!   `received_not_acknowledged`, `rejected` or `fault`). `?event=`, `status=` and `q=` keep
//!   only the entries the listing's same filters keep; `?details=true` adds `account`, `name`,
//!   `error` and `properties` (in the order sent) to each entry. `bulletins emulator tail`
//!   (in `bulletins-cli`) follows it.
//! - `GET /_emulator/traffic`: what the emulator sees of its clients, for the inspector's
//!   "Client" panel: requests in flight now (each holds one of its account's concurrency
//!   slots), in total and per account, the limit, answers and refusals over the limit since
//!   the start, and the last 60 seconds: `{"in_flight":3,"limit":3,"accounts":[{"account":
//!   "ABCD-RSTU-1234","in_flight":3}],"answered":17,"over_limit":1,"seconds":[{"at_ms":…,
//!   "answered":5,"over_limit":1,"peak_in_flight":3},…]}`.
//! - `GET /_emulator/export.jsonl`: the recorded bodies that are JSON objects, oldest first, one
//!   trigger payload per line (filters as above), to replay a run.
//!
//! # The inspector
//! `GET /` (or `/_emulator/ui`) serves a web page showing the recorded requests live, each with
//! its properties, headers (passcode redacted), raw body, the answer sent and the rule that
//! failed; it filters, exports, deletes and injects faults. Its "Client" panel plots requests
//! in flight against the concurrency cap and answers per second over the last minute. State changes are `POST`s, refused
//! when another origin sends them; no CORS headers are sent.
//!
//! # What is kept
//! The newest [`DEFAULT_MAX_RECORDED`] requests (configurable), and at most 512 MiB of their
//! bodies and headers; the oldest go first and are counted ([`Emulator::evicted`]). A
//! recorded bulletin is kept as its raw body and header lines, so the documentation's example
//! costs about 580 bytes.
//!
//! Other paths answer 404 and wrong methods 405, in CleverTap's failure shape.

mod assertion;
mod config;
mod dashboard;
mod entry;
mod error;
mod fault;
mod handle;
mod inspector;
mod log;
mod passcode;
mod record;
mod routes;
mod server;
mod traffic;
mod trigger;
mod validate;

pub use assertion::TimedOut;
pub use config::ConfigError;
pub use dashboard::{
    Account, Dashboard, EventDefinition, DEFAULT_CONCURRENCY_LIMIT, DEMO_ACCOUNT_ID, DEMO_EVENT,
    DEMO_PASSCODE,
};
pub use entry::DeliveryStatus;
pub use error::Error;
pub use fault::{Fault, MAX_PENDING_FAULTS, OVERSIZED_BODY_BYTES};
pub use handle::{Emulator, EmulatorBuilder};
pub use log::DEFAULT_MAX_RECORDED;
pub use record::{Recorded, Rejection};
pub use validate::MAX_BODY_BYTES;

/// Not public API: the trigger endpoint's checks on raw parts, for the fuzz targets in the
/// repository's `fuzz/` directory. May change or go away in any release.
#[doc(hidden)]
pub mod __fuzz {
    use axum::http::HeaderMap;

    use crate::Dashboard;

    /// Runs rules 1 (credentials) and 2 to 6 (content type, size, payload) on a request's
    /// headers and body, as `POST /1/targets/trigger.json` does without faults or the
    /// concurrency limit, and returns the HTTP status and body it would answer.
    pub fn check_trigger(dashboard: &Dashboard, headers: &HeaderMap, body: &[u8]) -> (u16, String) {
        let checked = crate::validate::check_credentials(dashboard, headers)
            .and_then(|_| crate::validate::check_content_type(headers))
            .and_then(|()| {
                if body.len() > crate::MAX_BODY_BYTES {
                    return Err(crate::validate::too_large(Some(body.len() as u64)));
                }
                crate::validate::check_payload(dashboard, body).map_err(|invalid| invalid.failure)
            });
        match checked {
            Ok(valid) => (
                200,
                serde_json::json!({ "status": "success", "targets": valid.targets }).to_string(),
            ),
            Err(failure) => (failure.status.as_u16(), failure.body()),
        }
    }
}

/// Locks a mutex, ignoring poisoning: the data behind these locks stays consistent even if a
/// holder panicked (every critical section is a single push, pop or clone).
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
