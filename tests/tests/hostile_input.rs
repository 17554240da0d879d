//! Hostile or broken input on the client side: credentials that would split or smuggle headers,
//! plain `http://` to another machine, invalid bulletins — all refused before anything is sent,
//! proven by a listener that counts connections — and answers that never end or never finish,
//! which the body cap and the timeout bound.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bulletins_core::{BuildError, Bulletin, DynamicEvent};
use bulletins_http::{blocking, BuildClientError, Client, Delivery, Error, InvalidCredentials};
use bulletins_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback listener that accepts and counts connections, never answering.
struct Counter {
    base_url: String,
    accepted: Arc<AtomicUsize>,
}

impl Counter {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        std::thread::spawn(move || {
            let mut open = Vec::new();
            for stream in listener.incoming() {
                count.fetch_add(1, Ordering::SeqCst);
                open.push(stream); // held open, never answered
            }
        });
        Self { base_url, accepted }
    }

    fn connections(&self) -> usize {
        // Give a connection that was (wrongly) attempted time to be accepted.
        std::thread::sleep(Duration::from_millis(100));
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Characters that must never reach a header: CR, LF and their smuggling combinations, other
/// controls, space, DEL, non-ASCII look-alikes and invisible characters.
const BAD: &[&str] = &[
    "\r",
    "\n",
    "\r\n",
    "\r\nX-Injected: 1",
    "\0",
    "\t",
    " ",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{200b}",
    "\u{2028}",
    "\u{feff}",
    "é",
];

#[test]
fn header_breaking_credentials_are_refused_before_any_request() {
    let counter = Counter::start();
    for bad in BAD {
        for (account, passcode, which) in [
            (format!("ABCD{bad}"), PASSCODE.to_owned(), "account id"),
            (format!("{bad}ABCD"), PASSCODE.to_owned(), "account id"),
            (ACCOUNT.to_owned(), format!("{PASSCODE}{bad}"), "passcode"),
            (ACCOUNT.to_owned(), format!("{bad}{PASSCODE}"), "passcode"),
        ] {
            let label = format!("{which} with {bad:?}");
            let e = Client::builder()
                .base_url(&counter.base_url)
                .account_id(account.clone())
                .passcode(passcode.clone())
                .build()
                .expect_err(&label);
            let expected = match which {
                "account id" => matches!(
                    e,
                    BuildClientError::InvalidCredentials(
                        InvalidCredentials::AccountIdCharacter { .. }
                    )
                ),
                _ => matches!(
                    e,
                    BuildClientError::InvalidCredentials(
                        InvalidCredentials::PasscodeCharacter { .. }
                    )
                ),
            };
            assert!(expected, "{label}: {e:?}");
            let e = blocking::Client::builder()
                .base_url(&counter.base_url)
                .account_id(account)
                .passcode(passcode)
                .build()
                .expect_err(&label);
            assert!(
                matches!(e, BuildClientError::InvalidCredentials(_)),
                "{label}: {e:?}"
            );
        }
    }
    assert_eq!(counter.connections(), 0, "something was sent");
}

#[tokio::test]
async fn invalid_bulletins_are_refused_before_any_request() {
    let counter = Counter::start();
    let client = client_builder(&counter.base_url, Delivery::AtLeastOnce)
        .build()
        .expect("client");
    let event = DynamicEvent::new("order_placed").expect("valid");
    let cases = [
        (Bulletin::new(event.clone(), "", "c"), BuildError::EmptyName),
        (
            Bulletin::new(event.clone(), "n", ""),
            BuildError::EmptyCreatedBy,
        ),
        (
            Bulletin::new(event, "n", "c").when(bulletins_http::When::Unix(0)),
            BuildError::InvalidWhen { timestamp: 0 },
        ),
    ];
    for (bulletin, expected) in cases {
        match client.trigger(&bulletin).await {
            Err(Error::Invalid(e)) => assert_eq!(*e, expected),
            other => panic!("{expected:?}: {other:?}"),
        }
    }
    assert_eq!(counter.connections(), 0, "an invalid bulletin was sent");

    // The counter counts: a valid bulletin connects (and times out, unanswered).
    let e = client.trigger(&order(1)).await.expect_err("no answer");
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert!(counter.connections() >= 1, "the counter saw nothing");
}

#[test]
fn plain_http_is_refused_for_anything_but_loopback() {
    let counter = Counter::start();
    let port = counter
        .base_url
        .rsplit(':')
        .next()
        .expect("port")
        .to_owned();
    let refused = [
        "http://api.clevertap.com".to_owned(),
        "http://in1.api.clevertap.com/".to_owned(),
        "http://10.0.0.1".to_owned(),
        "http://192.168.1.10:8787".to_owned(),
        "http://0.0.0.0:8787".to_owned(),
        "http://[::]:8787".to_owned(),
        "http://[::ffff:127.0.0.1]:8787".to_owned(),
        "http://127.0.0.1.nip.io".to_owned(),
        "http://localhost.example.com".to_owned(),
        "http://2130706433".to_owned(), // 127.0.0.1 as a number: not recognised, so refused
        "http://0x7f.0.0.1".to_owned(),
        format!("http://127.0.0.1:{port}@example.com"),
        format!("http://example.com#@127.0.0.1:{port}"),
        format!("http://example.com?@127.0.0.1:{port}"),
        "HTTP://EXAMPLE.COM".to_owned(),
    ];
    for url in &refused {
        let e = Client::builder()
            .base_url(url)
            .account_id(ACCOUNT)
            .passcode(PASSCODE)
            .build()
            .expect_err(url);
        assert!(
            matches!(
                e,
                BuildClientError::InsecureBaseUrl { .. } | BuildClientError::InvalidBaseUrl(_)
            ),
            "{url}: {e:?}"
        );
    }
    for url in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}/"),
        format!("http://LOCALHOST:{port}"),
        format!("http://[::1]:{port}"),
        format!("http://127.8.9.10:{port}"),
        "https://proxy.example.com/clevertap".to_owned(),
    ] {
        assert!(
            Client::builder()
                .base_url(&url)
                .account_id(ACCOUNT)
                .passcode(PASSCODE)
                .build()
                .is_ok(),
            "{url} refused"
        );
    }
    assert_eq!(counter.connections(), 0, "a refused client connected");
}

/// A server that answers one request with `head`, then writes `chunk` until the client goes
/// away (or `limit` bytes), pausing `pause` between chunks. Returns the bytes it wrote.
async fn endless_server(
    head: &'static str,
    chunk: Vec<u8>,
    pause: Duration,
    limit: usize,
) -> (String, tokio::task::JoinHandle<usize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("accept");
        let mut request = vec![0u8; 64 * 1024];
        let _ = stream.read(&mut request).await;
        if stream.write_all(head.as_bytes()).await.is_err() {
            return 0;
        }
        let mut written = 0;
        while written < limit {
            if stream.write_all(&chunk).await.is_err() {
                break;
            }
            written += chunk.len();
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
        written
    });
    (base_url, task)
}

/// One chunk of a chunked body: 16 KiB of `x`.
fn chunk() -> Vec<u8> {
    let data = vec![b'x'; 16 * 1024];
    let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
    chunk.extend_from_slice(&data);
    chunk.extend_from_slice(b"\r\n");
    chunk
}

const LIMIT: usize = 1024 * 1024 * 1024;

#[tokio::test]
async fn an_endless_chunked_answer_is_cut_at_the_cap() {
    let (base_url, server) = endless_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        chunk(),
        Duration::ZERO,
        LIMIT,
    )
    .await;
    let client = client_builder(&base_url, Delivery::AtLeastOnce)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let e = client.trigger(&order(1)).await.expect_err("too large");
    match &e {
        Error::Undecodable { reason, body, .. } => {
            assert!(reason.contains("64 KiB"), "{reason}");
            assert!(body.len() <= bulletins_http::protocol::MAX_KEPT_BODY_BYTES);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.attempts(), 1);
    assert!(e.may_have_been_delivered());
    drop(client);
    // The client hung up: the server stopped long before its 1 GiB (socket buffers hold a few
    // MiB at most).
    let written = server.await.expect("server");
    assert!(
        written < 64 * 1024 * 1024,
        "the server wrote {written} bytes"
    );
}

#[tokio::test]
async fn a_declared_huge_answer_is_not_read_at_all() {
    let (base_url, server) = endless_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 107374182400\r\n\r\n",
        vec![b'x'; 16 * 1024],
        Duration::ZERO,
        LIMIT,
    )
    .await;
    let client = client_builder(&base_url, Delivery::AtLeastOnce)
        .build()
        .expect("client");
    let e = client.trigger(&order(1)).await.expect_err("too large");
    assert!(
        matches!(&e, Error::Undecodable { reason, .. } if reason.contains("64 KiB")),
        "{e:?}"
    );
    drop(client);
    let written = server.await.expect("server");
    assert!(
        written < 64 * 1024 * 1024,
        "the server wrote {written} bytes"
    );
}

#[tokio::test]
async fn a_trickling_answer_is_cut_by_the_timeout() {
    // One byte of body every 20 ms, forever: the per-attempt timeout covers the body.
    let (base_url, server) = endless_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n",
        b" ".to_vec(),
        Duration::from_millis(20),
        LIMIT,
    )
    .await;
    let client = client_builder(&base_url, Delivery::AtMostOnce)
        .build()
        .expect("client");
    let e = client.trigger(&order(1)).await.expect_err("timeout");
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert_eq!(e.attempts(), 1, "at most once does not retry a timeout");
    assert!(e.may_have_been_delivered());
    drop(client);
    server.abort();
}
