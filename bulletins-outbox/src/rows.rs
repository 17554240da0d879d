//! What the store's operations take and return: claimed rows, outcomes, status, and the rows
//! waiting for a person.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::state::State;

/// A batch of rows one claim took, all under the same token and lease.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The token every later update of these rows must present.
    pub token: Arc<str>,
    /// The rows.
    pub rows: Vec<ClaimedRow>,
}

/// One claimed row.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClaimedRow {
    /// The row's id.
    pub id: i64,
    /// The stored JSON payload.
    pub body: String,
    /// How many times it has been claimed, this claim included.
    pub attempts: i64,
}

/// What happened to a row's request: the state it moves to from `sending`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// CleverTap accepted it, dispatching `targets` bulletins.
    Delivered {
        /// CleverTap's `targets`.
        targets: u64,
    },
    /// CleverTap refused it, or it could never be sent: final.
    Refused(String),
    /// It may have been delivered: kept for a person.
    Uncertain(String),
    /// It certainly was not delivered: pending again after `after`.
    Retry {
        /// Why it was not delivered.
        error: String,
        /// The backoff before it may be claimed again.
        after: Duration,
    },
}

/// What one sweep changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Swept {
    /// Claims that expired before their request left: pending again.
    pub released: u64,
    /// Rows whose lease expired while sending: now uncertain.
    pub uncertain: u64,
}

/// Counts by state and the age of the oldest pending row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Status {
    /// Rows in each state (every state present, zero included).
    pub counts: BTreeMap<State, u64>,
    /// Milliseconds since the oldest pending row was enqueued, if any is pending.
    pub oldest_pending_ms: Option<u64>,
}

/// A row waiting for a person to decide.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct UncertainRow {
    /// The row's id, for `resolve`.
    pub id: i64,
    /// The account it went to.
    pub account: String,
    /// The business event's name.
    pub event: String,
    /// The stored JSON payload.
    pub body: String,
    /// Claims made.
    pub attempts: i64,
    /// Milliseconds since its request was (perhaps) sent.
    pub age_ms: u64,
    /// Why it is uncertain.
    pub error: Option<String>,
}

/// An operator's decision about an uncertain row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// It was delivered (checked on CleverTap's side): mark it so; it is never sent again.
    Delivered,
    /// It was not delivered: make it pending, to be sent once more. Also for a refused row
    /// whose cause was fixed (a passcode, a missing dashboard event).
    Resend,
}

/// One row's outcome to record, with the token that must still hold the row.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) id: i64,
    pub(crate) token: Arc<str>,
    pub(crate) outcome: Outcome,
}

/// What one [`Store::commit_step`](crate::Store) did.
#[derive(Debug, Default)]
pub(crate) struct Stepped {
    /// For each record, in order, whether it was recorded (its token still held the row).
    pub(crate) recorded: Vec<bool>,
    /// The rows marked `sending`: only these may be sent.
    pub(crate) sending: Vec<i64>,
}
