//! The handles of the metrics every bulletin records, kept per thread for the recorder that
//! made them: registering a metric builds its key, hashes it and looks it up in the recorder's
//! registry, which costs about 5 % of a CPU-bound batch's rate when done for each bulletin.
//! A handle is reused only while the same recorder is current (a global one, or a test's local
//! one), so installing a recorder later, or another test's, takes effect at once.

use std::cell::RefCell;
use std::collections::HashMap;

use metrics::{Counter, Gauge, Histogram, Recorder, SharedString};

use super::{IN_FLIGHT, REQUEST_DURATION, SLOT_WAIT, TRIGGERS};

/// The most business events whose `delivered` counter a thread keeps (a dashboard's events
/// are far fewer); past it, the others are registered each time.
const MAX_EVENTS: usize = 256;

thread_local! {
    static CACHE: RefCell<Option<Handles>> = const { RefCell::new(None) };
}

/// The handles made by one recorder.
pub(super) struct Handles {
    recorder: usize,
    pub(super) slot_wait: Histogram,
    pub(super) in_flight: Gauge,
    /// The request duration of a success (`200`, no error), by server address.
    succeeded: Vec<(SharedString, Histogram)>,
    /// `bulletins_triggers_total{outcome="delivered"}`, by event.
    delivered: HashMap<Box<str>, Counter>,
}

impl Handles {
    fn new(recorder: usize) -> Self {
        Self {
            recorder,
            slot_wait: metrics::histogram!(SLOT_WAIT),
            in_flight: metrics::gauge!(IN_FLIGHT),
            succeeded: Vec::new(),
            delivered: HashMap::new(),
        }
    }

    /// The duration histogram of a `200` without error from `server`.
    pub(super) fn succeeded(&mut self, server: &SharedString) -> &Histogram {
        let at = match self.succeeded.iter().position(|(s, _)| s == server) {
            Some(at) => at,
            None => {
                let histogram = metrics::histogram!(
                    REQUEST_DURATION,
                    "http_response_status_code" => "200",
                    "server_address" => server.clone()
                );
                self.succeeded.push((server.clone(), histogram));
                self.succeeded.len() - 1
            }
        };
        &self.succeeded[at].1
    }

    /// Counts one bulletin of `event` delivered.
    pub(super) fn delivered(&mut self, event: &str) {
        if let Some(counter) = self.delivered.get(event) {
            counter.increment(1);
            return;
        }
        let counter =
            metrics::counter!(TRIGGERS, "event" => event.to_owned(), "outcome" => "delivered");
        counter.increment(1);
        if self.delivered.len() < MAX_EVENTS {
            self.delivered.insert(event.into(), counter);
        }
    }
}

/// Which recorder is current here: its address.
fn current_recorder() -> usize {
    metrics::with_recorder(|recorder| {
        std::ptr::from_ref::<dyn Recorder>(recorder).cast::<()>() as usize
    })
}

/// Runs `f` on this thread's handles for the current recorder; on handles made for this call
/// alone when the thread's are out of reach (its thread-locals being destroyed).
pub(super) fn with<T>(f: impl FnOnce(&mut Handles) -> T) -> T {
    let recorder = current_recorder();
    let mut f = Some(f);
    let kept = CACHE.try_with(|cache| {
        let mut cache = cache.try_borrow_mut().ok()?;
        if cache.as_ref().is_none_or(|h| h.recorder != recorder) {
            *cache = Some(Handles::new(recorder));
        }
        let handles = cache.get_or_insert_with(|| Handles::new(recorder));
        f.take().map(|f| f(handles))
    });
    match (kept.ok().flatten(), f) {
        (Some(done), _) => done,
        (None, Some(f)) => f(&mut Handles::new(recorder)),
        // `f` ran only if it returned.
        (None, None) => unreachable!("the kept handles' call returned"),
    }
}
