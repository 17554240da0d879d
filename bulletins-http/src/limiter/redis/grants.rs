//! How a waiter learns its turn: this process subscribes to its own grant channels, and a
//! grant that names a waiter wakes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use super::scripts::{grants_pattern, member_id};
use super::store::within;
use crate::lock;

/// This process's waiters, by member, woken when a grant names them.
type Waiters = Mutex<HashMap<String, Arc<Notify>>>;

/// The grants published to this process, and the waiters they wake.
pub(super) struct Grants {
    client: redis::Client,
    /// This process's part of its members' names, and of the channel its grants come on.
    process: String,
    /// The channels' pattern, for every account.
    pattern: String,
    /// The longest subscribing may take.
    timeout: Duration,
    waiters: Arc<Waiters>,
    /// The task subscribing to grants, then reading them from Pub/Sub, while it runs.
    listener: Mutex<Option<Listener>>,
}

/// The task that subscribes to this process's grants and then reads them, and how far it got.
struct Listener {
    task: tokio::task::JoinHandle<()>,
    subscription: watch::Receiver<Subscription>,
}

/// How far a [`Listener`] got in subscribing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subscription {
    Pending,
    Subscribed,
    Failed,
}

impl Grants {
    /// The grants of a new process, with a random id, on the channels under `key_prefix`;
    /// subscribing waits `timeout` at most.
    pub(super) fn new(client: redis::Client, key_prefix: &str, timeout: Duration) -> Self {
        let process = format!("{:016x}", rand::random::<u64>());
        Self {
            client,
            pattern: grants_pattern(key_prefix, &process),
            process,
            timeout,
            waiters: Arc::new(Mutex::new(HashMap::new())),
            listener: Mutex::new(None),
        }
    }

    /// Makes sure grants are being read from Pub/Sub, waiting until `deadline` at most for the
    /// subscription. Best effort: without it, waiters find their turn by re-checking.
    ///
    /// The subscription runs in a task of its own that every caller shares, so that a Redis
    /// slow to answer costs each caller its own deadline at most, however many are waiting,
    /// rather than one subscription timeout after another.
    pub(super) async fn listen(&self, deadline: Option<Instant>) {
        let mut subscription = {
            let mut listener = lock(&self.listener);
            match listener.as_ref() {
                Some(running) if !running.task.is_finished() => running.subscription.clone(),
                _ => {
                    let (told, subscription) = watch::channel(Subscription::Pending);
                    let task = tokio::spawn(subscribe_and_dispatch(
                        Arc::downgrade(&self.waiters),
                        self.client.clone(),
                        self.pattern.clone(),
                        self.timeout,
                        told,
                    ));
                    *listener = Some(Listener {
                        task,
                        subscription: subscription.clone(),
                    });
                    subscription
                }
            }
        };
        // Subscribed, failed, or the task is gone: either way, go on.
        let _ = within(
            deadline,
            subscription.wait_for(|state| *state != Subscription::Pending),
        )
        .await;
    }
}

impl Drop for Grants {
    fn drop(&mut self) {
        if let Some(listener) = lock(&self.listener).take() {
            listener.task.abort();
        }
    }
}

/// A waiter of this process, woken when a grant names its member; unregistered when dropped.
pub(super) struct Waiter {
    waiters: Arc<Waiters>,
    pub(super) member: String,
    pub(super) wake: Arc<Notify>,
}

impl Waiter {
    /// A new member of this process, registered to be woken by its grant.
    pub(super) fn register(grants: &Grants) -> Self {
        let waiter = Self {
            waiters: Arc::clone(&grants.waiters),
            member: member_id(&grants.process),
            wake: Arc::new(Notify::new()),
        };
        lock(&waiter.waiters).insert(waiter.member.clone(), Arc::clone(&waiter.wake));
        waiter
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        lock(&self.waiters).remove(&self.member);
    }
}

/// Subscribes to this process's grants (giving up after `timeout`), says how that went, then
/// wakes the waiters the grants name until the connection is gone.
async fn subscribe_and_dispatch(
    waiters: Weak<Waiters>,
    client: redis::Client,
    pattern: String,
    timeout: Duration,
    told: watch::Sender<Subscription>,
) {
    let subscribe = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.psubscribe(&pattern).await?;
        Ok::<_, redis::RedisError>(pubsub)
    };
    match tokio::time::timeout(timeout, subscribe).await {
        Ok(Ok(pubsub)) => {
            told.send_replace(Subscription::Subscribed);
            dispatch(waiters, pubsub).await;
        }
        Ok(Err(error)) => {
            tracing::debug!(%error, "could not subscribe to slot grants");
            told.send_replace(Subscription::Failed);
        }
        Err(_) => {
            tracing::debug!("subscribing to slot grants timed out");
            told.send_replace(Subscription::Failed);
        }
    }
}

/// Wakes this process's waiters named in the grants published on the subscribed channels.
async fn dispatch(waiters: Weak<Waiters>, pubsub: redis::aio::PubSub) {
    let mut messages = pubsub.into_on_message();
    while let Some(message) = messages.next().await {
        let Some(waiters) = waiters.upgrade() else {
            return;
        };
        let Ok(members) = message.get_payload::<String>() else {
            continue;
        };
        let waiters = lock(&waiters);
        for member in members.split(' ') {
            if let Some(wake) = waiters.get(member) {
                wake.notify_one();
            }
        }
    }
    // The connection is gone: the next waiter subscribes again; meanwhile waiters re-check.
}
