//! Malformed HTTP, headers and bodies get a 4xx (or a closed connection), never a panic.

mod common;

use common::*;

/// The status line of a raw answer.
fn status_of(answer: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(answer);
    let code = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    code.unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"))
}

#[tokio::test]
async fn malformed_http_gets_a_4xx() {
    let emulator = start().await;
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let many_headers = format!(
        "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..500)
            .map(|i| format!("X-{i}: v\r\n"))
            .collect::<String>()
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"GARBAGE\r\n\r\n".to_vec()),
        ("binary", vec![0, 159, 146, 150, 255, 13, 10, 13, 10]),
        ("bad version", b"POST /1/targets/trigger.json HTTP/9.9\r\n\r\n".to_vec()),
        ("space in path", b"POST /1/targets/ trigger.json HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("bad header line", b"POST /1/targets/trigger.json HTTP/1.1\r\nno colon here\r\n\r\n".to_vec()),
        (
            "bad content length",
            b"POST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".to_vec(),
        ),
        (
            "two content lengths",
            b"POST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}".to_vec(),
        ),
        ("huge header", huge_header.into_bytes()),
        ("many headers", many_headers.into_bytes()),
    ];
    for (name, request) in cases {
        let answer = raw(&emulator, &request).await;
        let answer = answer.unwrap_or_else(|e| panic!("{name}: {e}"));
        let status = status_of(&answer);
        assert!((400..500).contains(&status), "{name}: {status}");
    }
    // Still serving.
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 200);
}

#[tokio::test]
async fn broken_chunked_bodies_get_a_4xx_or_a_close() {
    let emulator = start().await;
    let request = format!(
        "POST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         X-CleverTap-Account-Id: {ACCOUNT}\r\nX-CleverTap-Passcode: {PASSCODE}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{{}}\r\n0\r\n\r\n"
    );
    match raw(&emulator, request.as_bytes()).await {
        Ok(answer) if !answer.is_empty() => {
            let status = status_of(&answer);
            assert!((400..500).contains(&status), "{status}");
        }
        _ => {}
    }
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 200);
}

#[tokio::test]
async fn odd_headers_get_a_4xx() {
    let emulator = start().await;
    // A non-UTF-8 account id, an obs-text passcode, a non-UTF-8 content type.
    let requests = [
        b"POST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-CleverTap-Account-Id: \xff\xfe\r\nX-CleverTap-Passcode: XXXXXX\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
        b"POST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-CleverTap-Account-Id: ABCD-RSTU-1234\r\nX-CleverTap-Passcode: \xe9\xe9\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
        b"POST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-CleverTap-Account-Id: ABCD-RSTU-1234\r\nX-CleverTap-Passcode: XXXXXX\r\nContent-Type: \xff\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
    ];
    let expected = [401, 401, 415];
    for (request, expected) in requests.iter().zip(expected) {
        let answer = raw(&emulator, request).await.unwrap_or_default();
        assert_eq!(status_of(&answer), expected);
    }
}

/// A small deterministic generator, so a failure can be replayed.
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

#[tokio::test]
async fn garbage_bodies_never_break_the_server() {
    let emulator = start().await;
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let seeds: Vec<Vec<u8>> = vec![
        EXAMPLE.as_bytes().to_vec(),
        br#"{"event":"order_placed","when":1,"properties":{"order_id":"1","product_category":"x"},"name":"n","c-by":"c"}"#.to_vec(),
        "[".repeat(100_000).into_bytes(),
        "{\"a\":".repeat(50_000).into_bytes(),
        br#"{"business_event":"Program Released","properties":{"program_id":"\ud800"}}"#.to_vec(),
        br#"{"when":1e400,"event":"ping"}"#.to_vec(),
        br#"{"when":18446744073709551616,"event":"ping","properties":{},"name":"n","c-by":"c"}"#.to_vec(),
    ];
    let alphabet = br#"{}[]",:0123456789.-+eE\ntrufalsn "#;
    let client = client();
    for round in 0..400 {
        let mut body = seeds[round % seeds.len()].clone();
        let edits = 1 + rng.below(8);
        for _ in 0..edits {
            if body.is_empty() {
                break;
            }
            let at = rng.below(body.len());
            match rng.below(4) {
                0 => body[at] = alphabet[rng.below(alphabet.len())],
                1 => body[at] = rng.next() as u8,
                2 => {
                    body.remove(at);
                }
                _ => body.truncate(at),
            }
        }
        let mut request = client.post(emulator.trigger_url()).body(body);
        for (name, value) in HEADERS {
            request = request.header(*name, *value);
        }
        let response = request.send().await;
        let response = response.unwrap_or_else(|e| panic!("round {round}: no answer: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status == 200 || status == 400,
            "round {round}: {status} {text}"
        );
        assert!(text.starts_with(r#"{"status":"#), "round {round}: {text}");
    }
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 200);
}
