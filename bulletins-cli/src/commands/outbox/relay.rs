//! `outbox relay`: deliver until SIGTERM or SIGINT (gracefully), or with `--until-empty` until
//! no row is left to deliver.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bulletins_http::Client;
use bulletins_outbox::{Relay, Report};

use tracing::Level;

use super::{endpoint, open, outbox_failure, output_failure};
use crate::cli::outbox::RelayArgs;
use crate::exit::{Exit, Failure, Result};
use crate::log;

/// Runs the relay; exits 6 ([`Exit::Partial`]) when `--until-empty` finished with rows that
/// ended refused or uncertain, which need a person.
pub(super) async fn run(options: RelayArgs, out: &mut (dyn Write + Send)) -> Result<Exit> {
    // Listening from the start: a signal before the relay runs stops it gracefully too,
    // instead of killing the process.
    let signals = Signals::listen().map_err(|e| {
        Failure::new(
            Exit::Failed,
            format!("listening for SIGTERM and SIGINT: {e}"),
        )
    })?;
    let client = Client::from_env().map_err(|e| {
        Failure::usage(e.to_string()).hint(
            "set CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE and CLEVERTAP_REGION (or CLEVERTAP_BASE_URL)",
        )
    })?;
    let store = open(&options.db).await?;
    store.migrate().await.map_err(outbox_failure)?;
    let account = client.account_id().to_owned();
    let mut relay = Relay::new(store.clone(), client)
        .claim_lease(Duration::from_millis(options.claim_lease_ms))
        .send_lease(Duration::from_millis(options.send_lease_ms))
        .sweep_interval(Duration::from_millis(options.sweep_interval_ms));
    if let Some(rows) = options.batch_size {
        relay = relay.batch_size(rows);
    }
    if let Some(rows) = options.max_sending {
        relay = relay.max_sending(rows);
    }
    if let Some(ms) = options.hold_claims_ms {
        relay = relay.hold_claims(Duration::from_millis(ms));
    }
    relay = relay.gauge_interval(Duration::from_millis(options.gauge_interval_ms));
    // Served until the relay returns; the runtime's end stops it.
    if let Some(address) = options.metrics {
        let readiness = endpoint::Readiness::new(store, account, relay.health());
        endpoint::serve(address, readiness).await?;
    }
    let signalled = Arc::new(AtomicBool::new(false));
    let shutdown = signals.first_then_exit_on_second(signalled.clone());
    let report = if options.until_empty {
        relay
            .run_until_empty_or(shutdown)
            .await
            .map_err(outbox_failure)?
    } else {
        relay.run_until(shutdown).await
    };
    write_report(out, &report).map_err(output_failure)?;
    // Stopped by a signal, the relay did what it was asked; otherwise rows that ended refused
    // or uncertain need a person.
    if options.until_empty
        && !signalled.load(Ordering::SeqCst)
        && report.refused + report.uncertain > 0
    {
        return Ok(Exit::Partial);
    }
    Ok(Exit::Success)
}

/// SIGTERM (what orchestrators send) and SIGINT (Ctrl-C), listened to from the start so that
/// neither kills the process outright.
struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.interrupt.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }

    /// Completes at the first signal (setting `signalled`); a second one exits the process
    /// at once with 130 ([`Exit::Interrupted`]).
    async fn first_then_exit_on_second(mut self, signalled: Arc<AtomicBool>) {
        self.next().await;
        signalled.store(true, Ordering::SeqCst);
        log::say(
            Level::INFO,
            "stopping: no more claims; waiting for the requests in flight (a second signal stops at once)",
        );
        tokio::spawn(async move {
            self.next().await;
            log::say(Level::ERROR, "error: stopped at once; rows whose requests were in flight stay `sending` and become uncertain");
            std::process::exit(i32::from(Exit::Interrupted.code()));
        });
    }
}

fn write_report(out: &mut (dyn Write + Send), report: &Report) -> std::io::Result<()> {
    writeln!(
        out,
        "delivered {}, refused {}, uncertain {}, retried {}, lost lease {}",
        report.delivered, report.refused, report.uncertain, report.retried, report.lost
    )
}
