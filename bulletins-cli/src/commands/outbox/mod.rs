//! `bulletins outbox ...` (and the `bulletins-outbox` binary): the operator commands of a
//! transactional outbox, on `bulletins_outbox`'s `Store` and `Relay`.

mod endpoint;
mod relay;

use std::io::Write;

use bulletins_http::Payload;
use bulletins_outbox::{Error, Outbox, Resolution, Store};

use crate::cli::outbox::{DatabaseArgs, OutboxCommand};
use crate::exit::{Exit, Failure, Result};

/// The `bulletins-outbox` binary.
pub(crate) fn main() -> Result<Exit> {
    use clap::Parser as _;
    run(crate::cli::outbox::OutboxCli::parse().command)
}

/// Runs `command`, writing its output to stdout.
pub(crate) fn run(command: OutboxCommand) -> Result<Exit> {
    // The relay's warnings (a row left uncertain, a lease lost); RUST_LOG filters.
    let format = match &command {
        OutboxCommand::Relay(args) => args.log_format,
        _ => crate::log::LogFormat::Text,
    };
    crate::log::init("warn", format);
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
        OutboxCommand::Status { db, json } => status(&db, json, out).await?,
        OutboxCommand::Relay(args) => return relay::run(args, out).await,
        OutboxCommand::Uncertain { db, json, limit } => uncertain(&db, json, limit, out).await?,
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
        OutboxCommand::Enqueue { db, account, file } => enqueue(&db, account, &file, out).await?,
    }
    Ok(Exit::Success)
}

/// `status`: counts by state, and the oldest pending row's age.
async fn status(db: &DatabaseArgs, json: bool, out: &mut (dyn Write + Send)) -> Result<()> {
    let status = open(db).await?.status().await.map_err(outbox_failure)?;
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
    Ok(())
}

/// `uncertain`: the rows waiting for a person's decision.
async fn uncertain(
    db: &DatabaseArgs,
    json: bool,
    limit: u32,
    out: &mut (dyn Write + Send),
) -> Result<()> {
    let rows = open(db)
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
    Ok(())
}

/// `enqueue`: every line checked, then all stored in one transaction.
async fn enqueue(
    db: &DatabaseArgs,
    account: String,
    file: &std::path::Path,
    out: &mut (dyn Write + Send),
) -> Result<()> {
    let payloads = read_payloads(file)?;
    let store = open(db).await?;
    store.migrate().await.map_err(outbox_failure)?;
    let outbox = Outbox::new(account).with_table(db.table.clone());
    let n = store
        .enqueue_all(&outbox, &payloads)
        .await
        .map_err(outbox_failure)?;
    writeln!(out, "enqueued {n} bulletins").map_err(output_failure)?;
    Ok(())
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
