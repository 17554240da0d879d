//! Proxies from the environment: with `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` pointing at a
//! listener posing as a proxy on another loopback address, a client sends nothing to it unless
//! told to, and never for a loopback base URL.
//!
//! The environment is set only in a child process running this same test binary, so no other
//! test sees it: each test below spawns itself with the variables set, and its body runs only
//! in the child (`BULLETINS_TEST_PROXY_CHILD` set).

mod common;

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bulletins_http::{BuildClientError, TransportKind};
use common::*;

const CHILD: &str = "BULLETINS_TEST_PROXY_CHILD";
const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// A listener posing as a proxy: it records the first line of each connection (for a proxy,
/// `CONNECT host:port HTTP/1.1` or `POST http://host/... HTTP/1.1`) and closes it.
struct FakeProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl FakeProxy {
    /// On 127.0.0.2 where the system allows it (Linux routes all of 127/8 to loopback), so
    /// nothing about it resembles the emulator's address.
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.2:0")
            .or_else(|_| TcpListener::bind("127.0.0.1:0"))
            .expect("bind the fake proxy");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut head = [0u8; 256];
                let n = stream.read(&mut head).unwrap_or(0);
                let line = String::from_utf8_lossy(&head[..n])
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned();
                record.lock().expect("lock").push(line);
            }
        });
        Self { addr, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }
}

/// Runs `test` in a child process with every proxy variable pointing at a fake proxy; asserts the child passed, and returns the
/// first line of every connection the fake proxy received.
fn in_child_with_proxy_env(test: &str) -> Vec<String> {
    let proxy = FakeProxy::start();
    let url = format!("http://{}", proxy.addr);
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for var in PROXY_VARS {
        command.env(var, &url);
    }
    let output = command.output().expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{test} failed in the child:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "{test} did not run in the child:\n{stdout}"
    );
    proxy.seen()
}

/// Whether this is the child (where the proxy variables are set), not the parent.
fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

#[test]
fn a_loopback_base_url_is_never_proxied() {
    let seen = in_child_with_proxy_env("child_loopback_is_never_proxied");
    assert_eq!(seen, Vec::<String>::new(), "the proxy saw loopback traffic");
}

#[tokio::test]
async fn child_loopback_is_never_proxied() {
    if !in_child() {
        return; // Runs only in the child that `a_loopback_base_url_is_never_proxied` starts.
    }
    let emulator = start().await;
    let default = builder(&emulator.base_url())
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let opted_in = builder(&emulator.base_url())
        .timeout(Duration::from_secs(2))
        .use_env_proxy(true)
        .build()
        .expect("client");
    for client in [default, opted_in] {
        let triggered = client.trigger(&program("1")).await;
        assert_eq!(triggered.map(|t| t.targets).ok(), Some(1), "{client:?}");
        assert!(format!("{client:?}").contains("loopback"), "{client:?}");
    }
    assert_eq!(emulator.bulletins().len(), 2);
    emulator.shutdown().await;
}

/// An `https://` base URL that the client does not count as loopback (an IPv4-mapped IPv6
/// address), yet stays on this machine: sent directly, the connection is refused (nothing
/// listens on the discard port), so no test traffic ever leaves the host.
const UNREACHABLE: &str = "https://[::ffff:127.0.0.1]:9";

#[test]
fn an_https_base_url_ignores_the_environment_by_default() {
    let seen = in_child_with_proxy_env("child_https_ignores_the_environment_by_default");
    assert_eq!(seen, Vec::<String>::new(), "the proxy was used unasked");
}

#[tokio::test]
async fn child_https_ignores_the_environment_by_default() {
    if !in_child() {
        return; // Runs only in the child.
    }
    let client = builder(UNREACHABLE)
        .timeout(Duration::from_millis(400))
        .connect_timeout(Duration::from_millis(200))
        .retry(bulletins_http::RetryPolicy::never())
        .build()
        .expect("client");
    assert!(
        format!("{client:?}").contains("proxy: \"none\""),
        "{client:?}"
    );
    let e = client
        .trigger(&program("1"))
        .await
        .expect_err("unreachable");
    assert!(
        matches!(
            e,
            bulletins_http::Error::Transport {
                kind: TransportKind::NotConnected,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn an_https_base_url_uses_the_environment_when_opted_in() {
    let seen = in_child_with_proxy_env("child_https_uses_the_environment_when_opted_in");
    assert_eq!(seen, vec!["CONNECT [::ffff:7f00:1]:9 HTTP/1.1".to_owned()]);
}

#[tokio::test]
async fn child_https_uses_the_environment_when_opted_in() {
    if !in_child() {
        return; // Runs only in the child.
    }
    // A second fake proxy, named explicitly; the environment's is the parent's.
    let own = FakeProxy::start();
    let client = builder(UNREACHABLE)
        .timeout(Duration::from_secs(2))
        .retry(bulletins_http::RetryPolicy::never())
        .use_env_proxy(true)
        .build()
        .expect("client");
    assert!(format!("{client:?}").contains("environment"), "{client:?}");
    let explicit = builder(UNREACHABLE)
        .timeout(Duration::from_secs(2))
        .retry(bulletins_http::RetryPolicy::never())
        .proxy(reqwest::Proxy::all(format!("http://{}", own.addr)).expect("proxy"))
        .build()
        .expect("client");
    assert!(format!("{explicit:?}").contains("explicit"), "{explicit:?}");
    assert!(client.trigger(&program("1")).await.is_err());
    assert!(explicit.trigger(&program("1")).await.is_err());
    // The explicit proxy got a CONNECT for the base URL's host, and only for that client.
    assert_eq!(
        own.seen(),
        vec!["CONNECT [::ffff:7f00:1]:9 HTTP/1.1".to_owned()]
    );
}

#[test]
fn an_explicit_proxy_is_refused_for_loopback_and_with_a_callers_client() {
    let e = builder("http://127.0.0.1:9")
        .proxy(reqwest::Proxy::all("http://127.0.0.2:9").expect("proxy"))
        .build()
        .expect_err("refused");
    assert!(matches!(e, BuildClientError::ProxyForLoopback), "{e:?}");
    assert!(e.to_string().contains("loopback"), "{e}");
    let e = builder("https://api.example.com")
        .http_client(reqwest::Client::new())
        .use_env_proxy(true)
        .build()
        .expect_err("refused");
    assert!(matches!(e, BuildClientError::ProxyWithHttpClient), "{e:?}");
}
