//! Sending without a journal: the lines go straight into [`Client::send_stream`], pulled
//! as its slots free up, so the CLI sends the way a program using the client does — no
//! hand-off between a reading loop and sending workers of its own (the client's workers pull
//! a few lines ahead; `send_stream_observed` tells which of them started). Nothing needs
//! to reach a disk before a request leaves, so nothing needs to sit between the input and the
//! client.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bulletins_http::{Client, Payload};
use futures_util::StreamExt as _;

use super::interrupts::Interrupts;
use super::pipeline::{Ended, Source};
use super::report::{Outcome, Report};

/// What the input's reader (inside the stream) and the loop reading results share. Both run
/// in the same task, one after the other, so the lock is never contended.
struct Shared {
    source: Source,
    report: Report,
    /// The line of each bulletin handed to the client and not finished, by the stream's index.
    in_flight: HashMap<usize, u64>,
    /// How many bulletins were handed to the client: the stream's next index.
    pulled: usize,
    failure: Option<String>,
}

/// Sends every line of `source`; stops pulling lines at the first Ctrl-C, and at the second
/// stops waiting (the requests in flight are left uncertain).
pub(super) async fn send(source: Source, client: Client, report: Report) -> Ended {
    let shared = Mutex::new(Shared {
        source,
        report,
        in_flight: HashMap::with_capacity(client.max_concurrency() * 2),
        pulled: 0,
        failure: None,
    });
    let stop = AtomicBool::new(false);
    let mut interrupted = false;
    // The stream's indices whose request may have left: only their lines can be uncertain.
    let started: Arc<Mutex<HashSet<usize>>> = Arc::default();
    let mut abandoned = false;
    // The stream borrows `shared`: it ends with this block.
    {
        let lines = std::iter::from_fn(|| pull(&shared, &stop));
        let record = Arc::clone(&started);
        let mut results = std::pin::pin!(client.send_stream_observed(lines, move |index| {
            record
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(index);
        }));
        let mut interrupts = std::pin::pin!(futures_util::stream::unfold(
            Interrupts::new(),
            |mut interrupts| async move {
                interrupts.recv().await;
                Some(((), interrupts))
            }
        ));
        loop {
            tokio::select! {
                biased;
                next = results.next() => {
                    let Some((index, result)) = next else { break };
                    let mut shared = lock(&shared);
                    let Shared { report, in_flight, .. } = &mut *shared;
                    if let Some(line) = in_flight.remove(&index) {
                        report.outcome(line, &Outcome::of(result));
                    }
                }
                _ = interrupts.next() => {
                    if interrupted {
                        // Settled once the stream is dropped: no request leaves after that.
                        abandoned = true;
                        break;
                    }
                    interrupted = true;
                    stop.store(true, Ordering::SeqCst);
                    lock(&shared).report.note(
                        "interrupted: waiting for the requests in flight (Ctrl-C again to stop now; they would be left uncertain)",
                    );
                }
            }
        }
    }
    let mut shared = shared.into_inner().unwrap_or_else(PoisonError::into_inner);
    if abandoned {
        let started = started.lock().unwrap_or_else(PoisonError::into_inner);
        abandon(&mut shared, &started);
    }
    Ended {
        report: shared.report,
        interrupted,
        failure: shared.failure,
    }
}

/// After a second interrupt, with the stream dropped: the lines whose request may have left
/// are uncertain; those pulled and never sent (queued for the client's workers) are not
/// delivered.
fn abandon(shared: &mut Shared, started: &HashSet<usize>) {
    let Shared {
        report, in_flight, ..
    } = shared;
    report.note("interrupted again: stopping now; the requests in flight are left uncertain");
    let mut lines: Vec<(u64, bool)> = in_flight
        .drain()
        .map(|(index, line)| (line, started.contains(&index)))
        .collect();
    lines.sort_unstable();
    for (line, left) in lines {
        let outcome = if left {
            Outcome::Uncertain {
                reason: "interrupted while its request was in flight".to_owned(),
            }
        } else {
            Outcome::NotDelivered {
                reason: "not sent: interrupted before its request left".to_owned(),
                refused: false,
            }
        };
        report.outcome(line, &outcome);
    }
}

/// The next line to send, as the client pulls it; `None` once the input ends, cannot be read,
/// or a stop was asked for.
fn pull(shared: &Mutex<Shared>, stop: &AtomicBool) -> Option<Payload> {
    if stop.load(Ordering::SeqCst) {
        return None;
    }
    let mut shared = lock(shared);
    let Shared {
        source,
        report,
        in_flight,
        pulled,
        failure,
    } = &mut *shared;
    if failure.is_some() {
        return None;
    }
    match source.next(report) {
        Ok(Some((line, payload))) => {
            in_flight.insert(*pulled, line);
            *pulled += 1;
            Some(payload)
        }
        Ok(None) => None,
        Err(e) => {
            *failure = Some(format!("cannot read the input: {e}"));
            None
        }
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // Nothing panics while holding it; if something did, its data is still whole.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}
