//! A client that shuts down its sending side after a complete request still gets the answer,
//! and its bulletin is recorded once, accepted. (Regression: hyper's default dropped such a
//! connection, and the request with it, without answering.)

mod common;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_closed_request_is_answered() {
    let emulator = start().await;
    let request = format!(
        "POST /1/targets/trigger.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         X-CleverTap-Account-Id: {ACCOUNT}\r\nX-CleverTap-Passcode: {PASSCODE}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{EXAMPLE}",
        EXAMPLE.len()
    );
    for round in 1..=10 {
        let mut stream = tokio::net::TcpStream::connect(emulator.addr())
            .await
            .expect("connect");
        stream.write_all(request.as_bytes()).await.expect("write");
        stream.shutdown().await.expect("half-close");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("read");
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with("HTTP/1.1 200 "),
            "round {round}: {answer:?}"
        );
        assert!(
            answer.ends_with(r#"{"status":"success","targets":1}"#),
            "{answer}"
        );
        let bulletins = emulator.bulletins();
        assert_eq!(bulletins.len(), round);
        assert!(bulletins.iter().all(|b| b.is_accepted()));
    }
    emulator.shutdown().await;
}
