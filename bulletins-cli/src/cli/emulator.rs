//! `bulletins emulator ...`'s arguments: serve (with the flags of the `bulletins-emulator`
//! binary), or follow a running emulator (`tail`).

use clap::{Args, Subcommand, ValueEnum};

use crate::serve::ServeArgs;

/// `bulletins emulator [FLAGS]` serves; `bulletins emulator tail [FLAGS]` follows. The serving
/// flags belong to serving alone, so they are refused before a subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct EmulatorArgs {
    #[command(subcommand)]
    pub(crate) command: Option<EmulatorCommand>,
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
}

/// What `bulletins emulator` does besides serving.
#[derive(Debug, Subcommand)]
pub(crate) enum EmulatorCommand {
    /// Follow a running emulator: one line per request it receives, as it arrives.
    #[command(after_help = TAIL_HELP)]
    Tail(TailArgs),
}

const TAIL_HELP: &str = "\
Prints each request the emulator receives as it arrives, coloured by status on a terminal
(never with NO_COLOR); times are UTC. A delayed bulletin prints again once acknowledged.
Runs until Ctrl-C (exit 0) or until the emulator stops (exit 0); exit 1 when no emulator
answers at --url or the stream is lost.

Examples:
  bulletins emulator tail
  bulletins emulator tail --status rejected --event 'Program Released'
  bulletins emulator tail --search 'episode 12' --url http://127.0.0.1:9000
  bulletins emulator tail --json | jq -r .name";

/// The emulator's default address: where `bulletins emulator` listens without `--listen`.
pub(crate) const DEFAULT_URL: &str = "http://127.0.0.1:8787";

/// `tail`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct TailArgs {
    /// The running emulator's base URL.
    #[arg(long, value_name = "URL", default_value = DEFAULT_URL)]
    pub(crate) url: String,
    /// Only requests for this business event.
    #[arg(long, value_name = "EVENT")]
    pub(crate) event: Option<String>,
    /// Only requests with this outcome.
    #[arg(long, value_enum, value_name = "STATUS")]
    pub(crate) status: Option<Status>,
    /// Only requests showing this text (any case) in their event, name, error or a property's
    /// key or value, as the inspector's search box.
    #[arg(long, value_name = "TEXT")]
    pub(crate) search: Option<String>,
    /// Print each request as the stream's JSON object, one per line, for machines.
    #[arg(long)]
    pub(crate) json: bool,
}

/// A request's outcome, as the emulator names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Status {
    /// Valid and answered with success.
    Accepted,
    /// Received, but a fault kept the client from a clean success answer.
    #[value(name = "received_not_acknowledged", alias = "not-acknowledged")]
    ReceivedNotAcknowledged,
    /// Refused by one of CleverTap's rules.
    Rejected,
    /// Answered by an injected fault without being read.
    Fault,
}

impl Status {
    /// The emulator's name for it.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::ReceivedNotAcknowledged => "received_not_acknowledged",
            Status::Rejected => "rejected",
            Status::Fault => "fault",
        }
    }
}
