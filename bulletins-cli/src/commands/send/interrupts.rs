//! Ctrl-C and SIGTERM, for both sending loops.

/// Ctrl-C, and SIGTERM on Unix (what `kill` and service managers send). The handlers are
/// installed once, so a signal arriving between two waits is not lost.
pub(super) struct Interrupts {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Interrupts {
    pub(super) fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let signals = signal(SignalKind::interrupt())
                .and_then(|interrupt| Ok((interrupt, signal(SignalKind::terminate())?)))
                .ok();
            Self { signals }
        }
        #[cfg(not(unix))]
        Self {}
    }

    pub(super) async fn recv(&mut self) {
        #[cfg(unix)]
        {
            match self.signals.as_mut() {
                Some((interrupt, terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                None => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
