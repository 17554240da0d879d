//! Shared fixtures for the cross-crate reliability and security tests in `tests/`: an emulator
//! with a known account and event, clients pointed at it with millisecond backoffs, and the
//! counting helpers the fault matrix and the soak test assert with. See `RELIABILITY.md`.

use std::collections::HashMap;
use std::time::Duration;

use bulletins_emulator::{DeliveryStatus, Emulator, EmulatorBuilder, EventDefinition};
use bulletins_http::{Bulletin, BusinessEvent, ClientBuilder, Delivery, RetryPolicy};

/// The account every fixture emulator accepts.
pub const ACCOUNT: &str = "ABCD-RSTU-1234";

/// A sentinel passcode: any output containing `SENTINEL_MARK` leaked it.
pub const PASSCODE: &str = "S3NT1NEL-c0ffee-passcode";

/// The part of [`PASSCODE`] searched for in output (so a truncated leak is caught too).
pub const SENTINEL_MARK: &str = "S3NT1NEL";

/// The per-attempt timeout of the fixture clients: short, so a slow answer times out quickly.
pub const TIMEOUT: Duration = Duration::from_millis(300);

/// A business event with one required property, the order id, unique per bulletin so that
/// duplicates can be counted.
#[derive(Debug, Clone, BusinessEvent)]
#[business_event(name = "order_placed", requires = ["order_id"])]
pub struct OrderPlaced {
    /// Unique per bulletin in a test.
    pub order_id: String,
}

/// The bulletin for order `id`.
pub fn order(id: usize) -> Bulletin<'static, OrderPlaced> {
    Bulletin::new(
        OrderPlaced {
            order_id: id.to_string(),
        },
        format!("Order {id}"),
        "[email protected]",
    )
}

/// The fixture emulator's configuration: [`ACCOUNT`]/[`PASSCODE`], `order_placed`, and
/// CleverTap's concurrency limit of 3.
pub fn emulator() -> EmulatorBuilder {
    Emulator::builder()
        .account(ACCOUNT, PASSCODE)
        .business_event::<OrderPlaced>()
        .event(EventDefinition::new("noop"))
        .concurrency_limit(3)
}

/// `policy` with 3 attempts, 5 ms backoff and `Retry-After` cut to 20 ms, so retries take
/// milliseconds.
pub fn fast(delivery: Delivery) -> RetryPolicy {
    RetryPolicy::at_most_once()
        .delivery(delivery)
        .max_attempts(3)
        .backoff(Duration::from_millis(5), Duration::from_millis(5))
        .max_retry_after(Duration::from_millis(20))
}

/// An async client builder for `base_url` with the fixture credentials, [`TIMEOUT`] and
/// [`fast`] retries.
pub fn client_builder(base_url: &str, delivery: Delivery) -> ClientBuilder {
    bulletins_http::Client::builder()
        .base_url(base_url)
        .account_id(ACCOUNT)
        .passcode(PASSCODE)
        .timeout(TIMEOUT)
        .retry(fast(delivery))
}

/// A loopback base URL where nothing listens: a port bound, then released.
pub fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// What the emulator recorded, as counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seen {
    /// Bulletins that reached the server (accepted, or received but not acknowledged).
    pub received: usize,
    /// Bulletins accepted and acknowledged.
    pub accepted: usize,
    /// Requests refused, or answered by a fault without reading the bulletin.
    pub rejected: usize,
}

/// Counts what `emulator` recorded.
pub fn seen(emulator: &Emulator) -> Seen {
    let bulletins = emulator.bulletins();
    Seen {
        received: bulletins.len(),
        accepted: bulletins
            .iter()
            .filter(|b| b.status == DeliveryStatus::Accepted)
            .count(),
        rejected: emulator.rejections().len(),
    }
}

/// How many times each order id reached `emulator` (accepted or not).
pub fn order_counts(emulator: &Emulator) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for bulletin in emulator.bulletins() {
        let id = bulletin.property("order_id").unwrap_or("?").to_owned();
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// The process's peak resident set (`VmHWM`), in KiB, where `/proc` has it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
