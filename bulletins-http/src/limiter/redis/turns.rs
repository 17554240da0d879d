//! The per-process scheduler: which of this process's tasks runs its next attempt on a slot
//! the process already holds, and when its turn is over.
//!
//! A process granted a slot while holding none (or only slots of its turn that is over)
//! starts a turn. Within it, a finished holder hands its slot (its member, lease and renewals)
//! straight to the one task that asked for it while it was held ([`Turns::hand_off`]), and a
//! batch keeps its slots from one bulletin to the next ([`Turns::keep`]): no round trip, no
//! Pub/Sub message, no other process woken. Only while the lease covers the attempt, within
//! the hand-off window of the turn's start, and until a slot has run the most further
//! attempts. Then the turn is over: each slot goes back to Redis when its attempt ends, the
//! first sending the process's waiters behind everyone's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, OwnedSemaphorePermit};
use tokio::time::Instant;

use super::lease::Ticket;
use crate::limiter::{Lease, Permit, Slot};
use crate::lock;

/// This process's turns, per account, and the slots it holds.
pub(super) struct Turns {
    /// Per account, this process's turn: the slots it holds and the tasks waiting for one.
    local: Mutex<HashMap<String, Turn>>,
    next_slot_id: AtomicU64,
    max_local_handoffs: u32,
    local_handoff_window: Duration,
    local_handoffs: AtomicU64,
}

/// A task of this process waiting for a held slot to be handed on: sent the slot, or `None`
/// to ask Redis instead.
struct HandOffWaiter {
    attempt_timeout: Duration,
    send: oneshot::Sender<Option<Held>>,
}

/// A slot this process holds, as its tasks see it.
struct LocalSlot {
    /// The turn it was granted in: it runs further attempts only in that turn.
    turn: u64,
    /// How often it has run another attempt without going back to Redis.
    handoffs: u32,
    /// The task it goes to next, when its holder finishes.
    successor: Option<HandOffWaiter>,
}

/// An account's turns in this process, and the slots it holds. A turn starts with a grant from
/// Redis that finds the process holding none of the account's slots, or only slots of a turn
/// that is over and already sent its waiters to the back. Slots of the current turn run further
/// attempts without Redis (handed on, or kept), and the process's tasks join the queue at its
/// front, only while the turn is open: within the hand-off window of its start, and until a
/// slot has run the most further attempts.
struct Turn {
    /// Counts the turns, so that slots of an earlier one are told apart.
    number: u64,
    started: Instant,
    /// A slot ran the most further attempts: the turn is closed.
    exhausted: bool,
    /// The turn is over and a release has sent the process's waiters to the back: the next
    /// grant starts a new turn.
    demoted: bool,
    slots: HashMap<u64, LocalSlot>,
}

impl Turn {
    fn new(number: u64, max_local_handoffs: u32) -> Self {
        Self {
            number,
            started: Instant::now(),
            // With no hand-offs at all, there are no turns either.
            exhausted: max_local_handoffs == 0,
            demoted: false,
            slots: HashMap::new(),
        }
    }

    fn is_open(&self, window: Duration) -> bool {
        !self.exhausted && self.started.elapsed() < window
    }

    /// Whether a slot granted in turn `granted_in`, having run `handoffs` further attempts, may
    /// run one more without going back to Redis: it belongs to this turn, which is open, and has
    /// run fewer than `max` (else the turn closes).
    fn may_run_again(
        &mut self,
        granted_in: u64,
        handoffs: u32,
        window: Duration,
        max: u32,
    ) -> bool {
        if granted_in != self.number {
            return false;
        }
        if handoffs >= max {
            self.exhausted = true;
        }
        self.is_open(window)
    }
}

impl Turns {
    /// Turns that last `local_handoff_window` from their first grant, and until a slot has run
    /// `max_local_handoffs` further attempts (0: no turns).
    pub(super) fn new(max_local_handoffs: u32, local_handoff_window: Duration) -> Self {
        Self {
            local: Mutex::new(HashMap::new()),
            next_slot_id: AtomicU64::new(0),
            max_local_handoffs,
            local_handoff_window,
            local_handoffs: AtomicU64::new(0),
        }
    }

    /// Slots passed from one task of this process to another (or kept), so far.
    pub(super) fn local_handoffs(&self) -> u64 {
        self.local_handoffs.load(Ordering::Relaxed)
    }

    /// Whether this process's turn for the account is open.
    pub(super) fn in_turn(&self, account_id: &str) -> bool {
        lock(&self.local)
            .get(account_id)
            .is_some_and(|turn| turn.is_open(self.local_handoff_window))
    }

    /// A slot this process holds, handed straight on without Redis, if one may be; a batch,
    /// which keeps its slots, takes one of its own instead.
    pub(super) async fn hand_off(&self, slot: Slot<'_>) -> Option<HeldSlot> {
        // Never handed on only to measure hand-offs against their absence.
        if slot.batch || cfg!(bulletins_without = "local_handoffs") {
            return None;
        }
        let handed = self.wait_for_hand_off(slot)?;
        // `None`: told to ask Redis, the slot went back there so that others get their turn.
        handed
            .await
            .ok()
            .flatten()
            .and_then(|mut held| held.0.take())
    }

    /// Records a slot Redis just granted to this process; returns its local id.
    fn count_holder(&self, account_id: &str) -> u64 {
        let id = self.next_slot_id.fetch_add(1, Ordering::Relaxed);
        let mut local = lock(&self.local);
        let turn = local
            .entry(account_id.to_owned())
            .or_insert_with(|| Turn::new(0, self.max_local_handoffs));
        if turn.demoted && !turn.is_open(self.local_handoff_window) {
            let slots = std::mem::take(&mut turn.slots);
            *turn = Turn::new(turn.number + 1, self.max_local_handoffs);
            turn.slots = slots;
        }
        turn.slots.insert(
            id,
            LocalSlot {
                turn: turn.number,
                handoffs: 0,
                successor: None,
            },
        );
        id
    }

    /// Makes the caller the successor of a slot this process holds, if one may run again and
    /// has no successor yet; `None` when the caller must ask Redis.
    fn wait_for_hand_off(&self, slot: Slot<'_>) -> Option<oneshot::Receiver<Option<Held>>> {
        let mut local = lock(&self.local);
        let turn = local.get_mut(slot.account_id)?;
        if !turn.is_open(self.local_handoff_window) {
            return None;
        }
        let number = turn.number;
        let free = turn.slots.values_mut().find(|held| {
            held.turn == number
                && held.handoffs < self.max_local_handoffs
                && held
                    .successor
                    .as_ref()
                    .is_none_or(|waiter| waiter.send.is_closed())
        })?;
        let (send, receive) = oneshot::channel();
        free.handoffs += 1;
        free.successor = Some(HandOffWaiter {
            attempt_timeout: slot.attempt_timeout,
            send,
        });
        Some(receive)
    }

    /// Whether the holder that kept `slot` may run its own next attempt on it: the slot may run
    /// again and no other task waits for it. Counted as a hand-off.
    fn keep(&self, slot: &HeldSlot) -> bool {
        let mut local = lock(&self.local);
        let Some(turn) = local.get_mut(&slot.ticket.account_id) else {
            return false;
        };
        let Some(held) = turn.slots.get(&slot.id) else {
            return false;
        };
        let waited_for = held
            .successor
            .as_ref()
            .is_some_and(|waiter| !waiter.send.is_closed());
        let (granted_in, handoffs) = (held.turn, held.handoffs);
        let keep = !waited_for
            && turn.may_run_again(
                granted_in,
                handoffs,
                self.local_handoff_window,
                self.max_local_handoffs,
            );
        if keep {
            if let Some(held) = turn.slots.get_mut(&slot.id) {
                held.handoffs += 1;
            }
            self.local_handoffs.fetch_add(1, Ordering::Relaxed);
        }
        keep
    }

    /// Hands a finished holder's slot to its successor, if it has one and the lease covers
    /// the successor's attempt; otherwise returns it, to be released to Redis (and sends the
    /// successor, if any, to Redis too), with whether the process's turn is over.
    fn hand_on(&self, slot: HeldSlot) -> Option<(HeldSlot, bool)> {
        let mut local = lock(&self.local);
        let Some(turn) = local.get_mut(&slot.ticket.account_id) else {
            return Some((slot, true));
        };
        let successor = turn
            .slots
            .get_mut(&slot.id)
            .and_then(|held| held.successor.take());
        let slot = match successor {
            Some(waiter) if slot.lease.covers(waiter.attempt_timeout) => {
                match waiter.send.send(Some(Held(Some(slot)))) {
                    Ok(()) => {
                        self.local_handoffs.fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                    // The successor is gone.
                    Err(returned) => returned.and_then(|mut held| held.0.take())?,
                }
            }
            Some(waiter) => {
                // The lease no longer covers its attempt (or was found gone): it asks Redis.
                let _ = waiter.send.send(None);
                slot
            }
            None => slot,
        };
        if let Some(held) = turn.slots.remove(&slot.id) {
            // Closes the turn if this slot ran the most further attempts in it.
            turn.may_run_again(
                held.turn,
                held.handoffs,
                self.local_handoff_window,
                self.max_local_handoffs,
            );
        }
        let turn_over = !turn.is_open(self.local_handoff_window);
        turn.demoted |= turn_over;
        if turn.slots.is_empty() {
            local.remove(&slot.ticket.account_id);
        }
        Some((slot, turn_over))
    }
}

/// A slot granted by Redis, renewed while held. Given back through [`Turns::hand_on`] when
/// released or dropped: to the task of this process waiting for it, or to Redis.
struct Held(Option<HeldSlot>);

/// A slot this process holds: its place in Redis, its lease and their renewals.
pub(super) struct HeldSlot {
    /// Its key in [`Turns::local`].
    id: u64,
    turns: Arc<Turns>,
    ticket: Ticket,
    renewal: tokio::task::JoinHandle<()>,
    lease: Arc<Lease>,
    /// Its place in this process's own cap (with the fallback on), freed with the slot.
    _own: Option<OwnedSemaphorePermit>,
}

impl HeldSlot {
    /// A slot Redis just granted to `ticket`, its lease lasting until `valid_until` and renewed
    /// from now on, holding `own`, its place in this process's own cap.
    pub(super) fn granted(
        turns: &Arc<Turns>,
        ticket: Ticket,
        valid_until: Instant,
        lease_ms: u64,
        own: Option<OwnedSemaphorePermit>,
    ) -> Self {
        let lease = Arc::new(Lease::new(valid_until));
        let renewal = ticket.keep_renewed(&lease, lease_ms);
        let id = turns.count_holder(&ticket.account_id);
        Self {
            id,
            turns: Arc::clone(turns),
            ticket,
            renewal,
            lease,
            _own: own,
        }
    }

    /// The permit for this slot: handed on or released by [`Permit::release`], or when
    /// dropped.
    pub(super) fn into_permit(self) -> Permit {
        let lease = Arc::clone(&self.lease);
        let held = Arc::new(Mutex::new(Some(Held(Some(self)))));
        let guard = Arc::clone(&held);
        let kept = Arc::clone(&held);
        Permit::leased(guard, lease)
            .on_keep(move || {
                lock(&kept)
                    .as_ref()
                    .and_then(|held| held.0.as_ref())
                    .is_some_and(|slot| slot.turns.keep(slot))
            })
            .on_release(move || {
                Box::pin(async move {
                    let held = lock(&held).take();
                    if let Some(held) = held {
                        held.release().await;
                    }
                })
            })
    }

    /// Gives the slot back to Redis: stops the renewals, then leaves the queue (in the
    /// background when `ticket` is dropped instead), ending the process's turn if it is over.
    fn stop_renewing(self, turn_over: bool) -> Ticket {
        self.renewal.abort();
        let mut ticket = self.ticket;
        ticket.turn_over = turn_over;
        ticket
    }
}

impl Held {
    /// Hands the slot on, or releases it and waits for Redis to record it.
    async fn release(mut self) {
        if let Some(slot) = self.0.take() {
            let turns = Arc::clone(&slot.turns);
            if let Some((slot, turn_over)) = turns.hand_on(slot) {
                slot.stop_renewing(turn_over).release().await;
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            let turns = Arc::clone(&slot.turns);
            if let Some((slot, turn_over)) = turns.hand_on(slot) {
                // Released in the background by the ticket's own `Drop`.
                drop(slot.stop_renewing(turn_over));
            }
        }
    }
}
