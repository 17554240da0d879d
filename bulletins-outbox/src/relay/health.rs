//! What a relay has learnt about CleverTap's side that a readiness check reports: whether the
//! account's credentials are refused.

use std::sync::{Arc, Mutex};

use bulletins_http::{Error as SendError, NotDelivered};

/// A relay's view of CleverTap, shared with whoever reports readiness: a clone of
/// [`Relay::health`](crate::Relay::health) follows the relay as it runs.
///
/// The credentials count as refused from the moment CleverTap refuses them (HTTP 401 or 403,
/// or its code 401) until it next accepts a request of this relay (a delivery, or a refusal of
/// the bulletin itself, which it gives only to an account it knows).
#[derive(Debug, Clone, Default)]
pub struct Health {
    refused: Arc<Mutex<Option<String>>>,
}

impl Health {
    /// Why CleverTap refuses the account's credentials, while it does; `None` when it has not,
    /// or has accepted them since.
    pub fn credentials_refused(&self) -> Option<String> {
        self.lock().clone()
    }

    /// Takes what a request ended in.
    pub(crate) fn answered(&self, result: Result<(), &SendError>) {
        let accepted = match result {
            Ok(()) => true,
            Err(error) => match error.outcome().not_delivered() {
                Some(NotDelivered::Credentials) => {
                    *self.lock() = Some(error.to_string());
                    return;
                }
                Some(NotDelivered::Refused) => true,
                // No answer about the credentials.
                _ => false,
            },
        };
        if accepted {
            *self.lock() = None;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // The value stays valid whatever a holder did.
        self.refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// When a relay (and its clones) last counted the outbox for its gauges.
#[derive(Debug, Clone, Default)]
pub(crate) struct LastCount(Arc<Mutex<Option<tokio::time::Instant>>>);

impl LastCount {
    /// Whether `every` has passed since the last count (or none was made); if so, the count
    /// about to be made is noted as the last.
    pub(crate) fn due(&self, every: std::time::Duration) -> bool {
        let mut last = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = tokio::time::Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < every) {
            return false;
        }
        *last = Some(now);
        true
    }
}
