//! The command line's arguments (clap derive). Every command's `after_help` shows an example.

pub(crate) mod dashboard;
pub(crate) mod emulator;
#[cfg(feature = "outbox")]
pub(crate) mod outbox;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0    every bulletin delivered (validate: every file valid)
  1    something outside the input failed (e.g. the journal could not be written)
  2    usage error (bad flags, missing credentials, unreadable file)
  3    invalid input or dashboard mismatch; nothing sent
  4    CleverTap refused it: certainly not delivered (a 4xx, a \"status\":\"fail\" body, 401;
       also when CleverTap could not be reached at all)
  5    outcome unknown: it may have been delivered (send: some line may have been); do not
       blindly resend
  6    a batch in which some lines were not delivered (the summary says which)
  7    journal locked by another `bulletins send`, or belonging to another input or
       destination (account, endpoint), or of an older format
  8    dashboard breaking/lint: a finding at or above --fail-on
  130  interrupted (journal flushed; re-run the same command to resume)";

/// What each subcommand's help says instead of the whole table.
const EXIT_CODES_POINTER: &str = "Exit codes: `bulletins help exit-codes`.";

/// `bulletins help exit-codes`: the table, and the outbox's own codes.
pub(crate) fn exit_codes_help() -> String {
    #[cfg(feature = "outbox")]
    let outbox = format!(
        "\n\nbulletins outbox (and bulletins-outbox):\n{}",
        OUTBOX_EXIT_CODES.trim_start_matches("Exit codes:\n")
    );
    #[cfg(not(feature = "outbox"))]
    let outbox = String::new();
    format!("{EXIT_CODES}{outbox}")
}

const CREDENTIALS: &str = "\
Credentials, as the SDK's Client::from_env reads them (flags override):
  CLEVERTAP_ACCOUNT_ID  (--account-id)
  CLEVERTAP_PASSCODE    (--passcode-file FILE; no flag takes the passcode itself)
  CLEVERTAP_REGION      (--region: in1, sg1, us1, aps3, mec1, eu1)
  or CLEVERTAP_BASE_URL (--base-url; plain http:// only to loopback, e.g. the emulator)";

#[cfg(feature = "outbox")]
const OUTBOX_HELP: &str = "\
The outbox a service fills with bulletins_outbox::Outbox::enqueue, in its own transactions;
the same commands as the bulletins-outbox binary. --database (or DATABASE_URL) is
sqlite:path/to/file.db or postgres://... (both built in by default). The relay
reads its credentials from CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE and CLEVERTAP_REGION
(or CLEVERTAP_BASE_URL).

Examples:
  bulletins outbox enqueue --database sqlite:shop.db --account ABCD-RSTU-1234 backfill.jsonl
  bulletins outbox relay --database sqlite:shop.db --until-empty
  bulletins outbox status --database sqlite:shop.db
  bulletins outbox uncertain --database sqlite:shop.db
  bulletins outbox resolve 42 --delivered --database sqlite:shop.db

relay stops gracefully on SIGTERM or SIGINT: it claims no more rows, waits for the requests in
flight (each bounded by the client's timeout), records their outcomes, hands the rest back
(pending), and exits 0. A second signal stops it at once (exit 130).";

#[cfg(feature = "outbox")]
const OUTBOX_EXIT_CODES: &str = "\
Exit codes:
  0    done (relay: stopped by a signal, gracefully)
  1    the database (or the output) failed
  2    usage error (bad flags, missing credentials; resolve on a row that is not uncertain,
       or for --resend, not uncertain nor refused)
  3    a line of the enqueued file is invalid; nothing was enqueued
  6    relay --until-empty: no row left to deliver, but some ended refused or uncertain
       (list them with `uncertain`; a refused row can be resent with `resolve ID --resend`)
  130  relay: stopped at once by a second signal; rows in flight become uncertain";

/// Raise, replay and check CleverTap Bulletins: validated against CleverTap's limits and your
/// dashboard file, sent at most once, within the account's concurrency cap, with a journal that
/// lets a crashed batch resume without sending anything twice.
#[derive(Debug, Parser)]
#[command(name = "bulletins", version, propagate_version = true)]
#[command(after_help = format!("Examples:
  bulletins emulator &                      # a local CleverTap on 127.0.0.1:8787
  export CLEVERTAP_ACCOUNT_ID=ABCD-RSTU-1234 CLEVERTAP_PASSCODE=XXXXXX \\
         CLEVERTAP_BASE_URL=http://127.0.0.1:8787
  bulletins trigger 'Program Released' -p program_id=234567 -p language=Hindi \\
      -p prev_program_id=123457 --name 'Sa Re Ga Ma episode 12' --created-by [email protected]
  bulletins send bulletins.jsonl

{CREDENTIALS}

{EXIT_CODES}"))]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Raise one bulletin.
    #[command(after_help = format!("Examples:
  bulletins trigger 'Program Released' -p program_id=234567 -p language=Hindi \\
      -p prev_program_id=123457 --name 'Sa Re Ga Ma episode 12' --created-by [email protected]
  bulletins trigger order_placed -p order_id=12345 --name 'Order 12345' \\
      --created-by [email protected] --when 1724123456 --dry-run

{CREDENTIALS}

{EXIT_CODES_POINTER}"))]
    Trigger(TriggerArgs),

    /// Raise every bulletin of a JSONL file, resumably.
    #[command(after_help = format!("Each line is one trigger payload, as CleverTap documents it:
  {{\"business_event\":\"Program Released\",\"name\":\"Sa Re Ga Ma episode 12\",
   \"properties\":{{\"program_id\":\"234567\",\"language\":\"Hindi\",\"prev_program_id\":\"123457\"}},
   \"c-by\":\"[email protected]\",\"when\":\"now\"}}
Blank lines are ignored. Every line is checked before anything is sent, and the bytes sent are
the bytes checked: a file rewritten in the meantime stops the send before a changed line leaves.

The journal (FILE.journal unless --journal or --no-journal) records that a line was started,
on disk before its request leaves, and its outcome. Re-running the same command after a crash,
a kill or Ctrl-C sends only lines with no record or certainly not delivered; lines that may
have been delivered are listed and not resent unless --resend-uncertain.

A journal belongs to one input and one destination: it records the account id and the base
URL (never the passcode), and a run with another account or endpoint is refused (exit 7), so a
rehearsal against the emulator never passes for the real send. Give each destination its own
--journal.

Examples:
  bulletins send bulletins.jsonl
  bulletins send bulletins.jsonl --concurrency 3 --json > results.jsonl
  cat bulletins.jsonl | bulletins send - --journal /var/lib/bulletins/today.journal
  bulletins send bulletins.jsonl --resend-uncertain   # after checking them

{CREDENTIALS}

{EXIT_CODES_POINTER}"))]
    Send(SendArgs),

    /// Check JSONL payload files and dashboard files offline.
    #[command(after_help = format!("Files ending in .json are dashboard files; any other file (.jsonl, \
.ndjson, - for stdin) holds one trigger payload per line.

Examples:
  bulletins validate bulletins.jsonl
  bulletins validate bulletins.json
  bulletins validate monday.jsonl tuesday.jsonl --dashboard bulletins.json

{EXIT_CODES_POINTER}"))]
    Validate(ValidateArgs),

    /// Run a local CleverTap Bulletins emulator (also installed as `bulletins-emulator`), or
    /// follow a running one (`tail`).
    #[command(
        after_help = "Without --config it serves the documentation's demo dashboard: \
account ABCD-RSTU-1234, passcode XXXXXX, event \"Program Released\".

Examples:
  bulletins emulator
  bulletins emulator --listen 127.0.0.1:0 --config dashboard.json
  bulletins emulator tail --status rejected      # from another terminal"
    )]
    Emulator(emulator::EmulatorArgs),

    /// Operate a transactional outbox (bulletins-outbox): status, relay, uncertain rows,
    /// backfills.
    #[cfg(feature = "outbox")]
    #[command(subcommand, after_help = format!("{OUTBOX_HELP}\n\n{OUTBOX_EXIT_CODES}"))]
    Outbox(outbox::OutboxCommand),

    /// The dashboard file (bulletins.json) as a contract: breaking changes, lint, a first
    /// file, the events' generated code.
    #[command(
        subcommand,
        after_help = "Examples:
  bulletins dashboard breaking bulletins.json --against origin/main
  bulletins dashboard lint bulletins.json
  bulletins dashboard init --from sent.jsonl --out bulletins.json
  bulletins dashboard codegen bulletins.json --out src/events.rs --check"
    )]
    Dashboard(dashboard::DashboardCommand),

    /// Print a shell completion script.
    #[command(after_help = "Examples:
  bulletins completions bash > ~/.local/share/bash-completion/completions/bulletins
  bulletins completions zsh > ~/.zfunc/_bulletins
  bulletins completions fish > ~/.config/fish/completions/bulletins.fish")]
    Completions(CompletionsArgs),
}

/// Where to send, and as whom; every value also comes from the environment.
#[derive(Debug, Args)]
pub(crate) struct CredentialArgs {
    /// The account id [default: $CLEVERTAP_ACCOUNT_ID].
    #[arg(long, value_name = "ID")]
    pub(crate) account_id: Option<String>,
    /// The account's region code: in1, sg1, us1, aps3, mec1, eu1 [default: $CLEVERTAP_REGION].
    #[arg(long, value_name = "CODE", conflicts_with = "base_url")]
    pub(crate) region: Option<String>,
    /// A base URL instead of a region: a proxy, or the emulator [default: $CLEVERTAP_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub(crate) base_url: Option<String>,
    /// Read the passcode from this file (its first line); without it, the passcode is the
    /// value of $CLEVERTAP_PASSCODE.
    #[arg(long, value_name = "FILE")]
    pub(crate) passcode_file: Option<PathBuf>,
}

/// The dashboard file to check against.
#[derive(Debug, Args)]
pub(crate) struct DashboardArg {
    /// Check events against this dashboard file [default: $BULLETINS_DASHBOARD].
    #[arg(long, value_name = "FILE")]
    pub(crate) dashboard: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct TriggerArgs {
    /// The business event's name, as defined on the dashboard.
    #[arg(value_name = "EVENT")]
    pub(crate) event: String,
    /// A property, KEY=VALUE; repeat for each.
    #[arg(short = 'p', long = "property", value_name = "KEY=VALUE")]
    pub(crate) properties: Vec<String>,
    /// The bulletin's name.
    #[arg(long)]
    pub(crate) name: String,
    /// Who created it (CleverTap's `c-by`).
    #[arg(long, value_name = "WHO")]
    pub(crate) created_by: String,
    /// When the event happened: `now` or a UNIX timestamp in seconds.
    #[arg(long, default_value = "now", value_name = "now|UNIX")]
    pub(crate) when: String,
    #[command(flatten)]
    pub(crate) dashboard: DashboardArg,
    /// Send nothing: print the JSON body and a curl command (its passcode is
    /// $CLEVERTAP_PASSCODE, never the value).
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Print the outcome as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The JSONL file of trigger payloads; `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Requests in flight at once (CleverTap allows 3 per account).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) concurrency: u16,
    /// Send the valid lines even if some are invalid (those are skipped and reported).
    #[arg(long)]
    pub(crate) skip_invalid: bool,
    /// The journal file, one per input and destination [default: FILE.journal].
    #[arg(long, value_name = "PATH", conflicts_with = "no_journal")]
    pub(crate) journal: Option<PathBuf>,
    /// Keep no journal: a re-run sends every line again.
    #[arg(long)]
    pub(crate) no_journal: bool,
    /// Resend the lines the journal says may have been delivered (check them first).
    #[arg(long)]
    pub(crate) resend_uncertain: bool,
    /// Print one result per line as JSON on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// The log on stderr: `text`, or `json` (one object per line, for log pipelines).
    #[arg(
        long,
        value_enum,
        default_value_t,
        value_name = "FORMAT",
        env = "BULLETINS_LOG_FORMAT"
    )]
    pub(crate) log_format: crate::log::LogFormat,
    #[command(flatten)]
    pub(crate) dashboard: DashboardArg,
    #[command(flatten)]
    pub(crate) credentials: CredentialArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// JSONL payload files (`-` for stdin) and dashboard files (`*.json`).
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) dashboard: DashboardArg,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}
