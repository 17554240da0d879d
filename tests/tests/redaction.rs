//! The passcode never leaks, across the crates, filling the gaps of `bulletins-http`'s own
//! `tests/redaction.rs`: the core's request and error types, base URLs carrying a secret, the
//! environment, the blocking client, and the emulator (its types, its record and its logs, for
//! the right passcode and for a wrong one). Everything is captured — `Debug`, `Display`, error
//! chains, and `tracing` output at TRACE with every span event — and searched for the sentinel.
//!
//! One test, because the subscriber is global and the environment is process-wide.

use std::io::Write;
use std::sync::{Arc, Mutex};

use bulletins_core::{trigger_request, BaseUrl, Credentials, Region};
use bulletins_emulator::{Account, Fault};
use bulletins_http::{blocking, BuildClientError, Delivery};
use bulletins_tests::*;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::util::SubscriberInitExt as _;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything checked, with where it came from.
#[derive(Default)]
struct Outputs(Vec<(String, String)>);

impl Outputs {
    fn debug(&mut self, what: &str, value: &dyn std::fmt::Debug) {
        self.0
            .push((format!("{what} (Debug)"), format!("{value:?}")));
        self.0
            .push((format!("{what} (alternate Debug)"), format!("{value:#?}")));
    }

    fn error(&mut self, what: &str, error: &(dyn std::error::Error + 'static)) {
        self.debug(what, &error);
        self.0
            .push((format!("{what} (Display)"), error.to_string()));
        let mut source = error.source();
        while let Some(s) = source {
            self.0
                .push((format!("{what} (source)"), format!("{s} / {s:?}")));
            source = s.source();
        }
    }

    fn assert_clean(&self) {
        for (what, text) in &self.0 {
            assert!(
                !text.contains(SENTINEL_MARK),
                "{what} shows the passcode: {text}"
            );
        }
    }
}

#[test]
fn the_passcode_never_leaks_anywhere() {
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
    let mut out = Outputs::default();

    // The core: credentials, the request built with them (its passcode header is marked
    // sensitive, which `http`'s Debug honours), and errors about bad passcodes.
    let credentials = Credentials::new(ACCOUNT, PASSCODE).expect("valid");
    out.debug("Credentials", &credentials);
    let request = trigger_request(&BaseUrl::from(Region::India), &credentials, b"{}".to_vec());
    out.debug("http::Request", &request);
    out.debug("request headers", request.headers());
    let request = order(1)
        .to_request(&BaseUrl::from(Region::India), &credentials)
        .expect("valid");
    out.debug("Bulletin::to_request", &request);
    for bad in [
        format!("{PASSCODE}\n"),
        format!("{PASSCODE}\r\nX-Injected: 1"),
        format!(" {PASSCODE}"),
        format!("{PASSCODE}é"),
    ] {
        let e = Credentials::new(ACCOUNT, bad).expect_err("invalid");
        out.error("InvalidCredentials", &e);
    }

    // A secret in a base URL — user info, or a query — is refused without echoing it.
    for url in [
        format!("https://{ACCOUNT}:{PASSCODE}@proxy.example.com"),
        format!("https://proxy.example.com/ct?passcode={PASSCODE}"),
        format!("https://proxy.example.com/ct#{PASSCODE}"),
        format!("http://user:{PASSCODE}@proxy.example.com"),
    ] {
        let e = BaseUrl::parse(&url).expect_err("refused");
        out.error("InvalidBaseUrl", &e);
        let e = bulletins_http::Client::builder()
            .base_url(&url)
            .account_id(ACCOUNT)
            .passcode(PASSCODE)
            .build()
            .expect_err("refused");
        out.error("BuildClientError (base URL)", &e);
    }

    // The environment: a passcode with a trailing newline, a base URL with the passcode in it.
    std::env::set_var("CLEVERTAP_ACCOUNT_ID", ACCOUNT);
    std::env::remove_var("CLEVERTAP_REGION");
    std::env::set_var("CLEVERTAP_BASE_URL", "http://127.0.0.1:9");
    std::env::set_var("CLEVERTAP_PASSCODE", format!("{PASSCODE}\n"));
    let e = bulletins_http::Client::from_env().expect_err("newline");
    assert!(matches!(e, BuildClientError::InvalidEnv { .. }), "{e:?}");
    out.error("from_env (passcode)", &e);
    std::env::set_var("CLEVERTAP_PASSCODE", PASSCODE);
    std::env::set_var(
        "CLEVERTAP_BASE_URL",
        format!("https://{ACCOUNT}:{PASSCODE}@proxy.example.com"),
    );
    let e = blocking::Client::from_env().expect_err("user info");
    out.error("from_env (base URL)", &e);
    for name in [
        "CLEVERTAP_ACCOUNT_ID",
        "CLEVERTAP_BASE_URL",
        "CLEVERTAP_PASSCODE",
    ] {
        std::env::remove_var(name);
    }

    // The emulator's own types.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    out.debug("emulator::Account", &Account::new(ACCOUNT, PASSCODE));
    let builder = emulator();
    out.debug("EmulatorBuilder", &builder);
    let emulator = runtime.block_on(builder.start()).expect("emulator");
    out.debug("Emulator", &emulator);
    out.debug("Dashboard", emulator.dashboard());

    // The blocking client: its builder, itself, and every kind of failure, traced.
    let blocking_builder = blocking::Client::builder()
        .base_url(emulator.base_url())
        .account_id(ACCOUNT)
        .passcode(PASSCODE)
        .timeout(TIMEOUT)
        .retry(fast(Delivery::AtLeastOnce));
    out.debug("blocking::ClientBuilder", &blocking_builder);
    let client = blocking_builder.build().expect("client");
    out.debug("blocking::Client", &client);
    client.trigger(&order(1)).expect("success");
    for fault in [
        Fault::CloseBeforeBody,
        Fault::CloseAfterBody,
        Fault::status(503),
        Fault::MalformedBody,
        Fault::OversizedBody,
        Fault::too_many_requests(),
    ] {
        emulator.inject(fault, 5);
        let e = client.trigger(&order(2)).expect_err("fault");
        out.error("blocking trigger error", &e);
        emulator.clear_faults();
    }

    // A client with a wrong passcode — itself a secret — and what the emulator keeps of it.
    let wrong = blocking::Client::builder()
        .base_url(emulator.base_url())
        .account_id(ACCOUNT)
        .passcode(format!("{SENTINEL_MARK}-wrong"))
        .build()
        .expect("client");
    let e = wrong.trigger(&order(3)).expect_err("401");
    out.error("401 error", &e);
    out.debug("emulator bulletins", &emulator.bulletins());
    out.debug("emulator rejections", &emulator.rejections());
    out.0.push((
        "emulator bulletins (JSON)".into(),
        serde_json::to_string(&emulator.bulletins()).expect("json"),
    ));
    runtime.block_on(emulator.shutdown());
    drop(client);
    drop(wrong);

    let logs = String::from_utf8_lossy(&captured.0.lock().expect("lock")).into_owned();
    // The capture works: the client's span, the HTTP stack, and the emulator all logged.
    assert!(logs.contains("bulletins.trigger"), "{logs}");
    assert!(logs.contains("hyper"), "{logs}");
    assert!(logs.contains("Invalid passcode"), "{logs}");
    out.0.push(("tracing output at TRACE".into(), logs));
    out.assert_clean();
}
