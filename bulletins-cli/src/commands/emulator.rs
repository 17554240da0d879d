//! `bulletins emulator`: the local CleverTap endpoint, as the `bulletins-emulator` binary runs it;
//! `bulletins emulator tail` follows a running one from another terminal.

mod tail;

use clap::{Args, Subcommand};

use crate::exit::{Exit, Failure, Result};
use crate::serve::{self, ServeArgs, ServeError};

/// `bulletins emulator [FLAGS]` serves; `bulletins emulator tail [FLAGS]` follows. The serving
/// flags belong to serving alone, so they are refused before a subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct EmulatorArgs {
    #[command(subcommand)]
    command: Option<EmulatorCommand>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum EmulatorCommand {
    /// Follow a running emulator: one line per request it receives, as it arrives.
    #[command(after_help = tail::AFTER_HELP)]
    Tail(tail::TailArgs),
}

pub(crate) fn run(args: &EmulatorArgs) -> Result<Exit> {
    match &args.command {
        Some(EmulatorCommand::Tail(tail)) => tail::run(tail),
        None => serve_command(&args.serve),
    }
}

fn serve_command(args: &ServeArgs) -> Result<Exit> {
    serve::run(args).map_err(|error| match error {
        ServeError::Config(e) => {
            Failure::new(Exit::Invalid, format!("invalid emulator config: {e}"))
        }
        ServeError::Runtime(e) => {
            Failure::new(Exit::Failed, format!("cannot start the runtime: {e}"))
        }
        ServeError::Start(e) => Failure::new(Exit::Failed, e.to_string()),
    })?;
    Ok(Exit::Success)
}
