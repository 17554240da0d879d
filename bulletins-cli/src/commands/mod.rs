//! One module per command.

mod completions;
pub(crate) mod dashboard;
pub(crate) mod emulator;
#[cfg(feature = "outbox")]
pub(crate) mod outbox;
mod send;
mod trigger;
mod validate;

use crate::cli::{Cli, Command};
use crate::exit::{Exit, Failure, Result};

/// Runs the command.
pub(crate) fn run(cli: Cli) -> Result<Exit> {
    match cli.command {
        Command::Trigger(args) => trigger::run(args),
        Command::Send(args) => send::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Emulator(args) => emulator::run(&args),
        #[cfg(feature = "outbox")]
        Command::Outbox(command) => outbox::run(command),
        Command::Completions(args) => completions::run(&args),
        Command::Dashboard(command) => dashboard::run(command),
    }
}

/// A multi-threaded runtime for the commands that do network I/O.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(Exit::Failed, format!("cannot start the runtime: {e}")))
}
