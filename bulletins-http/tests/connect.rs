//! A connection that cannot be made in time is "not connected" — certainly not sent — even
//! though reqwest also calls it a timeout.

mod common;

use std::time::Duration;

use bulletins_http::{Error, RetryPolicy, TransportKind};
use common::*;

/// A listener that never accepts, with its accept queue filled, so that further connection
/// attempts get no answer to their SYN (Linux drops it) and hang until the connect timeout.
async fn black_hole() -> Option<(tokio::net::TcpListener, Vec<tokio::net::TcpStream>)> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind("127.0.0.1:0".parse().ok()?).ok()?;
    let listener = socket.listen(0).ok()?;
    let addr = listener.local_addr().ok()?;
    let mut held = Vec::new();
    for _ in 0..16 {
        match tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            Ok(Ok(stream)) => held.push(stream),
            Ok(Err(_)) => return None,
            // This connection hangs: the queue is full.
            Err(_) => return Some((listener, held)),
        }
    }
    None
}

#[tokio::test]
async fn a_connect_timeout_is_not_connected() {
    let Some((listener, _held)) = black_hole().await else {
        eprintln!("skipped: this system accepts every connection at once");
        return;
    };
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    for policy in [RetryPolicy::at_most_once(), RetryPolicy::at_least_once()] {
        let client = builder(&base)
            .timeout(Duration::from_secs(2))
            .connect_timeout(Duration::from_millis(100))
            .retry(fast(policy))
            .build()
            .expect("client");
        let e = client
            .trigger(&program("1"))
            .await
            .expect_err("no connection");
        assert!(
            matches!(
                e,
                Error::Transport {
                    kind: TransportKind::NotConnected,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.attempts(), 3, "certainly not sent, so retried");
        assert!(!e.may_have_been_delivered());
    }
}
