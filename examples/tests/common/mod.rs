//! Shared by the Redis limiter tests: the Redis to use (or the reason to skip) and a
//! connection to it, a fresh account per test, a client of it on a limiter, and the blast
//! example's binary.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::path::PathBuf;

use bulletins_example_schema::media::ProgramReleased;
use bulletins_http::{Bulletin, ClientBuilder, Limiter, When};

/// The Redis of the tests, from `BULLETINS_TEST_REDIS_URL`. When unset, prints why the test is
/// skipped and returns `None`; under `CI=true` a missing Redis is a failure instead.
pub(crate) fn redis_url(test: &str) -> Option<String> {
    match std::env::var("BULLETINS_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            let reason = format!(
                "skipping {test}: BULLETINS_TEST_REDIS_URL is unset (run `source .ci/services.sh` \
                 to start a Redis, or set it to a Redis you may write to, e.g. redis://127.0.0.1:6379)"
            );
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
            eprintln!("{reason}");
            None
        }
    }
}

/// An account id no other test (or earlier run) uses, so its keys in Redis are its own.
pub(crate) fn fresh_account() -> String {
    let n = rand::random::<u32>() % 10_000;
    let m = rand::random::<u32>() % 10_000;
    format!("TEST-{n:04}-{m:04}")
}

/// A connection to the tests' Redis, to look at (or tamper with) the limiter's keys.
pub(crate) async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("redis")
}

/// A client of `account` on `emulator` (with [`PASSCODE`]), taking its slots from `limiter`.
pub(crate) fn limited_client(
    emulator: &bulletins_emulator::Emulator,
    account: &str,
    limiter: impl Limiter,
) -> ClientBuilder {
    bulletins_http::Client::builder()
        .base_url(emulator.base_url())
        .account_id(account)
        .passcode(PASSCODE)
        .limiter(limiter)
}

/// The passcode of every test account.
pub(crate) const PASSCODE: &str = "XXXXXX";

/// The demo dashboard's emulator serving `account` (with [`PASSCODE`]), allowing `limit`
/// requests of it in flight.
pub(crate) async fn emulator_for(account: &str, limit: usize) -> bulletins_emulator::Emulator {
    bulletins_emulator::Emulator::demo()
        .account(account, PASSCODE)
        .concurrency_limit(limit)
        .start()
        .await
        .expect("emulator")
}

/// The documented "Program Released" bulletin, which the demo emulator accepts.
pub(crate) fn bulletin(n: usize) -> Bulletin<'static, ProgramReleased> {
    let event = ProgramReleased {
        program_id: n.to_string(),
        language: "Hindi".into(),
        prev_program_id: "123457".into(),
    };
    Bulletin::new(event, format!("episode {n}"), "[email protected]").when(When::Now)
}

/// The blast example's binary, built beside this test by `cargo test` (which builds the
/// package's examples).
pub(crate) fn blast_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/<profile>/deps/<test> → target/<profile>/examples/blast
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps");
    let blast = dir
        .join("examples")
        .join(format!("blast{}", std::env::consts::EXE_SUFFIX));
    assert!(
        blast.exists(),
        "{} is missing: `cargo test -p bulletins-examples` builds it (with `--test`, add \
         `--example blast`)",
        blast.display()
    );
    blast
}

/// Parses blast's last line, `requests=N ok=K failed=F ...`, into (ok, failed).
pub(crate) fn blast_tally(stdout: &str) -> (usize, usize) {
    let line = stdout.lines().last().unwrap_or_default();
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in blast's output {stdout:?}"))
    };
    (field("ok="), field("failed="))
}
