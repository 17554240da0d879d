//! `Retry-After` as an HTTP date is measured from the system's time: a date an hour past means
//! "retry now", a date an hour ahead is beyond the time budget. A plain loopback server answers
//! with a canned 429 first, then CleverTap's success.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bulletins_http::{Error, RetryPolicy};
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SUCCESS: &str = r#"{"status":"success","targets":1}"#;
const BUSY: &str = r#"{"status":"fail","error":"Too many concurrent requests","code":429}"#;

/// Serves on loopback: the first request gets a 429 with `Retry-After: <retry_after>`, every
/// later one a success. Returns the base URL and the count of requests read.
async fn busy_once(retry_after: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            if read_request(&mut stream).await.is_none() {
                continue;
            }
            let answer = if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                response("429 Too Many Requests", &retry_after, BUSY)
            } else {
                response("200 OK", "", SUCCESS)
            };
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (base_url, requests)
}

fn response(status: &str, retry_after: &str, body: &str) -> String {
    let header = if retry_after.is_empty() {
        String::new()
    } else {
        format!("Retry-After: {retry_after}\r\n")
    };
    format!(
        "HTTP/1.1 {status}\r\n{header}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads one request: the head, then `Content-Length` bytes of body.
async fn read_request(stream: &mut TcpStream) -> Option<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())?;
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Some(())
}

/// Two attempts; a `Retry-After` honoured up to a day; a 60-second time budget. Were the date
/// measured from any other time than now (the UNIX epoch, say), an hour-old date would be
/// decades ahead, beyond the budget.
fn policy() -> RetryPolicy {
    RetryPolicy::at_most_once()
        .max_attempts(2)
        .max_retry_after(Duration::from_secs(24 * 3600))
        .max_elapsed(Duration::from_secs(60))
}

fn date(from_now: i64) -> String {
    let now = SystemTime::now();
    let offset = Duration::from_secs(from_now.unsigned_abs());
    let at = if from_now < 0 {
        now - offset
    } else {
        now + offset
    };
    httpdate::fmt_http_date(at)
}

#[tokio::test]
async fn a_date_already_past_is_retried_at_once() {
    let (base_url, requests) = busy_once(date(-3600)).await;
    let client = builder(&base_url).retry(policy()).build().expect("client");
    let triggered = client
        .trigger(&program("1"))
        .await
        .expect("retried, then accepted");
    assert_eq!(triggered.targets, 1);
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_date_beyond_the_time_budget_ends_the_retries() {
    let (base_url, requests) = busy_once(date(3600)).await;
    let client = builder(&base_url).retry(policy()).build().expect("client");
    let error = client
        .trigger(&program("1"))
        .await
        .expect_err("not retried");
    assert!(
        matches!(&error, Error::Api { error, attempts: 1, .. } if error.status.as_u16() == 429),
        "{error}"
    );
    assert!(!error.may_have_been_delivered(), "{error}");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}
