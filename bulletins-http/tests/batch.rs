//! Many bulletins against an emulator that allows as many concurrent requests as the client's
//! cap (3, as CleverTap does, or 8).
//!
//! Each test runs on both of the batch's paths: at the cap of 3, polled in the stream's own
//! task; at a cap of 8 on a multi-threaded runtime, on worker tasks.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::protocol::PropertyWriter;
use bulletins_http::{Bulletin, BusinessEvent, DynamicEvent, Error};
use common::*;
use futures_util::StreamExt as _;

/// Either of the two dashboard events, so results can be told apart by their `targets`.
#[derive(Debug)]
enum Either {
    Program(ProgramReleased),
    Order(OrderPlaced),
}

impl BusinessEvent for Either {
    fn event_name(&self) -> &str {
        match self {
            Either::Program(e) => e.event_name(),
            Either::Order(e) => e.event_name(),
        }
    }

    fn write_properties(
        &self,
        properties: &mut PropertyWriter<'_>,
    ) -> Result<(), bulletins_http::BuildError> {
        match self {
            Either::Program(e) => e.write_properties(properties),
            Either::Order(e) => e.write_properties(properties),
        }
    }
}

/// Runs `$body(cap)` at CleverTap's cap and above it, as `$name::cap_3` and `$name::cap_8`
/// (batches at a cap of 3 or less were once polled in the stream's own task; every batch now
/// runs on worker tasks).
macro_rules! at_two_caps {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn cap_3() {
                super::$body(3).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn cap_8() {
                super::$body(8).await;
            }
        }
    };
}

/// The most bulletins a batch pulls beyond those answered: three times the cap (in flight,
/// and prepared for the next free worker).
fn lookahead(cap: usize) -> usize {
    3 * cap
}

fn capped(emulator: &bulletins_emulator::Emulator, cap: usize) -> bulletins_http::Client {
    builder(&emulator.base_url())
        .max_concurrency(cap)
        .build()
        .expect("client builds")
}

/// Bulletin `i`: an order (2 targets) when `i % 3 == 0`, else a program (1 target); named
/// after its index.
fn nth(i: usize) -> Bulletin<'static, Either> {
    let event = if i % 3 == 0 {
        Either::Order(OrderPlaced {
            order_id: i.to_string(),
        })
    } else {
        Either::Program(ProgramReleased {
            program_id: i.to_string(),
            language: "Hindi".into(),
            prev_program_id: None,
        })
    };
    Bulletin::new(event, format!("bulletin {i}"), "[email protected]")
}

at_two_caps!(a_thousand_bulletins_within_the_concurrency_limit, thousand);
async fn thousand(cap: usize) {
    const N: usize = 1000;
    let emulator = start_with(cap).await;
    // Slow answers at first, so requests overlap: above the cap in flight the emulator answers
    // 429.
    emulator.inject(Fault::Delay(Duration::from_millis(20)), 30);
    let client = capped(&emulator, cap);

    let results = client.trigger_all((0..N).map(nth)).await;

    assert_eq!(results.len(), N);
    for (i, result) in results.iter().enumerate() {
        let expected = if i % 3 == 0 { 2 } else { 1 };
        match result {
            Ok(triggered) => assert_eq!(triggered.targets, expected, "result {i} out of order"),
            Err(e) => panic!("bulletin {i}: {e}"),
        }
    }
    // Zero 429s: nothing was refused, and every bulletin arrived exactly once.
    assert_eq!(emulator.rejections(), vec![]);
    let mut deliveries: HashMap<String, usize> = HashMap::new();
    for recorded in emulator.accepted() {
        *deliveries
            .entry(recorded.name.clone().unwrap_or_default())
            .or_default() += 1;
    }
    assert_eq!(deliveries.len(), N);
    assert!(deliveries.values().all(|&n| n == 1));
    assert_eq!(emulator.bulletins().len(), N);
}

at_two_caps!(each_attempt_gets_its_whole_timeout, whole_timeout);
async fn whole_timeout(cap: usize) {
    const TIMEOUT: Duration = Duration::from_millis(400);
    let emulator = start_with(cap).await;
    let client = builder(&emulator.base_url())
        .max_concurrency(cap)
        .timeout(TIMEOUT)
        .build()
        .expect("client builds");
    // Four answers of 150 ms in a row per slot: 600 ms, longer than one timeout. Each attempt
    // is timed from its own start, so none is cut short by a timer left from an earlier one.
    emulator.inject(Fault::Delay(Duration::from_millis(150)), 4 * cap);
    let results = client.trigger_all((0..4 * cap).map(nth)).await;
    for (i, result) in results.iter().enumerate() {
        assert!(result.is_ok(), "bulletin {i}: {result:?}");
    }
    // An answer slower than the timeout still ends its attempt.
    emulator.inject(Fault::Delay(Duration::from_secs(2)), 1);
    let results = client.trigger_all((0..cap).map(nth)).await;
    let timed_out: Vec<_> = results
        .iter()
        .filter(
            |result| matches!(result, Err(Error::Timeout { timeout, .. }) if *timeout == TIMEOUT),
        )
        .collect();
    assert_eq!(timed_out.len(), 1, "{results:?}");
    assert_eq!(
        results.iter().filter(|result| result.is_ok()).count(),
        cap - 1
    );
}

at_two_caps!(no_failure_is_dropped_and_results_stay_in_order, in_order);
async fn in_order(cap: usize) {
    let emulator = start_with(cap).await;
    let client = capped(&emulator, cap);
    let unknown = |name: &str| {
        Bulletin::new(
            DynamicEvent::new(name).expect("valid"),
            "n",
            "[email protected]",
        )
    };
    let bulletins = vec![
        unknown("Program Released"), // required properties missing: refused by CleverTap
        Bulletin::new(DynamicEvent::new("nope").expect("valid"), "", "c"), // invalid: not sent
        unknown("Not Defined"),
        Bulletin::new(
            DynamicEvent::new("order_placed")
                .and_then(|e| e.property("order_id", "1"))
                .expect("valid"),
            "ok",
            "c",
        ),
    ];
    let results = client.trigger_all(bulletins).await;
    assert_eq!(results.len(), 4);
    assert!(matches!(&results[0], Err(e) if e.api_error().is_some()));
    assert!(matches!(&results[1], Err(Error::Invalid(_))));
    assert!(matches!(&results[2], Err(e) if e.api_error().is_some()));
    assert!(matches!(&results[3], Ok(t) if t.targets == 2));
    assert_eq!(emulator.accepted().len(), 1);
}

at_two_caps!(the_stream_yields_every_index_once, every_index_once);
async fn every_index_once(cap: usize) {
    let emulator = start_with(cap).await;
    let client = capped(&emulator, cap);
    let mut seen = vec![0usize; 50];
    let mut stream = std::pin::pin!(client.trigger_stream((0..50).map(nth)));
    while let Some((index, result)) = stream.next().await {
        result.expect("success");
        seen[index] += 1;
    }
    assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
    assert_eq!(emulator.accepted().len(), 50);
    assert_eq!(emulator.rejections(), vec![]);
}

at_two_caps!(bulletins_are_pulled_lazily, lazily);
async fn lazily(cap: usize) {
    // An endless iterator would hang if trigger_stream materialized its input.
    let emulator = start_with(cap).await;
    let client = capped(&emulator, cap);
    let pulled = std::sync::atomic::AtomicUsize::new(0);
    let endless = (0..).map(|i| {
        pulled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        nth(i)
    });
    let firsts: Vec<_> = client.trigger_stream(endless).take(5).collect().await;
    assert_eq!(firsts.len(), 5);
    let pulled = pulled.load(std::sync::atomic::Ordering::Relaxed);
    assert!(pulled <= 5 + lookahead(cap), "{pulled} pulled at cap {cap}");
}
