//! The listener: one task accepting connections, one task per connection, graceful shutdown.
//!
//! Connections are served with hyper directly (not `axum::serve`) so that a fault can close a
//! connection without answering: each connection carries an abort signal that its requests can
//! raise, and the connection task then drops the connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::dashboard::Dashboard;
use crate::fault::FaultQueue;
use crate::log::Log;
use crate::traffic::Traffic;

/// How long in-flight requests may take to finish once shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The state every request sees.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) dashboard: Dashboard,
    pub(crate) faults: FaultQueue,
    pub(crate) log: Log,
    /// Turns true when the server stops: long-lived answers (the event stream) end then.
    pub(crate) stopping: watch::Receiver<bool>,
    /// The concurrency slots in use, and answers per second.
    pub(crate) traffic: Traffic,
}

impl Shared {
    pub(crate) fn new(
        dashboard: Dashboard,
        max_recorded: usize,
        stopping: watch::Receiver<bool>,
    ) -> Self {
        Self {
            stopping,
            dashboard,
            faults: FaultQueue::default(),
            log: Log::new(max_recorded),
            traffic: Traffic::default(),
        }
    }

    /// Takes one of the account's concurrency slots, or `None` when all are in use.
    pub(crate) fn acquire(self: &Arc<Self>, account: &str) -> Option<Slot> {
        let limit = self.dashboard.concurrency_limit();
        self.traffic.acquire(account, limit).then(|| Slot {
            shared: Arc::clone(self),
            account: account.to_owned(),
        })
    }
}

/// A concurrency slot, given back when the request ends (or is dropped mid-way).
#[derive(Debug)]
pub(crate) struct Slot {
    shared: Arc<Shared>,
    account: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.shared.traffic.release(&self.account);
    }
}

/// A request's handle on its connection, found in the request's extensions.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    abort: Arc<Notify>,
}

impl Connection {
    /// Drops the connection without answering. Never returns: the connection task drops this
    /// request's future along with the connection.
    pub(crate) async fn abort(&self) -> std::convert::Infallible {
        self.abort.notify_one();
        std::future::pending().await
    }
}

/// Accepts connections until `shutdown` turns true (or its sender is dropped), then lets
/// in-flight requests finish for up to [`SHUTDOWN_GRACE`].
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(stream, peer, router.clone(), shutdown.clone()));
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = stopped(&mut shutdown) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("requests still in flight after the grace period; closing them");
    }
    connections.shutdown().await;
}

/// Resolves once shutdown is asked for, or the `Emulator` is gone.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // An error means the sender was dropped: stop as well.
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let abort = Arc::new(Notify::new());
    let connection = Connection {
        abort: Arc::clone(&abort),
    };
    let router = TowerToHyperService::new(router);
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(connection.clone());
        router.call(request)
    });
    let conn = http1::Builder::new()
        // No `half_close(true)`: on read EOF hyper then drops the connection and the request in
        // progress, which is what keeps a bulletin abandoned during a delay "received, not
        // acknowledged". The price: a client that shuts down its sending side after the request
        // (`nc -N`) may get no answer — and is then recorded as unanswered, which is true.
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);

    let result = tokio::select! {
        result = conn.as_mut() => Some(result),
        () = abort.notified() => None,
        () = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            tokio::select! {
                result = conn.as_mut() => Some(result),
                () = abort.notified() => None,
            }
        }
    };
    match result {
        Some(Err(error)) => tracing::debug!(%peer, %error, "connection ended with an error"),
        Some(Ok(())) => {}
        None => tracing::debug!(%peer, "connection closed without an answer (fault)"),
    }
}
