//! A sentinel passcode appears in no `Debug`, `Display`, error or log output — tracing captured
//! at TRACE, with `log` records (reqwest's) bridged in.

mod common;

use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::protocol::Credentials;
use bulletins_http::{BuildClientError, Client, Error, RetryPolicy};
use common::*;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(PASSCODE),
        "{what} shows the passcode: {text}"
    );
    assert!(
        !text.contains("S3NT1NEL"),
        "{what} shows part of the passcode: {text}"
    );
}

fn assert_error_clean(e: &Error) {
    assert_clean("Display", &e.to_string());
    assert_clean("Debug", &format!("{e:?}"));
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        assert_clean("source", &format!("{s} {s:?}"));
        source = s.source();
    }
}

// One test, because the subscriber is global (so that reqwest's `log` records and the
// emulator's background tasks are captured too).
#[tokio::test]
async fn the_passcode_never_appears() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish()
        .try_init()
        .expect("the only subscriber in this test binary");

    // Builders, clients, credentials.
    let emulator = start().await;
    let builder = builder(&emulator.base_url()).timeout(Duration::from_millis(300));
    assert_clean("ClientBuilder", &format!("{builder:?}"));
    let client = builder.build().expect("client");
    assert_clean("Client", &format!("{client:?}"));
    let credentials = Credentials::new(ACCOUNT, PASSCODE).expect("valid");
    assert_clean("Credentials", &format!("{credentials:?}"));

    // Build errors that are about the passcode.
    for bad in [
        format!("{PASSCODE}\n"),
        format!("{PASSCODE} x"),
        String::new(),
    ] {
        let e = Client::builder()
            .region(bulletins_http::Region::India)
            .account_id(ACCOUNT)
            .passcode(bad)
            .build()
            .expect_err("invalid");
        assert!(matches!(e, BuildClientError::InvalidCredentials(_)));
        assert_clean("BuildClientError", &format!("{e} {e:?}"));
    }

    // A success, each kind of failure, and retries, all traced.
    client.trigger(&program("1")).await.expect("success");
    for fault in [
        Fault::CloseBeforeBody,
        Fault::CloseAfterBody,
        Fault::Delay(Duration::from_secs(1)),
        Fault::status(503),
        Fault::MalformedBody,
        Fault::OversizedBody,
    ] {
        emulator.inject(fault, 1);
        let e = client.trigger(&program("1")).await.expect_err("fault");
        assert_error_clean(&e);
    }
    emulator.inject(Fault::too_many_requests(), 1);
    client.trigger(&program("1")).await.expect("retried");
    let wrong = bulletins_http::ClientBuilder::new()
        .base_url(emulator.base_url())
        .account_id(ACCOUNT)
        .passcode("S3NT1NEL-wrong")
        .build()
        .expect("client");
    assert_error_clean(&wrong.trigger(&program("1")).await.expect_err("401"));
    let dead = common::builder(&dead_base_url())
        .retry(fast(RetryPolicy::at_most_once()))
        .build()
        .expect("client");
    assert_error_clean(&dead.trigger(&program("1")).await.expect_err("refused"));
    emulator.shutdown().await;

    let logs = captured.text();
    // The capture works: the span and its fields are there.
    assert!(logs.contains("bulletins.trigger"), "{logs}");
    assert!(logs.contains("event=\"Program Released\""), "{logs}");
    assert!(logs.contains("status=200 targets=1}"), "{logs}");
    assert!(logs.contains("status=503"), "{logs}");
    // And the HTTP stack's own records, down to TRACE.
    assert!(logs.contains("reqwest::"), "{logs}");
    assert!(logs.contains("hyper_util::"), "{logs}");
    assert_clean("tracing output", &logs);
}

/// The Redis URL's password appears in no `Debug` or `Display` of the limiter's public types:
/// its builder, the limiter, its build errors, and the trigger's error when Redis is unreachable.
#[cfg(feature = "redis")]
#[tokio::test]
async fn the_redis_password_never_appears() {
    use bulletins_http::RedisLimiter;

    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let url = format!("redis://:S3NT1NEL-redis@{dead}/");
    let builder = RedisLimiter::builder(&url).redis_timeout(Duration::from_millis(200));
    assert_clean("RedisLimiterBuilder", &format!("{builder:?}"));
    let limiter = builder.build().expect("valid");
    assert_clean("RedisLimiter", &format!("{limiter:?}"));
    for bad in [
        RedisLimiter::new("http://:S3NT1NEL-redis@127.0.0.1").expect_err("not redis://"),
        RedisLimiter::builder(&url)
            .lease_margin(Duration::ZERO)
            .build()
            .expect_err("zero margin"),
    ] {
        assert_clean("InvalidRedisLimiter", &format!("{bad} {bad:?}"));
    }
    let emulator = start().await;
    let client = builder_with_limiter(&emulator.base_url(), limiter.clone());
    assert_clean("ClientBuilder with a RedisLimiter", &format!("{client:?}"));
    let client = client.build().expect("client");
    assert_clean("Client with a RedisLimiter", &format!("{client:?}"));
    let e = client.trigger(&program("1")).await.expect_err("no Redis");
    assert!(matches!(e, Error::Limiter { .. }), "{e:?}");
    assert_error_clean(&e);
    emulator.shutdown().await;
}

#[cfg(feature = "redis")]
fn builder_with_limiter(
    base_url: &str,
    limiter: bulletins_http::RedisLimiter,
) -> bulletins_http::ClientBuilder {
    builder(base_url).limiter(limiter)
}
