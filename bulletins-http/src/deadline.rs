//! The per-attempt timeout, kept by one timer across a worker's attempts.
//!
//! A timer per attempt (reqwest's own timeout) is an allocation, a registration in tokio's timer
//! wheel and its removal, for every request, although almost none time out. An [`AttemptDeadline`]
//! keeps one timer armed no later than the current attempt's deadline: starting an attempt only
//! reads the clock, and the timer, when it fires before that deadline (it was set for an earlier
//! attempt), is moved on to it. It fires about once per timeout while attempts keep coming.

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// Bounds attempts, one at a time, by their timeout.
#[derive(Debug, Default)]
#[cfg_attr(bulletins_without = "attempt_timer", allow(dead_code))]
pub(crate) struct AttemptDeadline {
    /// Armed at or before `deadline`; created by the first attempt (inside the runtime).
    timer: Option<Pin<Box<Sleep>>>,
    deadline: Option<Instant>,
}

impl AttemptDeadline {
    /// Runs `attempt` for at most `timeout` from now; `None` if the timeout struck first (and
    /// `attempt` was dropped). A timeout too long for the clock to represent its deadline (such
    /// as `Duration::MAX`) is no timeout: the attempt runs unbounded.
    #[cfg(not(bulletins_without = "attempt_timer"))]
    pub(crate) async fn bound<F: Future>(
        &mut self,
        timeout: Duration,
        attempt: F,
    ) -> Option<F::Output> {
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            return Some(attempt.await);
        };
        self.deadline = Some(deadline);
        match &mut self.timer {
            // A timer set later than this deadline (a shorter timeout) is brought forward.
            Some(timer) if timer.deadline() > deadline => timer.as_mut().reset(deadline),
            Some(_) => {}
            None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
        let mut attempt = pin!(attempt);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(output) = attempt.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            let timer = self.timer.as_mut().expect("armed above");
            while timer.as_mut().poll(cx).is_ready() {
                if timer.deadline() >= deadline {
                    return Poll::Ready(None);
                }
                // Set for an earlier attempt: moved on to this one's deadline.
                timer.as_mut().reset(deadline);
            }
            Poll::Pending
        })
        .await
    }

    /// A timer for each attempt: what the client does without this type. Built only to
    /// measure the kept timer against its absence (`--cfg bulletins_without="attempt_timer"`).
    #[cfg(bulletins_without = "attempt_timer")]
    pub(crate) async fn bound<F: Future>(
        &mut self,
        timeout: Duration,
        attempt: F,
    ) -> Option<F::Output> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => tokio::time::timeout_at(deadline, attempt).await.ok(),
            None => Some(attempt.await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_attempt_past_its_timeout_is_cut_off() {
        let mut deadline = AttemptDeadline::default();
        let slow = tokio::time::sleep(Duration::from_secs(11));
        assert_eq!(deadline.bound(Duration::from_secs(10), slow).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timer_left_from_an_earlier_attempt_does_not_cut_the_next_one_short() {
        let mut deadline = AttemptDeadline::default();
        let started = Instant::now();
        // The timer is armed for 10 s from now by the first attempt...
        assert_eq!(
            deadline.bound(Duration::from_secs(10), async {}).await,
            Some(())
        );
        tokio::time::sleep(Duration::from_secs(6)).await;
        // ...and the next, starting at 6 s, still gets its whole 10 s: it ends at 15 s.
        let at_15s = tokio::time::sleep(Duration::from_secs(9));
        assert_eq!(
            deadline.bound(Duration::from_secs(10), at_15s).await,
            Some(())
        );
        assert_eq!(started.elapsed(), Duration::from_secs(15));
        // A third, starting at 15 s, is cut off at 25 s, not at the first timer's 10 s.
        let too_slow = tokio::time::sleep(Duration::from_secs(11));
        assert_eq!(
            deadline.bound(Duration::from_secs(10), too_slow).await,
            None
        );
        assert_eq!(started.elapsed(), Duration::from_secs(25));
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_past_the_clocks_range_is_no_timeout() {
        let mut deadline = AttemptDeadline::default();
        let slow = tokio::time::sleep(Duration::from_secs(3600));
        assert_eq!(deadline.bound(Duration::MAX, slow).await, Some(()));
        // The timer of an earlier, bounded attempt does not cut an unbounded one short.
        assert_eq!(
            deadline.bound(Duration::from_secs(1), async {}).await,
            Some(())
        );
        let slow = tokio::time::sleep(Duration::from_secs(10));
        assert_eq!(deadline.bound(Duration::MAX, slow).await, Some(()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_shorter_timeout_brings_the_timer_forward() {
        let mut deadline = AttemptDeadline::default();
        let started = Instant::now();
        assert_eq!(
            deadline.bound(Duration::from_secs(60), async {}).await,
            Some(())
        );
        let slow = tokio::time::sleep(Duration::from_secs(30));
        assert_eq!(deadline.bound(Duration::from_secs(1), slow).await, None);
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }
}
