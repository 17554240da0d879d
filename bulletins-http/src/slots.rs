//! A fixed number of futures in progress, each polled only when its own waker fired.
//!
//! `trigger_stream` keeps at most the concurrency cap of bulletins in progress. Polling every
//! slot on every wake-up costs a poll of each in-progress request per completed one (16 at
//! C = 16); here each slot has a waker of its own, made once, that marks the slot and wakes
//! the stream, so a wake-up polls only the futures that asked to be polled. A single slot
//! (C = 1) is polled with the task's own waker instead.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// Which slots were woken, and the waker of the task polling them all.
#[derive(Debug)]
struct Woken {
    flags: Box<[AtomicBool]>,
    parent: AtomicWaker,
}

/// The waker of one slot.
#[derive(Debug)]
struct SlotWaker {
    woken: Arc<Woken>,
    index: usize,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(flag) = self.woken.flags.get(self.index) {
            flag.store(true, Ordering::Release);
        }
        self.woken.parent.wake();
    }
}

/// At most `len` futures in progress.
pub(crate) struct Slots<F> {
    futures: Vec<Option<Pin<Box<F>>>>,
    wakers: Vec<Waker>,
    woken: Arc<Woken>,
    /// Where the next scan starts, so no slot is always looked at last.
    start: usize,
}

impl<F: Future> Slots<F> {
    /// `len` empty slots (at least one).
    pub(crate) fn new(len: usize) -> Self {
        let len = len.max(1);
        let woken = Arc::new(Woken {
            flags: (0..len).map(|_| AtomicBool::new(false)).collect(),
            parent: AtomicWaker::new(),
        });
        let wakers = (0..len)
            .map(|index| {
                Waker::from(Arc::new(SlotWaker {
                    woken: Arc::clone(&woken),
                    index,
                }))
            })
            .collect();
        Self {
            futures: (0..len).map(|_| None).collect(),
            wakers,
            woken,
            start: 0,
        }
    }

    /// Puts futures from `next` into the empty slots until they are full or `next` returns
    /// `None`; returns `false` once `next` has.
    pub(crate) fn fill(&mut self, mut next: impl FnMut() -> Option<F>) -> bool {
        for (index, slot) in self.futures.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            let Some(future) = next() else {
                return false;
            };
            *slot = Some(Box::pin(future));
            // A new future has never been polled: poll it on the next scan.
            if let Some(flag) = self.woken.flags.get(index) {
                flag.store(true, Ordering::Release);
            }
        }
        true
    }

    /// The output of a future that finished, freeing its slot; `Ready(None)` when every slot
    /// is empty; `Pending` (with `cx`'s waker registered) otherwise.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        let len = self.futures.len();
        if len == 1 {
            // One slot: its future gets the task's own waker, as if awaited directly. The
            // slot's waker would only add a hop to every wake-up (measured at C = 1).
            let Some(future) = self.futures[0].as_mut() else {
                return Poll::Ready(None);
            };
            let output = std::task::ready!(future.as_mut().poll(cx));
            self.futures[0] = None;
            return Poll::Ready(Some(output));
        }
        self.woken.parent.register(cx.waker());
        let mut busy = false;
        for offset in 0..len {
            let index = (self.start + offset) % len;
            let Some(future) = self.futures[index].as_mut() else {
                continue;
            };
            busy = true;
            let woken = self.woken.flags[index].swap(false, Ordering::Acquire);
            if !woken {
                continue;
            }
            let mut slot_cx = Context::from_waker(&self.wakers[index]);
            if let Poll::Ready(output) = future.as_mut().poll(&mut slot_cx) {
                self.futures[index] = None;
                self.start = (index + 1) % len;
                return Poll::Ready(Some(output));
            }
        }
        if busy {
            Poll::Pending
        } else {
            Poll::Ready(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts its polls; ready once `ready` is set, waking through the waker it was last given.
    struct Gate {
        polls: Arc<AtomicUsize>,
        ready: Arc<AtomicBool>,
        waker: Arc<std::sync::Mutex<Option<Waker>>>,
        value: usize,
    }

    impl Future for Gate {
        type Output = usize;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            self.polls.fetch_add(1, Ordering::SeqCst);
            if self.ready.load(Ordering::SeqCst) {
                Poll::Ready(self.value)
            } else {
                if let Ok(mut waker) = self.waker.lock() {
                    *waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }

    #[test]
    fn a_wake_up_polls_only_the_slot_that_was_woken() {
        let gates: Vec<_> = (0..4)
            .map(|value| Gate {
                polls: Arc::new(AtomicUsize::new(0)),
                ready: Arc::new(AtomicBool::new(false)),
                waker: Arc::new(std::sync::Mutex::new(None)),
                value,
            })
            .collect();
        let handles: Vec<_> = gates
            .iter()
            .map(|g| {
                (
                    Arc::clone(&g.polls),
                    Arc::clone(&g.ready),
                    Arc::clone(&g.waker),
                )
            })
            .collect();
        let mut slots = Slots::new(4);
        let mut source = gates.into_iter();
        assert!(slots.fill(|| source.next()));
        let mut cx = Context::from_waker(Waker::noop());
        // Each new future is polled once.
        assert!(slots.poll_next(&mut cx).is_pending());
        let polls = |i: usize| handles[i].0.load(Ordering::SeqCst);
        assert_eq!((0..4).map(polls).collect::<Vec<_>>(), [1, 1, 1, 1]);
        // Nothing woken: nothing polled.
        assert!(slots.poll_next(&mut cx).is_pending());
        assert_eq!((0..4).map(polls).collect::<Vec<_>>(), [1, 1, 1, 1]);
        // Slot 2 becomes ready and wakes: only it is polled, and its output comes out.
        handles[2].1.store(true, Ordering::SeqCst);
        let waker = handles[2].2.lock().ok().and_then(|w| w.clone());
        waker.expect("slot 2 registered a waker").wake();
        assert_eq!(slots.poll_next(&mut cx), Poll::Ready(Some(2)));
        assert_eq!((0..4).map(polls).collect::<Vec<_>>(), [1, 1, 2, 1]);
        // The emptied slot is refilled from the source, which is now exhausted.
        assert!(!slots.fill(|| source.next()));
    }

    #[test]
    fn a_single_slot_is_polled_with_the_tasks_own_waker() {
        let mut slots = Slots::new(1);
        let mut items = vec![std::future::ready(7), std::future::ready(8)].into_iter();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(slots.fill(|| items.next()));
        assert_eq!(slots.poll_next(&mut cx), Poll::Ready(Some(7)));
        assert!(slots.fill(|| items.next()));
        assert_eq!(slots.poll_next(&mut cx), Poll::Ready(Some(8)));
        assert!(!slots.fill(|| items.next()));
        assert_eq!(slots.poll_next(&mut cx), Poll::Ready(None));
    }

    #[test]
    fn empty_slots_end_the_stream() {
        let mut slots: Slots<std::future::Ready<u8>> = Slots::new(2);
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(slots.poll_next(&mut cx), Poll::Ready(None));
        let mut items = vec![std::future::ready(1), std::future::ready(2)].into_iter();
        assert!(slots.fill(|| items.next()));
        let mut out = vec![];
        while let Poll::Ready(Some(v)) = slots.poll_next(&mut cx) {
            out.push(v);
        }
        out.sort_unstable();
        assert_eq!(out, [1, 2]);
    }
}
