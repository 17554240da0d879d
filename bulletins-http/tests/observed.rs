//! `Client::trigger_observed`: the caller learns when each attempt is about to leave, after its
//! concurrency slot was granted, never while it still waits for one.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::RetryPolicy;
use common::*;

/// The attempts `on_attempt` was told about, in order.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<u32>>>);

impl Calls {
    fn hook(&self) -> impl Fn(u32) + Send + Sync + 'static {
        let calls = self.0.clone();
        move |attempt| calls.lock().expect("lock").push(attempt)
    }

    fn get(&self) -> Vec<u32> {
        self.0.lock().expect("lock").clone()
    }
}

#[tokio::test]
async fn an_attempt_is_observed_only_once_its_slot_is_granted() {
    let emulator = start().await;
    emulator.inject(Fault::Delay(Duration::from_millis(300)), 1);
    let client = builder(&emulator.base_url())
        .max_concurrency(1)
        .build()
        .expect("client");
    let (first, second) = (program("1"), program("2"));
    let calls = Calls::default();
    let mut first = Box::pin(client.trigger(&first));
    // The first holds the only slot (its request waits in the emulator) ...
    while !emulator.pending_faults().is_empty() {
        tokio::select! {
            result = &mut first => panic!("finished early: {result:?}"),
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    }
    let mut second = Box::pin(client.trigger_observed(&second, calls.hook()));
    // ... so the second waits for it, and is not told of an attempt meanwhile.
    let first_result = tokio::select! {
        result = &mut first => result,
        result = &mut second => panic!("the second finished with the slot taken: {result:?}"),
    };
    first_result.expect("first delivered");
    assert_eq!(
        calls.get(),
        Vec::<u32>::new(),
        "told of an attempt still waiting for its slot"
    );
    second.await.expect("second delivered");
    assert_eq!(calls.get(), vec![1]);
    assert_eq!(emulator.accepted().len(), 2);
}

#[tokio::test]
async fn every_attempt_is_observed() {
    let emulator = start().await;
    emulator.inject(Fault::TooManyRequests { retry_after: None }, 1);
    let client = builder(&emulator.base_url())
        .retry(fast(RetryPolicy::at_most_once()))
        .build()
        .expect("client");
    let calls = Calls::default();
    client
        .trigger_observed(&program("1"), calls.hook())
        .await
        .expect("delivered on the second attempt");
    assert_eq!(calls.get(), vec![1, 2]);
}
