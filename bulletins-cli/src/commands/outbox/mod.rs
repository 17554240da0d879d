//! `bulletins outbox ...` (and the `bulletins-outbox` binary): the operator commands of a
//! transactional outbox, on `bulletins_outbox`'s `Store` and `Relay`.

mod relay;

use std::io::Write;
use std::path::PathBuf;

use bulletins_http::Payload;
use bulletins_outbox::{Error, Outbox, Resolution, Store, TableName, DEFAULT_TABLE};
use clap::{Args, Subcommand};

use crate::exit::{Exit, Failure, Result};

/// `migrate`, `status`, `relay`, `uncertain`, `resolve` and `enqueue`.
#[derive(Debug, Subcommand)]
pub(crate) enum OutboxCommand {
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
pub(crate) struct DatabaseArgs {
    /// `sqlite:path/to/file.db` or `postgres://user@host/database`.
    #[arg(long, env = "DATABASE_URL")]
    pub(crate) database: String,
    /// The outbox table.
    #[arg(long, default_value = DEFAULT_TABLE)]
    pub(crate) table: TableName,
}

/// Operate a bulletins outbox: status, relay, uncertain rows, backfills.
///
/// The same commands as `bulletins outbox`, which the examples in each command's help use:
/// `bulletins-outbox status ...` is `bulletins outbox status ...`.
#[derive(Debug, clap::Parser)]
#[command(name = "bulletins-outbox", version, about, long_about)]
struct OutboxCli {
    #[command(subcommand)]
    command: OutboxCommand,
}

/// The `bulletins-outbox` binary.
pub(crate) fn main() -> Result<Exit> {
    use clap::Parser as _;
    run(OutboxCli::parse().command)
}

/// Runs `command`, writing its output to stdout.
pub(crate) fn run(command: OutboxCommand) -> Result<Exit> {
    // The relay's warnings (a row left uncertain, a lease lost); RUST_LOG filters.
    crate::log::init("warn");
    let mut stdout = std::io::stdout();
    super::runtime()?.block_on(execute(command, &mut stdout))
}

async fn execute(command: OutboxCommand, out: &mut (dyn Write + Send)) -> Result<Exit> {
    match command {
        OutboxCommand::Migrate { db } => {
            let store = Store::connect_or_create(&db.database)
                .await
                .map_err(outbox_failure)?
                .with_table(db.table.clone());
            store.migrate().await.map_err(outbox_failure)?;
            writeln!(out, "outbox table {} is ready", db.table).map_err(output_failure)?;
        }
        OutboxCommand::Status { db, json } => {
            let status = open(&db).await?.status().await.map_err(outbox_failure)?;
            if json {
                let text = serde_json::to_string(&status).unwrap_or_default();
                writeln!(out, "{text}").map_err(output_failure)?;
            } else {
                for (state, n) in &status.counts {
                    writeln!(out, "{:<10} {n}", state.as_str()).map_err(output_failure)?;
                }
                let oldest = status
                    .oldest_pending_ms
                    .map_or("-".to_owned(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
                writeln!(out, "oldest pending: {oldest}").map_err(output_failure)?;
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
            let options = relay::Options {
                db,
                until_empty,
                claim_lease_ms,
                send_lease_ms,
                sweep_interval_ms,
                batch_size,
                max_sending,
                hold_claims_ms,
            };
            return relay::run(options, out).await;
        }
        OutboxCommand::Uncertain { db, json, limit } => {
            let rows = open(&db)
                .await?
                .uncertain(limit)
                .await
                .map_err(outbox_failure)?;
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
                .map_err(output_failure)?;
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
            let store = open(&db).await?;
            store
                .resolve(id, resolution)
                .await
                .map_err(outbox_failure)?;
            let what = match resolution {
                Resolution::Delivered => "marked delivered",
                Resolution::Resend => "pending again: the next relay sends it",
            };
            writeln!(out, "row {id}: {what}").map_err(output_failure)?;
        }
        OutboxCommand::Enqueue { db, account, file } => {
            let payloads = read_payloads(&file)?;
            let store = open(&db).await?;
            store.migrate().await.map_err(outbox_failure)?;
            let outbox = Outbox::new(account).with_table(db.table.clone());
            let n = store
                .enqueue_all(&outbox, &payloads)
                .await
                .map_err(outbox_failure)?;
            writeln!(out, "enqueued {n} bulletins").map_err(output_failure)?;
        }
    }
    Ok(Exit::Success)
}

/// Every payload line of `file`, each checked; the first invalid line stops it all.
fn read_payloads(file: &std::path::Path) -> Result<Vec<Payload>> {
    let shown = file.display();
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::new(Exit::Failed, format!("reading {shown}: {e}")))?;
    let mut payloads = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let payload = Payload::parse(line.as_bytes()).map_err(|e| {
            Failure::new(Exit::Invalid, format!("{shown}:{}: {e}", index + 1))
                .hint("nothing was enqueued; fix the line and run it again")
        })?;
        payloads.push(payload);
    }
    Ok(payloads)
}

async fn open(db: &DatabaseArgs) -> Result<Store> {
    Ok(Store::connect(&db.database)
        .await
        .map_err(outbox_failure)?
        .with_table(db.table.clone()))
}

/// The outbox's error, with what to do about it: a row `resolve` cannot resolve is a usage
/// error (2); the database, a missing file, an unsupported URL fail the command (1).
fn outbox_failure(error: Error) -> Failure {
    let (exit, hint) = match &error {
        Error::NotUncertain { .. } => (
            Exit::Usage,
            Some("run `uncertain` to list the rows waiting for a decision"),
        ),
        Error::NoDatabase { .. } => (
            Exit::Failed,
            Some("check the path in --database (or DATABASE_URL); to set up a new outbox, run `migrate` with it"),
        ),
        Error::Database(_) => (
            Exit::Failed,
            Some("check --database (or DATABASE_URL) and that the outbox was migrated"),
        ),
        _ => (Exit::Failed, None),
    };
    let failure = Failure::new(exit, error.to_string());
    match hint {
        Some(hint) => failure.hint(hint),
        None => failure,
    }
}

fn output_failure(error: std::io::Error) -> Failure {
    Failure::new(Exit::Failed, format!("writing the output: {error}"))
}
