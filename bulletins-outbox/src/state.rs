//! The states a row goes through.

use std::fmt;

/// Where a bulletin is in the outbox.
///
/// ```text
/// pending ──claim──▶ claimed ──mark──▶ sending ──▶ delivered | refused | uncertain
///    ▲                  │ lease expired     │ certainly not delivered (no connection, 429)
///    └──────────────────┴───────────────────┘ (with backoff)
/// sending, lease expired ──▶ uncertain          uncertain ──resolve──▶ delivered | pending
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum State {
    /// Committed, waiting for a relay (perhaps until a backoff passes).
    Pending,
    /// Claimed by a relay under a lease; its request has not left.
    Claimed,
    /// Its request may be leaving or have left; recorded before the request is sent.
    Sending,
    /// CleverTap accepted it.
    Delivered,
    /// CleverTap refused it (or it could never be sent): final.
    Refused,
    /// It may have been delivered: never resent automatically; a person decides.
    Uncertain,
}

impl State {
    /// Every state, in the order of a bulletin's life.
    pub const ALL: [State; 6] = [
        State::Pending,
        State::Claimed,
        State::Sending,
        State::Delivered,
        State::Refused,
        State::Uncertain,
    ];

    /// The name stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Claimed => "claimed",
            State::Sending => "sending",
            State::Delivered => "delivered",
            State::Refused => "refused",
            State::Uncertain => "uncertain",
        }
    }

    /// The state stored as `name`, if it is one.
    pub fn from_column(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
