//! CleverTap's per-account concurrency limit: 429 exactly when one request too many is in flight.

mod common;

use std::time::{Duration, Instant};

use bulletins_emulator::{Emulator, Fault};
use common::*;
use tokio::task::JoinHandle;

const HOLD: Duration = Duration::from_millis(1500);

/// Starts `n` requests that stay in flight for [`HOLD`], and waits until the emulator holds
/// them all (each is recorded before its delay starts).
async fn hold(
    emulator: &Emulator,
    n: usize,
    headers: &'static [(&'static str, &'static str)],
) -> Vec<JoinHandle<u16>> {
    let before = emulator.bulletins().len();
    emulator.inject(Fault::Delay(HOLD), n);
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let url = emulator.trigger_url();
            tokio::spawn(async move {
                let mut request = client().post(url).body(EXAMPLE);
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                match request.send().await {
                    Ok(response) => response.status().as_u16(),
                    Err(_) => 0,
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while emulator.bulletins().len() < before + n {
        assert!(Instant::now() < deadline, "requests did not arrive");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tasks
}

async fn statuses(tasks: Vec<JoinHandle<u16>>) -> Vec<u16> {
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap_or_default());
    }
    statuses
}

#[tokio::test]
async fn the_request_over_the_limit_gets_429_at_once() {
    let emulator = start().await; // CleverTap's default: 3.
    let held = hold(&emulator, 3, HEADERS).await;

    let started = Instant::now();
    let answer = trigger(&emulator, EXAMPLE).await;
    assert!(
        started.elapsed() < HOLD / 2,
        "not at once: {:?}",
        started.elapsed()
    );
    assert_eq!(answer.status, 429);
    assert_eq!(
        answer.body,
        r#"{"status":"fail","error":"Too many concurrent requests","code":429}"#
    );
    assert_eq!(
        emulator.rejections().last().and_then(|r| r.status),
        Some(429)
    );

    assert_eq!(statuses(held).await, [200, 200, 200]);
    // The slots are given back.
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 200);
}

#[tokio::test]
async fn the_request_at_the_limit_is_served() {
    let emulator = start().await;
    let held = hold(&emulator, 2, HEADERS).await;
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 200);
    assert_eq!(statuses(held).await, [200, 200]);
}

#[tokio::test]
async fn the_limit_is_per_account() {
    const OTHER: &[(&str, &str)] = &[
        ("X-CleverTap-Account-Id", "OTHER-ACCOUNT"),
        ("X-CleverTap-Passcode", "other"),
        ("Content-Type", "application/json"),
    ];
    let emulator = dashboard()
        .account("OTHER-ACCOUNT", "other")
        .concurrency_limit(1)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let held = hold(&emulator, 1, HEADERS).await;
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 429);
    let other = post_with(&emulator, OTHER, EXAMPLE).await.map(|a| a.status);
    assert_eq!(other.ok(), Some(200));
    // Refused credentials do not take a slot either.
    let wrong = [
        ("X-CleverTap-Account-Id", ACCOUNT),
        ("X-CleverTap-Passcode", "no"),
    ];
    let answer = post_with(&emulator, &wrong, EXAMPLE)
        .await
        .map(|a| a.status);
    assert_eq!(answer.ok(), Some(401));
    assert_eq!(statuses(held).await, [200]);
}

#[tokio::test]
async fn zero_means_unlimited() {
    let emulator = dashboard()
        .concurrency_limit(0)
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let held = hold(&emulator, 10, HEADERS).await;
    assert_eq!(trigger(&emulator, EXAMPLE).await.status, 200);
    assert_eq!(statuses(held).await, [200; 10]);
}
