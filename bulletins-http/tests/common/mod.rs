//! Shared setup: an emulator on loopback and a client pointed at it, with short backoffs so
//! retries take milliseconds.

#![allow(dead_code, unreachable_pub)] // Each test file uses a different subset.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bulletins_emulator::Emulator;
use bulletins_http::{Bulletin, BusinessEvent, Client, ClientBuilder, RetryPolicy};

pub const ACCOUNT: &str = "ABCD-RSTU-1234";
pub const PASSCODE: &str = "S3NT1NEL-passcode";

/// The documented example event, derived through `bulletins_http` alone.
#[derive(Debug, Clone, BusinessEvent)]
#[business_event(name = "Program Released", requires = ["program_id", "language"])]
pub struct ProgramReleased {
    pub program_id: String,
    pub language: String,
    pub prev_program_id: Option<String>,
}

/// A second event, with 2 targets, so results can be told apart by `targets`.
#[derive(Debug, Clone, BusinessEvent)]
#[business_event(name = "order_placed", requires = ["order_id"])]
pub struct OrderPlaced {
    pub order_id: String,
}

pub fn program(id: &str) -> Bulletin<'static, ProgramReleased> {
    Bulletin::new(
        ProgramReleased {
            program_id: id.into(),
            language: "Hindi".into(),
            prev_program_id: Some("123457".into()),
        },
        format!("Sa Re Ga Ma episode {id}"),
        "[email protected]",
    )
}

pub async fn start_with(limit: usize) -> Emulator {
    Emulator::builder()
        .account(ACCOUNT, PASSCODE)
        .business_event::<ProgramReleased>()
        .event(
            bulletins_emulator::EventDefinition::new("order_placed")
                .properties(["order_id"])
                .required(["order_id"])
                .targets(2),
        )
        .concurrency_limit(limit)
        .start()
        .await
        .expect("emulator starts")
}

pub async fn start() -> Emulator {
    start_with(3).await
}

/// Three attempts at most, 10 ms backoff, `Retry-After` cut to 20 ms.
pub fn fast(policy: RetryPolicy) -> RetryPolicy {
    policy
        .max_attempts(3)
        .backoff(Duration::from_millis(10), Duration::from_millis(10))
        .max_retry_after(Duration::from_millis(20))
}

pub fn builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .account_id(ACCOUNT)
        .passcode(PASSCODE)
        .timeout(Duration::from_secs(5))
        .retry(fast(RetryPolicy::at_most_once()))
}

pub fn client(emulator: &Emulator) -> Client {
    builder(&emulator.base_url())
        .build()
        .expect("client builds")
}

/// A base URL on loopback where nothing listens: bind a port, then let it go.
pub fn dead_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Everything a `tracing` subscriber writes, shared with the test (pass a clone as its writer).
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::ErrorKind::Other)?
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// All that was written.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }

    /// The lines logged at WARN.
    pub fn warnings(&self) -> Vec<String> {
        self.text()
            .lines()
            .filter(|line| line.contains("WARN"))
            .map(str::to_owned)
            .collect()
    }
}
