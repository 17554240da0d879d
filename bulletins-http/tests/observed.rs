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

/// The bulletins `trigger_stream_observed` said had started, in the order told.
#[derive(Clone, Default)]
struct Started(Arc<Mutex<Vec<usize>>>);

impl Started {
    fn hook(&self) -> impl Fn(usize) + Send + Sync + 'static {
        let started = self.0.clone();
        move |index| started.lock().expect("lock").push(index)
    }

    fn sorted(&self) -> Vec<usize> {
        let mut started = self.0.lock().expect("lock").clone();
        started.sort_unstable();
        started
    }
}

/// A stream dropped while its first requests wait for their answers: bulletins pulled ahead
/// and queued for a worker were never started, and once the drop returns the hook has told of
/// exactly the ones whose requests left (the emulator's delayed requests).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_told_of_exactly_the_bulletins_that_left() {
    const CAP: usize = 3;
    let emulator = start_with(CAP).await;
    emulator.inject(Fault::Delay(Duration::from_secs(30)), CAP);
    let client = builder(&emulator.base_url())
        .max_concurrency(CAP)
        .build()
        .expect("client");
    let started = Started::default();
    let pulled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = Arc::clone(&pulled);
    let bulletins = (0..100).map(move |i| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        program(&i.to_string())
    });
    let mut stream = Box::pin(client.trigger_stream_observed(bulletins, started.hook()));
    // The delayed requests reach the emulator (each takes a fault) while the stream is polled.
    while !emulator.pending_faults().is_empty() {
        tokio::select! {
            item = futures_util::StreamExt::next(&mut stream) => panic!("answered early: {item:?}"),
            () = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    }
    drop(stream);
    let pulled = pulled.load(std::sync::atomic::Ordering::SeqCst);
    assert!(pulled > CAP, "only {pulled} bulletins pulled: none queued");
    assert_eq!(
        started.sorted(),
        vec![0, 1, 2],
        "{pulled} pulled; told of others than the {CAP} in flight"
    );
}

/// Driven to its end, the stream tells of each valid bulletin once (a retry is not a new
/// start), and of no invalid one, which is never sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bulletin_sent_is_told_once() {
    let emulator = start().await;
    emulator.inject(Fault::TooManyRequests { retry_after: None }, 1);
    let client = builder(&emulator.base_url())
        .retry(fast(RetryPolicy::at_most_once()))
        .build()
        .expect("client");
    let started = Started::default();
    let bulletins = (0..10).map(|i| {
        // A bulletin with no name is refused before sending.
        let name = if i == 4 { "" } else { "episode" };
        bulletins_http::Bulletin::new(program(&i.to_string()).event().clone(), name, "c")
    });
    let results: Vec<_> =
        futures_util::StreamExt::collect(client.trigger_stream_observed(bulletins, started.hook()))
            .await;
    assert_eq!(results.len(), 10);
    let refused: Vec<usize> = results
        .iter()
        .filter(|(_, result)| result.is_err())
        .map(|(index, _)| *index)
        .collect();
    assert_eq!(refused, vec![4], "{results:?}");
    assert_eq!(started.sorted(), vec![0, 1, 2, 3, 5, 6, 7, 8, 9]);
}
