//! The operator commands, as a clap [`Subcommand`] any binary can mount: this crate's
//! `bulletins-outbox` binary, or a larger CLI as `bulletins outbox ...`.
//!
//! Exit codes, the same for both binaries: 0 done; 1 the database (or the output) failed;
//! 2 usage ([`OpsError::exit_code`]: bad flags, missing credentials, `resolve` on a row it
//! cannot resolve); 3 an invalid line in `enqueue`, nothing enqueued; 6 `relay --until-empty`
//! finished but rows ended refused or uncertain ([`Finished::exit_code`]); 130 a second
//! SIGTERM or SIGINT stopped the relay at once ([`EXIT_STOPPED_AT_ONCE`]).
//!
//! `relay` stops gracefully on SIGTERM or SIGINT ([`Relay::run_until`]): it claims no more,
//! waits for the requests in flight, records their outcomes, hands the rest back, and exits 0.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bulletins_http::{Client, Payload};
use clap::{Args, Subcommand};

use crate::error::Error;
use crate::relay::{Relay, Report};
use crate::rows::Resolution;
use crate::store::Store;
use crate::table::{TableName, DEFAULT_TABLE};
use crate::Outbox;

/// `migrate`, `status`, `relay`, `uncertain`, `resolve` and `enqueue`.
#[derive(Debug, Subcommand)]
#[non_exhaustive]
pub enum OutboxCommand {
    /// Creates the outbox: the SQLite file if it is missing, the table and its indexes. The
    /// only command that creates a database: the others refuse a SQLite file that does not
    /// exist.
    #[command(after_help = "Example:\n  bulletins outbox migrate --database sqlite:shop.db")]
    Migrate {
        /// The outbox: database and table.
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Counts rows by state, and the age of the oldest pending row.
    #[command(after_help = "Example:\n  bulletins outbox status --database sqlite:shop.db --json")]
    Status {
        /// The outbox: database and table.
        #[command(flatten)]
        db: DatabaseArgs,
        /// Prints JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delivers pending rows through CleverTap, configured from CLEVERTAP_ACCOUNT_ID,
    /// CLEVERTAP_PASSCODE and CLEVERTAP_REGION (or CLEVERTAP_BASE_URL).
    #[command(
        after_help = "Example:\n  CLEVERTAP_ACCOUNT_ID=... CLEVERTAP_PASSCODE=... CLEVERTAP_REGION=in1 \\\n    bulletins outbox relay --database postgres://localhost/shop --until-empty"
    )]
    Relay {
        /// The outbox: database and table.
        #[command(flatten)]
        db: DatabaseArgs,
        /// Stops once every row of the account is delivered, refused or uncertain, instead of
        /// waiting for more.
        #[arg(long)]
        until_empty: bool,
        /// Milliseconds a claim lasts before its row is handed to another relay.
        #[arg(long, default_value_t = 30_000)]
        claim_lease_ms: u64,
        /// Milliseconds a request may take before its row is called uncertain.
        #[arg(long, default_value_t = 300_000)]
        send_lease_ms: u64,
        /// Milliseconds between sweeps of expired leases.
        #[arg(long, default_value_t = 5_000)]
        sweep_interval_ms: u64,
        /// Rows claimed at once (default: twice --max-sending, or four times the client's
        /// concurrency).
        #[arg(long)]
        batch_size: Option<u32>,
        /// Rows `sending` at once, waiting for a slot included (default: twice the client's
        /// concurrency, at least 64); a crash leaves up to this many uncertain.
        #[arg(long)]
        max_sending: Option<usize>,
        /// Pauses after each claim (crash-recovery tests stop the relay there).
        #[arg(long, hide = true)]
        hold_claims_ms: Option<u64>,
    },
    /// Lists the rows that may have been delivered, waiting for a decision.
    Uncertain {
        /// The outbox: database and table.
        #[command(flatten)]
        db: DatabaseArgs,
        /// Prints JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
        /// The most rows listed.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Decides an uncertain row: it was delivered, or it should be sent once more; or sends a
    /// refused row once more (`--resend`), once its cause is fixed.
    #[command(
        after_help = "Examples:\n  bulletins outbox resolve 42 --delivered --database sqlite:shop.db\n  bulletins outbox resolve 42 --resend --database sqlite:shop.db",
        group(clap::ArgGroup::new("decision").required(true).args(["delivered", "resend"]))
    )]
    Resolve {
        /// The outbox: database and table.
        #[command(flatten)]
        db: DatabaseArgs,
        /// The row's id, as `uncertain` lists it.
        id: i64,
        /// CleverTap did raise it (checked on the dashboard): never send it.
        #[arg(long)]
        delivered: bool,
        /// CleverTap did not raise it (or it was refused, and the cause is fixed): send it
        /// once more.
        #[arg(long)]
        resend: bool,
    },
    /// Enqueues trigger payloads from a JSON Lines file, one per line, in one transaction:
    /// every line is checked first, and nothing is stored if one is invalid.
    #[command(
        after_help = "Example:\n  bulletins outbox enqueue --database sqlite:shop.db --account ABCD-RSTU-1234 backfill.jsonl"
    )]
    Enqueue {
        /// The outbox: database and table.
        #[command(flatten)]
        db: DatabaseArgs,
        /// The CleverTap account the bulletins go to.
        #[arg(long, env = "CLEVERTAP_ACCOUNT_ID")]
        account: String,
        /// The file: one `{"business_event":..,"name":..,"properties":{..},"c-by":..,"when":..}`
        /// per line.
        file: PathBuf,
    },
}

/// Which outbox: the database and the table.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// `sqlite:path/to/file.db` or `postgres://user@host/database`.
    #[arg(long, env = "DATABASE_URL")]
    pub database: String,
    /// The outbox table.
    #[arg(long, default_value = DEFAULT_TABLE)]
    pub table: TableName,
}

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finished {
    /// Done; nothing is waiting for a person.
    Done,
    /// `relay --until-empty` left no row to deliver, but some ended refused or uncertain:
    /// `uncertain` lists those waiting for a decision.
    RowsNeedAttention,
}

impl Finished {
    /// The process's exit code: 0, or 6 for [`Finished::RowsNeedAttention`].
    pub fn exit_code(self) -> u8 {
        match self {
            Finished::Done => 0,
            Finished::RowsNeedAttention => 6,
        }
    }
}

/// The exit code when a second SIGTERM or SIGINT stops the relay at once, without waiting
/// for the requests in flight (their rows stay `sending`, later uncertain).
pub const EXIT_STOPPED_AT_ONCE: u8 = 130;

/// An operator command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpsError {
    /// The outbox failed.
    #[error(transparent)]
    Outbox(#[from] Error),
    /// The CleverTap client could not be configured.
    #[error(transparent)]
    Client(#[from] bulletins_http::BuildClientError),
    /// A line of the file is not a valid trigger payload.
    #[error("{file}:{line}: {problem}")]
    Line {
        /// The file.
        file: String,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// Reading the file or writing the output failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

impl OpsError {
    /// A suggestion for the person at the terminal, when there is one.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            OpsError::Outbox(Error::NotUncertain { .. }) => {
                Some("run `uncertain` to list the rows waiting for a decision")
            }
            OpsError::Outbox(Error::NoDatabase { .. }) => Some(
                "check the path in --database (or DATABASE_URL); to set up a new outbox, run `migrate` with it",
            ),
            OpsError::Outbox(Error::Database(_)) => {
                Some("check --database (or DATABASE_URL) and that the outbox was migrated")
            }
            OpsError::Client(_) => Some(
                "set CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE and CLEVERTAP_REGION (or CLEVERTAP_BASE_URL)",
            ),
            OpsError::Line { .. } => Some("nothing was enqueued; fix the line and run it again"),
            _ => None,
        }
    }
}

impl OpsError {
    /// The process's exit code: 3 for an invalid line, 2 for a usage error (the client's
    /// configuration, `resolve` on a row it cannot resolve), 1 for anything else (the
    /// database, the output).
    pub fn exit_code(&self) -> u8 {
        match self {
            OpsError::Line { .. } => 3,
            OpsError::Client(_) | OpsError::Outbox(Error::NotUncertain { .. }) => 2,
            _ => 1,
        }
    }
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> OpsError {
    let context = context.into();
    move |source| OpsError::Io { context, source }
}

async fn open(db: &DatabaseArgs) -> Result<Store, Error> {
    Ok(Store::connect(&db.database)
        .await?
        .with_table(db.table.clone()))
}

/// Installs the operator commands' log: the relay's warnings (a row left uncertain, a lease
/// lost) on stderr, at `warn` unless `RUST_LOG` says otherwise, coloured only on a terminal and
/// without `NO_COLOR`. Does nothing if the process already has a global subscriber.
pub fn init_log() {
    use std::io::IsTerminal as _;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // An error means a subscriber is already installed, which then keeps the log.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
}

/// Runs `command`, writing its output to `out`.
///
/// # Errors
/// [`OpsError`], with a [`hint`](OpsError::hint) for the terminal and an
/// [exit code](OpsError::exit_code).
pub async fn run(
    command: OutboxCommand,
    out: &mut (dyn Write + Send),
) -> Result<Finished, OpsError> {
    match command {
        OutboxCommand::Migrate { db } => {
            let store = Store::connect_or_create(&db.database)
                .await?
                .with_table(db.table.clone());
            store.migrate().await?;
            writeln!(out, "outbox table {} is ready", db.table)
                .map_err(io("writing the output"))?;
        }
        OutboxCommand::Status { db, json } => {
            let status = open(&db).await?.status().await?;
            if json {
                let text = serde_json::to_string(&status).unwrap_or_default();
                writeln!(out, "{text}").map_err(io("writing the output"))?;
            } else {
                for (state, n) in &status.counts {
                    writeln!(out, "{:<10} {n}", state.as_str())
                        .map_err(io("writing the output"))?;
                }
                let oldest = status
                    .oldest_pending_ms
                    .map_or("-".to_owned(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
                writeln!(out, "oldest pending: {oldest}").map_err(io("writing the output"))?;
            }
        }
        OutboxCommand::Relay {
            db,
            until_empty,
            claim_lease_ms,
            send_lease_ms,
            sweep_interval_ms,
            batch_size,
            max_sending,
            hold_claims_ms,
        } => {
            let options = RelayOptions {
                db,
                until_empty,
                claim_lease_ms,
                send_lease_ms,
                sweep_interval_ms,
                batch_size,
                max_sending,
                hold_claims_ms,
            };
            return relay(options, out).await;
        }
        OutboxCommand::Uncertain { db, json, limit } => {
            let rows = open(&db).await?.uncertain(limit).await?;
            for row in rows {
                if json {
                    let text = serde_json::to_string(&row).unwrap_or_default();
                    writeln!(out, "{text}")
                } else {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{:.0}s ago\t{}",
                        row.id,
                        row.account,
                        row.event,
                        row.age_ms as f64 / 1000.0,
                        row.error.as_deref().unwrap_or("")
                    )
                }
                .map_err(io("writing the output"))?;
            }
        }
        OutboxCommand::Resolve {
            db,
            id,
            delivered,
            resend: _,
        } => {
            let resolution = if delivered {
                Resolution::Delivered
            } else {
                Resolution::Resend
            };
            open(&db).await?.resolve(id, resolution).await?;
            let what = match resolution {
                Resolution::Delivered => "marked delivered",
                Resolution::Resend => "pending again: the next relay sends it",
            };
            writeln!(out, "row {id}: {what}").map_err(io("writing the output"))?;
        }
        OutboxCommand::Enqueue { db, account, file } => {
            let shown = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(io(format!("reading {shown}")))?;
            let mut payloads = Vec::new();
            for (index, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let payload = Payload::parse(line.as_bytes()).map_err(|e| OpsError::Line {
                    file: shown.clone(),
                    line: index + 1,
                    problem: e.to_string(),
                })?;
                payloads.push(payload);
            }
            let store = open(&db).await?;
            store.migrate().await?;
            let outbox = Outbox::new(account).with_table(db.table.clone());
            let n = store.enqueue_all(&outbox, &payloads).await?;
            writeln!(out, "enqueued {n} bulletins").map_err(io("writing the output"))?;
        }
    }
    Ok(Finished::Done)
}

/// `relay`'s flags.
struct RelayOptions {
    db: DatabaseArgs,
    until_empty: bool,
    claim_lease_ms: u64,
    send_lease_ms: u64,
    sweep_interval_ms: u64,
    batch_size: Option<u32>,
    max_sending: Option<usize>,
    hold_claims_ms: Option<u64>,
}

/// `relay`: until SIGTERM or SIGINT (gracefully), or with `--until-empty` until no row is left
/// to deliver.
async fn relay(options: RelayOptions, out: &mut (dyn Write + Send)) -> Result<Finished, OpsError> {
    // Listening from the start: a signal before the relay runs stops it gracefully too,
    // instead of killing the process.
    let signals = Signals::listen().map_err(io("listening for SIGTERM and SIGINT"))?;
    let client = Client::from_env()?;
    let store = open(&options.db).await?;
    store.migrate().await?;
    let mut relay = Relay::new(store, client)
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
    let signalled = Arc::new(AtomicBool::new(false));
    let shutdown = signals.first_then_exit_on_second(signalled.clone());
    let report = if options.until_empty {
        relay.run_until_empty_or(shutdown).await?
    } else {
        relay.run_until(shutdown).await
    };
    write_report(out, &report).map_err(io("writing the output"))?;
    // Stopped by a signal, the relay did what it was asked; otherwise rows that ended refused
    // or uncertain need a person.
    if options.until_empty
        && !signalled.load(Ordering::SeqCst)
        && report.refused + report.uncertain > 0
    {
        return Ok(Finished::RowsNeedAttention);
    }
    Ok(Finished::Done)
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
    /// at once with [`EXIT_STOPPED_AT_ONCE`].
    async fn first_then_exit_on_second(mut self, signalled: Arc<AtomicBool>) {
        self.next().await;
        signalled.store(true, Ordering::SeqCst);
        eprintln!(
            "stopping: no more claims; waiting for the requests in flight (a second signal stops at once)"
        );
        tokio::spawn(async move {
            self.next().await;
            eprintln!("error: stopped at once; rows whose requests were in flight stay `sending` and become uncertain");
            std::process::exit(i32::from(EXIT_STOPPED_AT_ONCE));
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
