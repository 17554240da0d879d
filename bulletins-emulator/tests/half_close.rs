//! A client that shuts down its sending side after a complete request cannot be told from one
//! that went away, so it may get no answer; the record must then not claim the bulletin was
//! acknowledged. Every 200 that went out is one accepted bulletin, and nothing more.

mod common;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_closed_request_is_accepted_only_if_answered() {
    let emulator = start().await;
    let request = format!(
        "POST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         X-CleverTap-Account-Id: {ACCOUNT}\r\nX-CleverTap-Passcode: {PASSCODE}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{EXAMPLE}",
        EXAMPLE.len()
    );
    let mut answered = 0;
    for _ in 0..20 {
        let mut stream = tokio::net::TcpStream::connect(emulator.addr())
            .await
            .expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        stream.shutdown().await.expect("half-close");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        if !answer.is_empty() {
            assert!(answer.starts_with("HTTP/1.1 200 "), "{answer:?}");
            answered += 1;
        }
    }
    // Give any request still in its handler time to end.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let accepted = emulator.accepted().len();
    assert_eq!(
        accepted, answered,
        "accepted bulletins vs 200s that went out"
    );
    emulator.shutdown().await;
}
