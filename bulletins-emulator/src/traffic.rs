//! What the emulator sees of its clients, second by second: requests in flight (each holds one
//! of its account's concurrency slots) and answers sent, for the inspector's "Client" panel and
//! `GET /_emulator/traffic`.
//!
//! One mutex guards the slots and the seconds together: taking a slot already locked it, so
//! counting costs a request one more clock read, not one more lock.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::Serialize;

use crate::entry::unix_millis;
use crate::lock;

/// How many seconds of history are kept and reported.
pub(crate) const WINDOW_SECONDS: usize = 60;

/// One second's activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Second {
    /// Its start, in milliseconds since the UNIX epoch.
    pub(crate) at_ms: u64,
    /// Answers sent during it (closed connections are no answer).
    pub(crate) answered: u64,
    /// Of those, requests refused with 429 because their account's slots were all taken.
    pub(crate) over_limit: u64,
    /// The most requests in flight at once during it, all accounts together.
    pub(crate) peak_in_flight: usize,
}

/// In flight for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AccountInFlight {
    pub(crate) account: String,
    pub(crate) in_flight: usize,
}

/// What `GET /_emulator/traffic` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Snapshot {
    /// Requests in flight now, all accounts together.
    pub(crate) in_flight: usize,
    /// The concurrency limit per account (0: unlimited).
    pub(crate) limit: usize,
    /// Requests in flight now per account, by account id; accounts with none are left out.
    pub(crate) accounts: Vec<AccountInFlight>,
    /// Answers sent since the start.
    pub(crate) answered: u64,
    /// Requests refused over the concurrency limit since the start.
    pub(crate) over_limit: u64,
    /// The last [`WINDOW_SECONDS`] seconds, oldest first, the current (unfinished) one last.
    pub(crate) seconds: Vec<Second>,
}

/// A second as kept: the in-flight count it ended with carries over into the quiet seconds
/// after it, which are not stored.
#[derive(Debug, Clone, Copy)]
struct Kept {
    second: Second,
    unix_second: u64,
    last_in_flight: usize,
}

#[derive(Debug, Default)]
struct State {
    in_flight: HashMap<String, usize>,
    total_in_flight: usize,
    answered: u64,
    over_limit: u64,
    /// Seconds with activity, oldest first, none older than the window.
    seconds: VecDeque<Kept>,
    /// The in-flight count at the end of the newest second dropped from `seconds`.
    carried: usize,
}

impl State {
    /// The current second's record, started when it is the first activity in it.
    fn second(&mut self, now: u64) -> &mut Kept {
        let is_current = self
            .seconds
            .back()
            .is_some_and(|kept| kept.unix_second >= now);
        if !is_current {
            // What was in flight as the second began: the count the last change left.
            let before = self
                .seconds
                .back()
                .map_or(self.carried, |k| k.last_in_flight);
            self.seconds.push_back(Kept {
                second: Second {
                    at_ms: now.saturating_mul(1000),
                    peak_in_flight: before,
                    ..Second::default()
                },
                unix_second: now,
                last_in_flight: before,
            });
            let oldest = now.saturating_sub(WINDOW_SECONDS as u64 - 1);
            while let Some(front) = self.seconds.front().copied() {
                if front.unix_second >= oldest {
                    break;
                }
                self.carried = front.last_in_flight;
                self.seconds.pop_front();
            }
        }
        // Just pushed when it was missing.
        let last = self.seconds.len() - 1;
        &mut self.seconds[last]
    }

    /// Records the new in-flight total in the current second.
    fn in_flight_changed(&mut self, now: u64) {
        let total = self.total_in_flight;
        let kept = self.second(now);
        kept.second.peak_in_flight = kept.second.peak_in_flight.max(total);
        kept.last_in_flight = total;
    }
}

/// The emulator's traffic: concurrency slots and per-second counts.
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    state: Mutex<State>,
}

impl Traffic {
    /// Takes one of the account's slots, or returns `false` (and counts the refusal) when its
    /// `limit` are all in use; 0 is unlimited.
    pub(crate) fn acquire(&self, account: &str, limit: usize) -> bool {
        let now = unix_second();
        let mut state = lock(&self.state);
        let count = state.in_flight.get(account).copied().unwrap_or(0);
        if limit != 0 && count >= limit {
            state.over_limit += 1;
            state.second(now).second.over_limit += 1;
            return false;
        }
        *state.in_flight.entry(account.to_owned()).or_insert(0) += 1;
        state.total_in_flight += 1;
        state.in_flight_changed(now);
        true
    }

    /// Gives back a slot [`Traffic::acquire`] took.
    pub(crate) fn release(&self, account: &str) {
        let now = unix_second();
        let mut state = lock(&self.state);
        let Some(count) = state.in_flight.get_mut(account) else {
            return;
        };
        *count = count.saturating_sub(1);
        if *count == 0 {
            state.in_flight.remove(account);
        }
        state.total_in_flight = state.total_in_flight.saturating_sub(1);
        state.in_flight_changed(now);
    }

    /// Counts an answer sent.
    pub(crate) fn answered(&self) {
        let now = unix_second();
        let mut state = lock(&self.state);
        state.answered += 1;
        state.second(now).second.answered += 1;
    }

    /// The counts now, with the last [`WINDOW_SECONDS`] seconds (quiet ones included).
    pub(crate) fn snapshot(&self, limit: usize) -> Snapshot {
        self.snapshot_at(unix_second(), limit)
    }

    fn snapshot_at(&self, now: u64, limit: usize) -> Snapshot {
        let state = lock(&self.state);
        let mut accounts: Vec<AccountInFlight> = state
            .in_flight
            .iter()
            .map(|(account, &in_flight)| AccountInFlight {
                account: account.clone(),
                in_flight,
            })
            .collect();
        accounts.sort_by(|a, b| a.account.cmp(&b.account));
        let first = now.saturating_sub(WINDOW_SECONDS as u64 - 1);
        let mut kept = state.seconds.iter().peekable();
        let mut carried = state.carried;
        let mut seconds = Vec::with_capacity(WINDOW_SECONDS);
        for unix_second in first..=now {
            while kept.peek().is_some_and(|k| k.unix_second < unix_second) {
                carried = kept.next().map_or(carried, |k| k.last_in_flight);
            }
            match kept.peek() {
                Some(k) if k.unix_second == unix_second => seconds.push(k.second),
                // A quiet second: nothing started or ended, so what was in flight stayed.
                _ => seconds.push(Second {
                    at_ms: unix_second.saturating_mul(1000),
                    peak_in_flight: carried,
                    ..Second::default()
                }),
            }
        }
        Snapshot {
            in_flight: state.total_in_flight,
            limit,
            accounts,
            answered: state.answered,
            over_limit: state.over_limit,
            seconds,
        }
    }
}

fn unix_second() -> u64 {
    unix_millis(SystemTime::now()) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_at_its_boundary_and_refusals_are_counted() {
        let traffic = Traffic::default();
        assert!(traffic.acquire("a", 2));
        assert!(traffic.acquire("a", 2));
        // The third is one too many; another account has its own slots.
        assert!(!traffic.acquire("a", 2));
        assert!(traffic.acquire("b", 2));
        let snapshot = traffic.snapshot(2);
        assert_eq!(snapshot.in_flight, 3);
        assert_eq!(snapshot.over_limit, 1);
        let accounts: Vec<_> = snapshot
            .accounts
            .iter()
            .map(|a| (a.account.as_str(), a.in_flight))
            .collect();
        assert_eq!(accounts, [("a", 2), ("b", 1)]);
        traffic.release("a");
        assert!(traffic.acquire("a", 2));
        // Unlimited.
        for _ in 0..100 {
            assert!(traffic.acquire("c", 0));
        }
        assert_eq!(traffic.snapshot(0).in_flight, 103);
    }

    /// Sets the in-flight total at `now`, as a slot taken or given back does.
    fn set_in_flight(state: &mut State, total: usize, now: u64) {
        state.total_in_flight = total;
        state.in_flight_changed(now);
    }

    #[test]
    fn quiet_seconds_carry_what_stayed_in_flight() {
        let traffic = Traffic::default();
        {
            let mut state = lock(&traffic.state);
            set_in_flight(&mut state, 2, 1_000);
            state.second(1_000).second.answered += 3;
        }
        let snapshot = traffic.snapshot_at(1_004, 3);
        assert_eq!(snapshot.seconds.len(), WINDOW_SECONDS);
        let tail: Vec<_> = snapshot.seconds[WINDOW_SECONDS - 5..]
            .iter()
            .map(|s| (s.at_ms / 1000, s.answered, s.peak_in_flight))
            .collect();
        assert_eq!(
            tail,
            [
                (1_000, 3, 2),
                (1_001, 0, 2),
                (1_002, 0, 2),
                (1_003, 0, 2),
                (1_004, 0, 2)
            ]
        );
        // Before the first activity, nothing was in flight.
        assert_eq!(snapshot.seconds[0].peak_in_flight, 0);
    }

    #[test]
    fn a_second_that_begins_with_requests_in_flight_counts_them_in_its_peak() {
        let traffic = Traffic::default();
        {
            let mut state = lock(&traffic.state);
            set_in_flight(&mut state, 3, 1_000);
            // All three end in a later second: it still had three in flight as it began.
            set_in_flight(&mut state, 0, 1_002);
        }
        let snapshot = traffic.snapshot_at(1_003, 3);
        let tail: Vec<_> = snapshot.seconds[WINDOW_SECONDS - 4..]
            .iter()
            .map(|s| s.peak_in_flight)
            .collect();
        assert_eq!(tail, [3, 3, 3, 0]);
    }

    #[test]
    fn seconds_older_than_the_window_are_dropped_and_their_count_carried() {
        let traffic = Traffic::default();
        {
            let mut state = lock(&traffic.state);
            set_in_flight(&mut state, 1, 1_000);
            set_in_flight(&mut state, 0, 1_059);
            set_in_flight(&mut state, 1, 1_060);
            // 1000 fell out when 1060 began: exactly WINDOW_SECONDS seconds, 1001..=1060, remain.
            let kept: Vec<u64> = state.seconds.iter().map(|k| k.unix_second).collect();
            assert_eq!(kept, [1_059, 1_060]);
            assert_eq!(state.carried, 1);
        }
        let peaks: Vec<usize> = traffic
            .snapshot_at(1_060, 3)
            .seconds
            .iter()
            .map(|s| s.peak_in_flight)
            .collect();
        assert_eq!(peaks.len(), WINDOW_SECONDS);
        assert!(peaks.iter().all(|&peak| peak == 1), "{peaks:?}");
        let snapshot = traffic.snapshot_at(1_060, 3);
        assert_eq!(snapshot.seconds[0].at_ms, 1_001_000);
    }
}
