//! `bulletins outbox`'s arguments, and the `bulletins-outbox` binary's, which takes the same
//! commands.

use std::path::PathBuf;

use bulletins_outbox::{TableName, DEFAULT_TABLE};
use clap::{Args, Subcommand};

/// Operate a bulletins outbox: status, relay, uncertain rows, backfills.
///
/// The same commands as `bulletins outbox`, which the examples in each command's help use:
/// `bulletins-outbox status ...` is `bulletins outbox status ...`.
#[derive(Debug, clap::Parser)]
#[command(name = "bulletins-outbox", version, about, long_about)]
pub(crate) struct OutboxCli {
    #[command(subcommand)]
    pub(crate) command: OutboxCommand,
}

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
        after_help = "Examples:\n  CLEVERTAP_ACCOUNT_ID=... CLEVERTAP_PASSCODE=... CLEVERTAP_REGION=in1 \\\n    bulletins outbox relay --database postgres://localhost/shop --until-empty\n  bulletins outbox relay --database postgres://localhost/shop --metrics 0.0.0.0:9187 --log-format json"
    )]
    Relay(RelayArgs),
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

/// `relay`'s flags.
#[derive(Debug, Args)]
pub(crate) struct RelayArgs {
    /// The outbox: database and table.
    #[command(flatten)]
    pub(crate) db: DatabaseArgs,
    /// Stops once every row of the account is delivered, refused or uncertain, instead of
    /// waiting for more.
    #[arg(long)]
    pub(crate) until_empty: bool,
    /// Milliseconds a claim lasts before its row is handed to another relay.
    #[arg(long, default_value_t = 30_000)]
    pub(crate) claim_lease_ms: u64,
    /// Milliseconds a request may take before its row is called uncertain.
    #[arg(long, default_value_t = 300_000)]
    pub(crate) send_lease_ms: u64,
    /// Milliseconds between sweeps of expired leases.
    #[arg(long, default_value_t = 5_000)]
    pub(crate) sweep_interval_ms: u64,
    /// Rows claimed at once (default: twice --max-sending, or four times the client's
    /// concurrency).
    #[arg(long)]
    pub(crate) batch_size: Option<u32>,
    /// Rows `sending` at once, waiting for a slot included (default: twice the client's
    /// concurrency, at least 64); a crash leaves up to this many uncertain.
    #[arg(long)]
    pub(crate) max_sending: Option<usize>,
    /// Pauses after each claim (crash-recovery tests stop the relay there).
    #[arg(long, hide = true)]
    pub(crate) hold_claims_ms: Option<u64>,
    /// Serves Prometheus metrics on this address: /metrics, /healthz (alive) and /readyz
    /// (503 with the reason while the database is not answering or CleverTap refuses the
    /// credentials).
    #[arg(long, value_name = "ADDR")]
    pub(crate) metrics: Option<std::net::SocketAddr>,
    /// Milliseconds between counts of the outbox's rows for the metrics' row gauges (each
    /// count reads every row's index entry).
    #[arg(long, default_value_t = 15_000)]
    pub(crate) gauge_interval_ms: u64,
    /// The log on stderr: `text`, or `json` (one object per line, for log pipelines).
    #[arg(
        long,
        value_enum,
        default_value_t,
        value_name = "FORMAT",
        env = "BULLETINS_LOG_FORMAT"
    )]
    pub(crate) log_format: crate::log::LogFormat,
}
