//! A batch on a limiter that lets it keep its permits (as the Redis limiter does): each slot is
//! taken once, kept from one bulletin to the next, and given back once the batch has no
//! bulletin left for it. Counted by a limiter that lets every permit be kept.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::{BoxError, Limiter, Permit, Slot};
use common::*;
use futures_util::future::BoxFuture;
use tokio::sync::Semaphore;

/// The in-process cap, with every permit keepable, counting what it grants and gets back.
#[derive(Debug, Clone)]
struct Keeping {
    cap: Arc<Semaphore>,
    acquired: Arc<AtomicUsize>,
    released: Arc<AtomicUsize>,
}

impl Keeping {
    fn new(cap: usize) -> Self {
        Self {
            cap: Arc::new(Semaphore::new(cap)),
            acquired: Arc::default(),
            released: Arc::default(),
        }
    }

    fn acquired(&self) -> usize {
        self.acquired.load(Ordering::SeqCst)
    }

    fn released(&self) -> usize {
        self.released.load(Ordering::SeqCst)
    }
}

impl Limiter for Keeping {
    fn acquire<'a>(&'a self, _slot: Slot<'a>) -> BoxFuture<'a, Result<Permit, BoxError>> {
        Box::pin(async move {
            let held = Arc::clone(&self.cap).acquire_owned().await?;
            self.acquired.fetch_add(1, Ordering::SeqCst);
            let released = Arc::clone(&self.released);
            Ok(Permit::new(()).on_keep(|| true).on_release(move || {
                Box::pin(async move {
                    released.fetch_add(1, Ordering::SeqCst);
                    drop(held);
                })
            }))
        })
    }
}

/// `n` bulletins at a cap of 3 on a current-thread runtime, whose answers come in together:
/// the emulator holds each for the same time, on the same runtime, so one turn of the runtime
/// wakes every worker at once. The last bulletin queued must still find a kept permit.
async fn answers_together(n: usize) {
    const CAP: usize = 3;
    let emulator = start_with(CAP).await;
    emulator.inject(Fault::Delay(Duration::from_millis(20)), n);

    let limiter = keeping_batch(&emulator, CAP, n).await;

    assert_eq!(emulator.accepted().len(), n);
    assert_eq!(
        limiter.acquired(),
        n.min(CAP),
        "{n} bulletins took {} slots at a cap of {CAP}, not one per slot",
        limiter.acquired()
    );
}

/// Sends `n` bulletins in one batch at a cap of `cap`, on a [`Keeping`] limiter; checks that
/// each was triggered and that every permit taken was given back.
async fn keeping_batch(emulator: &bulletins_emulator::Emulator, cap: usize, n: usize) -> Keeping {
    let limiter = Keeping::new(cap);
    let client = builder(&emulator.base_url())
        .max_concurrency(cap)
        .limiter(limiter.clone())
        .build()
        .expect("client builds");

    let results = client
        .trigger_all((0..n).map(|i| program(&i.to_string())))
        .await;

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        limiter.released(),
        limiter.acquired(),
        "the batch returned with slots still held"
    );
    limiter
}

#[tokio::test(flavor = "current_thread")]
async fn the_last_bulletin_of_a_batch_runs_on_a_kept_permit() {
    // One more than the cap: the fourth is pulled when the first answer comes out.
    answers_together(4).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_batch_takes_each_slot_once() {
    for n in [1, 2, 3, 5, 7, 30] {
        answers_together(n).await;
    }
}

/// On worker tasks the permits kept all go back too, however the batch ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_on_workers_gives_back_every_permit_it_kept() {
    const CAP: usize = 8;
    let emulator = start_with(CAP).await;

    let limiter = keeping_batch(&emulator, CAP, 200).await;

    assert!(limiter.acquired() >= CAP);
}

/// Polls `future` once, from the test's task.
async fn poll_once<F: std::future::Future + Unpin>(mut future: F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(std::future::Future::poll(
            std::pin::Pin::new(&mut future),
            cx,
        ))
    })
    .await
}

/// A stream at a cap of 3 on a limiter shared with another process (here, another client),
/// whose caller takes one result, polls once more, then stops polling while keeping the
/// stream: once its requests are answered it must hold no slot, so that the other process's
/// trigger gets one. (Slots kept from one bulletin to the next, or held by answered requests
/// that only the caller's polls could finish, would leave it waiting for ever.)
async fn idle_stream_leaves_the_other_process_a_slot() {
    const CAP: usize = 3;
    let emulator = start_with(CAP).await;
    let limiter = Keeping::new(CAP);
    let client = || {
        builder(&emulator.base_url())
            .max_concurrency(CAP)
            .limiter(limiter.clone())
            .build()
            .expect("client builds")
    };
    let (this, other) = (client(), client());
    let mut stream =
        std::pin::pin!(this.trigger_stream((0..1_000).map(|i| program(&i.to_string()))));
    let (_, first) = futures_util::StreamExt::next(&mut stream)
        .await
        .expect("a result");
    first.expect("delivered");
    let _ = poll_once(futures_util::StreamExt::next(&mut stream)).await;
    // The caller stops polling (and keeps the stream until the end of this function).
    let bulletin = program("x");
    tokio::time::timeout(Duration::from_secs(5), other.trigger(&bulletin))
        .await
        .expect("an idle stream kept every slot: another process's trigger waited 5 s for one")
        .expect("delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_at_a_cap_of_3_holds_no_shared_slot_while_its_caller_does_not_poll() {
    idle_stream_leaves_the_other_process_a_slot().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_stream_on_a_current_thread_runtime_holds_no_shared_slot_while_its_caller_does_not_poll()
{
    idle_stream_leaves_the_other_process_a_slot().await;
}

/// The same with the client's own in-process cap of 3 (the default), on the same client. The
/// caller takes one result, then polls until the stream has all 3 slots in flight (answers
/// held 200 ms) and stops polling: once those requests are answered, the client's next
/// `trigger` must get a slot (answered requests whose futures nobody polls must not keep it).
async fn idle_stream_leaves_its_own_client_a_slot() {
    const CAP: usize = 3;
    let emulator = start_with(CAP).await;
    let this = builder(&emulator.base_url())
        .max_concurrency(CAP)
        .build()
        .expect("client builds");
    let mut stream =
        std::pin::pin!(this.trigger_stream((0..1_000).map(|i| program(&i.to_string()))));
    let (_, first) = futures_util::StreamExt::next(&mut stream)
        .await
        .expect("a result");
    first.expect("delivered");
    emulator.inject(Fault::Delay(Duration::from_millis(200)), 100);
    // Polled until it waits on its answers: every slot it fills is then in flight.
    while let std::task::Poll::Ready(item) =
        poll_once(futures_util::StreamExt::next(&mut stream)).await
    {
        let (_, result) = item.expect("the stream does not end");
        result.expect("delivered");
    }
    // The caller stops polling (and keeps the stream until the end of this function).
    let bulletin = program("x");
    tokio::time::timeout(Duration::from_secs(5), this.trigger(&bulletin))
        .await
        .expect("an idle stream kept every slot of its client: its next trigger waited 5 s for one")
        .expect("delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_at_the_default_cap_holds_no_slot_of_its_client_while_its_caller_does_not_poll() {
    idle_stream_leaves_its_own_client_a_slot().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_stream_on_a_current_thread_runtime_holds_no_slot_of_its_client_while_its_caller_does_not_poll(
) {
    idle_stream_leaves_its_own_client_a_slot().await;
}
