//! Whatever numbers a caller gives the builder (timeouts, the cap, retry settings), building
//! either fails with an error or gives a client whose trigger runs: no input reaches a panic.

mod common;

use std::time::Duration;

use bulletins_emulator::{Emulator, Fault};
use bulletins_http::{Client, Delivery, RetryPolicy};
use common::*;
use proptest::prelude::*;

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        3 => (1u64..3_000).prop_map(Duration::from_millis),
        1 => (0u64..=u64::MAX, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
        1 => Just(Duration::MAX),
        1 => Just(Duration::ZERO),
        1 => Just(Duration::from_nanos(1)),
    ]
}

fn cap() -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => 1usize..8,
        1 => any::<usize>(),
        1 => Just(usize::MAX),
        1 => Just(0usize),
    ]
}

fn policy() -> impl Strategy<Value = RetryPolicy> {
    (
        prop::bool::ANY,
        prop::option::of(any::<u32>()),
        prop::option::of((duration(), duration())),
        prop::option::of(duration()),
        prop::option::of(duration()),
    )
        .prop_map(|(at_least_once, attempts, backoff, retry_after, elapsed)| {
            let mut policy = if at_least_once {
                RetryPolicy::at_least_once()
            } else {
                RetryPolicy::at_most_once()
            };
            if let Some(attempts) = attempts {
                policy = policy.max_attempts(attempts);
            }
            if let Some((initial, max)) = backoff {
                policy = policy.backoff(initial, max);
            }
            if let Some(max) = retry_after {
                policy = policy.max_retry_after(max);
            }
            if let Some(max) = elapsed {
                policy = policy.max_elapsed(max);
            }
            policy.delivery(if at_least_once {
                Delivery::AtLeastOnce
            } else {
                Delivery::AtMostOnce
            })
        })
}

/// One builder's settings, each left out sometimes, and the answer the emulator gives first.
#[derive(Debug, Clone)]
struct Inputs {
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_concurrency: Option<usize>,
    retry: Option<RetryPolicy>,
    /// A 429 first, so that the retry settings are used.
    too_many_requests: bool,
}

fn inputs() -> impl Strategy<Value = Inputs> {
    (
        prop::option::of(duration()),
        prop::option::of(duration()),
        prop::option::of(cap()),
        prop::option::of(policy()),
        prop::bool::ANY,
    )
        .prop_map(
            |(timeout, connect_timeout, max_concurrency, retry, too_many_requests)| Inputs {
                timeout,
                connect_timeout,
                max_concurrency,
                retry,
                too_many_requests,
            },
        )
}

/// Builds from `inputs`; when that succeeds, triggers once (for at most 100 ms: a setting may
/// well make the trigger wait, which is not what this checks) and then runs a batch of two.
async fn build_and_trigger(emulator: &Emulator, inputs: Inputs) {
    let mut builder = Client::builder()
        .base_url(emulator.base_url())
        .account_id(ACCOUNT)
        .passcode(PASSCODE);
    if let Some(timeout) = inputs.timeout {
        builder = builder.timeout(timeout);
    }
    if let Some(timeout) = inputs.connect_timeout {
        builder = builder.connect_timeout(timeout);
    }
    if let Some(max) = inputs.max_concurrency {
        builder = builder.max_concurrency(max);
    }
    if let Some(policy) = inputs.retry {
        builder = builder.retry(policy);
    }
    let Ok(client) = builder.build() else {
        return;
    };
    if inputs.too_many_requests {
        emulator.inject(Fault::TooManyRequests { retry_after: None }, 1);
    }
    let bound = Duration::from_millis(100);
    let _ = tokio::time::timeout(bound, client.trigger(&program("1"))).await;
    let _ = tokio::time::timeout(bound, client.trigger_all([program("2"), program("3")])).await;
}

#[test]
fn no_builder_input_makes_a_trigger_panic() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let emulator = runtime.block_on(start());
    let config = ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    };
    proptest!(config, |(inputs in inputs())| {
        runtime.block_on(build_and_trigger(&emulator, inputs));
    });
}

/// The edges named in the defect report, each on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_timeout_and_cap_build_an_error_or_a_working_client() {
    let emulator = start().await;
    for inputs in [
        Inputs {
            timeout: Some(Duration::MAX),
            connect_timeout: None,
            max_concurrency: None,
            retry: None,
            too_many_requests: false,
        },
        Inputs {
            timeout: None,
            connect_timeout: None,
            max_concurrency: Some(usize::MAX),
            retry: None,
            too_many_requests: false,
        },
    ] {
        build_and_trigger(&emulator, inputs).await;
    }
    // Honoured as "no timeout": the trigger is answered, not cut short or failed.
    let client = builder(&emulator.base_url())
        .timeout(Duration::MAX)
        .build()
        .expect("an unbounded timeout builds");
    client
        .trigger(&program("4"))
        .await
        .expect("delivered with no timeout");
}
