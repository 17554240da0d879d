//! `outbox relay --metrics ADDR`: the relay's metrics in Prometheus's text format on
//! `/metrics`, and the probes an orchestrator asks, `/healthz` (the process answers) and
//! `/readyz` (the database answered within the last few seconds and CleverTap is not refusing
//! the credentials; 503 with the reason otherwise).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use bulletins_outbox::{Health, Store};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::time::Instant;

use crate::exit::{Exit, Failure, Result};

/// `bulletins_outbox_ready`: 1 while `/readyz` would answer 200, 0 otherwise.
const READY: &str = "bulletins_outbox_ready";

/// How often the database is asked whether it answers.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long one such question may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How recent the database's last answer must be for the relay to be ready.
pub(super) const READY_WITHIN: Duration = Duration::from_secs(5);
/// How often the exporter drains what histograms recorded, so that it stays bounded.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// What `/readyz` looks at: when the database last answered, and what the relay knows of
/// CleverTap.
pub(super) struct Readiness {
    store: Store,
    account: String,
    health: Health,
    database: Mutex<Database>,
}

#[derive(Default)]
struct Database {
    answered: Option<Instant>,
    error: Option<String>,
}

impl Readiness {
    pub(super) fn new(store: Store, account: String, health: Health) -> Self {
        Self {
            store,
            account,
            health,
            database: Mutex::new(Database::default()),
        }
    }

    /// Ready, or why not.
    fn check(&self) -> std::result::Result<(), String> {
        let database = self.database.lock().unwrap_or_else(PoisonError::into_inner);
        let silent = database.answered.map(|at| at.elapsed());
        if silent.is_none_or(|silent| silent > READY_WITHIN) {
            let since = match silent {
                Some(silent) => format!("for {} s", silent.as_secs()),
                None => "yet".to_owned(),
            };
            let error = database
                .error
                .as_deref()
                .map(|e| format!(" (last error: {e})"))
                .unwrap_or_default();
            return Err(format!("the database has not answered {since}{error}"));
        }
        if let Some(refused) = self.health.credentials_refused() {
            return Err(format!("CleverTap refuses the credentials: {refused}"));
        }
        Ok(())
    }

    /// Asks the database one cheap question (whether any row of the account is unfinished).
    async fn probe(&self) {
        let asked = tokio::time::timeout(PROBE_TIMEOUT, self.store.has_active(&self.account));
        let error = match asked.await {
            Ok(Ok(_)) => None,
            Ok(Err(error)) => Some(error.to_string()),
            Err(_) => Some(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
        };
        let mut database = self.database.lock().unwrap_or_else(PoisonError::into_inner);
        if error.is_none() {
            database.answered = Some(Instant::now());
        }
        database.error = error;
    }
}

/// Installs the Prometheus recorder, binds `address` and serves the endpoints on tasks of
/// their own, with the database probe and the exporter's upkeep, until the runtime ends.
pub(super) async fn serve(address: SocketAddr, readiness: Readiness) -> Result<SocketAddr> {
    let metrics = install()?;
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
        Failure::new(
            Exit::Failed,
            format!("cannot listen on {address} for --metrics: {e}"),
        )
    })?;
    let bound = listener.local_addr().unwrap_or(address);
    let readiness = Arc::new(readiness);
    tokio::spawn(probe_forever(Arc::clone(&readiness)));
    tokio::spawn(upkeep_forever(metrics.clone()));
    let app = Router::new()
        .route("/metrics", get(render))
        .with_state(metrics)
        .merge(
            Router::new()
                .route("/readyz", get(ready))
                .with_state(readiness),
        )
        .route("/healthz", get(|| async { "ok\n" }));
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the metrics endpoint stopped");
        }
    });
    tracing::info!(address = %bound, "serving /metrics, /healthz and /readyz");
    Ok(bound)
}

/// The process-wide recorder, rendering histograms as buckets (OpenTelemetry's advice for
/// request durations; finer ones for claims, which take about a millisecond).
fn install() -> Result<PrometheusHandle> {
    let failed = |e: metrics_exporter_prometheus::BuildError| {
        Failure::new(
            Exit::Failed,
            format!("cannot install the metrics recorder: {e}"),
        )
    };
    let handle = PrometheusBuilder::new()
        .set_buckets(bulletins_http::metrics::DURATION_BUCKETS)
        .and_then(|b| {
            b.set_buckets_for_metric(
                Matcher::Full(bulletins_outbox::metrics::CLAIM_DURATION.to_owned()),
                bulletins_outbox::metrics::CLAIM_BUCKETS,
            )
        })
        .map_err(failed)?
        .install_recorder()
        .map_err(failed)?;
    // The relay and client described theirs before the recorder existed.
    bulletins_outbox::metrics::describe();
    metrics::describe_gauge!(
        READY,
        "1 while the relay is ready (its database answers and CleverTap accepts the credentials), 0 otherwise."
    );
    Ok(handle)
}

async fn probe_forever(readiness: Arc<Readiness>) {
    let mut every = tokio::time::interval(PROBE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        readiness.probe().await;
        let ready = readiness.check().is_ok();
        metrics::gauge!(READY).set(if ready { 1.0 } else { 0.0 });
    }
}

async fn upkeep_forever(metrics: PrometheusHandle) {
    loop {
        tokio::time::sleep(UPKEEP_EVERY).await;
        metrics.run_upkeep();
    }
}

async fn render(State(metrics): State<PrometheusHandle>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
}

async fn ready(State(readiness): State<Arc<Readiness>>) -> impl IntoResponse {
    match readiness.check() {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        ),
    }
}
