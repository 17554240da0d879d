//! The emulator under raw-socket garbage: request smuggling shapes, broken framing, and
//! thousands of deterministic mutations of a valid request's bytes (head and body alike). Every
//! answer is a 200 or a 4xx (or a closed connection) — never a 5xx, never a hang — no thread of
//! the process panics, every 200 is exactly one accepted bulletin, and the emulator still
//! serves afterwards. Complements `bulletins-emulator`'s `tests/robustness.rs`, which covers
//! named malformed requests and mutated bodies sent by a well-behaved client.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bulletins_emulator::Emulator;
use bulletins_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What came back on one connection.
struct Exchange {
    answer: Vec<u8>,
    /// The connection was reset: a server that closes with unread request bytes makes the
    /// kernel send RST, which may discard an answer already sent.
    reset: bool,
}

/// Sends `request`, half-closes (so a truncated request cannot leave the server waiting), and
/// reads until the server closes. `None` on a hang. The emulator may treat the half-close as
/// the client going away and answer nothing (see `bulletins-emulator`'s `tests/half_close.rs`).
async fn exchange(emulator: &Emulator, request: &[u8]) -> Option<Exchange> {
    exchange_with(emulator, request, true).await
}

async fn exchange_with(emulator: &Emulator, request: &[u8], half_close: bool) -> Option<Exchange> {
    let mut stream = TcpStream::connect(emulator.addr()).await.ok()?;
    // The server may close before reading everything; that is an answer too.
    let _ = stream.write_all(request).await;
    if half_close {
        let _ = stream.shutdown().await;
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer));
    match read.await {
        Ok(result) => Some(Exchange {
            answer,
            reset: result.is_err(),
        }),
        Err(_) => None,
    }
}

/// The status codes of every response in a raw answer (pipelined requests give several).
fn statuses(answer: &[u8]) -> Vec<u16> {
    let text = String::from_utf8_lossy(answer);
    // A pipelined answer follows the previous body directly, so not only at line starts.
    text.match_indices("HTTP/1.")
        .filter(|(at, _)| text.get(at + 8..at + 9) == Some(" "))
        .filter_map(|(at, _)| text.get(at + 9..at + 12)?.parse().ok())
        .collect()
}

fn valid_request() -> Vec<u8> {
    let body = order(7).to_json_vec().expect("valid");
    let mut request = format!(
        "POST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         X-CleverTap-Account-Id: {ACCOUNT}\r\nX-CleverTap-Passcode: {PASSCODE}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    request
}

/// Requests whose framing is hostile: smuggling shapes, impossible lengths, odd forms.
fn named_cases() -> Vec<(&'static str, Vec<u8>)> {
    let head = format!(
        "POST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\n\
         X-CleverTap-Account-Id: {ACCOUNT}\r\nX-CleverTap-Passcode: {PASSCODE}\r\n\
         Content-Type: application/json\r\n"
    );
    let body = String::from_utf8(order(8).to_json_vec().expect("valid")).expect("utf8");
    let with = |extra: &str, rest: &str| format!("{head}{extra}\r\n{rest}").into_bytes();
    vec![
        ("CL and TE", with("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n")),
        ("TE twice", with("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n")),
        ("TE not chunked", with("Transfer-Encoding: gzip\r\n", "0\r\n\r\n")),
        ("TE with junk", with("Transfer-Encoding: chunked, identity\r\n", "0\r\n\r\n")),
        ("chunk size overflow", with("Transfer-Encoding: chunked\r\n", "ffffffffffffffffffff\r\nx\r\n0\r\n\r\n")),
        ("negative length", with("Content-Length: -1\r\n", "")),
        ("huge length, little body", with("Content-Length: 18446744073709551615\r\n", "{}")),
        ("length past u64", with("Content-Length: 99999999999999999999999\r\n", "{}")),
        ("length with sign", with("Content-Length: +2\r\n", "{}")),
        ("length list", with("Content-Length: 2, 2\r\n", "{}")),
        ("obs-fold", with(&format!("X-Folded: a\r\n b\r\nContent-Length: {}\r\n", body.len()), &body)),
        ("header name with space", with("Bad Name: v\r\nContent-Length: 2\r\n", "{}")),
        ("NUL in header value", with("X-Nul: a\0b\r\nContent-Length: 2\r\n", "{}")),
        ("bare LF line endings", b"POST /1/targets/trigger.json HTTP/1.1\nHost: x\nContent-Length: 2\n\n{}".to_vec()),
        ("bare CR", b"POST /1/targets/trigger.json HTTP/1.1\rHost: x\r\r".to_vec()),
        ("absolute-form URI", b"POST http://evil.example/1/targets/trigger.json HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}".to_vec()),
        ("asterisk URI", b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("CONNECT", b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n".to_vec()),
        ("HTTP/1.0 no Host", b"POST /1/targets/trigger.json HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}".to_vec()),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec()),
        ("TLS client hello", vec![0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]),
        ("method with NUL", b"PO\0ST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("long method", format!("{} / HTTP/1.1\r\nHost: x\r\n\r\n", "A".repeat(70_000)).into_bytes()),
        ("long URI", format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000)).into_bytes()),
        ("percent-encoded path", b"POST /1/targets/trigger%2Ejson HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".to_vec()),
        ("dot segments", b"POST /1/targets/../targets/trigger.json HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".to_vec()),
        ("upgrade", with("Connection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 2\r\n", "{}")),
        ("expect 100", with(&format!("Expect: 100-continue\r\nContent-Length: {}\r\n", body.len()), &body)),
        ("body over 1 MiB", with(&format!("Content-Length: {}\r\n", 2 * 1024 * 1024), &"x".repeat(2 * 1024 * 1024))),
        ("chunked body over 1 MiB", {
            let chunk = format!("100000\r\n{}\r\n", "x".repeat(0x100000));
            with("Transfer-Encoding: chunked\r\n", &format!("{chunk}{chunk}0\r\n\r\n"))
        }),
        ("pipelined twice", {
            let one = with(&format!("Content-Length: {}\r\n", body.len()), &body);
            [one.clone(), one].concat()
        }),
        ("nothing", Vec::new()),
        ("only CRLFs", b"\r\n\r\n\r\n\r\n".to_vec()),
    ]
}

/// A small deterministic generator, so a failing round can be replayed from its number.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Mutates `request`: byte flips, HTTP-significant bytes, insertions, deletions, truncation,
/// duplicated slices.
fn mutate(rng: &mut XorShift, mut request: Vec<u8>) -> Vec<u8> {
    const SPECIAL: &[u8] = b"\r\n: \0\t\"{}\\/%?#@,;=\x7f\xff0123456789";
    for _ in 0..1 + rng.below(6) {
        if request.is_empty() {
            break;
        }
        let at = rng.below(request.len());
        match rng.below(6) {
            0 => request[at] = rng.next() as u8,
            1 => request[at] = SPECIAL[rng.below(SPECIAL.len())],
            2 => request.insert(at, SPECIAL[rng.below(SPECIAL.len())]),
            3 => {
                request.remove(at);
            }
            4 => request.truncate(at),
            _ => {
                let end = (at + 1 + rng.below(40)).min(request.len());
                let slice = request[at..end].to_vec();
                request.splice(at..at, slice);
            }
        }
    }
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_garbage_gets_a_4xx_or_a_close_and_never_a_panic() {
    let panics = Arc::new(AtomicUsize::new(0));
    let seen_panics = Arc::clone(&panics);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        seen_panics.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));

    let emulator = emulator().start().await.expect("emulator");
    let mut oks = 0;
    let mut closed = 0;
    let mut resets = 0;
    let mut check = |label: &str, exchange: Option<Exchange>| {
        let exchange = exchange.unwrap_or_else(|| panic!("{label}: the emulator hung"));
        let answer = exchange.answer;
        closed += usize::from(answer.is_empty());
        resets += usize::from(exchange.reset);
        let statuses = statuses(&answer);
        if !answer.is_empty() {
            assert!(
                !statuses.is_empty(),
                "{label}: not HTTP: {:?}",
                String::from_utf8_lossy(&answer)
            );
        }
        // `100 Continue` is an interim answer to `Expect: 100-continue`, not a verdict.
        for status in statuses.iter().filter(|s| **s != 100) {
            assert!(
                *status == 200 || (400..500).contains(status),
                "{label}: answered {status}: {:?}",
                String::from_utf8_lossy(&answer[..answer.len().min(300)])
            );
        }
        oks += statuses.iter().filter(|s| **s == 200).count();
    };

    for (name, request) in named_cases() {
        let answer = exchange(&emulator, &request).await;
        check(name, answer);
    }
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let valid = valid_request();
    for round in 0..3_000 {
        let request = mutate(&mut rng, valid.clone());
        let answer = exchange(&emulator, &request).await;
        check(&format!("round {round}"), answer);
    }

    eprintln!("{oks} answered 200; {closed} closed without an answer; {resets} reset");
    // Every 200 was one accepted bulletin (a close or reset may have eaten a 200), and the
    // emulator still serves a client that does not half-close.
    let accepted = seen(&emulator).accepted;
    assert!(
        accepted >= oks && accepted <= oks + closed + resets,
        "{accepted} accepted, {oks} 200s seen, {closed} closed, {resets} resets"
    );
    let answer = exchange_with(&emulator, &valid, false)
        .await
        .expect("answer")
        .answer;
    assert_eq!(statuses(&answer), [200], "still serving");
    emulator.shutdown().await;
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a thread panicked");
}
