//! Load and soak: many bulletins through `trigger_all` against the emulator with CleverTap's
//! concurrency limit (3) on. Every bulletin is accounted for — the emulator's accepted count
//! equals the client's successes, no order id arrives twice — and the process's peak memory is
//! reported. `soak_100k` is `#[ignore]`d (run it with
//! `cargo test --release -p bulletins-tests --test soak -- --ignored soak`); `load_2k` runs in
//! the normal suite.

use std::collections::HashSet;
use std::time::Instant;

use bulletins_http::Delivery;
use bulletins_tests::*;

/// Raises `n` bulletins and checks the accounting; returns the peak-RSS growth in KiB.
async fn run(n: usize) -> Option<u64> {
    let hwm_before = peak_rss_kib();
    let emulator = emulator().start().await.expect("emulator");
    let client = client_builder(&emulator.base_url(), Delivery::AtMostOnce)
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("client");
    let started = Instant::now();
    // The bulletins are generated lazily: trigger_all pulls them as slots free up.
    let results = client.trigger_all((0..n).map(order)).await;
    let elapsed = started.elapsed();

    assert_eq!(results.len(), n, "one result per bulletin");
    let failures: Vec<_> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| format!("{i}: {e}")))
        .take(5)
        .collect();
    assert!(failures.is_empty(), "failures: {failures:?}");
    let successes = results.len();

    let recorded = emulator.bulletins();
    let accepted = recorded.iter().filter(|b| b.is_accepted()).count();
    assert_eq!(accepted, successes, "recorded count == successes");
    assert_eq!(
        recorded.len(),
        successes,
        "nothing received but unacknowledged"
    );
    let ids: HashSet<&str> = recorded
        .iter()
        .map(|b| b.property("order_id").expect("order_id"))
        .collect();
    assert_eq!(ids.len(), n, "no order id twice, none missing");
    let rejected = emulator.rejections().len();
    drop(recorded);
    emulator.shutdown().await;

    let hwm_after = peak_rss_kib();
    eprintln!(
        "{n} bulletins in {elapsed:?} ({:.0}/s); 429s retried: {rejected}; VmHWM before {hwm_before:?} KiB, after {hwm_after:?} KiB",
        n as f64 / elapsed.as_secs_f64()
    );
    Some(hwm_after?.saturating_sub(hwm_before?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_2k() {
    run(2_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a soak: 100,000 bulletins; run with --release -- --ignored soak"]
async fn soak_100k() {
    let growth = run(100_000).await;
    // The emulator keeps every bulletin it received (about 1-2 KiB each as parsed JSON), in
    // this same process; the client's own memory is bounded by its window of 6. So the peak
    // may grow with the record, but not without bound.
    if let Some(growth) = growth {
        assert!(
            growth < 1024 * 1024,
            "peak RSS grew by {growth} KiB for 100,000 bulletins"
        );
    }
}
