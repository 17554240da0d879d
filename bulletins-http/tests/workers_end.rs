//! A batch on worker tasks (a cap above 3 on a multi-threaded runtime) when it ends early:
//! dropped by its caller, its queued bulletins are never sent; left by its workers, it still
//! gives one result per bulletin, in place.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use bulletins_emulator::Fault;
use bulletins_http::{BoxError, Error, Limiter, Permit, Slot};
use common::*;
use futures_util::future::BoxFuture;
use futures_util::StreamExt as _;
use tokio::sync::{oneshot, Semaphore};

const CAP: usize = 4;

/// Polls `future` once, from the test's task.
async fn poll_once<F: std::future::Future + Unpin>(mut future: F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut future).poll(cx)))
        .await
}

/// What a test limiter shares with its test: a cap, a count of the permits it granted, and
/// a signal when the limiter is dropped (every clone of the client gone, workers included).
struct Shared {
    cap: Arc<Semaphore>,
    acquired: AtomicUsize,
    releases: AtomicUsize,
    dropped: Mutex<Option<oneshot::Sender<()>>>,
    /// Told when the first release starts, which then waits for `go`.
    first_release: Mutex<Option<oneshot::Sender<()>>>,
    go: Mutex<Option<mpsc::Receiver<()>>>,
}

impl Shared {
    fn new() -> (Arc<Self>, oneshot::Receiver<()>) {
        let (dropped, on_drop) = oneshot::channel();
        let shared = Arc::new(Self {
            cap: Arc::new(Semaphore::new(CAP)),
            acquired: AtomicUsize::new(0),
            releases: AtomicUsize::new(0),
            dropped: Mutex::new(Some(dropped)),
            first_release: Mutex::new(None),
            go: Mutex::new(None),
        });
        (shared, on_drop)
    }
}

/// How a test limiter's permits end.
#[derive(Debug, Clone, Copy)]
enum Release {
    /// The first release blocks its thread until the test says go (so that its worker is in
    /// the middle of a poll, where an abort cannot reach it).
    FirstBlocks,
    /// Permits are kept from one bulletin to the next, and giving one back panics: the worker
    /// that does so ends.
    Panics,
}

struct Test {
    shared: Arc<Shared>,
    release: Release,
}

impl std::fmt::Debug for Test {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Test").finish_non_exhaustive()
    }
}

impl Drop for Test {
    fn drop(&mut self) {
        if let Some(dropped) = self.shared.dropped.lock().expect("lock").take() {
            let _ = dropped.send(());
        }
    }
}

impl Limiter for Test {
    fn acquire<'a>(&'a self, _slot: Slot<'a>) -> BoxFuture<'a, Result<Permit, BoxError>> {
        let shared = Arc::clone(&self.shared);
        let release = self.release;
        Box::pin(async move {
            let held = Arc::clone(&shared.cap).acquire_owned().await?;
            shared.acquired.fetch_add(1, Ordering::SeqCst);
            let permit = Permit::new(held);
            let on_release = move || -> BoxFuture<'static, ()> {
                let nth = shared.releases.fetch_add(1, Ordering::SeqCst);
                match release {
                    Release::FirstBlocks if nth == 0 => {
                        if let Some(told) = shared.first_release.lock().expect("lock").take() {
                            let _ = told.send(());
                        }
                        let go = shared.go.lock().expect("lock").take();
                        if let Some(go) = go {
                            let _ = go.recv_timeout(Duration::from_secs(10));
                        }
                    }
                    Release::FirstBlocks => {}
                    Release::Panics => panic!("the test limiter fails to give a permit back"),
                }
                Box::pin(async {})
            };
            Ok(match release {
                Release::FirstBlocks => permit.on_release(on_release),
                Release::Panics => permit.on_keep(|| true).on_release(on_release),
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_on_workers_sends_none_of_its_queued_bulletins() {
    let emulator = start_with(CAP).await;
    // Three of the first four requests are held; one is answered at once.
    emulator.inject(Fault::Delay(Duration::from_secs(30)), CAP - 1);
    let (shared, dropped) = Shared::new();
    let (told, first_release) = oneshot::channel();
    let (go, wait) = mpsc::channel();
    *shared.first_release.lock().expect("lock") = Some(told);
    *shared.go.lock().expect("lock") = Some(wait);
    let client = builder(&emulator.base_url())
        .max_concurrency(CAP)
        .limiter(Test {
            shared: Arc::clone(&shared),
            release: Release::FirstBlocks,
        })
        .build()
        .expect("client builds");

    let mut stream = Box::pin(client.trigger_stream((0..16).map(|i| program(&i.to_string()))));
    // The first poll queues the workers' jobs: four in flight, the rest waiting.
    assert!(poll_once(stream.next()).await.is_pending());
    // The answered bulletin's worker is now giving its permit back, on its thread.
    tokio::time::timeout(Duration::from_secs(10), first_release)
        .await
        .expect("a bulletin was answered")
        .expect("signalled");
    let started = shared.acquired.load(Ordering::SeqCst);
    assert_eq!(started, CAP);
    drop(stream);
    go.send(()).expect("the worker waits");
    drop(client);
    // Every worker has ended once the last clone of the client (and so the limiter) is gone.
    tokio::time::timeout(Duration::from_secs(10), dropped)
        .await
        .expect("the workers ended")
        .expect("signalled");

    assert_eq!(
        shared.acquired.load(Ordering::SeqCst),
        started,
        "a worker started a queued bulletin after the stream was dropped"
    );
    // A request handed to a connection before the abort would still be on its way here.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        emulator.bulletins().len() <= CAP,
        "the emulator received {} bulletins, {} of them queued when the stream was dropped",
        emulator.bulletins().len(),
        emulator.bulletins().len() - CAP
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_workers_end_early_still_gives_one_result_per_bulletin_in_place() {
    const N: usize = 40;
    let emulator = start_with(CAP).await;
    let (shared, _dropped) = Shared::new();
    let client = builder(&emulator.base_url())
        .max_concurrency(CAP)
        .limiter(Test {
            shared: Arc::clone(&shared),
            release: Release::Panics,
        })
        .build()
        .expect("client builds");

    let mut all = Box::pin(client.trigger_all((0..N).map(|i| program(&i.to_string()))));
    // The first poll queues three caps' worth of bulletins; not polled again until every
    // worker has run out of them and ended, giving back the permit it kept. (On a loaded
    // machine the workers may end while that first poll still runs; it then returns the
    // results.)
    let results = match poll_once(&mut all).await {
        std::task::Poll::Ready(results) => results,
        std::task::Poll::Pending => {
            tokio::time::timeout(Duration::from_secs(10), async {
                while shared.releases.load(Ordering::SeqCst) < CAP {
                    tokio::task::yield_now().await;
                }
            })
            .await
            .expect("every worker gave its permit back");
            tokio::time::timeout(Duration::from_secs(10), all)
                .await
                .expect("the batch ended")
        }
    };

    assert_eq!(results.len(), N, "one result per bulletin");
    let delivered = emulator.accepted().len();
    // The workers took the bulletins queued before they ended, in input order: at least the
    // first poll's, and more if the stream was polled again first (all of them when a loaded
    // machine let the first poll run to the end).
    assert!(
        (3 * CAP..=N).contains(&delivered),
        "{delivered} delivered of {N}"
    );
    // Every delivered bulletin's result is in its own place, and the rest say they were not
    // sent.
    for (index, result) in results.iter().enumerate() {
        match result {
            Ok(_) => assert!(
                index < delivered,
                "bulletin {index} has a result it never had"
            ),
            Err(error) => {
                assert!(index >= delivered, "bulletin {index}: {error}");
                assert!(!error.may_have_been_delivered(), "{error}");
                assert!(matches!(error, Error::Abandoned { .. }), "{error:?}");
            }
        }
    }
}
